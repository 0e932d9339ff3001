/** The formula algebra: an expression tree, its normal form, and fitting and snapping of its constants. */
export { type Expr, type ExactConst, type FnName, complexity, evaluateExpr, exprKey } from './expr';
export { fromMathNode, toMathNode } from './mathnode';
export { expandExpr, simplifyExpr } from './simplify';
export { type FitData, dropNegligibleTerms, freeConstants, refitConstants, snapConstants, withConstants } from './constants';
