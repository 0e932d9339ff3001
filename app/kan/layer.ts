/**
 * One KAN layer: nIn x nOut learnable edges, each phi(x) = w_b * base(x) + w_s * spline(x) (numeric) or
 * c * f(a*x + b) + d (symbolic); output node j sums its incoming edges. Forward and hand-written backward, Float64.
 *
 * Array layout (row-major, edge index e = i * nOut + j for input i, output j):
 *   params[coefOffset ..]: coef [nIn][nOut][G+k]     params[wbOffset ..]: w_b [nIn][nOut]
 *   params[wsOffset ..]:   w_s  [nIn][nOut]          params[symOffset ..]: (a, b, c, d) [nIn][nOut][4]
 *   knots: padded knot vectors [nIn][G+4k+1] (see bspline.ts); one grid per input node, shared by its nOut edges.
 *   mask [nIn][nOut]: 1 where the numeric branch is active; symMask [nIn][nOut]: 1 where the symbolic branch is.
 * Activations x [n][nIn], outputs y [n][nOut].
 */
import { BasisScratch, NO_SUPPORT, type KnotTables, basisCount, buildKnotTables, cubicBasisColumn, paddedKnotCount, refreshKnotTables } from './bspline';

export type BaseKind = 'silu' | 'identity' | 'zero';

/** A univariate function usable on a symbolic edge; df is its derivative. */
export interface SymbolicFunction {
  readonly name: string;
  readonly f: (z: number) => number;
  readonly df: (z: number) => number;
}

export interface KanLayer {
  nIn: number;
  nOut: number;
  G: number;
  k: number;
  base: BaseKind;
  knots: Float64Array;
  mask: Float64Array;
  symMask: Float64Array;
  symFns: (SymbolicFunction | null)[];
  /**
   * The training domain (see domain.ts): [nIn][lo, hi] of the activations the last fit's training rows gave each input
   * node, beyond which predictions follow each numeric edge's secant; null before a fit and during one.
   */
  domain: Float64Array | null;
  coefOffset: number;
  wbOffset: number;
  wsOffset: number;
  symOffset: number;
}

/** A layer's numeric part as plain data: what crosses to a worker thread (functions cannot be posted; kernels train and never see the prediction-only domain). */
export type NumericLayer = Omit<KanLayer, 'symMask' | 'symFns' | 'domain'>;

/** Makes the typed arrays of caches and workspaces: on the JS heap, or inside a WebAssembly module's memory. */
export interface ArrayAllocator {
  f64(length: number): Float64Array;
  i32(length: number): Int32Array;
}

const HEAP: ArrayAllocator = { f64: (length) => new Float64Array(length), i32: (length) => new Int32Array(length) };

/** Number of entries a layer occupies in the flat parameter vector. */
export function layerParamLength(nIn: number, nOut: number, G: number, k: number): number {
  return nIn * nOut * (basisCount(G, k) + 2 + 4);
}

/** Assigns the parameter offsets of a layer that starts at `offset`; returns the offset after it. */
export function assignOffsets(layer: KanLayer, offset: number): number {
  const edges = layer.nIn * layer.nOut;
  layer.coefOffset = offset;
  layer.wbOffset = offset + edges * basisCount(layer.G, layer.k);
  layer.wsOffset = layer.wbOffset + edges;
  layer.symOffset = layer.wsOffset + edges;
  return layer.symOffset + 4 * edges;
}

export function emptyLayer(nIn: number, nOut: number, G: number, k: number, base: BaseKind): KanLayer {
  const edges = nIn * nOut;
  return {
    nIn, nOut, G, k, base,
    knots: new Float64Array(nIn * paddedKnotCount(G, k)),
    mask: new Float64Array(edges).fill(1),
    symMask: new Float64Array(edges),
    symFns: new Array<SymbolicFunction | null>(edges).fill(null),
    domain: null,
    coefOffset: 0, wbOffset: 0, wsOffset: 0, symOffset: 0,
  };
}

export function baseValue(kind: BaseKind, x: number): number {
  if (kind === 'silu') return x / (1 + Math.exp(-x));
  return kind === 'identity' ? x : 0;
}

export function baseDerivative(kind: BaseKind, x: number): number {
  if (kind === 'silu') {
    const s = 1 / (1 + Math.exp(-x));
    return s + x * s * (1 - s);
  }
  return kind === 'identity' ? 1 : 0;
}

/**
 * What the backward pass needs from the forward pass, per cell = i * n + s (input-major, so that one input's column is
 * contiguous): row [cell], the row of the first basis in the padded weight block (start + k, see spreadWeights; 0 with
 * all values zero where x is NaN); values, derivs [cell][k+1], the k+1 basis values and derivatives; base,
 * baseDeriv [cell], the base branch and its derivative; order [i][n] (when sorted), each column's samples sorted by
 * row, so that samples sharing their k+1 weight rows are processed in pairs. Buffers grow with n and are reused.
 */
export class LayerCache {
  x: Float64Array = new Float64Array(0);
  row: Int32Array = new Int32Array(0);
  values: Float64Array = new Float64Array(0);
  derivs: Float64Array = new Float64Array(0);
  base: Float64Array = new Float64Array(0);
  baseDeriv: Float64Array = new Float64Array(0);
  order: Int32Array = new Int32Array(0);
  sorted = false;
  n = 0;
  /**
   * phi of every numeric edge [cell][nOut] as the last forward pass computed it, when it kept them (edgeOutputsKept; see
   * layerForward): the backward pass reads the regulariser's sign(phi) here instead of recomputing phi. Always on the JS
   * heap: only the TypeScript kernels read it.
   */
  edgeOutputs: Float64Array = new Float64Array(0);
  edgeOutputsKept = false;
  /**
   * A copy of the input values [n][nIn] and knots the basis was computed for: a full-batch fit shows its first layer
   * the same inputs on every evaluation. Compared by value, so a recycled input buffer can never reuse a stale basis.
   */
  private cells = 0;
  private basisValid = false;
  private basisInput = new Float64Array(0);
  private basisKnots = new Float64Array(0);

  /** alloc: where the basis arrays live (the WebAssembly backend keeps them in its module's memory). */
  constructor(private readonly alloc: ArrayAllocator = HEAP) {}

  ensure(n: number, nIn: number, k: number): void {
    this.n = n;
    this.basisValid = false;
    const cells = n * nIn;
    this.cells = cells;
    if (this.row.length < cells) {
      this.row = this.alloc.i32(cells);
      this.order = this.alloc.i32(cells);
      this.base = this.alloc.f64(cells);
      this.baseDeriv = this.alloc.f64(cells);
    }
    if (this.values.length < cells * (k + 1)) {
      this.values = this.alloc.f64(cells * (k + 1));
      this.derivs = this.alloc.f64(cells * (k + 1));
    }
  }

