/**
 * From a composed formula to the law, in two passes: every formula is simplified (abs and sign dropped where the rows
 * settle them), gets every constant refitted on the training rows (Levenberg–Marquardt) and loses terms that contribute
 * nothing; the few that reach the Pareto front then get their constants snapped to simple values while the validation
 * error allows it, and what is left refitted.
 * Rounding happens only for display, after all of this.
 */
import { type Expr, complexity, evaluateExpr } from '../symbolic/algebra/expr';
import { type FitData, dropNegligibleTerms, refitConstants, snapConstants } from '../symbolic/algebra/constants';
import { resolveSigns } from '../symbolic/algebra/signs';
import { simplifyExpr } from '../symbolic/algebra/simplify';

/** A term is negligible when its largest contribution is under this fraction of the target's spread. */
const NEGLIGIBLE_TERM = 1e-7;

export interface Polished {
  expr: Expr;
  complexity: number;
  trainRmse: number;
  valRmse: number;
  /** Constants snapped to simple values. */
  snapped: number;
}

/** RMSE of expr against data.y; NaN or Inf anywhere makes it Infinity. */
export function exprRmse(expr: Expr, data: FitData): number {
  const pred = evaluateExpr(expr, data.columns, data.n);
  let sum = 0;
  for (let s = 0; s < data.n; s++) {
    const r = pred[s]! - data.y[s]!;
    sum += r * r;
  }
  const value = Math.sqrt(sum / Math.max(1, data.n));
  return Number.isFinite(value) ? value : Infinity;
}

/**
 * A composed formula simplified, with every constant refitted and negligible terms dropped, fitted on at most
 * SCREEN_ROWS training rows (a formula of the right form is exact on any of them; the front is refitted on all rows
 * later); null when it cannot be evaluated there.
 */
export function refitFormula(raw: Expr, train: FitData, validation: FitData, yScale: number): Polished | null {
  const rows = subsample(train, SCREEN_ROWS);
  let expr = tidy(raw, train, validation);
  if (!Number.isFinite(exprRmse(expr, rows))) return null;
  const refit = (e: Expr): Expr => refitConstants(e, rows, { maxIterations: complexity(e) > MAX_REFIT_COMPLEXITY ? LARGE_FORMULA_ITERATIONS : undefined }).expr;
  expr = simplifyExpr(refit(expr));
  expr = simplifyExpr(dropNegligibleTerms(expr, rows, NEGLIGIBLE_TERM * yScale));
  const result = measure(refit(expr), train, validation, 0);
  return Number.isFinite(result.valRmse) ? result : null;
}

/**
 * e simplified, with abs and sign dropped where the rows settle them (signs.ts: |x1| where every row has x1 > 0 is x1),
 * judged on every row of both sets since the formula is judged on all of them.
 */
function tidy(e: Expr, train: FitData, validation: FitData): Expr {
  const simplified = simplifyExpr(e);
  const resolved = resolveSigns(simplified, [train, validation]);
  // Only a formula with abs or sign in it comes back as a new tree, and only that one needs simplifying again.
  return resolved === simplified ? simplified : simplifyExpr(resolved);
}

/**
 * The forms of a front formula worth keeping: refitted on every training row, and with its constants snapped to simple
 * values (judged on at most SCREEN_ROWS rows of each split, since every trial refits the other constants) and refitted
 * again; forms that cannot be evaluated are left out. noise: the best validation RMSE any formula reaches (the data's
 * noise where it has some), which prices each snap of a formula that fits down to it (noiseOf).
 */
export function finishFormula(formula: Polished, train: FitData, validation: FitData, noise = 0): Polished[] {
  if (formula.complexity > MAX_REFIT_COMPLEXITY) return [formula];
  const full = measure(refitConstants(formula.expr, train).expr, train, validation, formula.snapped);
  const out = [full];
  // Snapping can collapse a formula onto its law (terms snapped to 0, the rest refitted to rounding); the constants left
  // are then snapped again against that far smaller error.
  let current = full;
  for (let pass = 0; pass < SNAP_PASSES; pass++) {
    const snapped = snapConstants(current.expr, subsample(train, SCREEN_ROWS), subsample(validation, SCREEN_ROWS), { tolerance: SNAP_TOLERANCE, noise: noiseOf(current, noise) });
    if (snapped.snapped === 0) break;
    // A snapped exponent can make a root of a square (|x1| from sqrt(x1^2)): tidied again.
    const next = measure(refitConstants(tidy(snapped.expr, train, validation), train).expr, train, validation, current.snapped + snapped.snapped);
    out.push(next);
    // Another pass only when this one collapsed the error or reached rounding: the constants refitted there (a phase
    // now at pi to rounding) are worth snapping against the new error.
    if (!(next.valRmse < COLLAPSE_FACTOR * current.valRmse || next.valRmse <= ROUNDING * scaleOf(validation))) break;
    current = next;
  }
  return out.filter((p) => Number.isFinite(p.valRmse));
}

/**
 * Formulas larger than this get LARGE_FORMULA_ITERATIONS Levenberg–Marquardt steps when screened (a formula of the right
 * form converges in a few and then shrinks as its terms cancel; over dozens of constants each step costs, and a full
 * refit took 7 s per expanded sum of products) and are never finished: no law in the benchmark is half this large.
 */
const MAX_REFIT_COMPLEXITY = 60;
const LARGE_FORMULA_ITERATIONS = 15;

/** Snapping passes at most, and the error drop (a factor) that earns another pass. */
const SNAP_PASSES = 3;
const COLLAPSE_FACTOR = 1e-3;
/** An error under this fraction of the target's RMS is rounding (pareto.ts's EXACT_FLOOR). */
const ROUNDING = 1e-9;

/** Rows that screening refits and snapping trials use. */
const SCREEN_ROWS = 256;
/**
 * A snap may raise the validation RMSE by this fraction at most (beyond Float64 rounding): enough for a noisy estimate of
 * a simple constant (2.4987 -> 5/2), too little to dress an approximate formula in exact-looking constants.
 */
const SNAP_TOLERANCE = 1e-3;

/**
 * The noise a formula's snaps are priced against (snapConstants): the data's noise when the formula's error is that
 * noise (within NOISE_MATCH of the best any model reaches), else none. An approximate formula on exact data keeps the
 * plain tolerance, since its error is its own misfit, not noise its constants could not know.
 */
function noiseOf(formula: Polished, noise: number): number {
  return formula.valRmse <= NOISE_MATCH * noise ? noise : 0;
}

/** A formula whose validation error is within this factor of the best one's fits down to the noise. */
const NOISE_MATCH = 1.1;

/** Every k-th row, so that the subsample spans the data as the whole does. */
function subsample(data: FitData, rows: number): FitData {
  if (data.n <= rows) return data;
  const step = data.n / rows;
  const pick = Array.from({ length: rows }, (_, q) => Math.floor(q * step));
  return { columns: data.columns.map((c) => Float64Array.from(pick, (r) => c[r]!)), y: Float64Array.from(pick, (r) => data.y[r]!), n: rows };
}

function scaleOf(data: FitData): number {
  let s = 0;
  for (let r = 0; r < data.n; r++) s += data.y[r]! ** 2;
  return Math.sqrt(s / Math.max(1, data.n));
}

function measure(expr: Expr, train: FitData, validation: FitData, snapped: number): Polished {
  return { expr, complexity: complexity(expr), trainRmse: exprRmse(expr, train), valRmse: exprRmse(expr, validation), snapped };
}
