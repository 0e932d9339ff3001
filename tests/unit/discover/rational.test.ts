import { describe, expect, it } from 'vitest';
import { exactRational, maxRationalDegree, significantRational } from '../../../app/discover/rational';
import { evaluateExpr, type Expr } from '../../../app/symbolic/algebra/expr';
import { Rng } from '../../../app/util/rng';
import { rows } from './law-rows';

/** Monomials of the numerator and of the denominator of P * Q^-1, as exactRational writes it. */
function termCounts(e: Expr): [number, number] {
  if (e.kind !== 'mul' || e.factors.length !== 2) throw new Error('not a ratio');
  const [p, q] = e.factors;
  const count = (x: Expr): number => (x.kind === 'add' ? x.terms.length : 1);
  if (q!.kind !== 'pow') throw new Error('no denominator');
  return [count(p!), count(q!.base)];
}

/** Every constant of the expression. */
const constants = (e: Expr): number[] =>
  e.kind === 'const' ? [e.value] : e.kind === 'add' ? e.terms.flatMap(constants) : e.kind === 'mul' ? e.factors.flatMap(constants) : e.kind === 'pow' ? [...constants(e.base), ...constants(e.exponent)] : e.kind === 'fn' ? constants(e.arg) : [];

describe('exact rational laws', () => {
  it('writes a ratio of polynomials in lowest terms with its own monomials only, and reproduces it on fresh rows', () => {
    const cases: [string, (x: number[]) => number, [number, number][], [number, number]][] = [
      // c^2 (u + v) / (c^2 + u v): degree 3 over 2, and no monomial of the denominator is a constant.
      ['(x1 + x2) / (1 + x1 x2 / x3^2)', (x) => (x[0]! + x[1]!) / (1 + (x[0]! * x[1]!) / x[2]! ** 2), [[1, 5], [1, 5], [1, 5]], [2, 2]],
      ['x1 x2 / (x1 + x2 x3)', (x) => (x[0]! * x[1]!) / (x[0]! + x[1]! * x[2]!), [[1, 3], [1, 3], [1, 3]], [1, 2]],
      ['(x1^2 - 3) / (2 + x2)', (x) => (x[0]! ** 2 - 3) / (2 + x[1]!), [[-2, 2], [0, 1]], [2, 2]],
      ['inputs in the thousands', (x) => x[0]! / (x[1]! + 2e-3 * x[0]!), [[1000, 5000], [1, 3]], [1, 2]],
    ];
    for (const [name, law, ranges, counts] of cases) {
      const found = exactRational(rows(law, ranges, 600));
      expect(found, name).not.toBeNull();
      expect(termCounts(found!), name).toEqual(counts);
      const fresh = rows(law, ranges, 50, 9);
      const values = evaluateExpr(found!, fresh.columns, fresh.n);
      for (let s = 0; s < fresh.n; s++) expect(values[s]! / fresh.y[s]!, name).toBeCloseTo(1, 9);
    }
  });

  it('scales the coefficients so that whole ones read as whole numbers', () => {
    const found = exactRational(rows((x) => (x[0]! + x[1]!) / (1 + (x[0]! * x[1]!) / x[2]! ** 2), [[1, 5], [1, 5], [1, 5]], 600))!;
    for (const c of constants(found).filter((v) => v !== -1)) expect(Math.abs(c - Math.round(c))).toBeLessThan(1e-9);
  });

  it('offers nothing for a law that is not rational however closely a ratio approximates it, for a polynomial, or for noisy rows', () => {
    expect(exactRational(rows((x) => Math.exp(x[0]!) * x[1]!, [[0, 0.5], [1, 2]], 600))).toBeNull();
    expect(exactRational(rows((x) => Math.sqrt(x[0]! ** 2 + x[1]! ** 2), [[1, 2], [1, 2]], 600))).toBeNull();
    expect(exactRational(rows((x) => Math.tanh(x[0]!) / x[1]!, [[-1, 1], [1, 2]], 600))).toBeNull();
    // A polynomial is left to the polynomial search.
    expect(exactRational(rows((x) => x[0]! * x[1]! + 1, [[-1, 1], [-1, 1]], 600))).toBeNull();
    const rng = new Rng(3);
    const noisy = rows((x) => x[0]! / (1 + x[1]!), [[1, 2], [1, 2]], 600);
    noisy.y.forEach((v, s) => (noisy.y[s] = v * (1 + 1e-4 * rng.normal())));
    expect(exactRational(noisy)).toBeNull();
  });

  it('on noisy rows, finds the ratio the rows support, close to the law on fresh rows, and refuses a pole among the rows', () => {
    const law = (x: number[]): number => (x[0]! + x[1]!) / (x[0]! - x[1]! + 5);
    const noisy = rows(law, [[-1, 1], [-1, 1]], 800, 3);
    const rng = new Rng(9);
    noisy.y.forEach((v, s) => (noisy.y[s] = v + 0.01 * rng.normal()));
    const found = significantRational(noisy)!;
    expect(termCounts(found)).toEqual([2, 3]);
    // The noise is 0.01; the law's coefficients are estimated from 800 rows, so fresh rows are matched far closer.
    const fresh = rows(law, [[-1, 1], [-1, 1]], 50, 4);
    const values = evaluateExpr(found, fresh.columns, fresh.n);
    for (let s = 0; s < fresh.n; s++) expect(Math.abs(values[s]! - fresh.y[s]!)).toBeLessThan(3e-3);
    // Relativistic velocity addition with noise of about 1% of the target's RMS: fitted to the noisy y itself, y*Q = P
    // favoured denominators near zero and kept every term; to the smoothed target, thinned against y, it reads the law.
    const addition = (x: number[]): number => (x[2]! + x[1]!) / (1 + (x[2]! * x[1]!) / x[0]! ** 2);
    const velocities = rows(addition, [[1, 5], [1, 5], [1, 5]], 800, 3);
    velocities.y.forEach((v, s) => (velocities.y[s] = v + 0.03 * rng.normal()));
    const read = significantRational(velocities)!;
    expect(termCounts(read)).toEqual([2, 2]);
    const freshVelocities = rows(addition, [[1, 5], [1, 5], [1, 5]], 50, 4);
    const predicted = evaluateExpr(read, freshVelocities.columns, freshVelocities.n);
    for (let s = 0; s < freshVelocities.n; s++) expect(Math.abs(predicted[s]! - freshVelocities.y[s]!)).toBeLessThan(0.01);
    // 1/(x1 - x2 + 0.001) with both in [0, 1]: the rows straddle the pole, where a fitted denominator's sign and size
    // are noise; nothing is offered.
    expect(significantRational(rows((x) => 1 / (x[0]! - x[1]! + 1e-3), [[0, 1], [0, 1]], 800, 3))).toBeNull();
  });
});

