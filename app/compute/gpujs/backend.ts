/**
 * gpu.js backends (float32), one per gpu.js mode: the kernels of sources.ts compiled per layer geometry and chunk
 * length, driven so that data stays where the mode keeps it. In the device modes (webgpu, GL) every kernel returns a
 * resident result (`pipeline: true`, `immutable: true`, released explicitly): parameters are uploaded once per call,
 * the first layer's input and basis stay on the device while the same batch comes back, activations and input gradients
 * pass from layer to layer without a readback, gradients are summed over chunks on the device; only predictions, edge
 * statistics and the summed gradients come back. In webasm and cpu modes results are host arrays anyway.
 */
import { basisCount, NO_SUPPORT } from '../../kan/bspline';
import type { KanLayer } from '../../kan/layer';
import { checkMatmulShapes } from '../reference';
import { type BasisTable, type ComputeBackend, type Deferred, type KanKernels, type LayerShape, drive } from '../contract';
import { type GpuJsClass, type GpuJsInstance, type GpuJsKernel, type GpuJsMode, isDeviceResident, kernelModeOf } from './load';
import {
  COPY_SOURCE, type LayerGeometry, ZEROS_SOURCE, basisSource, coefGradientSource, edgeAbsSource, forwardSource,
  inputGradientSource, matmulSource, scaleGradientSource, tableWidth,
} from './sources';

/** A kernel result: a device handle (Texture, WebGPU buffer) in the device modes, a Float32Array otherwise. */
type KernelValue = unknown;

export interface GpuJsBackendOptions {
  /**
   * Largest number of cells one kernel argument or output may hold; batches are split into chunks below it. GL
   * addresses textures through float arithmetic, exact only below 2^24; the default keeps every mode below that.
   */
  maxCells?: number;
}

const DEFAULT_MAX_CELLS = 1 << 24;
const BASE_KIND_CODE = { silu: 0, identity: 1, zero: 2 } as const;

export function createGpuJsBackend(GPU: GpuJsClass, mode: GpuJsMode, options: GpuJsBackendOptions = {}): ComputeBackend {
  return new GpuJsBackend(GPU, mode, options.maxCells ?? DEFAULT_MAX_CELLS);
}

class GpuJsBackend implements ComputeBackend {
  readonly name: string;
  readonly precision = 'float32' as const;
  readonly isAsync: boolean;
  readonly deviceResident: boolean;
  private gpu: GpuJsInstance | null;
  private readonly kernels = new Map<string, GpuJsKernel>();

  constructor(GPU: GpuJsClass, readonly mode: GpuJsMode, readonly maxCells: number) {
    this.name = `gpujs-${mode}`;
    this.isAsync = mode === 'webgpu';
    this.deviceResident = isDeviceResident(mode);
    this.gpu = new GPU({ mode });
  }

  createKanKernels(shapes: readonly LayerShape[]): KanKernels {
    return new GpuJsKanKernels(this, shapes);
  }

  matmul(a: Float64Array, b: Float64Array, rows: number, inner: number, cols: number): Deferred<Float64Array> {
    checkMatmulShapes(a, b, rows, inner, cols);
    return drive(this.matmulSteps(a, b, rows, inner, cols));
  }

  dispose(): void {
    this.kernels.clear();
    void this.gpu?.destroy().catch(() => undefined);
    this.gpu = null;
  }

  /**
   * The kernel of this source and output size, compiled on first use. Kernels live as long as the backend: gpu.js
   * keeps its own list of them, and destroying one could free a result another still reads.
   */
  kernel(source: string, outputSize: number, loops: number): GpuJsKernel {
    const key = `${outputSize}:${source}`;
    let kernel = this.kernels.get(key);
    if (!kernel) {
      if (!this.gpu) throw new Error(`backend ${this.name} was disposed`);
      kernel = this.gpu.createKernel(source, {
        output: [outputSize],
        pipeline: true,
        immutable: true,
        precision: 'single',
        tactic: 'precision',
        loopMaxIterations: Math.max(1000, loops + 1),
      });
      this.kernels.set(key, kernel);
    }
    return kernel;
  }

  /** Runs a kernel; refuses a result computed by a mode other than this backend's (gpu.js falls back silently). */
  run(kernel: GpuJsKernel, args: unknown[]): Deferred<KernelValue> {
    const result = kernel(...args);
    const ran = kernel.kernel?.constructor.mode;
    if (ran && ran !== kernelModeOf(this.mode)) throw new Error(`gpu.js ran a kernel in ${ran} mode instead of ${this.mode}: ${kernel.kernel?.fallbackReason ?? 'no reason given'}`);
    return result;
  }

