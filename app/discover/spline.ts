/**
 * Cubic regression splines of one input: the B-spline basis on a uniform grid over the input's range, and the least
 * squares smoother whose grid is chosen by generalised cross-validation. Where a target is a curve of one input, such a
 * spline follows it far more closely than a global polynomial (a sigmoid's steep rise, x^4/(1 + x^4) on [0.2, 4]): it is
 * what separated groups' parts (separate.ts) and noisy one-input read-offs (rational.ts) take as the smooth target.
 */
import { BasisScratch, NO_SUPPORT, uniformKnots } from '../kan/bspline';
import { leastSquaresQR } from '../util/linalg';

/** Grids (intervals) the smoother chooses from. */
export const SPLINE_INTERVALS = [4, 8, 16, 32, 64];

/** The range [lo, hi] of a column (hi > lo: a constant column gets a unit range). */
export function rangeOf(values: Float64Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/**
 * The intervals + 3 cubic B-spline basis functions of a uniform grid over [lo, hi], each as a column of its values at
 * `at` (past the range they continue along their tangents, as a KAN's splines do). They sum to one everywhere inside.
 */
export function splineBasis(range: readonly [number, number], intervals: number, at: Float64Array): Float64Array[] {
  const knots = uniformKnots(range[0], range[1], intervals, 3);
  const scratch = new BasisScratch(3);
  const out = Array.from({ length: intervals + 3 }, () => new Float64Array(at.length));
  at.forEach((x, s) => {
    const start = scratch.evaluate(knots, 0, intervals, 3, x, false);
    if (start === NO_SUPPORT) return;
    for (let r = 0; r <= 3; r++) if (start + r >= 0 && start + r < out.length) out[start + r]![s] = scratch.values[r]!;
  });
  return out;
}

/**
 * y smoothed by the cubic spline in x (rows weighted when weights are given) whose grid of SPLINE_INTERVALS has the
 * least generalised cross-validation score n * RSS / (n - p)^2; null when no grid can be fitted (too few rows).
 */
export function splineSmooth(x: Float64Array, y: Float64Array, weights: Float64Array | null = null): Float64Array | null {
  const n = y.length;
  const range = rangeOf(x);
  const root = weights ? weights.map(Math.sqrt) : null;
  let best: { score: number; values: Float64Array } | null = null;
  for (const intervals of SPLINE_INTERVALS) {
    const p = intervals + 3;
    if (n < 4 * p) break;
    const basis = splineBasis(range, intervals, x);
    const w = leastSquaresQR(root ? basis.map((c) => c.map((v, s) => v * root[s]!)) : basis, root ? y.map((v, s) => v * root[s]!) : y);
    if (!w) continue;
    const values = Float64Array.from({ length: n }, (_, s) => basis.reduce((a, c, m) => a + w[m]! * c[s]!, 0));
    let rss = 0;
    for (let s = 0; s < n; s++) rss += (root ? root[s]! ** 2 : 1) * (y[s]! - values[s]!) ** 2;
    const score = (n * rss) / (n - p) ** 2;
    if (!best || score < best.score) best = { score, values };
  }
  return best?.values ?? null;
}
