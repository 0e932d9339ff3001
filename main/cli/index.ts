/** The `kanbench` command line: dispatches sub-commands; every user error ends with one line on stderr and exit code 2. */
import { UsageError } from './errors';

const USAGE = `Usage: kanbench <command> [options]

Commands:
  run RECIPE.json [--json] [--no-store] [--db PATH] [--backend NAME] [--max-memory MB] [--write-split DIR] [--quiet]
                                                       run a recipe (progress on stderr) and record it in the store
  runs list [--status S] [--search T] [--tag T] [--sort KEY] [--asc] [--limit N] [--json]
  runs show ID [--json]                                a run's steps and metrics (ID may be a unique prefix)
  runs export ID --latex|--json [--out FILE]           metrics table and formula as LaTeX, or the whole run as JSON
  runs delete ID                                       delete a run and everything it recorded
  datasets [list] [--json] | datasets delete ID        the stored datasets
  serve [--port N] [--db PATH]                         the workbench in a browser, on 127.0.0.1 with an access token
  bench-backends [--list] [--width 784,64,10] [--n N]  time every compute backend on a problem size and remember the fastest
  help                                                 this text

The store is KANBENCH_DB if set, else ~/.config/kan-workbench/experiments.db (the platform's user data folder);
--db PATH overrides both.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    // \`kanbench run --help\`: the command's lines of the usage, before anything parses (or loads) the command.
    if (command !== undefined && command !== 'bench-backends' && (rest.includes('--help') || rest.includes('-h'))) {
      const lines = commandUsage(command);
      if (lines === null) throw new UsageError(`unknown command "${command}"; try \`kanbench help\``);
      process.stdout.write(`Usage:\n${lines}\n`);
      return 0;
    }
    switch (command) {
      // Each command loads only what it needs: the science core (math.js above all) takes a second to start.
      case 'run':
        return await (await import('./run')).runCommand(rest);
      case 'runs':
        return await (await import('./runs')).runsCommand(rest);
      case 'datasets':
        return await (await import('./datasets')).datasetsCommand(rest);
      case 'serve':
        return await (await import('./serve')).serveCommand(rest);
      case 'bench-backends':
        return await (await import('./bench-backends')).benchBackendsCommand(rest);
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
    return err instanceof UsageError || isArgumentError(err) || isInputError(err) ? 2 : 1;
  }
}

/** The lines of USAGE that describe a command (with their continuation lines), each form with its description under it; null for no such command. */
function commandUsage(command: string): string | null {
  const lines = USAGE.split('\n');
  const out: string[] = [];
  let inside = false;
  for (const line of lines) {
    if (/^  \S/.test(line)) inside = line.slice(2).split(/\s/)[0] === command;
    else if (!/^\s{4,}\S/.test(line)) inside = false;
    if (!inside) continue;
    const [syntax, description] = line.trim().split(/\s{2,}/);
    if (/^  \S/.test(line)) out.push(`  kanbench ${syntax}`);
    if (description !== undefined || !/^  \S/.test(line)) out.push(`      ${description ?? syntax}`);
  }
  return out.length === 0 ? null : out.join('\n');
}

/** A recipe or a dataset the user gave is wrong (matched by name: importing the classes would load the science core). */
function isInputError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'RecipeError' || err.name === 'DataError');
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