  /** True when the cached basis was computed from these very input values (x [n][nIn]) and knots. */
  holdsBasisFor(x: Float64Array, n: number, knots: Float64Array): boolean {
    if (!this.basisValid || this.n !== n || x.length < this.cells || !sameValues(this.basisKnots, knots)) return false;
    const copy = this.basisInput;
    for (let q = 0; q < this.cells; q++) if (copy[q] !== x[q]) return false;
    return true;
  }

  /** Records the input (its first n * nIn values, n and nIn as given to ensure) and knots the basis was just computed for. */
  remember(x: Float64Array, knots: Float64Array): void {
    this.x = x;
    if (this.basisInput.length < this.cells) this.basisInput = new Float64Array(this.cells);
    this.basisInput.set(x.subarray(0, this.cells));
    if (this.basisKnots.length !== knots.length) this.basisKnots = new Float64Array(knots.length);
    this.basisKnots.set(knots);
    this.basisValid = true;
  }
}

function sameValues(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  for (let q = 0; q < a.length; q++) if (a[q] !== b[q]) return false;
  return true;
}

/**
 * Knot tables per knot array, kept in step with the knots: grid update and refine write knots in place, one input's
 * vector at a time, so each call compares vector by vector and refreshes only those that changed.
 */
const tableMemo = new WeakMap<Float64Array, { G: number; k: number; snapshot: Float64Array; tables: KnotTables }>();

function knotTablesOf(knots: Float64Array, G: number, k: number): KnotTables {
  const memo = tableMemo.get(knots);
  if (memo === undefined || memo.G !== G || memo.k !== k || memo.snapshot.length !== knots.length) {
    const tables = buildKnotTables(knots, G, k);
    tableMemo.set(knots, { G, k, snapshot: knots.slice(), tables });
    return tables;
  }
  const { snapshot, tables } = memo;
  const len = paddedKnotCount(G, k);
  for (let v = 0; v * len < knots.length; v++) {
    let changed = false;
    for (let q = v * len; q < (v + 1) * len; q++) {
      if (snapshot[q] !== knots[q]) {
        changed = true;
        break;
      }
    }
    if (!changed) continue;
    snapshot.set(knots.subarray(v * len, (v + 1) * len), v * len);
    refreshKnotTables(tables, knots, G, k, v);
  }
  return tables;
}

/**
 * Work buffers of the layer kernels, shared by all layers (the kernels never run re-entrantly) and grown on demand:
 *   weights [nb+2k][nOut]: ws * coef of one input's edges, transposed so that the loop over outputs is contiguous, with
 *     k zero rows each side so that bases whose index falls off the grid (near its ends) multiply zeros, not branches;
 *   gradWeights [nb+2k][nOut], gradBase [nOut]: one input's gradient sums over samples; regRow [nOut]: the
 *     regulariser's weight regCoef / n of one input's edges; gradRows [2][nOut]: d(objective)/d(phi) of a pair of
 *     samples when the regulariser makes it differ from gy; rowCounts [nb+2k+1]: the counting sort of samples by row;
 *   column*: the basis of one input column when no LayerCache is kept; transposed [nIn][n]: the layer input by columns.
 */
export class KernelWorkspace {
  weights: Float64Array = new Float64Array(0);
  gradWeights: Float64Array = new Float64Array(0);
  gradBase: Float64Array = new Float64Array(0);
  regRow: Float64Array = new Float64Array(0);
  gradRows: Float64Array = new Float64Array(0);
  rowCounts: Int32Array = new Int32Array(0);
  columnRow: Int32Array = new Int32Array(0);
  columnOrder: Int32Array = new Int32Array(0);
  columnValues: Float64Array = new Float64Array(0);
  columnBase: Float64Array = new Float64Array(0);
  transposed: Float64Array = new Float64Array(0);
  basis = new BasisScratch(3);

  /** alloc: where the buffers the column kernels read and write live (see LayerEngine). */
  constructor(private readonly alloc: ArrayAllocator = HEAP) {}

  reserveTranspose(size: number): void {
    if (this.transposed.length < size) this.transposed = new Float64Array(size);
  }

  reserve(rows: number, nOut: number, k: number): void {
    if (this.weights.length < rows * nOut) {
      this.weights = this.alloc.f64(rows * nOut);
      this.gradWeights = this.alloc.f64(rows * nOut);
    }
    if (this.gradBase.length < nOut) {
      this.gradBase = this.alloc.f64(nOut);
      this.regRow = this.alloc.f64(nOut);
      this.gradRows = this.alloc.f64(2 * nOut);
    }
    if (this.rowCounts.length < rows + 1) this.rowCounts = new Int32Array(rows + 1);
    if (this.basis.k !== k) this.basis = new BasisScratch(k);
  }

  reserveColumn(n: number, k: number): void {
    if (this.columnRow.length < n) {
      this.columnRow = this.alloc.i32(n);
      this.columnOrder = this.alloc.i32(n);
      this.columnBase = this.alloc.f64(n);
    }
    if (this.columnValues.length < n * (k + 1)) this.columnValues = this.alloc.f64(n * (k + 1));
  }
}

const workspace = new KernelWorkspace();

/**
 * The hot loops of the cubic, unmasked case (nearly every training evaluation): the TypeScript ones below, or the
 * WebAssembly SIMD ones of app/compute/wasm, which then need every array they touch (cache, workspace, y, gy, gx,
 * edge sums) in their module's memory; params stays on the host (the kernels read w_b through a copy of their own).
 */
export interface CubicColumnKernels {
  forward: typeof forwardCubicColumn;
  backwardPairs: typeof backwardCubicColumnPairs;
  inputGradientPairs: typeof inputGradientCubicColumnPairs;
  backward: typeof backwardCubicColumn;
}

/** Column kernels and the workspace whose buffers they share: what layerForward and layerBackward compute with. */
export interface LayerEngine {
  kernels: CubicColumnKernels;
  workspace: KernelWorkspace;
  /** True when kernels.forward writes the edge outputs it is given and kernels.backward* read them (see LayerCache). */
  keepsEdgeOutputs: boolean;
}

const JS_ENGINE: LayerEngine = {
  kernels: {
    forward: forwardCubicColumn,
    backwardPairs: backwardCubicColumnPairs,
    inputGradientPairs: inputGradientCubicColumnPairs,
    backward: backwardCubicColumn,
  },
  workspace,
  keepsEdgeOutputs: true,
};

