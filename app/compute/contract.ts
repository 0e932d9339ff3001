/**
 * The kernel contract every compute backend implements: what dominates training, per KAN layer (sparse B-spline basis,
 * forward with the regulariser's per-edge statistics, backward), and dense matmuls for the MLP.
 *
 * Layouts are those of app/kan/layer.ts (edge e = i * nOut + j; coef [nIn][nOut][G+k]; activations [n][width]).
 * A backend may keep data on its device between calls: forwardLayer(l, null, ...) reads the output of layer l-1 from the
 * last forward pass, backwardLayer(l, null, ...) reads the input gradient of layer l+1 from the last backward pass, so
 * only parameters go in and only predictions, gradients and statistics come out.
 *
 * Results are `Deferred`: synchronous backends return values, asynchronous ones (WebGPU, threaded WebAssembly) return
 * promises; `isAsync` says which, and synchronous callers (the training loop) only take synchronous backends.
 */
import type { BaseKind, KanLayer } from '../kan/layer';

export type Deferred<T> = T | Promise<T>;

/** What a layer's kernels are compiled for; a change of any field needs new kernels. */
export interface LayerShape {
  nIn: number;
  nOut: number;
  G: number;
  k: number;
  base: BaseKind;
}

/** Sparse basis of one layer at x [n][nIn], per cell (sample, input). */
export interface BasisTable {
  /** [n][nIn]: index of the first of the k+1 bases that may be non-zero, or NO_SUPPORT (see bspline.ts). */
  start: Int32Array;
  /** [n][nIn][k+1]: their values; entries whose index falls outside 0..G+k-1 are unspecified (callers skip them). */
  values: Float64Array;
  /** [n][nIn][k+1]: their first derivatives in x. */
  derivs: Float64Array;
  /** [n][nIn]: the base branch b(x) and b'(x). */
  base: Float64Array;
  baseDeriv: Float64Array;
}

export interface KanKernels {
  /** Layers the kernels were built for; the parameters of the next calls are read from params (layout of layer.ts). */
  setParameters(layers: readonly KanLayer[], params: Float64Array): Deferred<void>;
  /** The basis of layer l at x [n][nIn] (the forward pass computes it internally; exposed for equivalence tests). */
  basis(l: number, x: Float64Array, n: number): Deferred<BasisTable>;
  /**
   * Forward of layer l on x [n][nIn] (null: the output of layer l-1 of this pass). When edgeAbsSum is given, adds
   * sum over samples of |phi_e| of every active numeric edge into it [nIn][nOut]. Numeric edges only.
   */
  forwardLayer(l: number, x: Float64Array | null, n: number, edgeAbsSum: Float64Array | null): Deferred<void>;
  /** Output [n][nOut] of layer l from the last forward pass, on the host. */
  readOutput(l: number): Deferred<Float64Array>;
  /**
   * Backward of layer l (its forward must be the last one run on it): gy [n][nOut] (null: the input gradient of
   * layer l+1), regCoef [nIn][nOut] d(objective)/d(mean_s |phi_e|) or null. Adds the gradients of coef, w_b and w_s into
   * grad (layout of params); keeps d(objective)/d(x) for layer l-1 when wantInputGradient.
   */
  backwardLayer(l: number, gy: Float64Array | null, regCoef: Float64Array | null, grad: Float64Array, wantInputGradient: boolean): Deferred<void>;
  /** d(objective)/d(x) [n][nIn] of layer l from the last backward pass, on the host. */
  readInputGradient(l: number): Deferred<Float64Array>;
  dispose(): void;
}

export interface ComputeBackend {
  /** Registry name, e.g. 'reference', 'threads', 'gpujs-webasm'. */
  readonly name: string;
  /** Arithmetic of the kernels: results agree with the Float64 reference to about this precision. */
  readonly precision: 'float64' | 'float32';
  /** True when results come back as promises (see Deferred). */
  readonly isAsync: boolean;
  createKanKernels(shapes: readonly LayerShape[]): KanKernels;
  /** c [rows][cols] = a [rows][inner] . b [inner][cols]. */
  matmul(a: Float64Array, b: Float64Array, rows: number, inner: number, cols: number): Deferred<Float64Array>;
  /** Releases threads, contexts and device memory; the backend is unusable afterwards. */
  dispose(): void;
}

/** A backend the training loop can use directly ('reference' means the Kan's own code, no wrapper). */
export type BackendChoice = 'reference' | ComputeBackend;

export function shapeOf(layer: KanLayer): LayerShape {
  return { nIn: layer.nIn, nOut: layer.nOut, G: layer.G, k: layer.k, base: layer.base };
}

export function sameShapes(a: readonly LayerShape[], b: readonly LayerShape[]): boolean {
  return a.length === b.length && a.every((s, l) => {
    const t = b[l]!;
    return s.nIn === t.nIn && s.nOut === t.nOut && s.G === t.G && s.k === t.k && s.base === t.base;
  });
}

export function isPromise<T>(value: Deferred<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/**
 * Runs a computation written as a generator that yields Deferred values (each yield receives the settled value):
 * synchronously when every yielded value is plain, otherwise as a promise. One code path serves both kinds of backend.
 */
export function drive<T>(steps: Generator<unknown, T, unknown>): Deferred<T> {
  let next = steps.next();
  while (!next.done) {
    const value = next.value;
    if (isPromise(value)) return continueAsync(steps, value);
    next = steps.next(value);
  }
  return next.value;
}

async function continueAsync<T>(steps: Generator<unknown, T, unknown>, pending: Promise<unknown>): Promise<T> {
  let next = steps.next(await pending);
  while (!next.done) next = steps.next(await next.value);
  return next.value;
}

/** The value of a Deferred that must be synchronous, with a message naming who returned a promise. */
export function settled<T>(value: Deferred<T>, who: string): T {
  if (isPromise(value)) {
    // The promise may reject later; observe it so that does not surface as an unhandled rejection.
    value.catch(() => undefined);
    throw new Error(`${who} is asynchronous and cannot run inside the synchronous training loop; run it through the device bridge (main/compute) or choose another backend`);
  }
  return value;
}
