/** The `kanbench` command line: dispatches sub-commands; every user error ends with one line on stderr and exit code 2. */
import { datasetsCommand } from './datasets';
import { UsageError } from './errors';
import { runCommand } from './run';
import { runsCommand } from './runs';
import { serveCommand } from './serve';

const USAGE = `Usage: kanbench <command> [options]

Commands:
  run RECIPE.json [--json] [--no-store] [--db PATH]   run a recipe (progress on stderr) and record it in the store
  runs list [--status S] [--search T] [--tag T] [--sort KEY] [--asc] [--limit N] [--json]
  runs show ID [--json]                                a run's steps and metrics (ID may be a unique prefix)
  runs export ID --latex|--json [--out FILE]           metrics table and formula as LaTeX, or the whole run as JSON
  runs delete ID                                       delete a run and everything it recorded
  datasets [list] [--json] | datasets delete ID        the stored datasets
  serve [--port N] [--db PATH]                         the workbench in a browser, on 127.0.0.1 with an access token
  help                                                 this text

The store is KANBENCH_DB if set, else ~/.config/kan-workbench/experiments.db (the platform's user data folder);
--db PATH overrides both.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest);
      case 'runs':
        return await runsCommand(rest);
      case 'datasets':
        return await datasetsCommand(rest);
      case 'serve':
        return await serveCommand(rest);
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
    return err instanceof UsageError || isArgumentError(err) ? 2 : 1;
  }
}

/** node:util parseArgs rejects unknown or malformed options with these codes. */
function isArgumentError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS');
}

export function oneLine(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/\s*\n\s*/g, ' ').trim();
}
