/**
 * B-spline bases evaluated sparsely: for one x only the k+1 bases that can be non-zero are computed (Cox–de Boor triangle),
 * with their first derivatives, so the cost per sample grows with the order k and not with the grid size G.
 *
 * Knot layout, stated once for the whole engine. A spline of order k on G intervals has G + 2k + 1 "extended" knots
 * t_0..t_{G+2k} (the grid proper is t_k..t_{G+k}; k knots extend it on each side) and G + k basis functions
 * B_0..B_{G+k-1}, B_m supported on [t_m, t_{m+k+1}]. Knots are stored *padded* by k more on each side that carry no
 * basis of their own: `padded[j + k] = t_j`, length G + 4k + 1, the extra knots spaced like the outermost interval.
 *
 * Outside the grid proper [t_k, t_{G+k}] a spline continues along its tangent at the nearer end: each basis is replaced
 * there by its first-order Taylor expansion at that end, B_m(e) + B_m'(e) (x - e), so value and slope stay continuous
 * and the spline's derivative in x is the end slope. The k extension intervals, whose bases no training activation
 * pins down once the grid has followed the data, would otherwise carry a cubic ruled by nearly free coefficients: a
 * test row just beyond the training range, common on hidden nodes, could land a hundred times the spline's range away
 * (diabetes, KAN [10,3,1], issue 16: one test row 2288 off, test RMSE 292 against 26 on the training rows). Inside the
 * grid nothing changes. Only a NaN has no support.
 */

/** Number of basis functions per edge. */
export function basisCount(G: number, k: number): number {
  return G + k;
}

/** Length of one padded knot vector. */
export function paddedKnotCount(G: number, k: number): number {
  return G + 4 * k + 1;
}

/**
 * Padded knots from the G + 1 grid points (strictly increasing): extends by k intervals of the mean grid spacing on each
 * side (as pykan's extend_grid), then by k more of padding.
 */
export function padGrid(gridPoints: ArrayLike<number>, k: number, out?: Float64Array, outOffset = 0): Float64Array {
  const G = gridPoints.length - 1;
  const total = paddedKnotCount(G, k);
  const dst = out ?? new Float64Array(total);
  const lo = gridPoints[0]!;
  const hi = gridPoints[G]!;
  const h = (hi - lo) / G;
  const ext = 2 * k;
  for (let q = 0; q <= G; q++) dst[outOffset + ext + q] = gridPoints[q]!;
  for (let j = 1; j <= ext; j++) {
    dst[outOffset + ext - j] = lo - j * h;
    dst[outOffset + ext + G + j] = hi + j * h;
  }
  return dst;
}

/** Uniform grid of G intervals over [lo, hi], padded. */
export function uniformKnots(lo: number, hi: number, G: number, k: number): Float64Array {
  const pts = new Float64Array(G + 1);
  for (let q = 0; q <= G; q++) pts[q] = lo + ((hi - lo) * q) / G;
  return padGrid(pts, k);
}

/** The G + 1 grid points t_k..t_{G+k} of one padded knot vector. */
export function gridPointsOf(padded: Float64Array, offset: number, G: number, k: number): Float64Array {
  return padded.slice(offset + 2 * k, offset + 2 * k + G + 1);
}

/**
 * Reciprocal knot spans, so that the Cox–de Boor triangle needs no division: out[(j - 1) * len + q] =
 * 1 / (knots[q + j] - knots[q]) for j = 1..k, len = knots.length (0 where q + j runs past the end). knots may hold
 * several padded vectors back to back (a layer's [nIn][G+4k+1]); spans straddling two vectors are never read.
 */
export function knotReciprocals(knots: Float64Array, k: number, out?: Float64Array): Float64Array {
  const len = knots.length;
  const dst = out ?? new Float64Array(k * len);
  for (let j = 1; j <= k; j++) {
    const row = (j - 1) * len;
    for (let q = 0; q < len; q++) dst[row + q] = q + j < len ? 1 / (knots[q + j]! - knots[q]!) : 0;
  }
  return dst;
}

/**
 * Span s in [k, G+k-1] with t_s <= x < t_{s+1} (binary search, O(log G)) for x inside the grid [t_k, t_{G+k}], the right
 * end falling in the last interval; callers clamp x into the grid first (gridClamp).
 */
