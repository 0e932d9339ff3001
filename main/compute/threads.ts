/**
 * The 'threads' and 'threads-wasm' backends: the reference Float64 kernels (TypeScript, or with their hot loops in
 * WebAssembly SIMD) with each layer pass split by rows across the CPU cores, the
 * main thread taking the first share and one worker thread per further core taking the others. Activations, inputs,
 * parameters and per-participant gradient buffers live in SharedArrayBuffers; partial sums are added in participant
 * order, so results do not depend on timing and differ from the reference only by summation order.
 */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KanLayer } from '../../app/kan/layer';
import type { BasisTable, ComputeBackend, KanKernels, LayerShape } from '../../app/compute/contract';
import { regCoefForRows } from '../../app/compute/passes';
import { checkMatmulShapes, referenceBasis, referenceMatmul } from '../../app/compute/reference';
import { type SliceKernels, type SliceLayer, type SliceOp, SliceRunner, slicePasses } from './slices';
import { workerScript } from './worker-script';

export interface ThreadsOptions {
  /** Participants including the main thread; default the number of CPU cores. */
  threads?: number;
  /** Below this many samples x edges per participant a pass runs on the main thread alone (messages cost more). */
  minPairsPerThread?: number;
  /** The kernels every participant runs: 'ts' (backend 'threads', the default) or 'wasm' ('threads-wasm'). */
  kernels?: SliceKernels;
}

/** Versions of first-layer inputs, unique in the process. */
let nextInputVersion = 0;
/** Ids of kernel sets, unique in the process: a participant drops its caches when a new set's passes arrive. */
let nextKernelSet = 0;

/** Below this many multiply-adds a dense product runs on the main thread alone (messages and copies cost more). */
const MIN_MATMUL_WORK = 1 << 20;

/** A wait longer than this means a worker died (out of memory, killed): fail instead of hanging the process. */
const STALL_MS = 10 * 60 * 1000;

export async function createThreadsBackend(options: ThreadsOptions = {}): Promise<ComputeBackend> {
  const participants = Math.max(1, Math.floor(options.threads ?? os.availableParallelism()));
  if (participants < 2) throw new Error('the threads backend needs at least 2 CPU cores; this machine reports 1');
  const kernels = options.kernels ?? 'ts';
  const pool = await ThreadPool.start(participants - 1, await workerScript('threads-worker'), kernels);
  const minPairs = options.minPairsPerThread ?? 20_000;
  return {
    name: kernels === 'wasm' ? 'threads-wasm' : 'threads',
    precision: 'float64',
    isAsync: false,
    createKanKernels: (shapes) => new ThreadsKanKernels(pool, shapes, minPairs),
    // Dense products (the MLP): split by rows in wasm SIMD; the TypeScript flavour keeps the reference's plain loop.
    matmul: kernels === 'wasm' ? (a, b, rows, inner, cols) => pool.matmul(a, b, rows, inner, cols) : referenceMatmul,
    dispose: () => pool.stop(),
  };
}

class ThreadPool {
  readonly local: SliceRunner;
  private stopped = false;

  private constructor(private readonly workers: Worker[], private readonly control: Int32Array, private readonly errorText: Uint8Array, kernels: SliceKernels) {
    this.local = new SliceRunner(() => slicePasses(kernels));
  }

