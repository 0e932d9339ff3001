/**
 * Polynomial laws: the target as a sparse polynomial of the raw inputs, found by least squares over every monomial up
 * to a small degree and kept only when it is exact. A KAN writes x1^2 + x1*x2 + x2^2 only through product nodes and
 * approximations of them; as a linear problem in the monomials it is solved outright. Monomials whose terms carry
 * nothing are dropped and the rest refitted, so the formula holds the law's terms only; a polynomial that merely
 * approximates the target (any smooth law over a narrow range) is never offered, since it would be the numerically close
 * tangle discovery exists to avoid.
 */
import type { FitData } from '../symbolic/algebra/constants';
import type { Expr } from '../symbolic/algebra/expr';
import { leastSquaresQR } from '../util/linalg';

/** Most monomials fitted (inputs and degree are chosen to stay under it). */
const MAX_MONOMIALS = 70;
/** Highest total degree tried. */
const MAX_DEGREE = 4;
/** A fit counts as exact when its RMS residual is at most this fraction of the target's spread. */
const EXACT = 1e-9;
/** A term whose spread is under this fraction of the target's is dropped. */
const NEGLIGIBLE = 1e-8;

/** Exponent vectors of every monomial of total degree 1..degree in n inputs. */
function monomials(n: number, degree: number): number[][] {
  const out: number[][] = [];
  const walk = (i: number, left: number, current: number[]): void => {
    if (i === n) {
      if (current.some((e) => e > 0)) out.push(current.slice());
      return;
    }
    for (let e = 0; e <= left; e++) {
      current.push(e);
      walk(i + 1, left - e, current);
      current.pop();
    }
  };
  walk(0, degree, []);
  return out.sort((p, q) => p.reduce((a, b) => a + b, 0) - q.reduce((a, b) => a + b, 0));
}

/** The highest degree whose monomials fit under MAX_MONOMIALS (0: none). */
function degreeFor(n: number): number {
  let degree = 0;
  while (degree < MAX_DEGREE && monomials(n, degree + 1).length <= MAX_MONOMIALS) degree++;
  return degree;
}

const spreadOf = (v: Float64Array): number => {
  const mean = v.reduce((a, x) => a + x, 0) / Math.max(1, v.length);
  return Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, v.length));
};

/**
 * The sparse polynomial of degree 2 or more that fits the rows exactly, as an expression in the inputs; null when none
 * does (or the law is linear, which the linear formula covers).
 */
export function exactPolynomial(data: FitData): Expr | null {
  const n = data.columns.length;
  const degree = degreeFor(n);
  if (degree < 2 || data.n < 2 * MAX_MONOMIALS) return null;
  const spread = spreadOf(data.y);
  if (!(spread > 0)) return null;
  let terms = monomials(n, degree);
  const column = (exponents: number[]): Float64Array => {
    const c = new Float64Array(data.n).fill(1);
    exponents.forEach((e, i) => {
      if (e === 0) return;
      const x = data.columns[i]!;
      for (let s = 0; s < data.n; s++) c[s]! *= x[s]! ** e;
    });
    return c;
  };
  for (let round = 0; round < 3; round++) {
    const raw = terms.map(column);
    // Each column scaled to unit RMS: monomials of inputs in the thousands span many decades.
    const scales = raw.map((c) => Math.sqrt(c.reduce((a, v) => a + v * v, 0) / data.n) || 1);
    const w = leastSquaresQR([new Float64Array(data.n).fill(1), ...raw.map((c, k) => c.map((v) => v / scales[k]!))], data.y);
    if (!w || !w.every(Number.isFinite)) return null;
    let ssr = 0;
    for (let s = 0; s < data.n; s++) {
      let p = w[0]!;
      for (let k = 0; k < terms.length; k++) p += (w[k + 1]! * raw[k]![s]!) / scales[k]!;
      ssr += (p - data.y[s]!) ** 2;
    }
    if (Math.sqrt(ssr / data.n) > EXACT * spread) return null;
    const kept = terms.map((_, k) => k).filter((k) => Math.abs(w[k + 1]!) * spreadOf(raw[k]!) / scales[k]! > NEGLIGIBLE * spread);
    if (kept.length === terms.length) {
      if (terms.every((t) => t.reduce((a, b) => a + b, 0) <= 1)) return null;
      return {
        kind: 'add',
        terms: [
          ...(Math.abs(w[0]!) > NEGLIGIBLE * spread ? [{ kind: 'const' as const, value: w[0]! }] : []),
          ...terms.map((t, k): Expr => ({
            kind: 'mul',
            factors: [{ kind: 'const', value: w[k + 1]! / scales[k]! }, ...t.flatMap((e, i): Expr[] => (e === 0 ? [] : [e === 1 ? { kind: 'var', index: i } : { kind: 'pow', base: { kind: 'var', index: i }, exponent: { kind: 'const', value: e } }]))],
          })),
        ],
      };
    }
    terms = kept.map((k) => terms[k]!);
    if (terms.length === 0) return null;
  }
  return null;
}
