/**
 * B-spline bases evaluated sparsely: for one x only the k+1 bases that can be non-zero are computed (Cox–de Boor triangle),
 * with their first derivatives, so the cost per sample grows with the order k and not with the grid size G.
 *
 * Knot layout, stated once for the whole engine. A spline of order k on G intervals has G + 2k + 1 "extended" knots
 * t_0..t_{G+2k} (the grid proper is t_k..t_{G+k}; k knots extend it on each side) and G + k basis functions
 * B_0..B_{G+k-1}, B_m supported on [t_m, t_{m+k+1}]. The evaluation triangle near the ends needs k more knots that carry
 * no basis of their own, so knots are stored *padded*: `padded[j + k] = t_j`, length G + 4k + 1, the k extra knots on each
 * side spaced like the outermost interval. Outside [t_0, t_{G+2k}) every basis is zero.
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
 * side (as pykan's extend_grid), then by k more for the evaluation triangle.
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
 * Scratch space for one evaluation; reuse it across calls to stay allocation-free.
 * values[r], derivs[r] belong to basis index start + r (r = 0..k).
 */
export class BasisScratch {
  readonly values: Float64Array;
  readonly derivs: Float64Array;
  private readonly left: Float64Array;
  private readonly right: Float64Array;
  private readonly lower: Float64Array;
  constructor(readonly k: number) {
    this.values = new Float64Array(k + 1);
    this.derivs = new Float64Array(k + 1);
    this.left = new Float64Array(k + 1);
    this.right = new Float64Array(k + 1);
    this.lower = new Float64Array(k + 1);
  }

  /**
   * Evaluates the k+1 possibly non-zero bases (and derivatives when withDerivs) at x into this.values / this.derivs.
   * Returns start = index of the first of them (may be negative or run past G+k-1 near the ends: callers skip those),
   * or NO_SUPPORT when x lies outside [t_0, t_{G+2k}).
   */
  evaluate(knots: Float64Array, offset: number, G: number, k: number, x: number, withDerivs: boolean): number {
    return this.evaluateInto(knots, offset, G, k, x, this.values, 0, withDerivs ? this.derivs : null, 0);
  }

  /** As evaluate, writing values to values[vOff..vOff+k] and derivatives (when derivs is given) to derivs[dOff..]. */
  evaluateInto(knots: Float64Array, offset: number, G: number, k: number, x: number, N: Float64Array, vOff: number, D: Float64Array | null, dOff: number): number {
    const first = offset + k; // t_0
    const last = offset + k + G + 2 * k; // t_{G+2k}
    if (!(x >= knots[first]! && x < knots[last]!)) return NO_SUPPORT;
    // Binary search for span s with t_s <= x < t_{s+1}, s in [0, G+2k-1]: O(log G).
    let lo = 0;
    let hi = G + 2 * k;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (knots[first + mid]! <= x) lo = mid;
      else hi = mid;
    }
    const s = lo;
    const t = first + s; // knots[t + j] = t_{s+j}; valid for j down to -s-k and up to G+3k-s
    const left = this.left;
    const right = this.right;
    const lower = this.lower;
    N[vOff] = 1;
    for (let j = 1; j <= k; j++) {
      left[j] = x - knots[t + 1 - j]!;
      right[j] = knots[t + j]! - x;
      let saved = 0;
      for (let r = 0; r < j; r++) {
        const temp = N[vOff + r]! / (right[r + 1]! + left[j - r]!);
        N[vOff + r] = saved + right[r + 1]! * temp;
        saved = left[j - r]! * temp;
      }
      N[vOff + j] = saved;
      if (D !== null && j === k - 1) for (let r = 0; r < k; r++) lower[r] = N[vOff + r]!;
    }
    if (D !== null) {
      if (k === 1) lower[0] = 1;
      // dB_{m,k}/dx = k N_{m,k-1}/(t_{m+k}-t_m) - k N_{m+1,k-1}/(t_{m+k+1}-t_{m+1}), with m = s - k + r.
      for (let r = 0; r <= k; r++) {
        const m = r - k; // relative to s
        let d = 0;
        if (r >= 1) d += lower[r - 1]! / (knots[t + m + k]! - knots[t + m]!);
        if (r <= k - 1) d -= lower[r]! / (knots[t + m + k + 1]! - knots[t + m + 1]!);
        D[dOff + r] = k * d;
      }
    }
    return s - k;
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
