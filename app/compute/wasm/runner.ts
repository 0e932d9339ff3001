/**
 * The WebAssembly SIMD kernels (kernels.c, embedded in kernels-wasm.ts) behind app/kan/layer.ts: a WasmArena is one
 * instance of the module with its own memory and a bump allocator in it; WasmLayerPasses runs layerForward and
 * layerBackward with the module's column kernels, in chunks of rows, keeping basis caches, workspace and pass buffers in
 * that memory and copying inputs in and results out (O(n * width), against O(n * edges) of work); WasmMatmul is the
 * dense product the MLP baseline can use.
 *
 * The memory is shared (a SharedArrayBuffer), only because growing a shared memory leaves existing views valid: the
 * caches and workspace hold views for their whole life. Each arena is used by one thread.
 */
import {
  type ArrayAllocator, type CubicColumnKernels, type KanLayer, KernelWorkspace, LayerCache, type LayerEngine,
  layerBackward, layerForward,
} from '../../kan/layer';
import { type LayerPasses, regCoefForRows } from '../passes';
import { checkMatmulShapes } from '../reference';
import { KERNELS_WASM_BASE64 } from './kernels-wasm';

interface KernelExports {
  forward_cubic(nOut: number, n: number, cell0: number, rows: number, values: number, bases: number, order: number, wb: number, weights: number, y: number, absSum: number): void;
  backward_cubic_pairs(nOut: number, n: number, cell0: number, rows: number, values: number, bases: number, order: number, wb: number, weights: number, gy: number, regRow: number, gradWeights: number, gradBase: number, gradRows: number): void;
  input_gradient_cubic_pairs(nOut: number, n: number, cell0: number, i: number, nIn: number, rows: number, derivs: number, baseDerivs: number, order: number, wb: number, weights: number, gy: number, gx: number): void;
  backward_cubic(nOut: number, n: number, cell0: number, i: number, nIn: number, rows: number, values: number, derivs: number, bases: number, baseDerivs: number, wb: number, weights: number, gy: number, regRow: number, gradWeights: number, gradBase: number, gx: number): void;
  matmul(rows: number, inner: number, cols: number, a: number, b: number, c: number): void;
  __heap_base: WebAssembly.Global;
}

const PAGE_BYTES = 65536;
/** wasm32 addresses 4 GiB at most. */
const MAX_PAGES = 65536;
const MAX_BYTES = MAX_PAGES * PAGE_BYTES;

let compiled: WebAssembly.Module | null = null;

/** The compiled kernels module (compiled once per thread; synchronous, the module is 12 KB). */
export function kernelsModule(): WebAssembly.Module {
  if (!compiled) {
    const text = atob(KERNELS_WASM_BASE64);
    const bytes = new Uint8Array(text.length);
    for (let q = 0; q < text.length; q++) bytes[q] = text.charCodeAt(q);
    compiled = new WebAssembly.Module(bytes);
  }
  return compiled;
}

/** Whether this JavaScript engine runs the kernels (WebAssembly with SIMD and shared memory), and if not, why. */
export function wasmAvailability(): { available: boolean; reason: string } {
  try {
    const arena = new WasmArena();
    const probe = arena.f64(2);
    probe.set([1, 2]);
    return { available: true, reason: 'WebAssembly SIMD with shared memory' };
  } catch (err) {
    return { available: false, reason: `WebAssembly SIMD with shared memory is not supported here: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export class WasmArena implements ArrayAllocator {
  readonly memory: WebAssembly.Memory;
  readonly exports: KernelExports;
  private top: number;

  constructor() {
    this.memory = new WebAssembly.Memory({ initial: 2, maximum: MAX_PAGES, shared: true });
    const instance = new WebAssembly.Instance(kernelsModule(), { env: { memory: this.memory } });
    this.exports = instance.exports as unknown as KernelExports;
    this.top = this.exports.__heap_base.value as number;
  }

  /** Bytes handed out so far (the memory never shrinks; drop the arena to free it). */
  get bytesInUse(): number {
    return this.top;
  }

  f64(length: number): Float64Array {
    const at = this.reserve(length * 8);
    // memory.buffer after reserve: a grown shared memory hands out a new, longer buffer object.
    return new Float64Array(this.memory.buffer, at, length);
  }

  i32(length: number): Int32Array {
    const at = this.reserve(length * 4);
    return new Int32Array(this.memory.buffer, at, length);
  }

  private reserve(bytes: number): number {
    const at = Math.ceil(this.top / 16) * 16;
    const end = at + bytes;
    if (end > MAX_BYTES) {
      throw new Error(`the wasm kernels need ${(end / 2 ** 30).toFixed(2)} GiB of module memory, more than WebAssembly's 4 GiB: use a smaller batch, or the reference or threads backend`);
    }
    const pages = Math.ceil(end / PAGE_BYTES) - this.memory.buffer.byteLength / PAGE_BYTES;
    if (pages > 0) this.memory.grow(Math.max(pages, Math.min(MAX_PAGES - this.memory.buffer.byteLength / PAGE_BYTES, 256)));
    this.top = end;
    return at;
  }
}

