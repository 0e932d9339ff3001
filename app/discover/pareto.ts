/**
 * The Pareto front of discovered formulas over (complexity, validation RMSE), and the choice of one formula from it.
 *
 * Choice (PySR's accuracy filter, then parsimony): a formula counts as accurate as the best when its validation RMSE is at
 * most (1 + tolerance) times the best one's, or under EXACT_FLOOR times the spread of the target (rounding noise of
 * Float64 arithmetic: every exact formula lands there); the simplest such formula on the front is chosen.
 */

import { paretoFrontBy } from '../util/pareto';

/** Relative RMSE under which every formula is as exact as Float64 evaluation allows. */
export const EXACT_FLOOR = 1e-9;

export interface Scored {
  complexity: number;
  valRmse: number;
  /** Constants written as exact values (p/q, pi...): at equal complexity and accuracy, more of them is better. */
  snapped: number;
}

/**
 * The members of items that no other member beats on both complexity and validation RMSE, by complexity ascending.
 * Errors under floor (rounding noise) count as equal; among equals the one with more exact constants stays.
 */
export function paretoFront<T extends Scored>(items: readonly T[], floor = 0): T[] {
  return paretoFrontBy(items, (c) => c.complexity, (c) => Math.max(c.valRmse, floor), (p, q) => q.snapped - p.snapped || p.valRmse - q.valRmse);
}

/** The chosen member of a front (see the file header); yScale is the standard deviation of the target. */
export function chooseFormula<T extends Scored>(front: readonly T[], tolerance: number, yScale: number): T | null {
  if (front.length === 0) return null;
  const best = Math.min(...front.map((c) => c.valRmse));
  const bar = Math.max((1 + tolerance) * best, EXACT_FLOOR * yScale);
  return front.find((c) => c.valRmse <= bar) ?? front[front.length - 1]!;
}
