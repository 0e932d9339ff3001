/**
 * What discovery reports: the Pareto front of its formulas and the one chosen, judged on every row rather than on the
 * validation rows alone.
 *
 * Why every row: on noisy rows the validation rows (a fifth of them) cannot tell a law from an approximation as simple.
 * x1/cos(5*x2/pi)^(2/5) sits 2.6% above the noise of 200 validation rows, x1/sin(11/7 - 8*x2/5)^(2/5) below the law
 * x1/sqrt(1 - x2^2) there by luck; on all 1,000 rows the law fits best. A formula's constants were fitted on the
 * training rows, so there its error is optimistic by what fitting them took from the noise: the selection error adds
 * that back (Mallows' Cp: 2 * sigma^2 per free constant, sigma the noise the best formula shows on the validation rows).
 * An exact constant (snapped, p/q * pi) fitted nothing and costs nothing.
 *
 * The choice (PySR's accuracy filter, then parsimony, then a test): the simplest front formula within (1 + tolerance)
 * of the best selection error that the rows cannot tell from the best one, a paired test of squared residuals
 * (significantlyWorse). A flat tolerance alone is no test on noisy rows: 20% above the noise is a misfit of two thirds
 * of it, which 1,000 rows show plainly. Exact formulas are never tested: their residuals are rounding.
 */
import type { FitData } from '../symbolic/algebra/constants';
import { freeConstants } from '../symbolic/algebra/constants';
import { evaluateExpr } from '../symbolic/algebra/expr';
import { paretoFrontBy } from '../util/pareto';
import { EXACT_FLOOR, type Scored } from './pareto';
import type { Polished } from './polish';

/**
 * Standard errors a formula's mean squared residual may lie above the best one's before the rows tell the two apart
 * (one-sided, about 2.3% by chance).
 */
export const SIGNIFICANT_EXCESS = 2;

/** A formula as the choice sees it: its residuals on every row and its selection error. */
interface Judged<T> {
  item: T;
  residuals: Float64Array;
  /** Free constants times 2 sigma^2: what fitting them took from the training rows' noise. */
  optimism: number;
  /** Root of (sum of squared residuals + optimism) / rows. */
  error: number;
}

/**
 * Whether the rows tell a formula from the reference: the mean of r^2 - r_ref^2 (plus shift, the difference of their
 * optimism per row) is more than SIGNIFICANT_EXCESS standard errors above zero. Paired, so the noise both share cancels.
 */
export function significantlyWorse(residuals: Float64Array, reference: Float64Array, shift = 0): boolean {
  const n = Math.min(residuals.length, reference.length);
  if (n < 2) return false;
  let mean = 0;
  for (let r = 0; r < n; r++) mean += residuals[r]! ** 2 - reference[r]! ** 2;
  mean /= n;
  let ss = 0;
  for (let r = 0; r < n; r++) ss += (residuals[r]! ** 2 - reference[r]! ** 2 - mean) ** 2;
  const se = Math.sqrt(ss / (n - 1) / n);
  return mean + shift > SIGNIFICANT_EXCESS * se;
}

/**
 * The front of pool over (complexity, selection error) and the formula chosen from it (see the file header), each with
 * its selection error as selectionRmse. noise: the noise's standard deviation as the best validation error shows it.
 * Null chosen only for an empty pool.
 */
export function selectFormulas<T extends Scored & Pick<Polished, 'expr'>>(
  pool: readonly T[], train: FitData, validation: FitData, noise: number, tolerance: number, yScale: number,
): { front: (T & { selectionRmse: number })[]; chosen: (T & { selectionRmse: number }) | null } {
  const n = train.n + validation.n;
  const judged: Judged<T>[] = pool.map((item) => {
    const residuals = new Float64Array(n);
    let ss = 0;
    [train, validation].forEach((data, part) => {
      const pred = evaluateExpr(item.expr, data.columns, data.n);
      for (let r = 0; r < data.n; r++) {
        const e = pred[r]! - data.y[r]!;
        residuals[part * train.n + r] = e;
        ss += e * e;
      }
    });
    const optimism = 2 * freeConstants(item.expr).length * noise ** 2;
    const error = Math.sqrt((ss + optimism) / Math.max(1, n));
    return { item, residuals, optimism, error: Number.isFinite(error) ? error : Infinity };
  });
  const floor = EXACT_FLOOR * yScale;
  const front = paretoFrontBy(judged, (j) => j.item.complexity, (j) => Math.max(j.error, floor), (p, q) => q.item.snapped - p.item.snapped || p.error - q.error);
  if (front.length === 0) return { front: [], chosen: null };
  const reported = front.map((j) => ({ ...j.item, selectionRmse: j.error }));
  const best = front.reduce((a, b) => (b.error < a.error ? b : a));
  const bar = Math.max((1 + tolerance) * best.error, floor);
  const within = front.filter((j) => j.error <= bar);
  const chosen = best.error <= floor
    ? within[0]!
    : within.find((j) => j === best || !significantlyWorse(j.residuals, best.residuals, (j.optimism - best.optimism) / n))!;
  return { front: reported, chosen: reported[front.indexOf(chosen)]! };
}
