/**
 * Milliseconds of the formula algebra: simplifyExpr on the 27 test expressions against math.js simplify on the same
 * (its baseline, in the same run), and simplify + refit + snap of the KAN formula of x1*x2 on 300 points.
 */
import { symbolicMath } from '../app/symbolic/math';
import { fromMathNode, refitConstants, simplifyExpr, snapConstants } from '../app/symbolic/algebra';
import { Rng } from '../app/util/rng';
import { ALGEBRA_CASES } from '../tests/unit/symbolic/algebra-cases';

const VARS = ['x1', 'x2', 'x3'];
const REPEATS = 20;

export async function run(): Promise<Record<string, number | string>> {
  const math = symbolicMath();
  const parsed = ALGEBRA_CASES.map((c) => math.parse(c.input));
  const exprs = parsed.map((node) => fromMathNode(node, VARS));
  const perExpression = (work: () => void): number => {
    work();
    const t0 = performance.now();
    for (let k = 0; k < REPEATS; k++) work();
    return (performance.now() - t0) / REPEATS / ALGEBRA_CASES.length;
  };
  const ours = perExpression(() => exprs.forEach((e) => simplifyExpr(e)));
  const mathjs = perExpression(() => parsed.forEach((node) => math.simplify(node)));

  const rng = new Rng(0);
  const data = (): { columns: Float64Array[]; y: Float64Array; n: number } => {
    const x1 = Float64Array.from({ length: 300 }, () => rng.range(1, 5));
    const x2 = Float64Array.from({ length: 300 }, () => rng.range(1, 5));
    return { columns: [x1, x2], y: x1.map((v, r) => v * x2[r]!), n: 300 };
  };
  const train = data();
  const validation = data();
  const kanFormula = math.parse('3.986*exp(log(x1 + 0.1615) + log(x2) - 1.383) - 0.1615*x2');
  const t0 = performance.now();
  const refit = refitConstants(simplifyExpr(fromMathNode(kanFormula, VARS)), train);
  snapConstants(refit.expr, train, validation);
  const discover = performance.now() - t0;

  return {
    [`simplifyExpr, ${ALGEBRA_CASES.length} test expressions, ms per expression`]: ours,
    'math.js simplify, same expressions, ms per expression': mathjs,
    'simplifyExpr time / math.js simplify time': ours / mathjs,
    'simplify + refit + snap of the x1*x2 KAN formula, 300 points, ms': discover,
  };
}