/**
 * Most edge outputs [cells][nOut] a cache keeps for the backward pass (8 MiB): beyond that the memory is not worth the
 * multiply-adds it saves, and the backward pass recomputes phi as before.
 */
export const MAX_KEPT_EDGE_OUTPUTS = 1 << 20;

/**
 * weights[(m + k) * nOut + j] = ws[i][j] * coef[i][j][m] for input i (coef alone when withScale is false); the k rows
 * on either side are zero.
 */
function spreadWeights(L: KanLayer, params: Float64Array, i: number, weights: Float64Array, withScale = true): void {
  const { nOut, k, coefOffset, wsOffset } = L;
  const nb = basisCount(L.G, k);
  weights.fill(0, 0, k * nOut);
  weights.fill(0, (nb + k) * nOut, (nb + 2 * k) * nOut);
  for (let j = 0; j < nOut; j++) {
    const e = i * nOut + j;
    const ws = withScale ? params[wsOffset + e]! : 1;
    const c0 = coefOffset + e * nb;
    for (let m = 0; m < nb; m++) weights[(m + k) * nOut + j] = ws * params[c0 + m]!;
  }
}

/**
 * Below this many outputs, pairing samples that share weight rows saves less than sorting them by row costs (unless the
 * sorted basis is reused): samples are then taken in their natural order.
 */
const PAIRED_MIN_OUTPUTS = 8;

/**
 * Basis of input column i, whose n samples are xs[xStart + s * xStride], into cells cell0 + s: row, k+1 values (and
 * derivatives when derivs is given), base(x) (and base'(x) when baseDeriv is given), and, when order is given, the
 * samples sorted by row into order[cell0 ..].
 */
function fillBasisColumn(
  L: KanLayer, tables: KnotTables, xs: Float64Array, xStart: number, xStride: number, n: number, i: number, cell0: number,
  rows: Int32Array, values: Float64Array, derivs: Float64Array | null, base: Float64Array, baseDeriv: Float64Array | null,
  order: Int32Array | null, ws: KernelWorkspace,
): void {
  const { G, k, knots } = L;
  if (k === 3) cubicBasisColumn(knots, tables, i, G, xs, xStart, xStride, n, rows, 3, 0, values, cell0, derivs);
  else genericBasisColumn(knots, tables.recip, i * paddedKnotCount(G, k), G, k, xs, xStart, xStride, n, rows, values, cell0, derivs, ws.basis);
  baseColumn(L.base, xs, xStart, xStride, n, base, baseDeriv, cell0);
  if (order !== null) sortByRow(rows, cell0, n, basisCount(G, k) + 2 * k, order, ws.rowCounts);
}

/** From this many inputs on (a row of x spans two cache lines), a layer reads its input columns from a transposed copy. */
const TRANSPOSE_MIN_INPUTS = 16;

/** out [nIn][n] = x [n][nIn] transposed, in tiles so that both sides are read and written a cache line at a time. */
function transposeInto(x: Float64Array, n: number, nIn: number, out: Float64Array): void {
  const tile = 32;
  for (let s0 = 0; s0 < n; s0 += tile) {
    const s1 = Math.min(n, s0 + tile);
    for (let i0 = 0; i0 < nIn; i0 += tile) {
      const i1 = Math.min(nIn, i0 + tile);
      for (let s = s0; s < s1; s++) for (let i = i0; i < i1; i++) out[i * n + s] = x[s * nIn + i]!;
    }
  }
}

function genericBasisColumn(
  knots: Float64Array, recip: Float64Array, knotOffset: number, G: number, k: number,
  xs: Float64Array, xStart: number, xStride: number, n: number,
  rows: Int32Array, values: Float64Array, cell0: number, derivs: Float64Array | null, scratch: BasisScratch,
): void {
  const kp = k + 1;
  for (let s = 0; s < n; s++) {
    const cell = cell0 + s;
    const vOff = cell * kp;
    const start = scratch.evaluateWithReciprocals(knots, recip, knotOffset, G, k, xs[xStart + s * xStride]!, values, vOff, derivs, vOff);
    if (start === NO_SUPPORT) {
      rows[cell] = 0;
      values.fill(0, vOff, vOff + kp);
      if (derivs !== null) derivs.fill(0, vOff, vOff + kp);
    } else {
      rows[cell] = start + k;
    }
  }
}

/** base(x) and base'(x) of a column into cells cell0 + s; silu and its derivative share one exp. */
function baseColumn(kind: BaseKind, xs: Float64Array, xStart: number, xStride: number, n: number, base: Float64Array, baseDeriv: Float64Array | null, cell0: number): void {
  if (kind === 'silu') {
    for (let s = 0; s < n; s++) {
      const xi = xs[xStart + s * xStride]!;
      const sigmoid = 1 / (1 + Math.exp(-xi));
      base[cell0 + s] = xi * sigmoid;
      if (baseDeriv !== null) baseDeriv[cell0 + s] = sigmoid * (1 + xi * (1 - sigmoid));
    }
    return;
  }
  const identity = kind === 'identity';
  for (let s = 0; s < n; s++) {
    base[cell0 + s] = identity ? xs[xStart + s * xStride]! : 0;
    if (baseDeriv !== null) baseDeriv[cell0 + s] = identity ? 1 : 0;
  }
}

/** Counting sort: order[cell0 + q], q = 0..n-1, lists the samples s by increasing rows[cell0 + s] (rows < rowCount). */
function sortByRow(rows: Int32Array, cell0: number, n: number, rowCount: number, order: Int32Array, counts: Int32Array): void {
  counts.fill(0, 0, rowCount + 1);
  for (let s = 0; s < n; s++) counts[rows[cell0 + s]! + 1]!++;
  for (let r = 1; r <= rowCount; r++) counts[r]! += counts[r - 1]!;
  for (let s = 0; s < n; s++) order[cell0 + counts[rows[cell0 + s]!]!++] = s;
}

function allOnes(mask: Float64Array): boolean {
  for (let e = 0; e < mask.length; e++) if (mask[e] !== 1) return false;
  return true;
}

function anyNonZero(mask: Float64Array): boolean {
  for (let e = 0; e < mask.length; e++) if (mask[e] !== 0) return true;
  return false;
}

/**
 * y [n][nOut] = layer(x [n][nIn]). When edgeAbsSum is given, adds sum over samples of |phi_e| of every active numeric
 * edge into it ([nIn][nOut]; the regulariser's edge magnitudes). When cache is given, fills it for layerBackward; with
 * reuseBasis, a cache that already holds the basis of these input values and knots (compared by value) keeps it
 * instead of recomputing it. Passing false skips that comparison where the input surely changed (hidden activations).
 *
 * Loop order: input i outermost, so that one input's transposed weights [nb+2k][nOut] stay in L1 while all samples
 * stream past; per (sample, input) the nOut edges are k+2 contiguous multiply-adds each (base + k+1 bases).
 * engine: the column kernels and workspace (default the TypeScript ones; see LayerEngine for what another needs).
 */
