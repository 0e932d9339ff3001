/** The `kanbench` command line: dispatches sub-commands; every user error ends with one line on stderr and exit code 2. */
import { UsageError } from './errors';
import { runCommand } from './run';

const USAGE = `Usage: kanbench <command> [options]

Commands:
  run RECIPE.json [--json] [--no-store] [--db PATH] [--backend NAME]   run a recipe (progress on stderr)
  help                                                                  this text
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command "${command}"; try \`kanbench help\``);
    }
  } catch (err) {
    process.stderr.write(`kanbench: ${oneLine(err)}\n`);
    return err instanceof UsageError ? 2 : 1;
  }
}

export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