function findSpan(knots: Float64Array, first: number, G: number, k: number, x: number): number {
  let lo = k;
  let hi = G + k;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (knots[first + mid]! <= x) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The end of the grid [t_k, t_{G+k}] nearer to x, or x itself inside it (NaN stays NaN); padded knot vector at offset. */
function gridClamp(knots: Float64Array, offset: number, G: number, k: number, x: number): number {
  const lo = knots[offset + 2 * k]!;
  const hi = knots[offset + 2 * k + G]!;
  return x < lo ? lo : x > hi ? hi : x;
}

/**
 * The cubic triangle on span t (knots[t] = t_s <= x < knots[t+1]), unrolled, from the six reciprocal spans it needs:
 * inv1 = 1/(t_{s+1}-t_s), inv2a = 1/(t_{s+1}-t_{s-1}), inv2b = 1/(t_{s+2}-t_s), inv3a..c = 1/(t_{s+1+r}-t_{s-2+r}).
 * The derivatives come for free: dB/dx = 3 (N_{m,2}/(t_{m+3}-t_m) - N_{m+1,2}/(t_{m+4}-t_{m+1})), and those quotients
 * are the last level's temporaries.
 */
function cubicOnSpan(
  knots: Float64Array, t: number, x: number,
  inv1: number, inv2a: number, inv2b: number, inv3a: number, inv3b: number, inv3c: number,
  N: Float64Array, vOff: number, D: Float64Array | null, dOff: number,
): void {
  const left1 = x - knots[t]!;
  const left2 = x - knots[t - 1]!;
  const left3 = x - knots[t - 2]!;
  const right1 = knots[t + 1]! - x;
  const right2 = knots[t + 2]! - x;
  const right3 = knots[t + 3]! - x;
  // Degree 1: (N_{s-1,1}, N_{s,1}).
  const a0 = right1 * inv1;
  const a1 = left1 * inv1;
  // Degree 2: (N_{s-2,2}, N_{s-1,2}, N_{s,2}).
  const p = a0 * inv2a;
  const q = a1 * inv2b;
  const b0 = right1 * p;
  const b1 = left2 * p + right2 * q;
  const b2 = left1 * q;
  // Degree 3.
  const t0 = b0 * inv3a;
  const t1 = b1 * inv3b;
  const t2 = b2 * inv3c;
  N[vOff] = right1 * t0;
  N[vOff + 1] = left3 * t0 + right2 * t1;
  N[vOff + 2] = left2 * t1 + right3 * t2;
  N[vOff + 3] = left1 * t2;
  if (D !== null) {
    D[dOff] = -3 * t0;
    D[dOff + 1] = 3 * (t0 - t1);
    D[dOff + 2] = 3 * (t1 - t2);
    D[dOff + 3] = 3 * t2;
  }
}

/** Derivatives of the cubic bases at a grid end when the caller wants values only. */
const edgeSlopes = new Float64Array(4);

/** N[r] += dx * D[r], r = 0..k: the bases at a grid end become their tangents at distance dx beyond it. */
function extendAlongTangent(N: Float64Array, vOff: number, D: Float64Array, dOff: number, k: number, dx: number): void {
  for (let r = 0; r <= k; r++) N[vOff + r]! += dx * D[dOff + r]!;
}

/**
 * BasisScratch.evaluateInto for k = 3 with the reciprocal spans of knotReciprocals(knots, 3): no division, no loop.
 * Bit-identical to evaluateInto with k = 3 (both compute each reciprocal once as 1 / (t_a - t_b)).
 */
export function cubicBasisInto(
  knots: Float64Array, recip: Float64Array, offset: number, G: number, x: number,
  N: Float64Array, vOff: number, D: Float64Array | null, dOff: number,
): number {
  const xc = gridClamp(knots, offset, G, 3, x);
  if (xc !== xc) return NO_SUPPORT;
  const s = findSpan(knots, offset + 3, G, 3, xc);
  const t = offset + 3 + s;
  const len = knots.length;
  const slopes = D ?? edgeSlopes;
  const sOff = D === null ? 0 : dOff;
  cubicOnSpan(knots, t, xc, recip[t]!, recip[len + t - 1]!, recip[len + t]!, recip[2 * len + t - 2]!, recip[2 * len + t - 1]!, recip[2 * len + t]!, N, vOff, slopes, sOff);
  if (xc !== x) extendAlongTangent(N, vOff, slopes, sOff, 3, x - xc);
  return s - 3;
}

/**
 * What the column kernel precomputes from a layer's knots [vectors][G+4k+1], rebuilt whenever they change:
 *   recip: knotReciprocals(knots, k) (equal wherever read: spans that straddle two vectors are not kept up to date);
 *   binScale [vectors], spanStart [vectors][bins+1]: each vector's support [t_0, t_{G+2k}) cut into `bins` equal bins;
 *     spanStart[v][b] is a span s with t_s < x for every x in bin b (bin = floor((x - t_0) * binScale[v])), so that
 *     finding the span of x is a table read plus a step or two instead of a binary search: O(1) for any G.
 */
export interface KnotTables {
  recip: Float64Array;
  bins: number;
  binScale: Float64Array;
  spanStart: Int32Array;
}

export function buildKnotTables(knots: Float64Array, G: number, k: number): KnotTables {
  const vectors = Math.floor(knots.length / paddedKnotCount(G, k));
  const bins = 4 * (G + 2 * k);
  const tables: KnotTables = {
    recip: new Float64Array(k * knots.length),
    bins,
    binScale: new Float64Array(vectors),
    spanStart: new Int32Array(vectors * (bins + 1)),
  };
  for (let v = 0; v < vectors; v++) refreshKnotTables(tables, knots, G, k, v);
  return tables;
}

/** Recomputes the tables of knot vector v alone, after its knots changed (grid update moves one input's knots at a time). */
export function refreshKnotTables(tables: KnotTables, knots: Float64Array, G: number, k: number, v: number): void {
  const len = paddedKnotCount(G, k);
  const total = knots.length;
  const { recip, bins, binScale, spanStart } = tables;
  for (let j = 1; j <= k; j++) {
    const row = (j - 1) * total;
    for (let q = v * len; q < (v + 1) * len; q++) recip[row + q] = q + j < total ? 1 / (knots[q + j]! - knots[q]!) : 0;
  }
  const spans = G + 2 * k;
  const first = v * len + k;
  const lo = knots[first]!;
  const scale = bins / (knots[first + spans]! - lo);
  binScale[v] = scale;
  // Bin of each knot by the very arithmetic of the lookup: since it is monotone in x, a knot in a lower bin than x's
  // lies below x. spanStart[b] = the last span whose knot sits in a bin below b (0 for bin 0).
  let s = 0;
  for (let b = 0; b <= bins; b++) {
    while (s + 1 < spans && Math.floor((knots[first + s + 1]! - lo) * scale) < b) s++;
    spanStart[v * (bins + 1) + b] = s;
  }
}

/**
 * The cubic basis of a whole column of samples xs[xStart + q * xStride], q = 0..count-1, against knot vector `vector`
 * of a layer's knots with their tables (buildKnotTables(knots, G, 3)): the hot path of the layer kernels, free of
 * division and binary search. Sample q is cell c = cell0 + q: starts[c] = start + startShift, values (derivatives when
 * derivs is given) at values[c * 4 ..]; where x is NaN, starts[c] = noSupportStart and zeros. Same numbers as
 * cubicBasisInto; the arithmetic is written out here rather than shared through a helper because a helper call that
 * V8 declines to inline boxes every double argument.
 */
export function cubicBasisColumn(
  knots: Float64Array, tables: KnotTables, vector: number, G: number,
  xs: Float64Array, xStart: number, xStride: number, count: number,
  starts: Int32Array, startShift: number, noSupportStart: number, values: Float64Array, cell0: number, derivs: Float64Array | null,
): void {
  const { recip, bins, spanStart } = tables;
  const first = vector * paddedKnotCount(G, 3) + 3;
  const lo = knots[first]!;
  const gridLo = knots[first + 3]!;
  const gridHi = knots[first + 3 + G]!;
  const lastSpan = G + 2;
  const scale = tables.binScale[vector]!;
  const lookup = vector * (bins + 1);
  const r2 = knots.length;
  const r3 = 2 * knots.length;
  for (let q = 0; q < count; q++) {
    const raw = xs[xStart + q * xStride]!;
    const cell = cell0 + q;
    const v = cell * 4;
    if (raw !== raw) {
      starts[cell] = noSupportStart;
      values[v] = 0;
      values[v + 1] = 0;
      values[v + 2] = 0;
      values[v + 3] = 0;
      if (derivs !== null) {
        derivs[v] = 0;
        derivs[v + 1] = 0;
        derivs[v + 2] = 0;
        derivs[v + 3] = 0;
      }
      continue;
    }
    const x = raw < gridLo ? gridLo : raw > gridHi ? gridHi : raw;
    const dx = raw - x;
    // x >= t_k > t_0 = lo, so the bin is positive and | 0 is Math.floor, at a fraction of its cost in this loop.
    let span = spanStart[lookup + (((x - lo) * scale) | 0)]!;
    while (span < lastSpan && knots[first + span + 1]! <= x) span++;
    starts[cell] = span - 3 + startShift;
    const t = first + span;
    const left1 = x - knots[t]!;
    const left2 = x - knots[t - 1]!;
    const left3 = x - knots[t - 2]!;
    const right1 = knots[t + 1]! - x;
    const right2 = knots[t + 2]! - x;
    const right3 = knots[t + 3]! - x;
    const inv1 = recip[t]!;
    const a0 = right1 * inv1;
    const a1 = left1 * inv1;
    const p = a0 * recip[r2 + t - 1]!;
    const pq = a1 * recip[r2 + t]!;
    const b0 = right1 * p;
    const b1 = left2 * p + right2 * pq;
    const b2 = left1 * pq;
    const t0 = b0 * recip[r3 + t - 2]!;
    const t1 = b1 * recip[r3 + t - 1]!;
    const t2 = b2 * recip[r3 + t]!;
    values[v] = right1 * t0;
    values[v + 1] = left3 * t0 + right2 * t1;
    values[v + 2] = left2 * t1 + right3 * t2;
    values[v + 3] = left1 * t2;
    if (dx !== 0) {
      values[v]! += dx * (-3 * t0);
      values[v + 1]! += dx * (3 * (t0 - t1));
      values[v + 2]! += dx * (3 * (t1 - t2));
      values[v + 3]! += dx * (3 * t2);
    }
    if (derivs !== null) {
      derivs[v] = -3 * t0;
      derivs[v + 1] = 3 * (t0 - t1);
      derivs[v + 2] = 3 * (t1 - t2);
      derivs[v + 3] = 3 * t2;
    }
  }
}

/**
 * Scratch space for one evaluation; reuse it across calls to stay allocation-free.
 * values[r], derivs[r] belong to basis index start + r (r = 0..k).
 */
export class BasisScratch {
  readonly values: Float64Array;
  readonly derivs: Float64Array;
  private readonly left: Float64Array;
  private readonly right: Float64Array;
  private readonly lower: Float64Array;
  private readonly edgeSlopes: Float64Array;
  constructor(readonly k: number) {
    this.values = new Float64Array(k + 1);
    this.derivs = new Float64Array(k + 1);
    this.left = new Float64Array(k + 1);
    this.right = new Float64Array(k + 1);
    this.lower = new Float64Array(k + 1);
    this.edgeSlopes = new Float64Array(k + 1);
  }

  /**
   * Evaluates the k+1 possibly non-zero bases (and derivatives when withDerivs) at x into this.values / this.derivs.
   * Returns start = index of the first of them (0..G-1: all k+1 are bases of the spline),
   * or NO_SUPPORT when x is NaN.
   */
  evaluate(knots: Float64Array, offset: number, G: number, k: number, x: number, withDerivs: boolean): number {
    return this.evaluateInto(knots, offset, G, k, x, this.values, 0, withDerivs ? this.derivs : null, 0);
  }

  /** As evaluate, writing values to values[vOff..vOff+k] and derivatives (when derivs is given) to derivs[dOff..]. */
  evaluateInto(knots: Float64Array, offset: number, G: number, k: number, x: number, N: Float64Array, vOff: number, D: Float64Array | null, dOff: number): number {
    const xc = gridClamp(knots, offset, G, k, x);
    if (xc !== xc) return NO_SUPPORT;
    const s = findSpan(knots, offset + k, G, k, xc);
    const t = offset + k + s; // knots[t + j] = t_{s+j}; valid for j down to -s-k and up to G+3k-s
    const slopes = D ?? (xc !== x ? this.edgeSlopes : null);
    const sOff = D === null ? 0 : dOff;
    if (k === 3) {
      cubicOnSpan(
        knots, t, xc,
        1 / (knots[t + 1]! - knots[t]!), 1 / (knots[t + 1]! - knots[t - 1]!), 1 / (knots[t + 2]! - knots[t]!),
        1 / (knots[t + 1]! - knots[t - 2]!), 1 / (knots[t + 2]! - knots[t - 1]!), 1 / (knots[t + 3]! - knots[t]!),
        N, vOff, slopes, sOff,
      );
    } else {
      this.triangle(knots, null, t, k, xc, N, vOff, slopes, sOff);
    }
    if (xc !== x) extendAlongTangent(N, vOff, slopes!, sOff, k, x - xc);
    return s - k;
  }

  /**
   * As evaluateInto, with the reciprocal spans of knotReciprocals(knots, k) replacing every division: the layer kernels'
   * path. Equal to evaluateInto up to rounding (bit-identical for k = 3).
   */
  evaluateWithReciprocals(knots: Float64Array, recip: Float64Array, offset: number, G: number, k: number, x: number, N: Float64Array, vOff: number, D: Float64Array | null, dOff: number): number {
    if (k === 3) return cubicBasisInto(knots, recip, offset, G, x, N, vOff, D, dOff);
    const xc = gridClamp(knots, offset, G, k, x);
    if (xc !== xc) return NO_SUPPORT;
    const s = findSpan(knots, offset + k, G, k, xc);
    const slopes = D ?? (xc !== x ? this.edgeSlopes : null);
    const sOff = D === null ? 0 : dOff;
    this.triangle(knots, recip, offset + k + s, k, xc, N, vOff, slopes, sOff);
    if (xc !== x) extendAlongTangent(N, vOff, slopes!, sOff, k, x - xc);
    return s - k;
  }

  /** The Cox–de Boor triangle of any order on span t; divides by knot spans, or multiplies by recip when given. */
  private triangle(knots: Float64Array, recip: Float64Array | null, t: number, k: number, x: number, N: Float64Array, vOff: number, D: Float64Array | null, dOff: number): void {
    const left = this.left;
    const right = this.right;
    const lower = this.lower;
    const len = knots.length;
    N[vOff] = 1;
    for (let j = 1; j <= k; j++) {
      left[j] = x - knots[t + 1 - j]!;
      right[j] = knots[t + j]! - x;
      // Span t_{s+r+1} - t_{s+r+1-j} of level j: its reciprocal sits at recip[(j-1) * len + t + r + 1 - j].
      const row = (j - 1) * len + t + 1 - j;
      let saved = 0;
      for (let r = 0; r < j; r++) {
        const temp = recip === null ? N[vOff + r]! / (right[r + 1]! + left[j - r]!) : N[vOff + r]! * recip[row + r]!;
        N[vOff + r] = saved + right[r + 1]! * temp;
        saved = left[j - r]! * temp;
      }
      N[vOff + j] = saved;
      if (D !== null && j === k - 1) for (let r = 0; r < k; r++) lower[r] = N[vOff + r]!;
    }
    if (D === null) return;
    if (k === 1) lower[0] = 1;
    // dB_{m,k}/dx = k N_{m,k-1}/(t_{m+k}-t_m) - k N_{m+1,k-1}/(t_{m+k+1}-t_{m+1}), with m = s - k + r.
    const row = (k - 1) * len + t - k;
    for (let r = 0; r <= k; r++) {
      const m = r - k; // relative to s
      let d = 0;
      if (r >= 1) d += recip === null ? lower[r - 1]! / (knots[t + m + k]! - knots[t + m]!) : lower[r - 1]! * recip[row + r]!;
      if (r <= k - 1) d -= recip === null ? lower[r]! / (knots[t + m + k + 1]! - knots[t + m + 1]!) : lower[r]! * recip[row + r + 1]!;
      D[dOff + r] = k * d;
    }
  }
}

export const NO_SUPPORT = -0x7fffffff;

/** Value of the spline sum_m coef[m] B_m(x) (reference implementation for tests and tools; the layer inlines this). */
export function evaluateSpline(knots: Float64Array, offset: number, G: number, k: number, coef: ArrayLike<number>, coefOffset: number, x: number, scratch = new BasisScratch(k)): number {
  const start = scratch.evaluate(knots, offset, G, k, x, false);
  if (start === NO_SUPPORT) return 0;
  const nb = G + k;
  let sum = 0;
  for (let r = 0; r <= k; r++) {
    const m = start + r;
    if (m >= 0 && m < nb) sum += coef[coefOffset + m]! * scratch.values[r]!;
  }
  return sum;
}