export function layerForward(
  L: KanLayer, params: Float64Array, x: Float64Array, n: number, y: Float64Array,
  cache: LayerCache | null, edgeAbsSum: Float64Array | null, reuseBasis = true, engine: LayerEngine = JS_ENGINE,
): void {
  const { nIn, nOut, G, k, knots, mask, symMask } = L;
  const padded = basisCount(G, k) + 2 * k;
  const tables = knotTablesOf(knots, G, k);
  const reuse = reuseBasis && cache !== null && cache.holdsBasisFor(x, n, knots);
  if (cache !== null && !reuse) cache.ensure(n, nIn, k);
  const ws = engine.workspace;
  ws.reserve(padded, nOut, k);
  if (cache === null) ws.reserveColumn(n, k);
  const rows = cache !== null ? cache.row : ws.columnRow;
  const values = cache !== null ? cache.values : ws.columnValues;
  const bases = cache !== null ? cache.base : ws.columnBase;
  // A basis kept across calls is sorted once for many uses, so there sorting pays off for any number of outputs.
  if (cache !== null && !reuse) cache.sorted = nOut >= PAIRED_MIN_OUTPUTS || (reuseBasis && nOut > 1);
  const sorted = cache !== null ? cache.sorted : nOut >= PAIRED_MIN_OUTPUTS;
  const order = sorted ? (cache !== null ? cache.order : ws.columnOrder) : null;
  // The cubic, unmasked case (nearly every training evaluation) has its own unrolled loops.
  const cubic = k === 3 && allOnes(mask);
  // With the regulariser on, the backward pass needs sign(phi) of every edge: kept here rather than computed twice.
  const keep = cubic && cache !== null && edgeAbsSum !== null && engine.keepsEdgeOutputs && n * nIn * nOut <= MAX_KEPT_EDGE_OUTPUTS;
  if (cache !== null) {
    cache.edgeOutputsKept = keep;
    if (keep && cache.edgeOutputs.length < n * nIn * nOut) cache.edgeOutputs = new Float64Array(n * nIn * nOut);
  }
  const edgeOutputs = keep ? cache!.edgeOutputs : null;
  y.fill(0, 0, n * nOut);
  // Columns of a wide input are read from a transposed copy: a strided walk down x would miss the cache on every sample.
  const transposed = !reuse && nIn >= TRANSPOSE_MIN_INPUTS;
  if (transposed) {
    ws.reserveTranspose(n * nIn);
    transposeInto(x, n, nIn, ws.transposed);
  }
  const xs = transposed ? ws.transposed : x;
  for (let i = 0; i < nIn; i++) {
    const cell0 = cache !== null ? i * n : 0;
    if (!reuse) {
      const xStart = transposed ? i * n : i;
      const xStride = transposed ? 1 : nIn;
      if (cache !== null) fillBasisColumn(L, tables, xs, xStart, xStride, n, i, cell0, rows, values, cache.derivs, bases, cache.baseDeriv, order, ws);
      else fillBasisColumn(L, tables, xs, xStart, xStride, n, i, cell0, rows, values, null, bases, null, order, ws);
    }
    spreadWeights(L, params, i, ws.weights);
    if (cubic) engine.kernels.forward(params, L.wbOffset + i * nOut, ws.weights, nOut, n, cell0, rows, values, bases, order, y, edgeAbsSum, i * nOut, edgeOutputs);
    else forwardColumn(params, L.wbOffset + i * nOut, ws.weights, nOut, k, n, cell0, rows, values, bases, mask, y, edgeAbsSum, i * nOut);
  }
  if (anyNonZero(symMask)) symbolicForward(L, params, x, n, y);
  if (cache !== null) {
    if (reuse) cache.x = x;
    else cache.remember(x, knots);
  }
}

/**
 * Adds the numeric edges of one input (cubic, unmasked) to y. Samples come in row order (when order is given, else in
 * their own), and two consecutive samples with the same row share one load of the five weights per output. When
 * edgeOutputs is given, phi of each edge is written there too ([cell][nOut], as LayerCache.edgeOutputs).
 */
function forwardCubicColumn(
  params: Float64Array, wb0: number, weights: Float64Array, nOut: number, n: number, cell0: number,
  rows: Int32Array, values: Float64Array, bases: Float64Array, order: Int32Array | null,
  y: Float64Array, edgeAbsSum: Float64Array | null, edge0: number, edgeOutputs: Float64Array | null = null,
): void {
  if (nOut === 1) {
    // A single output (a regression head): the four weights of a row are adjacent scalars, no loop over outputs.
    const wb = params[wb0]!;
    let absSum = 0;
    for (let s = 0; s < n; s++) {
      const cell = cell0 + s;
      const w = rows[cell]!;
      const v = 4 * cell;
      const phi = bases[cell]! * wb + values[v]! * weights[w]! + values[v + 1]! * weights[w + 1]! + values[v + 2]! * weights[w + 2]! + values[v + 3]! * weights[w + 3]!;
      y[s]! += phi;
      absSum += Math.abs(phi);
      if (edgeOutputs !== null) edgeOutputs[cell] = phi;
    }
    if (edgeAbsSum !== null) edgeAbsSum[edge0]! += absSum;
    return;
  }
  let q = 0;
  while (q < n) {
    const s1 = order !== null ? order[cell0 + q]! : q;
    const c1 = cell0 + s1;
    const row = rows[c1]!;
    const w0 = row * nOut;
    const w1 = w0 + nOut;
    const w2 = w1 + nOut;
    const w3 = w2 + nOut;
    const b1 = bases[c1]!;
    const v10 = values[4 * c1]!;
    const v11 = values[4 * c1 + 1]!;
    const v12 = values[4 * c1 + 2]!;
    const v13 = values[4 * c1 + 3]!;
    const y1 = s1 * nOut;
    const s2 = q + 1 < n ? (order !== null ? order[cell0 + q + 1]! : q + 1) : -1;
    if (s2 >= 0 && rows[cell0 + s2] === row) {
      const c2 = cell0 + s2;
      const b2 = bases[c2]!;
      const v20 = values[4 * c2]!;
      const v21 = values[4 * c2 + 1]!;
      const v22 = values[4 * c2 + 2]!;
      const v23 = values[4 * c2 + 3]!;
      const y2 = s2 * nOut;
      for (let j = 0; j < nOut; j++) {
        const wb = params[wb0 + j]!;
        const x0 = weights[w0 + j]!;
        const x1 = weights[w1 + j]!;
        const x2 = weights[w2 + j]!;
        const x3 = weights[w3 + j]!;
        const phi1 = b1 * wb + v10 * x0 + v11 * x1 + v12 * x2 + v13 * x3;
        const phi2 = b2 * wb + v20 * x0 + v21 * x1 + v22 * x2 + v23 * x3;
        y[y1 + j]! += phi1;
        y[y2 + j]! += phi2;
        if (edgeAbsSum !== null) edgeAbsSum[edge0 + j]! += Math.abs(phi1) + Math.abs(phi2);
        if (edgeOutputs !== null) {
          edgeOutputs[c1 * nOut + j] = phi1;
          edgeOutputs[c2 * nOut + j] = phi2;
        }
      }
      q += 2;
    } else {
      for (let j = 0; j < nOut; j++) {
        const phi = b1 * params[wb0 + j]! + v10 * weights[w0 + j]! + v11 * weights[w1 + j]! + v12 * weights[w2 + j]! + v13 * weights[w3 + j]!;
        y[y1 + j]! += phi;
        if (edgeAbsSum !== null) edgeAbsSum[edge0 + j]! += Math.abs(phi);
        if (edgeOutputs !== null) edgeOutputs[c1 * nOut + j] = phi;
      }
      q += 1;
    }
  }
}