  /** Host values into the form kernels take: a resident copy in the device modes, the array itself otherwise. */
  upload(values: Float32Array): Deferred<KernelValue> {
    if (!this.deviceResident) return values;
    return this.run(this.kernel(COPY_SOURCE, values.length, 0), [values]);
  }

  zeros(size: number): Deferred<KernelValue> {
    if (!this.deviceResident) return new Float32Array(size);
    return this.run(this.kernel(ZEROS_SOURCE, size, 0), []);
  }

  private *matmulSteps(a: Float64Array, b: Float64Array, rows: number, inner: number, cols: number): Generator<unknown, Float64Array, unknown> {
    const c = new Float64Array(rows * cols);
    const chunkRows = Math.max(1, Math.floor(this.maxCells / Math.max(inner, cols, 1)));
    const bValue = yield this.upload(toFloat32(b, 0, inner * cols));
    for (let r0 = 0; r0 < rows; r0 += chunkRows) {
      const count = Math.min(chunkRows, rows - r0);
      const aValue = yield this.upload(toFloat32(a, r0 * inner, (r0 + count) * inner));
      const product = yield this.run(this.kernel(matmulSource(inner, cols), count * cols, inner), [aValue, bValue]);
      const host = (yield readBack(product)) as Float32Array;
      for (let q = 0; q < count * cols; q++) c[r0 * cols + q] = host[q]!;
      release(product);
      release(aValue);
    }
    release(bValue);
    return c;
  }
}

interface LayerParameters {
  coef: KernelValue;
  /** [w_b | w_s | mask], each [nIn][nOut] (see sources.ts). */
  edge: KernelValue;
  knots: KernelValue;
  /** Host copy of the knots, to tell whether a cached basis still holds. */
  knotsHost: Float64Array;
}

/** Rows of a batch, split into chunks of at most `rows` samples (the last one may be shorter). */
interface ChunkPlan {
  n: number;
  rows: number;
  count: number;
}

interface CachedInput {
  /** The input rows as the kernels saw them (float32): compared by value, since a caller may refill its array. */
  input: Float32Array;
  n: number;
  knots: Float64Array;
  tables: KernelValue[];
}

interface LayerPass {
  plan: ChunkPlan;
  tables: KernelValue[];
  /** Whether the tables belong to the input cache (then they outlive this pass). */
  tablesCached: boolean;
  outputs: KernelValue[];
  inputGradients: KernelValue[] | null;
}

class GpuJsKanKernels implements KanKernels {
  private readonly geometries: LayerGeometry[];
  private params: LayerParameters[] = [];
  private layers: readonly KanLayer[] = [];
  private readonly passes: (LayerPass | null)[];
  /** The first layer's two most recent inputs with their basis tables: a fit alternates training and evaluation batches. */
  private inputCache: CachedInput[] = [];

  constructor(private readonly backend: GpuJsBackend, shapes: readonly LayerShape[]) {
    this.geometries = shapes.map((s) => ({ nIn: s.nIn, nOut: s.nOut, G: s.G, k: s.k, baseKind: BASE_KIND_CODE[s.base] }));
    this.passes = shapes.map(() => null);
  }

  setParameters(layers: readonly KanLayer[], params: Float64Array): Deferred<void> {
    if (layers.length !== this.geometries.length) throw new Error(`these kernels were built for ${this.geometries.length} layers, got ${layers.length}`);
    return drive(this.setParameterSteps(layers, params));
  }

  basis(l: number, x: Float64Array, n: number): Deferred<BasisTable> {
    return drive(this.basisSteps(l, x, n));
  }

  forwardLayer(l: number, x: Float64Array | null, n: number, edgeAbsSum: Float64Array | null): Deferred<void> {
    return drive(this.forwardSteps(l, x, n, edgeAbsSum));
  }

  readOutput(l: number): Deferred<Float64Array> {
    const pass = this.passOf(l, 'readOutput');
    return drive(readChunks(pass.outputs, pass.plan, this.geometries[l]!.nOut));
  }