  static async start(count: number, script: string, kernels: SliceKernels): Promise<ThreadPool> {
    const control = new Int32Array(new SharedArrayBuffer(8));
    const errorText = new Uint8Array(new SharedArrayBuffer(4096));
    const workers = Array.from({ length: count }, () => new Worker(script, { workerData: { control, errorText, kernels } }));
    try {
      await Promise.all(workers.map((worker) => new Promise<void>((resolve, reject) => {
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`a compute worker exited during start-up (code ${code})`)));
      })));
    } catch (err) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw err;
    }
    // Idle workers must not keep the process alive.
    for (const worker of workers) worker.unref();
    return new ThreadPool(workers, control, errorText, kernels);
  }

  get participants(): number {
    return this.workers.length + 1;
  }

  /** Dense c = a . b with rows split over the participants (each multiplies its rows in its own wasm memory). */
  matmul(a: Float64Array, b: Float64Array, rows: number, inner: number, cols: number): Float64Array {
    checkMatmulShapes(a, b, rows, inner, cols);
    const parts = Math.max(1, Math.min(this.participants, rows, Math.floor((rows * inner * cols) / MIN_MATMUL_WORK)));
    const shared = this.matmulBuffers(rows * inner, inner * cols, rows * cols);
    shared.a.set(a.subarray(0, rows * inner));
    shared.b.set(b.subarray(0, inner * cols));
    this.run(splitRows(rows, parts).map(([r0, r1]) => ({ op: 'matmul', a: shared.a, b: shared.b.subarray(0, inner * cols), c: shared.c, r0, r1, inner, cols })));
    return shared.c.slice(0, rows * cols);
  }

  private buffers = { a: shared(0), b: shared(0), c: shared(0) };

  private matmulBuffers(a: number, b: number, c: number): { a: Float64Array; b: Float64Array; c: Float64Array } {
    const grow = (buffer: Float64Array, length: number): Float64Array => (buffer.length >= length ? buffer : shared(length));
    this.buffers = { a: grow(this.buffers.a, a), b: grow(this.buffers.b, b), c: grow(this.buffers.c, c) };
    return this.buffers;
  }

  /** Runs ops[0] here and ops[p] on worker p-1; returns when all are done, throwing the first failure. */
  run(ops: SliceOp[]): void {
    if (this.stopped) throw new Error('the threads backend was disposed');
    const remote = ops.length - 1;
    Atomics.store(this.control, 0, 0);
    Atomics.store(this.control, 1, 0);
    for (let p = 1; p < ops.length; p++) this.workers[p - 1]!.postMessage(ops[p]);
    let localError: unknown = null;
    try {
      this.local.run(ops[0]!);
    } catch (err) {
      localError = err;
    }
    let done = Atomics.load(this.control, 0);
    let waited = 0;
    while (done < remote) {
      const started = Date.now();
      Atomics.wait(this.control, 0, done, 1000);
      waited += Date.now() - started;
      const now = Atomics.load(this.control, 0);
      if (now !== done) waited = 0;
      else if (waited > STALL_MS) throw new Error('a compute worker thread stopped answering (out of memory?); use the reference backend');
      done = now;
    }
    if (localError) throw localError;
    if (Atomics.load(this.control, 1) !== 0) {
      const text = new TextDecoder().decode(this.errorText.slice()).replace(/\0+$/, '');
      throw new Error(`a compute worker thread failed: ${text}`);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const worker of this.workers) void worker.terminate();
  }
}

interface LayerState {
  slice: SliceLayer;
  output: Float64Array;
  inputGradient: Float64Array | null;
  absPartials: Float64Array[];
  /** Row ranges of the last forward pass, one per participant that took part. */
  ranges: [number, number][];
  n: number;
}

class ThreadsKanKernels implements KanKernels {
  private readonly set = nextKernelSet++;
  private readonly states: LayerState[];
  private layers: readonly KanLayer[] = [];
  private params = shared(0);
  private readonly gradPartials: Float64Array[] = [];
  /** The first layer's input, copied to shared memory; its basis is reused while the same values come back. */
  private input = shared(0);
  private inputRows = 0;
  private inputVersion = -1;
  private outputGradient = shared(0);

  constructor(private readonly pool: ThreadPool, shapes: readonly LayerShape[], private readonly minPairs: number) {
    this.states = shapes.map((s) => ({
      slice: {
        nIn: s.nIn, nOut: s.nOut, G: s.G, k: s.k, base: s.base,
        knots: shared(s.nIn * (s.G + 4 * s.k + 1)), mask: shared(s.nIn * s.nOut), coefOffset: 0, wbOffset: 0, wsOffset: 0, symOffset: 0,
      },
      output: shared(0),
      inputGradient: null,
      absPartials: Array.from({ length: pool.participants }, () => shared(s.nIn * s.nOut)),
      ranges: [],
      n: 0,
    }));
  }

  setParameters(layers: readonly KanLayer[], params: Float64Array): void {
    if (layers.length !== this.states.length) throw new Error(`these kernels were built for ${this.states.length} layers, got ${layers.length}`);
    if (this.params.length !== params.length) {
      this.params = shared(params.length);
      this.gradPartials.length = 0;
      for (let p = 0; p < this.pool.participants; p++) this.gradPartials.push(shared(params.length));
    }
    this.params.set(params);
    layers.forEach((layer, l) => {
      const slice = this.states[l]!.slice;
      slice.knots.set(layer.knots);
      slice.mask.set(layer.mask);
      slice.coefOffset = layer.coefOffset;
      slice.wbOffset = layer.wbOffset;
      slice.wsOffset = layer.wsOffset;
      slice.symOffset = layer.symOffset;
    });
    this.layers = layers;
  }

  basis(l: number, x: Float64Array, n: number): BasisTable {
    const layer = this.layers[l];
    if (!layer) throw new Error(`layer ${l} does not exist or setParameters was not called`);
    return referenceBasis(layer, x, n);
  }