/** Adds the numeric edges of one input to y, any order k, honouring the mask (masked edges add nothing). */
function forwardColumn(
  params: Float64Array, wb0: number, weights: Float64Array, nOut: number, k: number, n: number, cell0: number,
  rows: Int32Array, values: Float64Array, bases: Float64Array, mask: Float64Array,
  y: Float64Array, edgeAbsSum: Float64Array | null, edge0: number,
): void {
  const kp = k + 1;
  for (let s = 0; s < n; s++) {
    const cell = cell0 + s;
    const b = bases[cell]!;
    const vOff = cell * kp;
    const w0 = rows[cell]! * nOut;
    const yRow = s * nOut;
    for (let j = 0; j < nOut; j++) {
      const m = mask[edge0 + j]!;
      if (m === 0) continue;
      let phi = b * params[wb0 + j]!;
      for (let r = 0; r < kp; r++) phi += values[vOff + r]! * weights[w0 + r * nOut + j]!;
      y[yRow + j]! += m * phi;
      if (edgeAbsSum !== null) edgeAbsSum[edge0 + j]! += Math.abs(phi);
    }
  }
}

/**
 * The splines sum_m coef[i][j][m] B_m(x) (no w_s, no base branch, masks ignored) of the edges leaving input i at the
 * points xs [n], into out [n][nOut]: one basis evaluation per point whatever nOut is. What grid update and refine need
 * to refit coefficients; evaluateSpline per edge would repeat the basis nOut times.
 */
export function inputSplineValues(L: KanLayer, params: Float64Array, i: number, xs: Float64Array, n: number, out = new Float64Array(n * L.nOut)): Float64Array {
  const { nOut, G, k, knots } = L;
  const kp = k + 1;
  const ws = workspace;
  ws.reserve(basisCount(G, k) + 2 * k, nOut, k);
  ws.reserveColumn(n, k);
  const rows = ws.columnRow;
  const values = ws.columnValues;
  const tables = knotTablesOf(knots, G, k);
  if (k === 3) cubicBasisColumn(knots, tables, i, G, xs, 0, 1, n, rows, 3, 0, values, 0, null);
  else genericBasisColumn(knots, tables.recip, i * paddedKnotCount(G, k), G, k, xs, 0, 1, n, rows, values, 0, null, ws.basis);
  const weights = ws.weights;
  spreadWeights(L, params, i, weights, false);
  for (let s = 0; s < n; s++) {
    const w0 = rows[s]! * nOut;
    const vOff = s * kp;
    if (k === 3) {
      const v0 = values[vOff]!;
      const v1 = values[vOff + 1]!;
      const v2 = values[vOff + 2]!;
      const v3 = values[vOff + 3]!;
      for (let j = 0; j < nOut; j++) {
        out[s * nOut + j] = v0 * weights[w0 + j]! + v1 * weights[w0 + nOut + j]! + v2 * weights[w0 + 2 * nOut + j]! + v3 * weights[w0 + 3 * nOut + j]!;
      }
      continue;
    }
    for (let j = 0; j < nOut; j++) {
      let spline = 0;
      for (let r = 0; r < kp; r++) spline += values[vOff + r]! * weights[w0 + r * nOut + j]!;
      out[s * nOut + j] = spline;
    }
  }
  return out;
}

function symbolicForward(L: KanLayer, params: Float64Array, x: Float64Array, n: number, y: Float64Array): void {
  const { nIn, nOut, symMask, symFns, symOffset } = L;
  for (let e = 0; e < nIn * nOut; e++) {
    const fn = symFns[e];
    const weight = symMask[e]!;
    if (weight === 0 || !fn) continue;
    const i = Math.floor(e / nOut);
    const j = e - i * nOut;
    const p = symOffset + 4 * e;
    const a = params[p]!;
    const b = params[p + 1]!;
    const c = params[p + 2]!;
    const d = params[p + 3]!;
    for (let s = 0; s < n; s++) y[s * nOut + j]! += weight * (c * fn.f(a * x[s * nIn + i]! + b) + d);
  }
}

/**
 * Backward pass of layerForward (which must have run with this cache and these params).
 * gy [n][nOut]: d(objective)/d(y). regCoef [nIn][nOut] (or null): d(objective)/d(mean_s |phi_e|) for the magnitude
 * regulariser. Accumulates parameter gradients into grad (same layout as params) and, if gx is given, writes
 * d(objective)/d(x) [n][nIn].
 *
 * Per input i, with g_s,j = d(objective)/d(phi_ij(x_s)) and W = ws * coef transposed as in the forward pass:
 *   dW[m][j] = sum_s g_s,j B_m(x_s),  d coef = ws * dW,  d ws = sum_m coef_m dW[m],  d wb = sum_s g_s,j b(x_s),
 *   gx[s][i] = b'(x_s) sum_j g_s,j wb_j + sum_r B'_r(x_s) sum_j g_s,j W[start+r][j].
 */