describe('ratios of higher degree in few inputs', () => {
  it('reads x^4/(1 + x^4) off exact and nearly exact rows of one input, whose denominator spans a factor of 250 without a pole', () => {
    // Degree 4 over 4: beyond the degree 3 that three inputs are held to. On [0.2, 4] the denominator 1 + x^4 runs from
    // 1 to 257; a pole test relative to its largest value took it for a near pole and kept only degree-3 look-alikes
    // (4.5e-5 off on rows with noise of 1e-6).
    const law = (x: number[]): number => x[0]! ** 4 / (1 + x[0]! ** 4) + 0.3;
    const exact = exactRational(rows(law, [[0.2, 4]], 800, 3))!;
    expect(termCounts(exact)).toEqual([2, 2]);
    const fresh = rows(law, [[0.2, 4]], 50, 4);
    for (const noise of [1e-6, 1e-5]) {
      const noisy = rows(law, [[0.2, 4]], 800, 3);
      const rng = new Rng(7);
      noisy.y.forEach((v, s) => (noisy.y[s] = v + noise * rng.normal()));
      const found = significantRational(noisy)!;
      expect(termCounts(found), `noise ${noise}`).toEqual([2, 2]);
      const values = evaluateExpr(found, fresh.columns, fresh.n);
      for (let s = 0; s < fresh.n; s++) expect(Math.abs(values[s]! - fresh.y[s]!)).toBeLessThan(10 * noise);
    }
  });

  it('holds three inputs to degree 3 and lets fewer go higher, where only a sparse ratio is a law', () => {
    expect([1, 2, 3, 4, 8].map(maxRationalDegree)).toEqual([6, 4, 3, 3, 3]);
    // A Pade-like ratio of degree 4 over 4, every monomial in it, follows exp(x) on [0, 2] to 1e-9 of its spread.
    expect(exactRational(rows((x) => Math.exp(x[0]!), [[0, 2]], 600))).toBeNull();
    expect(exactRational(rows((x) => Math.sin(x[0]!), [[0, 1]], 600))).toBeNull();
  });
});
