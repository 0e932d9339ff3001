/**
 * The sweep's answer to "at the same parameter budget, does a KAN or an MLP generalise better, by more than another
 * initialisation would move it?". At each budget where either family's front steps down, each family's model is the one
 * with the lowest validation error among those within the budget (chosen as a user would choose, never by test error);
 * their test errors are then compared over their initialisations by a two-sided permutation test of the difference of
 * means, which assumes nothing of the errors' distribution and is exact for the few initialisations a sweep trains.
 */
import { Rng } from '../util/rng';
import { type SweepFamily, type SweepPoint, type SweepReport, sweepErrorOf, validationError } from './sweep-step';

/** A difference is shown when the permutation test's p-value is under this. */
export const SIGNIFICANCE = 0.05;
/** Splits enumerated exactly up to this many; beyond, this many random relabellings estimate the p-value. */
const EXACT_SPLITS = 50_000;
const SAMPLED_SPLITS = 20_000;

export interface BudgetSide {
  family: SweepFamily;
  shape: number[];
  grid?: number;
  params: number;
  /** Mean test error (RMSE, or 1 - accuracy) over the initialisations, and each initialisation's. */
  test: number;
  tests: number[];
}

export interface BudgetComparison {
  /** Parameters allowed: every model compared has at most this many. */
  budget: number;
  kan: BudgetSide;
  mlp: BudgetSide;
  /**
   * Two-sided permutation p-value of the difference of mean test errors; null when a side was trained once or a test
   * error is not finite (a diverged fit), where no test is made.
   */
  p: number | null;
  /** The family with the lower mean test error when p < SIGNIFICANCE, else null (no difference shown). */
  better: SweepFamily | null;
}

/** Each budget at which either front steps down, with both families' choices (budgets where a family has no model yet are left out). */
export function compareAtBudgets(report: Pick<SweepReport, 'points' | 'fronts'>): BudgetComparison[] {
  const budgets = [...new Set([...report.fronts.kan, ...report.fronts.mlp].map((p) => p.params))].sort((a, b) => a - b);
  const out: BudgetComparison[] = [];
  for (const budget of budgets) {
    const kan = chosenWithin(report.points, 'kan', budget);
    const mlp = chosenWithin(report.points, 'mlp', budget);
    if (!kan || !mlp) continue;
    const last = out[out.length - 1];
    if (last && sameModel(last.kan, kan) && sameModel(last.mlp, mlp)) continue;
    const kanSide = sideOf(kan);
    const mlpSide = sideOf(mlp);
    const tested = kanSide.tests.length > 1 && mlpSide.tests.length > 1 ? permutationPValue(kanSide.tests, mlpSide.tests) : Number.NaN;
    const p = Number.isNaN(tested) ? null : tested;
    const better = p !== null && p < SIGNIFICANCE ? (kanSide.test < mlpSide.test ? 'kan' : 'mlp') : null;
    out.push({ budget, kan: kanSide, mlp: mlpSide, p, better });
  }
  return out;
}

/** The family's point with the lowest validation error among those of at most `budget` parameters (fewer parameters on a tie). */
function chosenWithin(points: readonly SweepPoint[], family: SweepFamily, budget: number): SweepPoint | null {
  let best: SweepPoint | null = null;
  for (const p of points) {
    if (p.family !== family || p.params > budget || !Number.isFinite(validationError(p))) continue;
    if (!best || validationError(p) < validationError(best) || (validationError(p) === validationError(best) && p.params < best.params)) best = p;
  }
  return best;
}

function sameModel(side: BudgetSide, point: SweepPoint): boolean {
  return side.params === point.params && side.grid === point.grid && side.shape.join() === point.shape.join();
}

function sideOf(point: SweepPoint): BudgetSide {
  const tests = (point.runs ?? [point.metrics]).map((m) => sweepErrorOf(m, 'test'));
  return {
    family: point.family, shape: point.shape, ...(point.grid !== undefined ? { grid: point.grid } : {}), params: point.params,
    test: tests.reduce((a, t) => a + t, 0) / tests.length, tests,
  };
}

/**
 * Two-sided p-value of the difference of means of a and b under relabelling: the share of the ways of splitting the
 * pooled values into groups of a's and b's sizes whose difference of means is at least as large as the observed one.
 * Exact (every split) up to EXACT_SPLITS splits; beyond, SAMPLED_SPLITS seeded random splits, counted with the
 * observed one ((count + 1) / (samples + 1), never 0). NaN when any value is not finite.
 */
export function permutationPValue(a: readonly number[], b: readonly number[]): number {
  const pooled = [...a, ...b];
  if (!pooled.every(Number.isFinite)) return Number.NaN;
  const n = pooled.length;
  const k = a.length;
  const total = pooled.reduce((s, v) => s + v, 0);
  const differenceOf = (sumA: number): number => Math.abs(sumA / k - (total - sumA) / (n - k));
  // A relative slack, so that splits equal to the observed one up to rounding count as at least as large.
  const observed = differenceOf(a.reduce((s, v) => s + v, 0)) * (1 - 1e-12);
  if (binomial(n, k) <= EXACT_SPLITS) {
    let count = 0;
    let splits = 0;
    const visit = (start: number, left: number, sum: number): void => {
      if (left === 0) {
        splits++;
        if (differenceOf(sum) >= observed) count++;
        return;
      }
      for (let i = start; i <= n - left; i++) visit(i + 1, left - 1, sum + pooled[i]!);
    };
    visit(0, k, 0);
    return count / splits;
  }
  const rng = new Rng(n * 1009 + k);
  let count = 0;
  for (let q = 0; q < SAMPLED_SPLITS; q++) {
    const order = rng.permutation(n);
    let sum = 0;
    for (let i = 0; i < k; i++) sum += pooled[order[i]!]!;
    if (differenceOf(sum) >= observed) count++;
  }
  return (count + 1) / (SAMPLED_SPLITS + 1);
}

function binomial(n: number, k: number): number {
  let c = 1;
  for (let i = 1; i <= k; i++) c = (c * (n - k + i)) / i;
  return c;
}
