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
import { BasisScratch, NO_SUPPORT, basisCount, paddedKnotCount } from './bspline';

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
  coefOffset: number;
  wbOffset: number;
  wsOffset: number;
  symOffset: number;
}

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
 * What the backward pass needs from the forward pass, per (sample, input): the basis span start, the k+1 basis values
 * and derivatives, and the base branch with its derivative. Buffers grow with n and are reused.
 */
export class LayerCache {
  x = new Float64Array(0);
  start = new Int32Array(0);
  values = new Float64Array(0);
  derivs = new Float64Array(0);
  base = new Float64Array(0);
  baseDeriv = new Float64Array(0);
  n = 0;
  /** The input array and knots the basis was computed for: the first layer sees the same data on every evaluation. */
  private basisInput: Float64Array | null = null;
  private basisKnots = new Float64Array(0);

  ensure(n: number, nIn: number, k: number): void {
    this.n = n;
    const cells = n * nIn;
    if (this.start.length < cells) {
      this.start = new Int32Array(cells);
      this.base = new Float64Array(cells);
      this.baseDeriv = new Float64Array(cells);
    }
    if (this.values.length < cells * (k + 1)) {
      this.values = new Float64Array(cells * (k + 1));
      this.derivs = new Float64Array(cells * (k + 1));
    }
  }

  /** True when the cached basis belongs to exactly this input array (same object, unchanged data assumed) and knots. */
  holdsBasisFor(x: Float64Array, n: number, knots: Float64Array): boolean {
    if (this.basisInput !== x || this.n !== n || this.basisKnots.length !== knots.length) return false;
    for (let q = 0; q < knots.length; q++) if (this.basisKnots[q] !== knots[q]) return false;
    return true;
  }

  remember(x: Float64Array, knots: Float64Array): void {
    this.x = x;
    this.basisInput = x;
    if (this.basisKnots.length !== knots.length) this.basisKnots = new Float64Array(knots.length);
    this.basisKnots.set(knots);
  }
}

/**
 * y [n][nOut] = layer(x [n][nIn]). When edgeAbsSum is given, adds sum over samples of |phi_e| of every active numeric
 * edge into it ([nIn][nOut]; the regulariser's edge magnitudes). When cache is given, fills it for layerBackward.
 */
export function layerForward(
  L: KanLayer, params: Float64Array, x: Float64Array, n: number, y: Float64Array,
  cache: LayerCache | null, edgeAbsSum: Float64Array | null,
): void {
  const { nIn, nOut, G, k, knots, mask, symMask, symFns, coefOffset, wbOffset, wsOffset } = L;
  const nb = basisCount(G, k);
  const kp = k + 1;
  const knotLen = paddedKnotCount(G, k);
  const scratch = new BasisScratch(k);
  const reuseBasis = cache !== null && cache.holdsBasisFor(x, n, knots);
  if (cache && !reuseBasis) cache.ensure(n, nIn, k);
  const values = cache ? cache.values : scratch.values;
  const derivs = cache ? cache.derivs : null;
  const starts = cache ? cache.start : null;
  const bases = cache ? cache.base : null;
  const baseDerivs = cache ? cache.baseDeriv : null;
  const baseKind = L.base;
  y.fill(0, 0, n * nOut);
  const hasSymbolic = symMask.some((m) => m !== 0);
  for (let s = 0; s < n; s++) {
    const yRow = s * nOut;
    for (let i = 0; i < nIn; i++) {
      const cell = s * nIn + i;
      const xi = x[cell]!;
      const vOff = cache ? cell * kp : 0;
      let start: number;
      let b: number;
      if (reuseBasis) {
        start = starts![cell]!;
        b = bases![cell]!;
      } else {
        start = scratch.evaluateInto(knots, i * knotLen, G, k, xi, values, vOff, derivs, vOff);
        b = baseValue(baseKind, xi);
        if (starts) {
          starts[cell] = start;
          bases![cell] = b;
          baseDerivs![cell] = baseDerivative(baseKind, xi);
        }
      }
      // Bases whose index falls outside 0..nb-1 near the ends of the extended grid are skipped.
      const rLo = start === NO_SUPPORT ? 0 : Math.max(0, -start);
      const rHi = start === NO_SUPPORT ? -1 : Math.min(k, nb - 1 - start);
      const edge0 = i * nOut;
      for (let j = 0; j < nOut; j++) {
        const e = edge0 + j;
        const m = mask[e]!;
        if (m === 0) continue;
        const cOff = coefOffset + e * nb + start;
        let spline = 0;
        for (let r = rLo; r <= rHi; r++) spline += params[cOff + r]! * values[vOff + r]!;
        const phi = params[wbOffset + e]! * b + params[wsOffset + e]! * spline;
        y[yRow + j]! += m * phi;
        if (edgeAbsSum) edgeAbsSum[e]! += Math.abs(phi);
      }
      if (hasSymbolic) {
        for (let j = 0; j < nOut; j++) {
          const e = edge0 + j;
          const fn = symFns[e];
          if (symMask[e] === 0 || !fn) continue;
          const p = L.symOffset + 4 * e;
          y[yRow + j]! += symMask[e]! * (params[p + 2]! * fn.f(params[p]! * xi + params[p + 1]!) + params[p + 3]!);
        }
      }
    }
  }
  if (cache) cache.remember(x, knots);
}

