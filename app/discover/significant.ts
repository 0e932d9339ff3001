/**
 * Terms that noisy rows support: backward elimination of a least-squares fit by the Bayesian information criterion.
 * Every candidate column is fitted, then the term whose removal raises the residual sum of squares least is dropped, one
 * at a time, while that rise stays under what a parameter costs, ln(n) * s^2 (s^2 the full fit's residual variance; a
 * term of the law raises it by far more). The exact searches (polynomial.ts, rational.ts) need rows exact to rounding;
 * this is their counterpart on measured data, and its results are candidates that discover judges on validation rows.
 */
import { inverseDense, leastSquaresQR, normalEquations } from '../util/linalg';

export interface Elimination {
  /** Indices of the surviving columns, ascending (the first column, the constant, always among them). */
  kept: number[];
  /** Least-squares coefficients of the survivors, in the columns' own units. */
  coefficients: Float64Array;
  /** Weighted residual sum of squares of the fit of every column. */
  fullSse: number;
}

/**
 * Backward elimination over columns, the first (the constant) always kept. weights: per-row weights of the squared
 * residuals (a transformed target's noise varies with y), or null for ordinary least squares. Null when the full fit is
 * singular or has no residual degrees of freedom.
 */
export function eliminateByBic(columns: readonly Float64Array[], y: Float64Array, weights: Float64Array | null): Elimination | null {
  const n = y.length;
  const p = columns.length;
  if (p === 0 || n <= p) return null;
  const root = weights ? weights.map(Math.sqrt) : null;
  const wy = root ? y.map((v, s) => v * root[s]!) : y;
  // Columns weighted, then scaled to unit RMS: monomials of inputs in the thousands span many decades.
  const weighted = columns.map((c) => (root ? c.map((v, s) => v * root[s]!) : c));
  const scales = weighted.map((c) => Math.sqrt(c.reduce((a, v) => a + v * v, 0) / n) || 1);
  const unit = weighted.map((c, k) => c.map((v) => v / scales[k]!));
  const { gram, rhs: xty } = normalEquations(unit, wy);
  const full = refit(unit, wy, columns.map((_, k) => k));
  if (!full) return null;
  const price = (Math.log(n) * full.sse) / (n - p);
  let active = columns.map((_, k) => k);
  for (;;) {
    const q = active.length;
    const inv = inverseDense(Float64Array.from({ length: q * q }, (_, e) => gram[active[Math.floor(e / q)]! * p + active[e % q]!]!), q);
    if (!inv) break;
    const w = active.map((_, r) => active.reduce((a, c, k) => a + inv[r * q + k]! * xty[c]!, 0));
    // Dropping term r raises the residual sum of squares by w_r^2 / (G^-1)_rr.
    let drop = -1;
    let rise = Infinity;
    for (let r = 0; r < q; r++) {
      if (active[r] === 0) continue;
      const d = w[r]! ** 2 / inv[r * q + r]!;
      if (d < rise) [drop, rise] = [r, d];
    }
    if (drop < 0 || !(rise <= price)) break;
    active = active.filter((_, r) => r !== drop);
  }
  const fit = refit(unit, wy, active);
  if (!fit) return null;
  return { kept: active, coefficients: fit.w.map((v, r) => v / scales[active[r]!]!), fullSse: full.sse };
}

/** QR least squares of the target on these (weighted, unit-scaled) columns, with its residual sum of squares. */
function refit(unit: readonly Float64Array[], wy: Float64Array, subset: readonly number[]): { w: Float64Array; sse: number } | null {
  const cols = subset.map((k) => unit[k]!);
  const w = leastSquaresQR(cols, wy);
  if (!w || !w.every(Number.isFinite)) return null;
  let sse = 0;
  for (let s = 0; s < wy.length; s++) {
    let fit = 0;
    for (let r = 0; r < cols.length; r++) fit += w[r]! * cols[r]![s]!;
    sse += (fit - wy[s]!) ** 2;
  }
  return { w, sse };
}

/** The information criterion of a fit of k parameters with this residual sum of squares over n rows (lower is better). */
export function bic(sse: number, n: number, k: number): number {
  return n * Math.log(Math.max(sse, Number.MIN_VALUE) / n) + k * Math.log(n);
}
