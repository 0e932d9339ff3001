/**
 * Choosing a backend by measurement: on the user's problem (the model's widths and grid, a batch of the real shape), time
 * a few objective evaluations on every available backend, check each against the reference, and take the fastest; keep
 * the reference unless another is clearly faster, and fall back to it on any failure or mismatch. The decision is
 * remembered per machine and size class through an injected store.
 */
import type { Kan } from '../kan/model';
import type { Batch, DifferentiableModel, Task } from '../train/types';
import { AcceleratedKan } from './accelerated-kan';
import type { BackendChoice } from './contract';
import { backendEntry, listBackends, loadBackend } from './registry';

/** Where decisions are kept between runs (main/compute keeps them in a JSON file in the user data folder). */
export interface ChoiceStore {
  get(key: string): StoredChoice | undefined;
  set(key: string, choice: StoredChoice): void;
}

export interface StoredChoice {
  backend: string;
  /** ISO time of the measurement. */
  measuredAt: string;
  /** Seconds per objective evaluation on the timing batch, per backend measured. */
  secondsPerCall: Record<string, number>;
  /** Backends left out, with why (failed, disagreed with the reference, or clearly slower after one call). */
  rejected: Record<string, string>;
}

export interface ChooseOptions {
  /** Identifies this machine (main/compute derives it from the CPU, memory and GPU adapter). */
  machine: string;
  store?: ChoiceStore;
  /** Measure again even when a decision is stored. */
  force?: boolean;
  /** Backends to consider; default every available synchronous backend. */
  candidates?: string[];
  /** Timed calls per backend after one warm-up call (which compiles kernels and checks the result). Default 2. */
  repeats?: number;
  /** Upper bound on samples x edges of the timing batch, so that choosing stays short on huge problems. Default 2^25. */
  maxTimingPairs?: number;
  /** A non-reference backend must take at most this fraction of the reference's time to be picked. Default 0.95. */
  margin?: number;
  /**
   * CPU cores not busy with other work (main/compute reads the load average); default all. Below 2 a threaded backend
   * would lose to one core: a remembered threaded choice gives way to the fastest one-core backend of its measurement,
   * and a new measurement leaves threaded backends out and is not remembered, since the load will pass.
   */
  freeCores?: number;
  now?: () => number;
  log?: (line: string) => void;
}

export interface BackendDecision {
  /** Registry name of the chosen backend. */
  backend: string;
  choice: BackendChoice;
  /** One line for the run record and the UI. */
  reason: string;
  sizeClass: string;
  fromStore: boolean;
  secondsPerCall: Record<string, number>;
  rejected: Record<string, string>;
}

/** Largest error of a backend's objective and gradient relative to the reference that still counts as agreement. */
export const AGREEMENT_TOLERANCE = { float64: 1e-8, float32: 2e-3 } as const;

/** What decides which backend wins: the work per step (samples x edges) and the number of bases per edge, in powers of two. */
export function sizeClass(kan: Kan, n: number): string {
  let edges = 0;
  for (const layer of kan.layers) edges += layer.nIn * layer.nOut;
  const layer0 = kan.layers[0]!;
  const work = Math.round(Math.log2(Math.max(1, n * edges)));
  const bases = Math.ceil(Math.log2(layer0.G + layer0.k));
  return `pairs-2^${work}_bases-2^${bases}_k${layer0.k}`;
}

/** A training model for a choice: the Kan itself for the reference, a wrapper computing with the backend otherwise. */
export function createTrainable(kan: Kan, backend: BackendChoice): DifferentiableModel {
  if (backend === 'reference') return kan;
  if (backend.isAsync) throw new Error(`backend ${backend.name} is asynchronous; the training loop needs a synchronous one (in Node, its device bridge)`);
  return new AcceleratedKan(kan, backend);
}

/**
 * 'auto' measures (or recalls) and picks; a name loads that backend, failing with a message that says why it cannot run.
 */
export async function resolveBackend(requested: string, kan: Kan, batch: Batch, task: Task, options: ChooseOptions): Promise<BackendDecision> {
  if (requested === 'auto') return chooseBackend(kan, batch, task, options);
  const choice = await loadBackend(requested);
  return {
    backend: requested, choice, reason: `${requested} (requested)`, sizeClass: sizeClass(kan, batch.n), fromStore: false,
    secondsPerCall: {}, rejected: {},
  };
}