export function layerBackward(
  L: KanLayer, params: Float64Array, cache: LayerCache, gy: Float64Array,
  regCoef: Float64Array | null, grad: Float64Array, gx: Float64Array | null, engine: LayerEngine = JS_ENGINE,
): void {
  // Everything the loops touch is hoisted into locals: layer objects come in several shapes (created, cloned, refined),
  // and property loads on them inside the hot loops would be polymorphic.
  const { nIn, nOut, G, k, mask, symMask, coefOffset, wbOffset, wsOffset } = L;
  const n = cache.n;
  const nb = basisCount(G, k);
  const padded = nb + 2 * k;
  const invN = 1 / n;
  const ws = engine.workspace;
  ws.reserve(padded, nOut, k);
  const { weights, gradWeights, gradBase, regRow } = ws;
  const masked = !allOnes(mask);
  const cubic = k === 3 && !masked;
  // sign(phi) of the regulariser from the forward pass, where it kept the edge outputs.
  const edgeOutputs = cubic && regCoef !== null && cache.edgeOutputsKept ? cache.edgeOutputs : null;
  for (let i = 0; i < nIn; i++) {
    spreadWeights(L, params, i, weights);
    gradWeights.fill(0, 0, padded * nOut);
    gradBase.fill(0, 0, nOut);
    const wb0 = wbOffset + i * nOut;
    const edge0 = i * nOut;
    const cell0 = i * n;
    // The regulariser's d(objective)/d(phi) = regCoef / n * sign(phi), on active edges only.
    if (regCoef !== null) for (let j = 0; j < nOut; j++) regRow[j] = mask[edge0 + j] === 0 ? 0 : regCoef[edge0 + j]! * invN;
    if (cubic && (gx === null || (regCoef === null && cache.sorted))) {
      // Parameter sums and (without the regulariser, whose d(objective)/d(phi) differs per edge) the input gradient in
      // two paired sweeps.
      engine.kernels.backwardPairs(params, wb0, weights, nOut, n, cell0, cache, gy, regCoef !== null ? regRow : null, gradWeights, gradBase, ws.gradRows, edgeOutputs);
      if (gx !== null) engine.kernels.inputGradientPairs(params, wb0, weights, nOut, n, cell0, i, nIn, cache, gy, gx);
    } else if (cubic) {
      engine.kernels.backward(params, wb0, weights, nOut, n, cell0, i, nIn, cache, gy, regCoef !== null ? regRow : null, gradWeights, gradBase, gx, edgeOutputs);
    } else {
      backwardColumn(params, wb0, weights, nOut, k, n, cell0, i, nIn, cache, gy, mask, edge0, regCoef !== null ? regRow : null, gradWeights, gradBase, gx);
    }
    for (let j = 0; j < nOut; j++) {
      const e = edge0 + j;
      if (mask[e] === 0) continue;
      const wsValue = params[wsOffset + e]!;
      const c0 = coefOffset + e * nb;
      let gradWs = 0;
      for (let m = 0; m < nb; m++) {
        const dW = gradWeights[(m + k) * nOut + j]!;
        grad[c0 + m]! += wsValue * dW;
        gradWs += params[c0 + m]! * dW;
      }
      grad[wsOffset + e]! += gradWs;
      grad[wbOffset + e]! += gradBase[j]!;
    }
  }
  if (anyNonZero(symMask)) symbolicBackward(L, params, cache, gy, grad, gx);
}

/**
 * Gradient sums of one input's edges (cubic, unmasked), with the regulariser's regCoef / n * sign(phi) when regRow is
 * given (phi read from edgeOutputs when given, else recomputed). Samples in row order when sorted: two consecutive
 * samples with the same row share the loads of the five weights and update the five gradient rows once per output.
 */
function backwardCubicColumnPairs(
  params: Float64Array, wb0: number, weights: Float64Array, nOut: number, n: number, cell0: number,
  cache: LayerCache, gy: Float64Array, regRow: Float64Array | null,
  gradWeights: Float64Array, gradBase: Float64Array, gradRows: Float64Array, edgeOutputs: Float64Array | null = null,
): void {
  const { row: rows, values, base: bases } = cache;
  if (nOut === 1) {
    const wb = params[wb0]!;
    const reg = regRow !== null ? regRow[0]! : 0;
    let sumBase = 0;
    for (let s = 0; s < n; s++) {
      const cell = cell0 + s;
      const w = rows[cell]!;
      const v = 4 * cell;
      const b = bases[cell]!;
      const v0 = values[v]!;
      const v1 = values[v + 1]!;
      const v2 = values[v + 2]!;
      const v3 = values[v + 3]!;
      let g = gy[s]!;
      if (regRow !== null) g += reg * Math.sign(edgeOutputs !== null ? edgeOutputs[cell]! : b * wb + v0 * weights[w]! + v1 * weights[w + 1]! + v2 * weights[w + 2]! + v3 * weights[w + 3]!);
      sumBase += g * b;
      gradWeights[w]! += g * v0;
      gradWeights[w + 1]! += g * v1;
      gradWeights[w + 2]! += g * v2;
      gradWeights[w + 3]! += g * v3;
    }
    gradBase[0]! += sumBase;
    return;
  }
  const order = cache.sorted ? cache.order : null;
  let q = 0;
  while (q < n) {
    const s1 = order !== null ? order[cell0 + q]! : q;
    const c1 = cell0 + s1;
    const row = rows[c1]!;
    const w0 = row * nOut;
    const w1 = w0 + nOut;
    const w2 = w1 + nOut;
    const w3 = w2 + nOut;
    const b1 = bases[c1]!;
    const v10 = values[4 * c1]!;
    const v11 = values[4 * c1 + 1]!;
    const v12 = values[4 * c1 + 2]!;
    const v13 = values[4 * c1 + 3]!;
    const g1 = s1 * nOut;
    const s2 = q + 1 < n ? (order !== null ? order[cell0 + q + 1]! : q + 1) : -1;
    if (s2 >= 0 && rows[cell0 + s2] === row) {
      const c2 = cell0 + s2;
      const b2 = bases[c2]!;
      const v20 = values[4 * c2]!;
      const v21 = values[4 * c2 + 1]!;
      const v22 = values[4 * c2 + 2]!;
      const v23 = values[4 * c2 + 3]!;
      // d(objective)/d(phi) of the two samples: gy itself, or with the regulariser's term in gradRows.
      let ga0 = g1;
      let gb0 = s2 * nOut;
      let gaRow = gy;
      let gbRow = gy;
      if (regRow !== null && edgeOutputs !== null) {
        const p1 = c1 * nOut;
        const p2 = c2 * nOut;
        for (let j = 0; j < nOut; j++) {
          const reg = regRow[j]!;
          const ga = gy[ga0 + j]! + reg * Math.sign(edgeOutputs[p1 + j]!);
          const gb = gy[gb0 + j]! + reg * Math.sign(edgeOutputs[p2 + j]!);
          gradBase[j]! += ga * b1 + gb * b2;
          gradWeights[w0 + j]! += ga * v10 + gb * v20;
          gradWeights[w1 + j]! += ga * v11 + gb * v21;
          gradWeights[w2 + j]! += ga * v12 + gb * v22;
          gradWeights[w3 + j]! += ga * v13 + gb * v23;
        }
        q += 2;
        continue;
      }
      if (regRow !== null) {
        for (let j = 0; j < nOut; j++) {
          const wb = params[wb0 + j]!;
          const x0 = weights[w0 + j]!;
          const x1 = weights[w1 + j]!;
          const x2 = weights[w2 + j]!;
          const x3 = weights[w3 + j]!;
          const reg = regRow[j]!;
          gradRows[j] = gy[ga0 + j]! + reg * Math.sign(b1 * wb + v10 * x0 + v11 * x1 + v12 * x2 + v13 * x3);
          gradRows[nOut + j] = gy[gb0 + j]! + reg * Math.sign(b2 * wb + v20 * x0 + v21 * x1 + v22 * x2 + v23 * x3);
        }
        gaRow = gradRows;
        gbRow = gradRows;
        ga0 = 0;
        gb0 = nOut;
      }
      for (let j = 0; j < nOut; j++) {
        const ga = gaRow[ga0 + j]!;
        const gb = gbRow[gb0 + j]!;
        gradBase[j]! += ga * b1 + gb * b2;
        gradWeights[w0 + j]! += ga * v10 + gb * v20;
        gradWeights[w1 + j]! += ga * v11 + gb * v21;
        gradWeights[w2 + j]! += ga * v12 + gb * v22;
        gradWeights[w3 + j]! += ga * v13 + gb * v23;
      }
      q += 2;
    } else {
      for (let j = 0; j < nOut; j++) {
        let ga = gy[g1 + j]!;
        if (regRow !== null) {
          const phi = edgeOutputs !== null ? edgeOutputs[c1 * nOut + j]! : b1 * params[wb0 + j]! + v10 * weights[w0 + j]! + v11 * weights[w1 + j]! + v12 * weights[w2 + j]! + v13 * weights[w3 + j]!;
          ga += regRow[j]! * Math.sign(phi);
        }
        gradBase[j]! += ga * b1;
        gradWeights[w0 + j]! += ga * v10;
        gradWeights[w1 + j]! += ga * v11;
        gradWeights[w2 + j]! += ga * v12;
        gradWeights[w3 + j]! += ga * v13;
      }
      q += 1;
    }
  }
}

