/**
 * `npm run bench`: runs every benchmark module and prints its figures as a table. Benchmarks report numbers only; they
 * never pass or fail on time. `npm run bench -- backends core` runs only the suites named; `--name value` options go to
 * the suites (`npm run bench -- discovery --limit 5`). The discovery suite takes minutes and the chromium suite starts a
 * browser, so they run only when named.
 */
import os from 'node:os';
import { run as runAlgebra } from './algebra.bench';
import { run as runBackends } from './backends.bench';
import { run as runChromium } from './chromium-device.bench';
import { run as runCore } from './core.bench';
import { run as runDiscovery } from './discovery.bench';
import { run as runHost } from './host.bench';
import { run as runStartup } from './startup.bench';
import { run as runSymbolic } from './symbolic.bench';

type Figures = Record<string, number | string>;

interface Suite {
  name: string;
  run: (options: ReadonlyMap<string, string>) => Promise<Figures>;
  onlyWhenNamed?: boolean;
}

const suites: Suite[] = [
  { name: 'core', run: runCore },
  { name: 'startup', run: runStartup },
  { name: 'symbolic', run: runSymbolic },
  { name: 'algebra', run: runAlgebra },
  { name: 'backends', run: runBackends },
  { name: 'host', run: runHost },
  { name: 'discovery', run: runDiscovery, onlyWhenNamed: true },
  { name: 'chromium', run: runChromium, onlyWhenNamed: true },
];

/** Splits the command line into suite names and `--name value` (or `--name=value`) options. */
function parseArguments(args: string[]): { names: string[]; options: Map<string, string> } {
  const names: string[] = [];
  const options = new Map<string, string>();
  for (let q = 0; q < args.length; q++) {
    const arg = args[q]!;
    if (!arg.startsWith('--')) {
      names.push(arg);
      continue;
    }
    const equals = arg.indexOf('=');
    if (equals > 0) options.set(arg.slice(2, equals), arg.slice(equals + 1));
    else if (q + 1 < args.length) options.set(arg.slice(2), args[++q]!);
    else {
      console.error(`the option ${arg} needs a value, as in ${arg} 5`);
      process.exit(2);
    }
  }
  return { names, options };
}

function format(value: number | string): string {
  if (typeof value === 'string') return value;
  if (!Number.isFinite(value)) return String(value);
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (Number.isInteger(value) && magnitude < 1e9) return String(value);
  if (magnitude >= 1e-3 && magnitude < 1e6) return value.toPrecision(4);
  return value.toExponential(3);
}

function printTable(suite: string, figures: Figures): void {
  const rows = Object.entries(figures).map(([name, value]) => [name, format(value)] as const);
  const nameWidth = Math.max(...rows.map(([name]) => name.length), 6);
  console.log(`\n== ${suite} ==`);
  for (const [name, value] of rows) console.log(`${name.padEnd(nameWidth)}  ${value}`);
}

const started = performance.now();
// Times are wall clock, with this process's CPU time beside them: on a shared machine the CPU time is the steadier figure.
const load = os.loadavg().map((l) => l.toFixed(1)).join(' ');
console.log(`KAN Workbench benchmarks: node ${process.version}, ${process.platform}/${process.arch}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), load average ${load}`);
const { names: only, options } = parseArguments(process.argv.slice(2));
const unknown = only.filter((name) => !suites.some((suite) => suite.name === name));
if (unknown.length > 0) {
  console.error(`unknown bench suite ${unknown.join(', ')}; the suites are ${suites.map((suite) => suite.name).join(', ')}`);
  process.exit(2);
}
for (const suite of suites) {
  const chosen = only.length === 0 ? !suite.onlyWhenNamed : only.includes(suite.name);
  if (chosen) printTable(suite.name, await suite.run(options));
}
console.log(`\nbench total: ${((performance.now() - started) / 1000).toFixed(1)} s; load average now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