/**
 * Backward pass of layerForward (which must have run with this cache and these params).
 * gy [n][nOut]: d(objective)/d(y). regCoef [nIn][nOut] (or null): d(objective)/d(mean_s |phi_e|) for the magnitude
 * regulariser. Accumulates parameter gradients into grad (same layout as params) and, if gx is given, writes
 * d(objective)/d(x) [n][nIn].
 */
export function layerBackward(
  L: KanLayer, params: Float64Array, cache: LayerCache, gy: Float64Array,
  regCoef: Float64Array | null, grad: Float64Array, gx: Float64Array | null,
): void {
  // Everything the loops touch is hoisted into locals: layer objects come in several shapes (created, cloned, refined),
  // and property loads on them inside the hot loops would be polymorphic.
  const { nIn, nOut, G, k, mask, symMask, symFns, coefOffset, wbOffset, wsOffset } = L;
  const n = cache.n;
  const nb = basisCount(G, k);
  const kp = k + 1;
  const invN = 1 / n;
  const values = cache.values;
  const derivs = cache.derivs;
  const starts = cache.start;
  const bases = cache.base;
  const baseDerivs = cache.baseDeriv;
  const hasSymbolic = symMask.some((m) => m !== 0);
  const withReg = regCoef !== null;
  for (let s = 0; s < n; s++) {
    const yRow = s * nOut;
    for (let i = 0; i < nIn; i++) {
      const cell = s * nIn + i;
      const start = starts[cell]!;
      const b = bases[cell]!;
      const db = baseDerivs[cell]!;
      const vOff = cell * kp;
      const rLo = start === NO_SUPPORT ? 0 : Math.max(0, -start);
      const rHi = start === NO_SUPPORT ? -1 : Math.min(k, nb - 1 - start);
      let gxi = 0;
      const edge0 = i * nOut;
      for (let j = 0; j < nOut; j++) {
        const e = edge0 + j;
        const m = mask[e]!;
        if (m === 0) continue;
        const cOff = coefOffset + e * nb + start;
        let spline = 0;
        let splineDeriv = 0;
        for (let r = rLo; r <= rHi; r++) {
          const c = params[cOff + r]!;
          spline += c * values[vOff + r]!;
          splineDeriv += c * derivs[vOff + r]!;
        }
        const wb = params[wbOffset + e]!;
        const ws = params[wsOffset + e]!;
        let g = gy[yRow + j]! * m;
        if (withReg) {
          const phi = wb * b + ws * spline;
          g += regCoef[e]! * invN * (phi > 0 ? 1 : phi < 0 ? -1 : 0);
        }
        if (g === 0) continue;
        grad[wbOffset + e]! += g * b;
        grad[wsOffset + e]! += g * spline;
        const gws = g * ws;
        for (let r = rLo; r <= rHi; r++) grad[cOff + r]! += gws * values[vOff + r]!;
        gxi += g * (wb * db + ws * splineDeriv);
      }
      if (hasSymbolic) {
        const xi = cache.x[cell]!;
        for (let j = 0; j < nOut; j++) {
          const e = edge0 + j;
          const fn = symFns[e];
          if (symMask[e] === 0 || !fn) continue;
          const g = gy[yRow + j]! * symMask[e]!;
          if (g === 0) continue;
          const p = L.symOffset + 4 * e;
          const a = params[p]!;
          const c = params[p + 2]!;
          const z = a * xi + params[p + 1]!;
          const fz = fn.f(z);
          const cdf = c * fn.df(z);
          grad[p]! += g * cdf * xi;
          grad[p + 1]! += g * cdf;
          grad[p + 2]! += g * fz;
          grad[p + 3]! += g;
          gxi += g * cdf * a;
        }
      }
      if (gx) gx[cell] = gxi;
    }
  }
}