  backwardLayer(l: number, gy: Float64Array | null, regCoef: Float64Array | null, grad: Float64Array, wantInputGradient: boolean): Deferred<void> {
    return drive(this.backwardSteps(l, gy, regCoef, grad, wantInputGradient));
  }

  readInputGradient(l: number): Deferred<Float64Array> {
    const pass = this.passOf(l, 'readInputGradient');
    if (!pass.inputGradients) throw new Error(`readInputGradient(${l}): layer ${l} has not run backward with wantInputGradient`);
    return drive(readChunks(pass.inputGradients, pass.plan, this.geometries[l]!.nIn));
  }

  dispose(): void {
    for (const l of this.passes.keys()) this.releasePass(l);
    for (const entry of this.inputCache) entry.tables.forEach(release);
    this.inputCache = [];
    for (const p of this.params) releaseParameters(p);
    this.params = [];
  }

  private *setParameterSteps(layers: readonly KanLayer[], params: Float64Array): Generator<unknown, void, unknown> {
    const next: LayerParameters[] = [];
    for (const layer of layers) {
      const edges = layer.nIn * layer.nOut;
      const nb = basisCount(layer.G, layer.k);
      const edge = new Float32Array(3 * edges);
      for (let e = 0; e < edges; e++) {
        edge[e] = params[layer.wbOffset + e]!;
        edge[edges + e] = params[layer.wsOffset + e]!;
        edge[2 * edges + e] = layer.mask[e]!;
      }
      next.push({
        coef: yield this.backend.upload(toFloat32(params, layer.coefOffset, layer.coefOffset + edges * nb)),
        edge: yield this.backend.upload(edge),
        knots: yield this.backend.upload(toFloat32(layer.knots, 0, layer.knots.length)),
        knotsHost: layer.knots.slice(),
      });
    }
    for (const p of this.params) releaseParameters(p);
    this.params = next;
    this.layers = layers;
  }

  /** One chunking for all layers, so that a layer's output chunks are the next layer's input chunks. */
  private plan(n: number): ChunkPlan {
    const perRow = Math.max(...this.geometries.map((g) => Math.max(g.nIn * tableWidth(g.k), g.nOut)));
    const limit = Math.max(1, Math.floor(this.backend.maxCells / perRow));
    const count = Math.max(1, Math.ceil(n / limit));
    return { n, rows: Math.ceil(n / count), count };
  }

  private *basisTables(l: number, x: Float64Array, plan: ChunkPlan): Generator<unknown, KernelValue[], unknown> {
    const g = this.geometries[l]!;
    const p = this.parametersOf(l);
    const tables: KernelValue[] = [];
    for (let q = 0; q < plan.count; q++) {
      const rows = chunkRows(plan, q);
      const s0 = q * plan.rows;
      const input = yield this.backend.upload(toFloat32(x, s0 * g.nIn, (s0 + rows) * g.nIn));
      tables.push(yield this.backend.run(this.backend.kernel(basisSource(g), rows * g.nIn * tableWidth(g.k), g.G + 2 * g.k), [input, p.knots]));
      release(input);
    }
    return tables;
  }

  private *basisSteps(l: number, x: Float64Array, n: number): Generator<unknown, BasisTable, unknown> {
    const g = this.geometries[l]!;
    const plan = this.plan(n);
    const tables = yield* this.basisTables(l, x, plan);
    const W = tableWidth(g.k);
    const kp = g.k + 1;
    const cells = n * g.nIn;
    const result: BasisTable = {
      start: new Int32Array(cells), values: new Float64Array(cells * kp), derivs: new Float64Array(cells * kp),
      base: new Float64Array(cells), baseDeriv: new Float64Array(cells),
    };
    for (let q = 0; q < plan.count; q++) {
      const host = (yield readBack(tables[q])) as Float32Array;
      const cell0 = q * plan.rows * g.nIn;
      for (let c = 0; c < chunkRows(plan, q) * g.nIn; c++) {
        const row = c * W;
        const cell = cell0 + c;
        result.start[cell] = host[row]!;
        for (let r = 0; r < kp; r++) {
          result.values[cell * kp + r] = host[row + 1 + r]!;
          result.derivs[cell * kp + r] = host[row + 1 + kp + r]!;
        }
        result.base[cell] = host[row + 2 * kp + 1]!;
        result.baseDeriv[cell] = host[row + 2 * kp + 2]!;
      }
      release(tables[q]);
    }
    return result;
  }

