import { describe, expect, it } from 'vitest';
import { exactFunctionSum, exactPolynomial, significantFunctionSum, significantPolynomial } from '../../../app/discover/polynomial';
import { exactLaws } from '../../../app/discover/read-off';
import { evaluateExpr, type Expr } from '../../../app/symbolic/algebra/expr';
import { Rng } from '../../../app/util/rng';
import { rows } from './law-rows';

/** Monomial terms of an expression written by exactPolynomial (the constant excluded). */
const termCount = (e: Expr): number => (e.kind === 'add' ? e.terms.filter((t) => t.kind !== 'const').length : 1);

describe('exact sparse polynomials', () => {
  it('writes a polynomial law with its own terms only, and reproduces it on fresh rows', () => {
    const cases: [string, (x: number[]) => number, [number, number][], number][] = [
      ['x1^2 + x1 x2 + x2^2', (x) => x[0]! ** 2 + x[0]! * x[1]! + x[1]! ** 2, [[-1, 1], [-1, 1]], 3],
      ['x1^3 - 2 x1 x2 + 1/2', (x) => x[0]! ** 3 - 2 * x[0]! * x[1]! + 0.5, [[-1, 1], [-1, 1]], 2],
      ['inputs in the thousands', (x) => 3e-6 * x[0]! * x[1]! * x[2]! - x[2]! ** 2, [[1000, 5000], [1, 3], [100, 200]], 2],
      ['x1 x2 x3 + x4^2', (x) => x[0]! * x[1]! * x[2]! + x[3]! ** 2, [[1, 3], [1, 3], [1, 3], [1, 3]], 2],
    ];
    for (const [name, law, ranges, terms] of cases) {
      const found = exactPolynomial(rows(law, ranges));
      expect(found, name).not.toBeNull();
      expect(termCount(found!), name).toBe(terms);
      const fresh = rows(law, ranges, 50);
      const values = evaluateExpr(found!, fresh.columns, fresh.n);
      for (let s = 0; s < fresh.n; s++) expect(values[s]! / fresh.y[s]!, name).toBeCloseTo(1, 9);
    }
  });

  it('takes negative powers of inputs that keep away from zero, and log terms when asked (for a target of log|y|)', () => {
    // 1/y of x1*x2*x3/(x1 + x2 + x3), and log y of x1*exp(-x1*x2).
    const reciprocals = rows((x) => 1 / (x[0]! * x[1]!) + 1 / (x[0]! * x[2]!) + 1 / (x[1]! * x[2]!), [[1, 3], [1, 3], [1, 3]]);
    const found = exactPolynomial(reciprocals);
    expect(termCount(found!)).toBe(3);
    const logLaw = rows((x) => Math.log(x[0]!) - x[0]! * x[1]!, [[0.5, 2], [0.5, 2]]);
    expect(exactPolynomial(logLaw)).toBeNull();
    const withLogs = exactPolynomial(logLaw, true);
    expect(termCount(withLogs!)).toBe(2);
    for (const [data, expr] of [[reciprocals, found!], [logLaw, withLogs!]] as const) {
      const values = evaluateExpr(expr, data.columns, data.n);
      for (let s = 0; s < 20; s++) expect(values[s]!).toBeCloseTo(data.y[s]!, 10);
    }
    // An input that crosses zero takes no negative power: 1/x1 with x1 in [-1, 1] is no polynomial.
    expect(exactPolynomial(rows((x) => 1 / x[0]! + x[1]!, [[-1, 1], [1, 2]]))).toBeNull();
  });

  it('offers nothing for a law that is not a polynomial, however closely one approximates it, nor for a linear law', () => {
    // exp(x) on [0, 0.5] is within 3e-6 of its quartic Taylor polynomial: close, not exact.
    expect(exactPolynomial(rows((x) => Math.exp(x[0]!) * x[1]!, [[0, 0.5], [1, 2]]))).toBeNull();
    expect(exactPolynomial(rows((x) => Math.sin(x[0]! + x[1]!), [[-0.3, 0.3], [-0.3, 0.3]]))).toBeNull();
    expect(exactPolynomial(rows((x) => 2 * x[0]! - x[1]! + 1, [[-1, 1], [-1, 1]]))).toBeNull();
    // Too few rows to tell a polynomial of so many monomials from anything else.
    expect(exactPolynomial(rows((x) => x[0]! * x[1]!, [[-1, 1], [-1, 1]], 60))).toBeNull();
  });

  it('on noisy rows, keeps the terms the rows support (the BIC price of a parameter) and leaves exact rows to the exact search', () => {
    const law = (x: number[]): number => x[0]! ** 3 - 3 * x[0]! * x[1]! ** 2;
    const noisy = rows(law, [[-1, 1], [-1, 1]], 1000);
    const rng = new Rng(8);
    noisy.y.forEach((v, s) => (noisy.y[s] = v + 0.01 * rng.normal()));
    const found = significantPolynomial(noisy)!;
    expect(termCount(found)).toBe(2);
    // Its error is the noise's, and it predicts the law (not the noise) on fresh rows to about the noise's 1/sqrt(n).
    const fitted = evaluateExpr(found, noisy.columns, noisy.n);
    const rms = Math.sqrt(fitted.reduce((a, v, s) => a + (v - noisy.y[s]!) ** 2, 0) / noisy.n);
    expect(rms).toBeGreaterThan(0.009);
    expect(rms).toBeLessThan(0.011);
    const fresh = rows(law, [[-1, 1], [-1, 1]], 50);
    const values = evaluateExpr(found, fresh.columns, fresh.n);
    for (let s = 0; s < fresh.n; s++) expect(Math.abs(values[s]! - fresh.y[s]!)).toBeLessThan(5e-3);
    expect(significantPolynomial(rows(law, [[-1, 1], [-1, 1]], 1000))).toBeNull();
  });

  it('finds a sum of functions of single inputs and their products, and offers no dense fit of a law outside the dictionary', () => {
    const law = rows((x) => x[0]! * Math.cos(x[1]!) + x[1]! * Math.sin(x[0]!), [[-2, 2], [-2, 2]], 800);
    const found = exactFunctionSum(law);
    expect(termCount(found!)).toBe(2);
    const fresh = rows((x) => x[0]! * Math.cos(x[1]!) + x[1]! * Math.sin(x[0]!), [[-2, 2], [-2, 2]], 50);
    const values = evaluateExpr(found!, fresh.columns, fresh.n);
    for (let s = 0; s < fresh.n; s++) expect(values[s]!).toBeCloseTo(fresh.y[s]!, 10);
    // Each of its terms is less correlated with the target than a third term is, so greedy selection went astray; every
    // subset of up to three terms is tried first.
    const logs = exactFunctionSum(rows((x) => Math.log(x[0]!) + x[2]! * Math.log(x[1]!), [[1, 3], [1, 3], [1, 3]], 800));
    expect(termCount(logs!)).toBe(2);
    const freshLogs = rows((x) => Math.log(x[0]!) + x[2]! * Math.log(x[1]!), [[1, 3], [1, 3], [1, 3]], 50);
    const logValues = evaluateExpr(logs!, freshLogs.columns, freshLogs.n);
    for (let s = 0; s < freshLogs.n; s++) expect(logValues[s]!).toBeCloseTo(freshLogs.y[s]!, 10);
    // tanh(x1 + x2) is none of these; all the dictionary's terms together approximate it closely, and that is not offered.
    expect(exactFunctionSum(rows((x) => Math.tanh(x[0]! + x[1]!), [[1, 3], [1, 3]], 800))).toBeNull();
    // A plain polynomial is left to the polynomial search.
    expect(exactFunctionSum(rows((x) => x[0]! * x[1]!, [[-1, 1], [-1, 1]], 800))).toBeNull();
  });

  it('with one input, finds sums of products of two functions of it, and still offers nothing outside the dictionary', () => {
    const laws: [string, (x: number[]) => number, [number, number], number][] = [
      ['sin(x^2) cos(x) - 1', (x) => Math.sin(x[0]! ** 2) * Math.cos(x[0]!) - 1, [-1, 1], 1],
      // sin(x + x^2) = sin(x) cos(x^2) + cos(x) sin(x^2).
      ['sin(x) + sin(x + x^2)', (x) => Math.sin(x[0]!) + Math.sin(x[0]! + x[0]! ** 2), [-1, 1], 3],
      ['x^2 sin(x) + cos(x)', (x) => x[0]! ** 2 * Math.sin(x[0]!) + Math.cos(x[0]!), [-2, 2], 2],
      ['sqrt(x) log(x)', (x) => Math.sqrt(x[0]!) * Math.log(x[0]!), [0.5, 4], 1],
    ];
    for (const [name, law, range, terms] of laws) {
      const found = exactFunctionSum(rows(law, [range], 800));
      expect(found, name).not.toBeNull();
      expect(termCount(found!), name).toBe(terms);
      const fresh = rows(law, [range], 50, 2);
      const values = evaluateExpr(found!, fresh.columns, fresh.n);
      for (let s = 0; s < fresh.n; s++) expect(values[s]!, name).toBeCloseTo(fresh.y[s]!, 10);
    }
    // A product of three functions, and functions the dictionary does not hold: no fit of many terms stands in for them.
    expect(exactFunctionSum(rows((x) => x[0]! * Math.exp(-x[0]!) * Math.sin(x[0]!), [[0, 4]], 800))).toBeNull();
    expect(exactFunctionSum(rows((x) => Math.tanh(x[0]!), [[-2, 2]], 800))).toBeNull();
    expect(exactFunctionSum(rows((x) => Math.atan(x[0]!), [[-2, 2]], 800))).toBeNull();
  });

  it('with one input, reads a sum of functions of 1/y: x^3/(exp(x) - 1) and the logistic function', () => {
    const laws: [string, (x: number[]) => number, [number, number]][] = [
      ['x^3/(exp(x) - 1)', (x) => x[0]! ** 3 / (Math.exp(x[0]!) - 1), [0.5, 5]],
      ['1/(1 + exp(-x))', (x) => 1 / (1 + Math.exp(-x[0]!)), [-3, 3]],
    ];
    for (const [name, law, range] of laws) {
      const found = exactLaws(rows(law, [range], 800)).find((l) => l.source === 'sum of functions of 1/y');
      expect(found, name).toBeDefined();
      const fresh = rows(law, [range], 50, 2);
      const values = evaluateExpr(found!.expr, fresh.columns, fresh.n);
      for (let s = 0; s < fresh.n; s++) expect(values[s]! / fresh.y[s]!, name).toBeCloseTo(1, 10);
    }
  });

  it('on noisy rows, finds the sum of functions the rows support (the information criterion choosing among subsets)', () => {
    const laws: [string, (x: number[]) => number, [number, number][], number][] = [
      ['x1^2 sqrt(x2) + x3', (x) => x[0]! ** 2 * Math.sqrt(x[1]!) + x[2]!, [[1, 3], [1, 3], [1, 3]], 2],
      ['sin(x1) cos(x2) + x3^2', (x) => Math.sin(x[0]!) * Math.cos(x[1]!) + x[2]! ** 2, [[-2, 2], [-2, 2], [-2, 2]], 2],
      ['exp(-x1) sin(x2)', (x) => Math.exp(-x[0]!) * Math.sin(x[1]!), [[0, 3], [0, 3]], 1],
      // One input: products of two of its functions.
      ['sin(x^2) cos(x) - 1', (x) => Math.sin(x[0]! ** 2) * Math.cos(x[0]!) - 1, [[-1, 1]], 1],
      ['x^2 sin(x) + cos(x)', (x) => x[0]! ** 2 * Math.sin(x[0]!) + Math.cos(x[0]!), [[-2, 2]], 2],
    ];
    for (const [name, law, ranges, terms] of laws) {
      const noisy = rows(law, ranges, 800, 3);
      const rng = new Rng(9);
      noisy.y.forEach((v, s) => (noisy.y[s] = v + 0.01 * rng.normal()));
      const found = significantFunctionSum(noisy)!;
      expect(found, name).not.toBeNull();
      expect(termCount(found), name).toBe(terms);
      const fresh = rows(law, ranges, 50, 4);
      const values = evaluateExpr(found, fresh.columns, fresh.n);
      for (let s = 0; s < fresh.n; s++) expect(Math.abs(values[s]! - fresh.y[s]!), name).toBeLessThan(5e-3);
    }
  });
});