/**
 * gx[s][i] = b'(x_s) sum_j gy_s,j wb_j + sum_r B'_r(x_s) sum_j gy_s,j W[row+r][j] (cubic, unmasked, no regulariser),
 * samples in row order: two samples with the same row share the loads of the five weights per output.
 */
function inputGradientCubicColumnPairs(
  params: Float64Array, wb0: number, weights: Float64Array, nOut: number, n: number, cell0: number, i: number, nIn: number,
  cache: LayerCache, gy: Float64Array, gx: Float64Array,
): void {
  const { row: rows, derivs, baseDeriv: baseDerivs, order } = cache;
  let q = 0;
  while (q < n) {
    const s1 = order[cell0 + q]!;
    const c1 = cell0 + s1;
    const row = rows[c1]!;
    const w0 = row * nOut;
    const w1 = w0 + nOut;
    const w2 = w1 + nOut;
    const w3 = w2 + nOut;
    const g1 = s1 * nOut;
    const s2 = q + 1 < n ? order[cell0 + q + 1]! : -1;
    if (s2 >= 0 && rows[cell0 + s2] === row) {
      const c2 = cell0 + s2;
      const g2 = s2 * nOut;
      let base1 = 0;
      let sum10 = 0;
      let sum11 = 0;
      let sum12 = 0;
      let sum13 = 0;
      let base2 = 0;
      let sum20 = 0;
      let sum21 = 0;
      let sum22 = 0;
      let sum23 = 0;
      for (let j = 0; j < nOut; j++) {
        const wb = params[wb0 + j]!;
        const x0 = weights[w0 + j]!;
        const x1 = weights[w1 + j]!;
        const x2 = weights[w2 + j]!;
        const x3 = weights[w3 + j]!;
        const ga = gy[g1 + j]!;
        const gb = gy[g2 + j]!;
        base1 += ga * wb;
        sum10 += ga * x0;
        sum11 += ga * x1;
        sum12 += ga * x2;
        sum13 += ga * x3;
        base2 += gb * wb;
        sum20 += gb * x0;
        sum21 += gb * x1;
        sum22 += gb * x2;
        sum23 += gb * x3;
      }
      gx[s1 * nIn + i] = baseDerivs[c1]! * base1 + derivs[4 * c1]! * sum10 + derivs[4 * c1 + 1]! * sum11 + derivs[4 * c1 + 2]! * sum12 + derivs[4 * c1 + 3]! * sum13;
      gx[s2 * nIn + i] = baseDerivs[c2]! * base2 + derivs[4 * c2]! * sum20 + derivs[4 * c2 + 1]! * sum21 + derivs[4 * c2 + 2]! * sum22 + derivs[4 * c2 + 3]! * sum23;
      q += 2;
    } else {
      let base1 = 0;
      let sum10 = 0;
      let sum11 = 0;
      let sum12 = 0;
      let sum13 = 0;
      for (let j = 0; j < nOut; j++) {
        const ga = gy[g1 + j]!;
        base1 += ga * params[wb0 + j]!;
        sum10 += ga * weights[w0 + j]!;
        sum11 += ga * weights[w1 + j]!;
        sum12 += ga * weights[w2 + j]!;
        sum13 += ga * weights[w3 + j]!;
      }
      gx[s1 * nIn + i] = baseDerivs[c1]! * base1 + derivs[4 * c1]! * sum10 + derivs[4 * c1 + 1]! * sum11 + derivs[4 * c1 + 2]! * sum12 + derivs[4 * c1 + 3]! * sum13;
      q += 1;
    }
  }
}

/**
 * Gradient sums of one input's edges (cubic, unmasked), with the regulariser (regRow; phi from edgeOutputs when given)
 * and the input gradient when given.
 */