  private *forwardSteps(l: number, x: Float64Array | null, n: number, edgeAbsSum: Float64Array | null): Generator<unknown, void, unknown> {
    const g = this.geometries[l]!;
    const p = this.parametersOf(l);
    const plan = this.plan(n);
    let tables: KernelValue[];
    let tablesCached = false;
    if (x) {
      if (l === 0) {
        tables = yield* this.cachedInputTables(x, plan, p.knotsHost);
        tablesCached = true;
      } else {
        tables = yield* this.basisTables(l, x, plan);
      }
    } else {
      const previous = this.passes[l - 1];
      if (!previous || previous.plan.n !== n) throw new Error(`forwardLayer(${l}, null): layer ${l - 1} has not run forward on ${n} rows`);
      tables = [];
      for (let q = 0; q < plan.count; q++) {
        tables.push(yield this.backend.run(this.backend.kernel(basisSource(g), chunkRows(plan, q) * g.nIn * tableWidth(g.k), g.G + 2 * g.k), [previous.outputs[q], p.knots]));
      }
    }
    const outputs: KernelValue[] = [];
    for (let q = 0; q < plan.count; q++) {
      outputs.push(yield this.backend.run(this.backend.kernel(forwardSource(g), chunkRows(plan, q) * g.nOut, g.nIn), [tables[q], p.coef, p.edge]));
    }
    if (edgeAbsSum) {
      const edges = g.nIn * g.nOut;
      let sum = yield this.backend.zeros(edges);
      for (let q = 0; q < plan.count; q++) {
        const rows = chunkRows(plan, q);
        const next = yield this.backend.run(this.backend.kernel(edgeAbsSource(g, rows), edges, rows), [tables[q], p.coef, p.edge, sum]);
        release(sum);
        sum = next;
      }
      const host = (yield readBack(sum)) as Float32Array;
      for (let e = 0; e < edges; e++) edgeAbsSum[e]! += host[e]!;
      release(sum);
    }
    this.releasePass(l);
    this.passes[l] = { plan, tables, tablesCached, outputs, inputGradients: null };
  }

  /** Basis tables of the first layer's input, kept on the device while the same values (and knots) come back. */
  private *cachedInputTables(x: Float64Array, plan: ChunkPlan, knots: Float64Array): Generator<unknown, KernelValue[], unknown> {
    const cells = plan.n * this.geometries[0]!.nIn;
    const hit = this.inputCache.find((entry) => entry.n === plan.n && sameValues(entry.knots, knots) && sameAsFloat32(x, entry.input, cells));
    if (hit) {
      this.inputCache = [hit, ...this.inputCache.filter((entry) => entry !== hit)];
      return hit.tables;
    }
    const tables = yield* this.basisTables(0, x, plan);
    this.inputCache.unshift({ input: toFloat32(x, 0, cells), n: plan.n, knots: knots.slice(), tables });
    for (const stale of this.inputCache.splice(2)) {
      if (!this.passes.some((pass) => pass?.tables === stale.tables)) stale.tables.forEach(release);
    }
    return tables;
  }