export async function chooseBackend(kan: Kan, batch: Batch, task: Task, options: ChooseOptions): Promise<BackendDecision> {
  const cls = sizeClass(kan, batch.n);
  const key = `${options.machine}|${cls}`;
  const log = options.log ?? (() => undefined);
  const stored = options.force ? undefined : options.store?.get(key);
  const busy = (options.freeCores ?? Infinity) < 2;
  const busyNote = busy ? `; threaded backends left out, as only ${options.freeCores!.toFixed(1)} CPU cores are free` : '';
  if (stored) {
    const oneCore = busy && isThreaded(stored.backend)
      ? pickFastest(Object.fromEntries(Object.entries(stored.secondsPerCall).filter(([name]) => !isThreaded(name))), options.margin ?? 0.95)
      : stored.backend;
    try {
      const choice = oneCore === 'reference' ? 'reference' : await loadBackend(oneCore);
      const fastest = oneCore === stored.backend ? 'fastest' : `fastest on one core (${stored.backend} with every core)`;
      return {
        backend: oneCore, choice, sizeClass: cls, fromStore: true, secondsPerCall: stored.secondsPerCall, rejected: stored.rejected,
        reason: `${oneCore}: ${fastest} on this machine for ${cls} (measured ${stored.measuredAt})${oneCore === stored.backend ? '' : busyNote}`,
      };
    } catch (err) {
      log(`stored choice ${oneCore} cannot be loaded (${errorText(err)}); measuring again`);
    }
  }
  const candidates = busy ? (await candidateNames(options.candidates)).filter((name) => !isThreaded(name)) : options.candidates;
  const measured = await measureBackends(kan, batch, task, { ...options, ...(candidates ? { candidates } : {}) });
  const best = pickFastest(measured.secondsPerCall, options.margin ?? 0.95);
  const choice = best === 'reference' ? 'reference' : await loadBackend(best);
  const ref = measured.secondsPerCall.reference;
  const speed = best !== 'reference' && ref !== undefined ? `, ${(ref / measured.secondsPerCall[best]!).toFixed(2)}x the reference` : '';
  const decision: BackendDecision = {
    backend: best, choice, sizeClass: cls, fromStore: false, secondsPerCall: measured.secondsPerCall, rejected: measured.rejected,
    reason: `${best}: fastest measured on this machine for ${cls}${speed}${busyNote}`,
  };
  if (!busy) options.store?.set(key, { backend: best, measuredAt: new Date().toISOString(), secondsPerCall: measured.secondsPerCall, rejected: measured.rejected });
  return decision;
}

function isThreaded(name: string): boolean {
  return backendEntry(name)?.threaded === true;
}

/** The fastest backend; the reference keeps its place unless another takes at most `margin` of its time. */
export function pickFastest(secondsPerCall: Record<string, number>, margin: number): string {
  const ref = secondsPerCall.reference;
  let best = 'reference';
  let bestTime = ref ?? Infinity;
  for (const [name, seconds] of Object.entries(secondsPerCall)) {
    if (name === 'reference' || !(seconds < bestTime)) continue;
    if (ref !== undefined && !(seconds <= margin * ref)) continue;
    best = name;
    bestTime = seconds;
  }
  return best;
}

export interface Measurement {
  secondsPerCall: Record<string, number>;
  rejected: Record<string, string>;
}

/**
 * Times lossAndGrad on every candidate (the reference first and last) on a batch of the real shape, capped at maxTimingPairs
 * samples x edges. A candidate is rejected when it fails, disagrees with the reference beyond its precision, or when its
 * warm-up call alone took more than three times the reference's timed call (clearly slower; its repeats are skipped).
 */