/** The module's column kernels in the shape app/kan/layer.ts calls them; w_b comes from the host params through a copy. */
function wasmColumnKernels(arena: WasmArena): CubicColumnKernels {
  const ex = arena.exports;
  let wbRow = arena.f64(64);
  const wbAt = (params: Float64Array, wb0: number, nOut: number): number => {
    if (wbRow.length < nOut) wbRow = arena.f64(nOut);
    wbRow.set(params.subarray(wb0, wb0 + nOut));
    return wbRow.byteOffset;
  };
  return {
    forward(params, wb0, weights, nOut, n, cell0, rows, values, bases, order, y, edgeAbsSum, edge0) {
      ex.forward_cubic(nOut, n, cell0, at(rows), at(values), at(bases), order === null ? 0 : at(order), wbAt(params, wb0, nOut), at(weights), at(y),
        edgeAbsSum === null ? 0 : at(edgeAbsSum) + 8 * edge0);
    },
    backwardPairs(params, wb0, weights, nOut, n, cell0, cache, gy, regRow, gradWeights, gradBase, gradRows) {
      ex.backward_cubic_pairs(nOut, n, cell0, at(cache.row), at(cache.values), at(cache.base), cache.sorted ? at(cache.order) : 0, wbAt(params, wb0, nOut),
        at(weights), at(gy), regRow === null ? 0 : at(regRow), at(gradWeights), at(gradBase), at(gradRows));
    },
    inputGradientPairs(params, wb0, weights, nOut, n, cell0, i, nIn, cache, gy, gx) {
      ex.input_gradient_cubic_pairs(nOut, n, cell0, i, nIn, at(cache.row), at(cache.derivs), at(cache.baseDeriv), at(cache.order), wbAt(params, wb0, nOut),
        at(weights), at(gy), at(gx));
    },
    backward(params, wb0, weights, nOut, n, cell0, i, nIn, cache, gy, regRow, gradWeights, gradBase, gx) {
      ex.backward_cubic(nOut, n, cell0, i, nIn, at(cache.row), at(cache.values), at(cache.derivs), at(cache.base), at(cache.baseDeriv), wbAt(params, wb0, nOut),
        at(weights), at(gy), regRow === null ? 0 : at(regRow), at(gradWeights), at(gradBase), gx === null ? 0 : at(gx));
    },
  };
}

/** Address of an array the kernels read or write: it must be a view into the module's (shared) memory. */
function at(array: Float64Array | Int32Array): number {
  if (!(array.buffer instanceof SharedArrayBuffer)) throw new Error('internal: a wasm kernel was handed an array outside its module memory');
  return array.byteOffset;
}

interface PassState {
  /** One basis cache per chunk of rows of the last forward pass. */
  caches: LayerCache[];
  /** Rows of the last forward pass. */
  n: number;
  y: Float64Array;
  abs: Float64Array;
  gy: Float64Array;
  gx: Float64Array;
}

/**
 * Rows per chunk of a pass. The kernels visit a column's samples sorted by basis row, so they touch the rows of y and gy
 * in scattered order; a chunk keeps those within the core's caches (per row, 2048-row chunks of [784,64,10] cost 0.37 ms
 * against 0.51 ms for the whole of 16384 rows at once).
 */
export const DEFAULT_CHUNK_ROWS = 2048;

export class WasmLayerPasses implements LayerPasses {
  readonly arena: WasmArena;
  private readonly engine: LayerEngine;
  private readonly states: PassState[] = [];

  constructor(arena = new WasmArena(), private readonly chunkRows = DEFAULT_CHUNK_ROWS) {
    this.arena = arena;
    this.engine = { kernels: wasmColumnKernels(arena), workspace: new KernelWorkspace(arena), keepsEdgeOutputs: false };
  }

