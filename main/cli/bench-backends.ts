/**
 * `kanbench bench-backends`: lists the compute backends with why each can or cannot run here, and times every available
 * one on a problem size (one objective evaluation = forward + backward of the whole batch), prints the table and the
 * pick, and remembers the pick for this machine and size class (what 'auto' will then use without measuring).
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kan } from '../../app/kan/model';
import type { Batch, Task } from '../../app/train/types';
import { Rng } from '../../app/util/rng';
import { measureBackends, pickFastest, sizeClass } from '../../app/compute/chooser';
import { listBackends } from '../../app/compute/registry';
import { JsonChoiceStore, machineFingerprint, registerNodeBackends } from '../compute';
import { defaultStorePath } from '../store/paths';
import { UsageError } from './errors';
import { formatNumber } from './progress';

const USAGE = 'usage: kanbench bench-backends [--list] [--width 784,64,10] [--grid 5] [--k 3] [--n 1024] [--task classification|regression] [--backends a,b] [--repeats 2] [--data-dir DIR] [--no-save] [--json]';

export async function benchBackendsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      list: { type: 'boolean', default: false },
      width: { type: 'string', default: '784,64,10' },
      grid: { type: 'string', default: '5' },
      k: { type: 'string', default: '3' },
      n: { type: 'string', default: '1024' },
      task: { type: 'string' },
      backends: { type: 'string' },
      repeats: { type: 'string', default: '2' },
      'data-dir': { type: 'string' },
      'no-save': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"; ${USAGE}`);
  registerNodeBackends();
  const backends = await listBackends();
  if (values.list) {
    if (values.json) process.stdout.write(`${JSON.stringify(backends)}\n`);
    else for (const b of backends) process.stdout.write(`${b.name.padEnd(18)} ${b.available ? 'available  ' : 'unavailable'} ${b.precision}  ${b.reason}\n`);
    return 0;
  }

  const width = parseWidth(values.width);
  const grid = positiveInteger('--grid', values.grid);
  const k = positiveInteger('--k', values.k);
  const n = positiveInteger('--n', values.n);
  const repeats = positiveInteger('--repeats', values.repeats);
  const nOut = width[width.length - 1]!;
  const task = parseTask(values.task, nOut);
  const candidates = values.backends?.split(',').map((s) => s.trim()).filter(Boolean);
  if (candidates) {
    for (const name of candidates) {
      const info = backends.find((b) => b.name === name);
      if (!info) throw new UsageError(`unknown backend "${name}"; known: ${backends.map((b) => b.name).join(', ')}`);
      if (!info.available) throw new UsageError(`backend "${name}" cannot run here: ${info.reason}`);
    }
  }

  const rng = new Rng(0);
  const kan = Kan.create({ width, grid, k }, rng);
  const batch = syntheticBatch(width[0]!, nOut, n, task, rng);
  const log = values.json ? () => undefined : (line: string) => process.stderr.write(`  ${line}\n`);
  const measured = await measureBackends(kan, batch, task, {
    machine: '', repeats, maxTimingPairs: Infinity, log,
    candidates: candidates ?? backends.filter((b) => b.available && b.synchronous).map((b) => b.name),
  });
  const pick = pickFastest(measured.secondsPerCall, 0.95);
  const cls = sizeClass(kan, n);
  const machine = machineFingerprint(backends.filter((b) => b.available && b.synchronous).map((b) => b.name));
  let savedTo: string | null = null;
  if (!values['no-save'] && !candidates) {
    const store = JsonChoiceStore.inFolder(values['data-dir'] ?? path.dirname(defaultStorePath()));
    store.set(`${machine}|${cls}`, { backend: pick, measuredAt: new Date().toISOString(), ...measured });
    savedTo = store.file;
  }

  if (values.json) {
    process.stdout.write(`${JSON.stringify({ width, grid, k, n, task, sizeClass: cls, machine, pick, ...measured, savedTo })}\n`);
    return 0;
  }
  const ref = measured.secondsPerCall.reference;
  process.stdout.write(`KAN ${JSON.stringify(width)} G=${grid} k=${k}, ${n} samples (${task}); seconds per objective evaluation (forward + backward):\n`);
  for (const b of backends) {
    const seconds = measured.secondsPerCall[b.name];
    let status: string;
    if (seconds !== undefined) status = `${formatNumber(seconds).padStart(10)} s  ${ref !== undefined ? `${(ref / seconds).toFixed(2)}x reference` : ''}${b.name === pick ? '  <- pick' : ''}`;
    else if (measured.rejected[b.name]) status = `  rejected: ${measured.rejected[b.name]}`;
    else if (!b.available) status = `  unavailable: ${b.reason}`;
    else status = '  not measured';
    process.stdout.write(`  ${b.name.padEnd(18)}${status}\n`);
  }
  process.stdout.write(`pick: ${pick}${savedTo ? ` (remembered for this machine and ${cls} in ${savedTo})` : ''}\n`);
  return 0;
}

function parseWidth(text: string): number[] {
  const width = text.split(',').map((s) => Number(s.trim()));
  if (width.length < 2 || width.some((w) => !Number.isInteger(w) || w < 1)) throw new UsageError(`--width must list at least two positive integers, e.g. 784,64,10; got "${text}"`);
  return width;
}

function positiveInteger(flag: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${flag} must be a positive integer; got "${text}"`);
  return value;
}

function parseTask(text: string | undefined, nOut: number): Task {
  if (text === undefined) return nOut > 1 ? 'classification' : 'regression';
  if (text !== 'classification' && text !== 'regression') throw new UsageError(`--task must be classification or regression; got "${text}"`);
  return text;
}

/** Inputs uniform in the grid range, targets random: the timing depends on the shape, not on the data. */
export function syntheticBatch(nIn: number, nOut: number, n: number, task: Task, rng: Rng): Batch {
  const x = new Float64Array(n * nIn);
  for (let q = 0; q < x.length; q++) x[q] = rng.range(-1, 1);
  const y = task === 'regression' ? new Float64Array(n * nOut) : new Float64Array(n);
  for (let q = 0; q < y.length; q++) y[q] = task === 'regression' ? rng.normal() : rng.int(nOut);
  return { x, y, n };
}