  forwardLayer(l: number, x: Float64Array | null, n: number, edgeAbsSum: Float64Array | null): void {
    const state = this.states[l]!;
    const { slice } = state;
    let input: Float64Array;
    let inputVersion = -1;
    if (l === 0 && x) {
      // Compared by value (as the reference's LayerCache does): a caller may refill the same array with other rows.
      if (n !== this.inputRows || !startsWith(x, this.input)) {
        if (this.input.length !== n * slice.nIn) this.input = shared(n * slice.nIn);
        this.input.set(x.subarray(0, n * slice.nIn));
        this.inputRows = n;
        this.inputVersion = nextInputVersion++;
      }
      input = this.input;
      inputVersion = this.inputVersion;
    } else if (x) {
      input = shared(n * slice.nIn);
      input.set(x.subarray(0, n * slice.nIn));
    } else {
      const previous = this.states[l - 1];
      if (!previous || previous.n !== n) throw new Error(`forwardLayer(${l}, null): layer ${l - 1} has not run forward on ${n} rows`);
      input = previous.output;
    }
    if (state.output.length !== n * slice.nOut) state.output = shared(n * slice.nOut);
    const ranges = splitRows(n, this.participantsFor(n, slice));
    for (let p = 0; p < ranges.length; p++) state.absPartials[p]!.fill(0);
    this.pool.run(ranges.map(([s0, s1], p) => ({
      op: 'forward', set: this.set, l, layer: slice, params: this.params, x: input, s0, s1, y: state.output,
      absSum: edgeAbsSum ? state.absPartials[p]! : null, inputVersion,
    })));
    if (edgeAbsSum) for (let p = 0; p < ranges.length; p++) addInto(edgeAbsSum, state.absPartials[p]!, 0, edgeAbsSum.length);
    state.ranges = ranges;
    state.n = n;
  }

  readOutput(l: number): Float64Array {
    return this.states[l]!.output;
  }

  backwardLayer(l: number, gy: Float64Array | null, regCoef: Float64Array | null, grad: Float64Array, wantInputGradient: boolean): void {
    const state = this.states[l]!;
    const { slice, ranges, n } = state;
    if (ranges.length === 0) throw new Error(`backwardLayer(${l}): layer ${l} has not run forward yet`);
    let outputGradient: Float64Array;
    if (gy) {
      if (this.outputGradient.length !== n * slice.nOut) this.outputGradient = shared(n * slice.nOut);
      this.outputGradient.set(gy.subarray(0, n * slice.nOut));
      outputGradient = this.outputGradient;
    } else {
      const next = this.states[l + 1]?.inputGradient;
      if (!next) throw new Error(`backwardLayer(${l}, null): layer ${l + 1} has not run backward with wantInputGradient`);
      outputGradient = next;
    }
    if (wantInputGradient && state.inputGradient?.length !== n * slice.nIn) state.inputGradient = shared(n * slice.nIn);
    const gx = wantInputGradient ? state.inputGradient : null;
    this.pool.run(ranges.map(([s0, s1], p) => ({
      op: 'backward', set: this.set, l, layer: slice, params: this.params, gy: outputGradient, s0, s1,
      regCoef: regCoefForRows(regCoef, s1 - s0, n), grad: this.gradPartials[p]!, gx,
    })));
    const from = slice.coefOffset;
    const to = slice.wsOffset + slice.nIn * slice.nOut;
    for (let p = 0; p < ranges.length; p++) addInto(grad, this.gradPartials[p]!, from, to);
    if (!wantInputGradient) state.inputGradient = null;
  }

  readInputGradient(l: number): Float64Array {
    const gx = this.states[l]!.inputGradient;
    if (!gx) throw new Error(`readInputGradient(${l}): layer ${l} has not run backward with wantInputGradient`);
    return gx;
  }

  dispose(): void {
    this.inputRows = 0;
  }

  private participantsFor(n: number, slice: SliceLayer): number {
    const pairs = n * slice.nIn * slice.nOut;
    return Math.max(1, Math.min(this.pool.participants, Math.floor(pairs / this.minPairs), n));
  }
}

function shared(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

/** Whether x begins with exactly the values of prefix. */
function startsWith(x: Float64Array, prefix: Float64Array): boolean {
  if (x.length < prefix.length) return false;
  for (let q = 0; q < prefix.length; q++) if (x[q] !== prefix[q]) return false;
  return true;
}

function addInto(target: Float64Array, source: Float64Array, from: number, to: number): void {
  for (let q = from; q < to; q++) target[q]! += source[q]!;
}

/** [s0, s1) row ranges, one per participant, as equal as possible (the first ones take the remainder). */
export function splitRows(n: number, parts: number): [number, number][] {
  const ranges: [number, number][] = [];
  const base = Math.floor(n / parts);
  const extra = n % parts;
  let s0 = 0;
  for (let p = 0; p < parts; p++) {
    const s1 = s0 + base + (p < extra ? 1 : 0);
    ranges.push([s0, s1]);
    s0 = s1;
  }
  return ranges;
}
