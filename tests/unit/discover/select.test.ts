import { describe, expect, it } from 'vitest';
import { selectFormulas, significantlyWorse } from '../../../app/discover/select';
import { symbolicMath } from '../../../app/symbolic/math';
import { fromMathNode } from '../../../app/symbolic/algebra/mathnode';
import { type Expr, complexity, evaluateExpr } from '../../../app/symbolic/algebra/expr';
import { refitConstants, snapConstants } from '../../../app/symbolic/algebra/constants';
import type { FitData } from '../../../app/symbolic/algebra/constants';
import { Rng } from '../../../app/util/rng';

const VARS = ['x1', 'x2'];
const parse = (s: string): Expr => fromMathNode(symbolicMath().parse(s), VARS);

/** Rows of law on x1 in [1, 5], x2 in [0.1, 0.67], with Gaussian noise of standard deviation sd. */
function rows(law: string, n: number, sd: number, seed: number): FitData {
  const rng = new Rng(seed);
  const columns = [Float64Array.from({ length: n }, () => rng.range(1, 5)), Float64Array.from({ length: n }, () => rng.range(0.1, 0.67))];
  const y = evaluateExpr(parse(law), columns, n).map((v) => v + sd * rng.normal());
  return { columns, y, n };
}

/** A formula as discovery keeps it, its constants exact (snapped against exact rows) and its errors on both sets. */
function formula(text: string, train: FitData, validation: FitData, snapped = true): { expr: Expr; complexity: number; valRmse: number; snapped: number } {
  const parsed = parse(text);
  const expr = snapped ? snapConstants(parsed, exactRows(parsed), exactRows(parsed)).expr : parsed;
  const pred = evaluateExpr(expr, validation.columns, validation.n);
  const valRmse = Math.sqrt(pred.reduce((s, v, r) => s + (v - validation.y[r]!) ** 2, 0) / validation.n);
  return { expr, complexity: complexity(expr), valRmse, snapped: 0 };
}

/** Rows on which e is exact: what snapping its written constants needs (they are simple already). */
function exactRows(e: Expr): FitData {
  const rng = new Rng(99);
  const columns = [Float64Array.from({ length: 200 }, () => rng.range(1, 5)), Float64Array.from({ length: 200 }, () => rng.range(0.1, 0.67))];
  return { columns, y: evaluateExpr(e, columns, 200), n: 200 };
}

describe('the choice of a formula, judged on every row', () => {
  const LAW = 'x1/sqrt(1 - x2^2)';
  // A close approximation of the Lorentz factor on this range: 1 + 0.506 x2^2 against 1 + 0.5 x2^2 at small x2.
  const APPROXIMATION = 'x1/cos(5*x2/pi)^(2/5)';

  it('chooses the law over an approximation that 200 validation rows cannot tell from it, where all 1,000 rows can', () => {
    let lawChosen = 0;
    let validationAlone = 0;
    for (let seed = 1; seed <= 5; seed++) {
      const train = rows(LAW, 800, 0.03, seed);
      const validation = rows(LAW, 200, 0.03, 100 + seed);
      const pool = [formula(APPROXIMATION, train, validation), formula(LAW, train, validation), formula('x1', train, validation)];
      expect(pool[0]!.complexity).toBeLessThan(pool[1]!.complexity);
      const { chosen } = selectFormulas(pool, train, validation, 0.03, 0.2, 1);
      expect(chosen!.selectionRmse).toBeGreaterThan(0.9 * 0.03);
      if (chosen?.expr === pool[1]!.expr) lawChosen++;
      // The rule on the validation rows alone: the simplest within 20% of the best validation RMSE.
      const best = Math.min(...pool.map((f) => f.valRmse));
      if ([...pool].sort((a, b) => a.complexity - b.complexity).find((f) => f.valRmse <= 1.2 * best) === pool[1]) validationAlone++;
    }
    expect(lawChosen).toBe(5);
    expect(validationAlone).toBe(0);
  });

  it('keeps the simpler formula where its misfit is far under what the rows can show', () => {
    const train = rows('x1 + 0.0005*x2', 800, 0.03, 7);
    const validation = rows('x1 + 0.0005*x2', 200, 0.03, 8);
    const pool = [formula('x1', train, validation), formula('x1 + 0.0005*x2', train, validation, false)];
    const { front, chosen } = selectFormulas(pool, train, validation, 0.03, 0.2, 1);
    expect(chosen?.expr).toBe(pool[0]!.expr);
    expect(front[0]!.expr).toBe(pool[0]!.expr);
  });

  it('charges each free constant what fitting it took from the noise, so that a fitted tangle does not pass for a law', () => {
    const train = rows(LAW, 800, 0.03, 11);
    const validation = rows(LAW, 200, 0.03, 12);
    const law = formula(LAW, train, validation);
    // The law plus 20 terms whose coefficients are fitted to the training rows' noise: better there, worse elsewhere.
    const terms = Array.from({ length: 20 }, (_, q) => `0.001*sin(${q + 1}*x1 + ${q % 5}*x2)`);
    const raw = formula(`${LAW} + ${terms.join(' + ')}`, train, validation, false);
    const fitted = refitConstants(raw.expr, train).expr;
    const tangle = formula('0', train, validation, false);
    Object.assign(tangle, { expr: fitted, complexity: complexity(fitted) });
    const trainRmse = (e: Expr): number => Math.sqrt(evaluateExpr(e, train.columns, train.n).reduce((s, v, r) => s + (v - train.y[r]!) ** 2, 0) / train.n);
    expect(trainRmse(fitted)).toBeLessThan(trainRmse(law.expr));
    const { chosen, front } = selectFormulas([law, tangle], train, validation, 0.03, 0.2, 1);
    expect(chosen?.expr).toBe(law.expr);
    expect(front.map((f) => f.expr)).toEqual([law.expr]);
  });

  it('takes the simplest exact formula when one is exact, whatever the residuals of rounding say', () => {
    const train = rows(LAW, 800, 0, 3);
    const validation = rows(LAW, 200, 0, 4);
    const law = formula(LAW, train, validation);
    const longer = formula('x1*(1 - x2^2)^(-1/2)*(x2^2 + 1)/(x2^2 + 1)', train, validation, false);
    expect(selectFormulas([longer, law], train, validation, 0, 0.2, 1).chosen?.expr).toBe(law.expr);
    expect(selectFormulas([], train, validation, 0, 0.2, 1)).toEqual({ front: [], chosen: null });
  });
});

describe('the paired test of two formulas\' residuals', () => {
  it('tells a misfit from the noise only beyond two standard errors, and counts the shift of optimism', () => {
    const rng = new Rng(5);
    const noise = Float64Array.from({ length: 1000 }, () => rng.normal());
    const shifted = (d: number): Float64Array => noise.map((e) => e + d);
    expect(significantlyWorse(shifted(0.3), noise)).toBe(true);
    expect(significantlyWorse(shifted(0.01), noise)).toBe(false);
    expect(significantlyWorse(noise, shifted(0.3))).toBe(false);
    // A reference whose training rows owe it 0.2 of the mean square (its fitted constants) loses that edge.
    expect(significantlyWorse(shifted(0.3), noise, -0.2)).toBe(false);
  });
});
