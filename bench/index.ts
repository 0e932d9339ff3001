/**
 * `npm run bench`: runs every benchmark module and prints its figures as a table. Benchmarks report numbers only; they
 * never pass or fail on time. `npm run bench -- backends core` runs only the suites named.
 */
import os from 'node:os';
import { run as runAlgebra } from './algebra.bench';
import { run as runBackends } from './backends.bench';
import { run as runCore } from './core.bench';
import { run as runHost } from './host.bench';
import { run as runSymbolic } from './symbolic.bench';

type Figures = Record<string, number | string>;

const suites: [string, () => Promise<Figures>][] = [['core', runCore], ['symbolic', runSymbolic], ['algebra', runAlgebra], ['backends', runBackends], ['host', runHost]];

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
const only = process.argv.slice(2);
const unknown = only.filter((name) => !suites.some(([suite]) => suite === name));
if (unknown.length > 0) {
  console.error(`unknown bench suite ${unknown.join(', ')}; the suites are ${suites.map(([suite]) => suite).join(', ')}`);
  process.exit(2);
}
for (const [name, runSuite] of suites) if (only.length === 0 || only.includes(name)) printTable(name, await runSuite());
console.log(`\nbench total: ${((performance.now() - started) / 1000).toFixed(1)} s; load average now ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
