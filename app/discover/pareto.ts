/**
 * The Pareto front of discovered formulas over (complexity, validation RMSE): which formulas a search finishes (refits
 * on every row and snaps). What it reports, and the choice, are select.ts's, judged on every row.
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