  forward(l: number, layer: KanLayer, params: Float64Array, x: Float64Array, n: number, y: Float64Array, edgeAbsSum: Float64Array | null, reuseBasis: boolean): void {
    const { nIn, nOut } = layer;
    const edges = nIn * nOut;
    const st = this.state(l);
    const count = Math.max(1, Math.ceil(n / this.chunkRows));
    while (st.caches.length < count) st.caches.push(new LayerCache(this.arena));
    const yIn = (st.y = this.room(st.y, Math.min(n, this.chunkRows) * nOut));
    const abs = edgeAbsSum !== null ? (st.abs = this.room(st.abs, edges)) : null;
    st.n = 0;
    for (let c = 0; c < count; c++) {
      const r0 = c * this.chunkRows;
      const r1 = Math.min(n, r0 + this.chunkRows);
      if (abs !== null) abs.fill(0, 0, edges);
      layerForward(layer, params, x.subarray(r0 * nIn, r1 * nIn), r1 - r0, yIn, st.caches[c]!, abs, reuseBasis, this.engine);
      y.set(yIn.subarray(0, (r1 - r0) * nOut), r0 * nOut);
      if (edgeAbsSum !== null && abs !== null) for (let e = 0; e < edges; e++) edgeAbsSum[e]! += abs[e]!;
    }
    st.n = n;
  }

  backward(l: number, layer: KanLayer, params: Float64Array, gy: Float64Array, regCoef: Float64Array | null, grad: Float64Array, gx: Float64Array | null): void {
    const { nIn, nOut } = layer;
    const st = this.state(l);
    const n = st.n;
    if (n === 0) throw new Error(`backward of layer ${l} without its forward pass`);
    const count = Math.max(1, Math.ceil(n / this.chunkRows));
    const gyIn = (st.gy = this.room(st.gy, Math.min(n, this.chunkRows) * nOut));
    const gxIn = gx !== null ? (st.gx = this.room(st.gx, Math.min(n, this.chunkRows) * nIn)) : null;
    for (let c = 0; c < count; c++) {
      const r0 = c * this.chunkRows;
      const r1 = Math.min(n, r0 + this.chunkRows);
      gyIn.set(gy.subarray(r0 * nOut, r1 * nOut));
      layerBackward(layer, params, st.caches[c]!, gyIn, regCoefForRows(regCoef, r1 - r0, n), grad, gxIn, this.engine);
      if (gx !== null && gxIn !== null) gx.set(gxIn.subarray(0, (r1 - r0) * nIn), r0 * nIn);
    }
  }

  rows(l: number): number {
    return this.states[l]?.n ?? 0;
  }

  private state(l: number): PassState {
    let st = this.states[l];
    if (!st) {
      const none = new Float64Array(0);
      st = { caches: [], n: 0, y: none, abs: none, gy: none, gx: none };
      this.states[l] = st;
    }
    return st;
  }

  /** A buffer in module memory with room for length values (a larger one replaces it: the arena never frees). */
  private room(buffer: Float64Array, length: number): Float64Array {
    return buffer.length >= length ? buffer : this.arena.f64(Math.max(length, Math.ceil(buffer.length * 1.25)));
  }
}

/** Dense c [rows][cols] = a [rows][inner] . b [inner][cols] with the module's SIMD kernel; operands are copied in. */
export class WasmMatmul {
  private readonly arena = new WasmArena();
  private a: Float64Array = new Float64Array(0);
  private b: Float64Array = new Float64Array(0);
  private c: Float64Array = new Float64Array(0);

  run(a: Float64Array, b: Float64Array, rows: number, inner: number, cols: number): Float64Array {
    const c = new Float64Array(rows * cols);
    this.runInto(a, b, rows, inner, cols, c, 0);
    return c;
  }

  /** The product written into out from offset on (a threaded participant writes its rows straight into the shared result). */
  runInto(a: Float64Array, b: Float64Array, rows: number, inner: number, cols: number, out: Float64Array, offset: number): void {
    checkMatmulShapes(a, b, rows, inner, cols);
    if (this.a.length < rows * inner) this.a = this.arena.f64(rows * inner);
    if (this.b.length < inner * cols) this.b = this.arena.f64(inner * cols);
    if (this.c.length < rows * cols) this.c = this.arena.f64(rows * cols);
    this.a.set(a.subarray(0, rows * inner));
    this.b.set(b.subarray(0, inner * cols));
    this.arena.exports.matmul(rows, inner, cols, this.a.byteOffset, this.b.byteOffset, this.c.byteOffset);
    out.set(this.c.subarray(0, rows * cols), offset);
  }
}