  private *backwardSteps(l: number, gy: Float64Array | null, regCoef: Float64Array | null, grad: Float64Array, wantInputGradient: boolean): Generator<unknown, void, unknown> {
    const g = this.geometries[l]!;
    const p = this.parametersOf(l);
    const pass = this.passOf(l, 'backwardLayer');
    const { plan } = pass;
    const layer = this.layers[l]!;
    const edges = g.nIn * g.nOut;
    const nb = basisCount(g.G, g.k);
    const withReg = regCoef !== null;
    let reg: KernelValue = null;
    if (regCoef) {
      const scaled = new Float32Array(edges);
      for (let e = 0; e < edges; e++) scaled[e] = regCoef[e]! / plan.n;
      reg = yield this.backend.upload(scaled);
    }
    const next = this.passes[l + 1];
    if (!gy && !next?.inputGradients) throw new Error(`backwardLayer(${l}, null): layer ${l + 1} has not run backward with wantInputGradient`);
    let scaleSum = yield this.backend.zeros(2 * edges);
    let coefSum = yield this.backend.zeros(edges * nb);
    const inputGradients: KernelValue[] = [];
    for (let q = 0; q < plan.count; q++) {
      const rows = chunkRows(plan, q);
      const s0 = q * plan.rows;
      const chunkGy = gy ? yield this.backend.upload(toFloat32(gy, s0 * g.nOut, (s0 + rows) * g.nOut)) : next!.inputGradients![q];
      const common = [pass.tables[q], p.coef, p.edge, chunkGy, ...(withReg ? [reg] : [])];
      if (wantInputGradient) inputGradients.push(yield this.backend.run(this.backend.kernel(inputGradientSource(g, withReg), rows * g.nIn, g.nOut), common));
      const nextScale = yield this.backend.run(this.backend.kernel(scaleGradientSource(g, rows, withReg), 2 * edges, rows), [...common, scaleSum]);
      release(scaleSum);
      scaleSum = nextScale;
      const nextCoef = yield this.backend.run(this.backend.kernel(coefGradientSource(g, rows, withReg), edges * nb, rows), [...common, coefSum]);
      release(coefSum);
      coefSum = nextCoef;
      if (gy) release(chunkGy);
    }
    const scale = (yield readBack(scaleSum)) as Float32Array;
    const coef = (yield readBack(coefSum)) as Float32Array;
    for (let e = 0; e < edges; e++) {
      grad[layer.wbOffset + e]! += scale[e]!;
      grad[layer.wsOffset + e]! += scale[edges + e]!;
    }
    for (let q = 0; q < edges * nb; q++) grad[layer.coefOffset + q]! += coef[q]!;
    release(scaleSum);
    release(coefSum);
    if (reg !== null) release(reg);
    if (next?.inputGradients) {
      next.inputGradients.forEach(release);
      next.inputGradients = null;
    }
    pass.inputGradients?.forEach(release);
    pass.inputGradients = wantInputGradient ? inputGradients : null;
  }

  private parametersOf(l: number): LayerParameters {
    const p = this.params[l];
    if (!p) throw new Error(`layer ${l} does not exist or setParameters was not called`);
    return p;
  }

  private passOf(l: number, what: string): LayerPass {
    const pass = this.passes[l];
    if (!pass) throw new Error(`${what}(${l}): layer ${l} has not run forward yet`);
    return pass;
  }

  private releasePass(l: number): void {
    const pass = this.passes[l];
    if (!pass) return;
    if (!pass.tablesCached) pass.tables.forEach(release);
    else if (!this.inputCache.some((entry) => entry.tables === pass.tables)) pass.tables.forEach(release);
    pass.outputs.forEach(release);
    pass.inputGradients?.forEach(release);
    this.passes[l] = null;
  }
}

function chunkRows(plan: ChunkPlan, q: number): number {
  return Math.min(plan.rows, plan.n - q * plan.rows);
}

function* readChunks(chunks: KernelValue[], plan: ChunkPlan, width: number): Generator<unknown, Float64Array, unknown> {
  const out = new Float64Array(plan.n * width);
  for (let q = 0; q < plan.count; q++) {
    const host = (yield readBack(chunks[q])) as Float32Array;
    const offset = q * plan.rows * width;
    for (let c = 0; c < chunkRows(plan, q) * width; c++) out[offset + c] = host[c]!;
  }
  return out;
}

function releaseParameters(p: LayerParameters): void {
  release(p.coef);
  release(p.edge);
  release(p.knots);
}

/** Host copy of a kernel result: Texture.toArray (synchronous), WebGPU buffer toArray (a promise), or the array itself. */
function readBack(value: KernelValue): Deferred<unknown> {
  const handle = value as { toArray?: () => unknown };
  return typeof handle?.toArray === 'function' ? (handle.toArray() as Deferred<unknown>) : value;
}

/** Frees a device result (textures and buffers are not garbage collected by the JS heap); host arrays need nothing. */
function release(value: KernelValue): void {
  const handle = value as { delete?: () => void } | null;
  if (handle && typeof handle.delete === 'function') handle.delete();
}

function toFloat32(values: Float64Array, from: number, to: number): Float32Array {
  const out = new Float32Array(to - from);
  for (let q = 0; q < out.length; q++) out[q] = values[from + q]!;
  return out;
}

/** Whether the first `count` values of x, rounded to float32, are those of copy. */
function sameAsFloat32(x: Float64Array, copy: Float32Array, count: number): boolean {
  if (x.length < count || copy.length !== count) return false;
  for (let q = 0; q < count; q++) if (Math.fround(x[q]!) !== copy[q]) return false;
  return true;
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let q = 0; q < a.length; q++) if (a[q] !== b[q]) return false;
  return true;
}