function backwardCubicColumn(
  params: Float64Array, wb0: number, weights: Float64Array, nOut: number, n: number, cell0: number, i: number, nIn: number,
  cache: LayerCache, gy: Float64Array, regRow: Float64Array | null,
  gradWeights: Float64Array, gradBase: Float64Array, gx: Float64Array | null, edgeOutputs: Float64Array | null = null,
): void {
  const { row: rows, values, derivs, base: bases, baseDeriv: baseDerivs } = cache;
  if (nOut === 1) {
    const wb = params[wb0]!;
    const reg = regRow !== null ? regRow[0]! : 0;
    let sumBase = 0;
    for (let s = 0; s < n; s++) {
      const cell = cell0 + s;
      const b = bases[cell]!;
      const w = rows[cell]!;
      const v = 4 * cell;
      const x0 = weights[w]!;
      const x1 = weights[w + 1]!;
      const x2 = weights[w + 2]!;
      const x3 = weights[w + 3]!;
      const v0 = values[v]!;
      const v1 = values[v + 1]!;
      const v2 = values[v + 2]!;
      const v3 = values[v + 3]!;
      let g = gy[s]!;
      if (regRow !== null) g += reg * Math.sign(edgeOutputs !== null ? edgeOutputs[cell]! : b * wb + v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3);
      sumBase += g * b;
      gradWeights[w]! += g * v0;
      gradWeights[w + 1]! += g * v1;
      gradWeights[w + 2]! += g * v2;
      gradWeights[w + 3]! += g * v3;
      if (gx !== null) gx[s * nIn + i] = g * (baseDerivs[cell]! * wb + derivs[v]! * x0 + derivs[v + 1]! * x1 + derivs[v + 2]! * x2 + derivs[v + 3]! * x3);
    }
    gradBase[0]! += sumBase;
    return;
  }
  for (let s = 0; s < n; s++) {
    const cell = cell0 + s;
    const b = bases[cell]!;
    const vOff = 4 * cell;
    const w0 = rows[cell]! * nOut;
    const w1 = w0 + nOut;
    const w2 = w1 + nOut;
    const w3 = w2 + nOut;
    const v0 = values[vOff]!;
    const v1 = values[vOff + 1]!;
    const v2 = values[vOff + 2]!;
    const v3 = values[vOff + 3]!;
    const gyRow = s * nOut;
    let sumBase = 0;
    let sum0 = 0;
    let sum1 = 0;
    let sum2 = 0;
    let sum3 = 0;
    for (let j = 0; j < nOut; j++) {
      const wbj = params[wb0 + j]!;
      const x0 = weights[w0 + j]!;
      const x1 = weights[w1 + j]!;
      const x2 = weights[w2 + j]!;
      const x3 = weights[w3 + j]!;
      let gj = gy[gyRow + j]!;
      if (regRow !== null) gj += regRow[j]! * Math.sign(edgeOutputs !== null ? edgeOutputs[cell * nOut + j]! : b * wbj + v0 * x0 + v1 * x1 + v2 * x2 + v3 * x3);
      sumBase += gj * wbj;
      sum0 += gj * x0;
      sum1 += gj * x1;
      sum2 += gj * x2;
      sum3 += gj * x3;
      gradBase[j]! += gj * b;
      gradWeights[w0 + j]! += gj * v0;
      gradWeights[w1 + j]! += gj * v1;
      gradWeights[w2 + j]! += gj * v2;
      gradWeights[w3 + j]! += gj * v3;
    }
    if (gx !== null) gx[s * nIn + i] = baseDerivs[cell]! * sumBase + derivs[vOff]! * sum0 + derivs[vOff + 1]! * sum1 + derivs[vOff + 2]! * sum2 + derivs[vOff + 3]! * sum3;
  }
}

/** Gradient sums of one input's edges for any order k, honouring the mask; regulariser and input gradient when given. */
function backwardColumn(
  params: Float64Array, wb0: number, weights: Float64Array, nOut: number, k: number, n: number, cell0: number, i: number, nIn: number,
  cache: LayerCache, gy: Float64Array, mask: Float64Array, edge0: number, regRow: Float64Array | null,
  gradWeights: Float64Array, gradBase: Float64Array, gx: Float64Array | null,
): void {
  const { row: rows, values, derivs, base: bases, baseDeriv: baseDerivs } = cache;
  const kp = k + 1;
  for (let s = 0; s < n; s++) {
    const cell = cell0 + s;
    const b = bases[cell]!;
    const db = baseDerivs[cell]!;
    const vOff = cell * kp;
    const w0 = rows[cell]! * nOut;
    const gyRow = s * nOut;
    let gxi = 0;
    for (let j = 0; j < nOut; j++) {
      const wbj = params[wb0 + j]!;
      let gj = gy[gyRow + j]! * mask[edge0 + j]!;
      if (regRow !== null) {
        let phi = b * wbj;
        for (let r = 0; r < kp; r++) phi += values[vOff + r]! * weights[w0 + r * nOut + j]!;
        gj += regRow[j]! * Math.sign(phi);
      }
      gradBase[j]! += gj * b;
      let slope = db * wbj;
      for (let r = 0; r < kp; r++) {
        const w = w0 + r * nOut + j;
        gradWeights[w]! += gj * values[vOff + r]!;
        slope += derivs[vOff + r]! * weights[w]!;
      }
      gxi += gj * slope;
    }
    if (gx !== null) gx[s * nIn + i] = gxi;
  }
}

/** Gradient of the symbolic branches c * f(a x + b) + d; adds to gx, which the numeric pass has written. */
function symbolicBackward(L: KanLayer, params: Float64Array, cache: LayerCache, gy: Float64Array, grad: Float64Array, gx: Float64Array | null): void {
  const { nIn, nOut, symMask, symFns, symOffset } = L;
  const n = cache.n;
  const x = cache.x;
  for (let e = 0; e < nIn * nOut; e++) {
    const fn = symFns[e];
    const weight = symMask[e]!;
    if (weight === 0 || !fn) continue;
    const i = Math.floor(e / nOut);
    const j = e - i * nOut;
    const p = symOffset + 4 * e;
    const a = params[p]!;
    const b = params[p + 1]!;
    const c = params[p + 2]!;
    let gradA = 0;
    let gradB = 0;
    let gradC = 0;
    let gradD = 0;
    for (let s = 0; s < n; s++) {
      const g = gy[s * nOut + j]! * weight;
      if (g === 0) continue;
      const xi = x[s * nIn + i]!;
      const z = a * xi + b;
      const cdf = c * fn.df(z);
      gradA += g * cdf * xi;
      gradB += g * cdf;
      gradC += g * fn.f(z);
      gradD += g;
      if (gx !== null) gx[s * nIn + i]! += g * cdf * a;
    }
    grad[p]! += gradA;
    grad[p + 1]! += gradB;
    grad[p + 2]! += gradC;
    grad[p + 3]! += gradD;
  }
}
