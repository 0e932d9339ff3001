/**
 * Polynomial laws: the target, or 1/y or log|y|, as a sparse sum of monomials of the raw inputs (with negative powers
 * of inputs that keep away from zero, and with log terms for log|y|), found by least squares over every such term up to
 * a small degree and kept only when it is exact. A KAN writes x1^2 + x1*x2 + x2^2 only through product nodes and
 * approximations of them; as a linear problem in the monomials it is solved outright, and so are x1*x2*x3/(x1+x2+x3)
 * (1/y is 1/(x1 x2) + 1/(x1 x3) + 1/(x2 x3)) and x1*exp(-x1*x2) (log y is log x1 - x1 x2). Terms that carry nothing are
 * dropped and the rest refitted, so the formula holds the law's terms only; a sum that merely approximates the target
 * (any smooth law over a narrow range) is never offered, since it would be the numerically close tangle discovery
 * exists to avoid.
 */
import type { FitData } from '../symbolic/algebra/constants';
import type { Expr } from '../symbolic/algebra/expr';
import { leastSquaresQR } from '../util/linalg';

/** Most terms fitted (the degree is chosen to stay under it). */
const MAX_TERMS = 70;
/** Highest total degree (sum of |exponents|) tried. */
const MAX_DEGREE = 4;
/** Exponents of one input: up to x^4, down to x^-2 where negative powers are allowed. */
const MAX_POWER = 4;
const MIN_POWER = -2;
/** A fit counts as exact when its RMS residual is at most this fraction of the target's spread. */
const EXACT = 1e-9;
/** A term whose spread is under this fraction of the target's is dropped. */
const NEGLIGIBLE = 1e-8;
/** An input takes negative powers when its smallest magnitude is at least this fraction of its RMS. */
const CLEARANCE = 0.05;

/** A term: a monomial (exponent per input), or log|x_i|. */
type Term = { kind: 'monomial'; exponents: number[] } | { kind: 'log'; input: number };

/** Exponent vectors of total degree 1..degree, each exponent in [lowest[i], MAX_POWER], simplest first. */
function monomials(lowest: readonly number[], degree: number): number[][] {
  const out: number[][] = [];
  const walk = (i: number, left: number, current: number[]): void => {
    if (i === lowest.length) {
      if (current.some((e) => e !== 0)) out.push(current.slice());
      return;
    }
    for (let e = Math.max(lowest[i]!, -left); e <= Math.min(MAX_POWER, left); e++) {
      current.push(e);
      walk(i + 1, left - Math.abs(e), current);
      current.pop();
    }
  };
  walk(0, degree, []);
  const size = (v: number[]): number => v.reduce((a, e) => a + Math.abs(e), 0);
  return out.sort((p, q) => size(p) - size(q));
}

const spreadOf = (v: Float64Array): number => {
  const mean = v.reduce((a, x) => a + x, 0) / Math.max(1, v.length);
  return Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, v.length));
};

const clearance = (v: Float64Array): number => v.reduce((m, x) => Math.min(m, Math.abs(x)), Infinity) / (Math.sqrt(v.reduce((a, x) => a + x * x, 0) / Math.max(1, v.length)) || 1);

/**
 * The terms fitted to these inputs: monomials of the highest degree that keeps their number under MAX_TERMS (with
 * negative powers of the inputs that keep away from zero, when asked), and the logs.
 */
function termsFor(columns: readonly Float64Array[], logs: boolean, negative: boolean): Term[] {
  const lowest = columns.map((c) => (negative && clearance(c) >= CLEARANCE ? MIN_POWER : 0));
  const logTerms: Term[] = logs ? columns.flatMap((c, input): Term[] => (c.every((v) => v > 0) ? [{ kind: 'log', input }] : [])) : [];
  let best: number[][] = [];
  for (let degree = 1; degree <= MAX_DEGREE; degree++) {
    const m = monomials(lowest, degree);
    if (m.length + logTerms.length > MAX_TERMS) break;
    best = m;
  }
  return [...best.map((exponents): Term => ({ kind: 'monomial', exponents })), ...logTerms];
}

function termColumn(term: Term, data: FitData): Float64Array {
  if (term.kind === 'log') return data.columns[term.input]!.map(Math.log);
  const c = new Float64Array(data.n).fill(1);
  term.exponents.forEach((e, i) => {
    if (e === 0) return;
    const x = data.columns[i]!;
    for (let s = 0; s < data.n; s++) c[s]! *= x[s]! ** e;
  });
  return c;
}

function termExpr(term: Term): Expr[] {
  if (term.kind === 'log') return [{ kind: 'fn', name: 'log', arg: { kind: 'var', index: term.input } }];
  return term.exponents.flatMap((e, i): Expr[] => (e === 0 ? [] : [e === 1 ? { kind: 'var', index: i } : { kind: 'pow', base: { kind: 'var', index: i }, exponent: { kind: 'const', value: e } }]));
}

/**
 * The sparse sum of terms that fits the rows' target exactly, as an expression in the inputs; null when none does (or
 * only a linear one, which the linear formula covers). logs: log|x_i| terms of positive inputs join the monomials.
 */
export function exactPolynomial(data: FitData, logs = false): Expr | null {
  if (data.n < 2 * MAX_TERMS) return null;
  const spread = spreadOf(data.y);
  if (!(spread > 0) || !data.y.every(Number.isFinite)) return null;
  // Non-negative powers first, to the higher degree their fewer monomials allow (x1 x2 x3 + x4^2), then negative ones.
  const plain = termsFor(data.columns, logs, false);
  const laurent = termsFor(data.columns, logs, true);
  const same = laurent.length === plain.length;
  return sparseExactFit(data, plain, spread) ?? (same ? null : sparseExactFit(data, laurent, spread));
}

/** The sparse exact fit over these terms (see exactPolynomial), or null. */
function sparseExactFit(data: FitData, candidates: Term[], spread: number): Expr | null {
  let terms = candidates;
  if (terms.length === 0) return null;
  for (let round = 0; round < 3; round++) {
    const raw = terms.map((t) => termColumn(t, data));
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
    if (!(Math.sqrt(ssr / data.n) <= EXACT * spread)) return null;
    const kept = terms.map((_, k) => k).filter((k) => (Math.abs(w[k + 1]!) * spreadOf(raw[k]!)) / scales[k]! > NEGLIGIBLE * spread);
    if (kept.length === terms.length) {
      const linear = terms.every((t) => t.kind === 'monomial' && t.exponents.every((e) => e >= 0) && t.exponents.reduce((a, b) => a + b, 0) <= 1);
      if (linear) return null;
      return {
        kind: 'add',
        terms: [
          ...(Math.abs(w[0]!) > NEGLIGIBLE * spread ? [{ kind: 'const' as const, value: w[0]! }] : []),
          ...terms.map((t, k): Expr => ({ kind: 'mul', factors: [{ kind: 'const', value: w[k + 1]! / scales[k]! }, ...termExpr(t)] })),
        ],
      };
    }
    terms = kept.map((k) => terms[k]!);
    if (terms.length === 0) return null;
  }
  return null;
}