export async function measureBackends(kan: Kan, batch: Batch, task: Task, options: ChooseOptions): Promise<Measurement> {
  const now = options.now ?? (() => performance.now());
  const log = options.log ?? (() => undefined);
  const repeats = Math.max(1, options.repeats ?? 2);
  const timing = timingBatch(kan, batch, task, options.maxTimingPairs ?? 2 ** 25);
  const names = await candidateNames(options.candidates);
  const secondsPerCall: Record<string, number> = {};
  const rejected: Record<string, string> = {};
  const refGrad = new Float64Array(kan.params.length);
  const refValue = kan.lossAndGrad(timing, task, refGrad);
  // One more untimed call: on small problems the first calls still run in the JIT's lower tiers.
  kan.lossAndGrad(timing, task, refGrad);
  secondsPerCall.reference = timeCalls(() => kan.lossAndGrad(timing, task, refGrad), repeats, now);
  log(`reference: ${secondsPerCall.reference.toFixed(4)} s per call on ${timing.n} samples`);
  for (const name of names) {
    if (name === 'reference') continue;
    let model: AcceleratedKan | null = null;
    try {
      const choice = await loadBackend(name);
      if (choice === 'reference') continue;
      model = new AcceleratedKan(kan, choice);
      const grad = new Float64Array(kan.params.length);
      const started = now();
      const value = model.lossAndGrad(timing, task, grad);
      const warmup = (now() - started) / 1000;
      const disagreement = relativeDisagreement(refValue.objective, refGrad, value.objective, grad);
      const tolerance = AGREEMENT_TOLERANCE[choice.precision];
      if (!(disagreement <= tolerance)) {
        rejected[name] = `disagrees with the reference: relative error ${disagreement.toExponential(2)} > ${tolerance}`;
      } else if (warmup > 3 * secondsPerCall.reference) {
        rejected[name] = `clearly slower: its first call took ${warmup.toFixed(3)} s against ${secondsPerCall.reference.toFixed(3)} s`;
      } else {
        secondsPerCall[name] = timeCalls(() => model!.lossAndGrad(timing, task, grad), repeats, now);
      }
    } catch (err) {
      rejected[name] = `failed: ${errorText(err)}`;
    } finally {
      model?.dispose();
    }
    log(name in secondsPerCall ? `${name}: ${secondsPerCall[name]!.toFixed(4)} s per call` : `${name}: ${rejected[name]}`);
  }
  // Timed again last, so that the reference is not the only one measured before the shared code (layer.ts) was hot.
  secondsPerCall.reference = Math.min(secondsPerCall.reference, timeCalls(() => kan.lossAndGrad(timing, task, refGrad), repeats, now));
  log(`reference, timed again: ${secondsPerCall.reference.toFixed(4)} s per call`);
  return { secondsPerCall, rejected };
}

async function candidateNames(requested: string[] | undefined): Promise<string[]> {
  if (requested) {
    for (const name of requested) if (!backendEntry(name)) throw new Error(`unknown compute backend "${name}"`);
    return requested;
  }
  const all = await listBackends();
  return all.filter((b) => b.available && b.synchronous).map((b) => b.name);
}

/** Least of `repeats` timed calls, in seconds: the least is the one least disturbed by the rest of the machine. */
function timeCalls(call: () => unknown, repeats: number, now: () => number): number {
  let best = Infinity;
  for (let r = 0; r < repeats; r++) {
    const started = now();
    call();
    best = Math.min(best, (now() - started) / 1000);
  }
  return best;
}

/** The first rows of the batch, as many as keep samples x edges under the cap (at least 64, at most all). */
export function timingBatch(kan: Kan, batch: Batch, task: Task, maxPairs: number): Batch {
  let edges = 0;
  for (const layer of kan.layers) edges += layer.nIn * layer.nOut;
  const rows = Math.min(batch.n, Math.max(64, Math.floor(maxPairs / edges)));
  if (rows === batch.n) return batch;
  const yWidth = task === 'regression' ? kan.nOut : 1;
  return { x: batch.x.slice(0, rows * kan.nIn), y: batch.y.slice(0, rows * yWidth), n: rows };
}

/** max(|objective difference| / |objective|, ||grad difference|| / ||grad||). */
export function relativeDisagreement(refObjective: number, refGrad: Float64Array, objective: number, grad: Float64Array): number {
  let diff = 0;
  let norm = 0;
  for (let q = 0; q < refGrad.length; q++) {
    const d = grad[q]! - refGrad[q]!;
    diff += d * d;
    norm += refGrad[q]! * refGrad[q]!;
  }
  const gradError = norm > 0 ? Math.sqrt(diff / norm) : Math.sqrt(diff);
  const objectiveError = Math.abs(objective - refObjective) / Math.max(Math.abs(refObjective), 1e-300);
  return Math.max(gradError, objectiveError);
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
