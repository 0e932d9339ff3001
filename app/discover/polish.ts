/**
 * From a composed formula to the law: simplify, refit every constant on the training rows (Levenberg–Marquardt), drop
 * terms that contribute nothing, snap constants to simple values while the validation error allows it, and refit what
 * is left. Rounding happens only for display, after all of this.
 */
import { type Expr, complexity, evaluateExpr } from '../symbolic/algebra/expr';
import { type FitData, dropNegligibleTerms, refitConstants, snapConstants } from '../symbolic/algebra/constants';
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
 * The polished forms of one composed formula: with constants snapped, and without snapping (snapping can only be
 * judged by validation error, so both go to the Pareto front); an expression that cannot be evaluated on the training
 * rows gives nothing.
 */
export function polishFormula(raw: Expr, train: FitData, validation: FitData, yScale: number): Polished[] {
  let expr = simplifyExpr(raw);
  if (!Number.isFinite(exprRmse(expr, train))) return [];
  expr = simplifyExpr(refitConstants(expr, train).expr);
  expr = simplifyExpr(dropNegligibleTerms(expr, train, NEGLIGIBLE_TERM * yScale));
  const refitted = refitConstants(expr, train).expr;
  const out: Polished[] = [measure(refitted, train, validation, 0)];
  const snapped = snapConstants(refitted, train, validation);
  if (snapped.snapped > 0) {
    const tidy = refitConstants(simplifyExpr(snapped.expr), train).expr;
    out.push(measure(tidy, train, validation, snapped.snapped));
  }
  return out.filter((p) => Number.isFinite(p.valRmse));
}

function measure(expr: Expr, train: FitData, validation: FitData, snapped: number): Polished {
  return { expr, complexity: complexity(expr), trainRmse: exprRmse(expr, train), valRmse: exprRmse(expr, validation), snapped };
}
