/**
 * Sparse exact laws: the target, or 1/y or log|y|, as a sparse sum of monomials of the raw inputs (with negative powers
 * of inputs that keep away from zero, and with log terms for log|y|), found by least squares over every such term up to
 * a small degree and kept only when it is exact. A KAN writes x1^2 + x1*x2 + x2^2 only through product nodes and
 * approximations of them; as a linear problem in the monomials it is solved outright, and so are x1*x2*x3/(x1+x2+x3)
 * (1/y is 1/(x1 x2) + 1/(x1 x3) + 1/(x2 x3)) and x1*exp(-x1*x2) (log y is log x1 - x1 x2). Terms that carry nothing are
 * dropped and the rest refitted, so the formula holds the law's terms only; a sum that merely approximates the target
 * (any smooth law over a narrow range) is never offered, since it would be the numerically close tangle discovery
 * exists to avoid. The same search runs over sums of functions of single inputs and products of two of them
 * (exactFunctionSum: x1*cos(x2) + x2*sin(x1)). On noisy rows, where nothing is exact, significantPolynomial and
 * significantFunctionSum keep the terms the rows support instead (significant.ts), as candidates discover judges.
 */
import type { FitData } from '../symbolic/algebra/constants';
import type { Expr } from '../symbolic/algebra/expr';
import { leastSquaresQR } from '../util/linalg';
import { bic, eliminateByBic } from './significant';
import { standardDeviation } from './structures';

/** Most terms fitted (the degree is chosen to stay under it). */
const MAX_TERMS = 70;
/** Highest total degree (sum of |exponents|) tried. */
const MAX_DEGREE = 4;
/** Exponents of one input: up to x^4, down to x^-2 where negative powers are allowed. */
const MAX_POWER = 4;
const MIN_POWER = -2;
/** A fit counts as exact when its RMS residual is at most this fraction of the target's spread. */
export const EXACT = 1e-9;
/** A term whose spread is under this fraction of the target's is dropped. */
export const NEGLIGIBLE = 1e-8;
/** An input takes negative powers (and 1/x) when its smallest magnitude is at least this fraction of its RMS. */
export const CLEARANCE = 0.05;

/** A function of one input that products of two inputs are made of. */
interface Factor {
  name: 'x' | 'x2' | 'x3' | 'inv' | 'inv2' | 'inv3' | 'sqrt' | 'log' | 'exp' | 'expm' | 'sin' | 'cos' | 'sin2' | 'cos2' | 'gauss' | 'gauss2';
  f: (x: number) => number;
  expr: (x: Expr) => Expr;
  /** 'positive': needs x > 0; 'nonzero': x away from zero. */
  needs?: 'positive' | 'nonzero';
}

const FACTORS: readonly Factor[] = [
  { name: 'x', f: (x) => x, expr: (x) => x },
  { name: 'x2', f: (x) => x * x, expr: (x) => ({ kind: 'pow', base: x, exponent: { kind: 'const', value: 2 } }) },
  { name: 'inv', f: (x) => 1 / x, expr: (x) => ({ kind: 'pow', base: x, exponent: { kind: 'const', value: -1 } }), needs: 'nonzero' },
  { name: 'sqrt', f: Math.sqrt, expr: (x) => ({ kind: 'fn', name: 'sqrt', arg: x }), needs: 'positive' },
  { name: 'log', f: Math.log, expr: (x) => ({ kind: 'fn', name: 'log', arg: x }), needs: 'positive' },
  { name: 'exp', f: Math.exp, expr: (x) => ({ kind: 'fn', name: 'exp', arg: x }) },
  { name: 'expm', f: (x) => Math.exp(-x), expr: (x) => ({ kind: 'fn', name: 'exp', arg: { kind: 'mul', factors: [{ kind: 'const', value: -1 }, x] } }) },
  { name: 'sin', f: Math.sin, expr: (x) => ({ kind: 'fn', name: 'sin', arg: x }) },
  { name: 'cos', f: Math.cos, expr: (x) => ({ kind: 'fn', name: 'cos', arg: x }) },
];

const power = (x: Expr, exponent: number): Expr => ({ kind: 'pow', base: x, exponent: { kind: 'const', value: exponent } });
const negative = (x: Expr): Expr => ({ kind: 'mul', factors: [{ kind: 'const', value: -1 }, x] });

/**
 * The functions of the input of a one-input target: FACTORS and further powers, functions of x^2 and Gaussians. With
 * one input the dictionary holds products of two of them too (x^3/(exp(x) - 1) is 1/(x^-3 exp(x) - x^-3), sin(x + x^2)
 * is sin(x) cos(x^2) + cos(x) sin(x^2)), which over several inputs would make it too large.
 */
const ONE_INPUT_FACTORS: readonly Factor[] = [
  ...FACTORS,
  { name: 'x3', f: (x) => x * x * x, expr: (x) => power(x, 3) },
  { name: 'inv2', f: (x) => 1 / (x * x), expr: (x) => power(x, -2), needs: 'nonzero' },
  { name: 'inv3', f: (x) => 1 / (x * x * x), expr: (x) => power(x, -3), needs: 'nonzero' },
  { name: 'sin2', f: (x) => Math.sin(x * x), expr: (x) => ({ kind: 'fn', name: 'sin', arg: power(x, 2) }) },
  { name: 'cos2', f: (x) => Math.cos(x * x), expr: (x) => ({ kind: 'fn', name: 'cos', arg: power(x, 2) }) },
  { name: 'gauss', f: (x) => Math.exp(-x * x), expr: (x) => ({ kind: 'fn', name: 'exp', arg: negative(power(x, 2)) }) },
  { name: 'gauss2', f: (x) => Math.exp(-x * x / 2), expr: (x) => ({ kind: 'fn', name: 'exp', arg: { kind: 'mul', factors: [{ kind: 'const', value: -0.5 }, power(x, 2)] } }) },
];

/** A term: a monomial (exponent per input), log|x_i|, or a product of functions of distinct inputs. */
type Term = { kind: 'monomial'; exponents: number[] } | { kind: 'log'; input: number } | { kind: 'functions'; factors: { input: number; factor: Factor }[] };

/** Exponent vectors of total degree 1..degree, each exponent in [lowest[i], MAX_POWER], simplest first. */
export function monomials(lowest: readonly number[], degree: number): number[][] {
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

/** A column's smallest magnitude over its RMS: how far it keeps from zero (0 when it reaches it). */
export const zeroClearance = (v: Float64Array): number => v.reduce((m, x) => Math.min(m, Math.abs(x)), Infinity) / (Math.sqrt(v.reduce((a, x) => a + x * x, 0) / Math.max(1, v.length)) || 1);

/**
 * The terms fitted to these inputs: monomials of the highest degree that keeps their number under MAX_TERMS (with
 * negative powers of the inputs that keep away from zero, when asked), and the logs.
 */
function termsFor(columns: readonly Float64Array[], logs: boolean, negative: boolean): Term[] {
  const lowest = columns.map((c) => (negative && zeroClearance(c) >= CLEARANCE ? MIN_POWER : 0));
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
  if (term.kind === 'functions') {
    return Float64Array.from({ length: data.n }, (_, s) => term.factors.reduce((p, { input, factor }) => p * factor.f(data.columns[input]![s]!), 1));
  }
  return monomialColumn(term.exponents, data);
}

/** The values of the monomial prod_i x_i^e_i on the rows (ones for the constant). */
export function monomialColumn(exponents: readonly number[], data: FitData): Float64Array {
  const c = new Float64Array(data.n).fill(1);
  exponents.forEach((e, i) => {
    if (e === 0) return;
    const x = data.columns[i]!;
    for (let s = 0; s < data.n; s++) c[s]! *= x[s]! ** e;
  });
  return c;
}

/** w[0] + sum of w[k+1] / scales[k] * terms[k], the constant left out where it is negligible. */
function weightedSum(w: Float64Array, scales: readonly number[], terms: readonly Term[], spread: number): Expr {
  return {
    kind: 'add',
    terms: [
      ...(Math.abs(w[0]!) > NEGLIGIBLE * spread ? [{ kind: 'const' as const, value: w[0]! }] : []),
      ...terms.map((t, k): Expr => ({ kind: 'mul', factors: [{ kind: 'const', value: w[k + 1]! / scales[k]! }, ...termExpr(t)] })),
    ],
  };
}

function termExpr(term: Term): Expr[] {
  if (term.kind === 'log') return [{ kind: 'fn', name: 'log', arg: { kind: 'var', index: term.input } }];
  if (term.kind === 'functions') return term.factors.map(({ input, factor }) => factor.expr({ kind: 'var', index: input }));
  return monomialExpr(term.exponents);
}

/** The factors of a monomial x_i^e_i (none for the constant). */
export function monomialExpr(exponents: readonly number[]): Expr[] {
  return exponents.flatMap((e, i): Expr[] => (e === 0 ? [] : [e === 1 ? { kind: 'var', index: i } : { kind: 'pow', base: { kind: 'var', index: i }, exponent: { kind: 'const', value: e } }]));
}

/**
 * The sparse sum of terms that fits the rows' target exactly, as an expression in the inputs; null when none does (or
 * only a linear one, which the linear formula covers). logs: log|x_i| terms of positive inputs join the monomials.
 */
export function exactPolynomial(data: FitData, logs = false): Expr | null {
  if (data.n < 2 * MAX_TERMS) return null;
  const spread = standardDeviation(data.y);
  if (!(spread > 0) || !data.y.every(Number.isFinite)) return null;
  // Non-negative powers first, to the higher degree their fewer monomials allow (x1 x2 x3 + x4^2), then negative ones.
  const plain = termsFor(data.columns, logs, false);
  const found = sparseExactFit(data, plain, spread);
  if (found) return found;
  const laurent = termsFor(data.columns, logs, true);
  return laurent.length === plain.length ? null : sparseExactFit(data, laurent, spread);
}

/** How a noisy search reads its rows: log terms, negative powers, and per-row weights of the squared residuals. */
export interface NoisyOptions {
  logs?: boolean;
  negative?: boolean;
  weights?: Float64Array | null;
}

/**
 * The polynomial of the target that noisy rows support (significant.ts: every monomial of exactPolynomial's terms
 * fitted, then the terms the information criterion does not pay for dropped). Null when rows are exact
 * (exactPolynomial's case), when more than MAX_LAW_TERMS + 1 terms survive, or when the survivors are linear. This is
 * a candidate, not a claim: discover compares it with the rest on the validation rows.
 */
export function significantPolynomial(data: FitData, options: NoisyOptions = {}): Expr | null {
  if (data.n < 2 * MAX_TERMS) return null;
  const spread = standardDeviation(data.y);
  if (!(spread > 0) || !data.y.every(Number.isFinite)) return null;
  const terms = termsFor(data.columns, options.logs ?? false, options.negative ?? false);
  const found = eliminateByBic([new Float64Array(data.n).fill(1), ...terms.map((t) => termColumn(t, data))], data.y, options.weights ?? null);
  // Rows a polynomial fits to rounding are exactPolynomial's.
  if (!found || !(found.fullSse / data.n > (EXACT * spread) ** 2)) return null;
  const survivors = found.kept.filter((c) => c > 0).map((c) => terms[c - 1]!);
  if (survivors.length === 0 || survivors.length > MAX_LAW_TERMS + 1) return null;
  if (survivors.every((t) => t.kind === 'monomial' && t.exponents.reduce((a, e) => a + e, 0) <= 1 && t.exponents.every((e) => e >= 0))) return null;
  // Column 0 is the constant (always kept, so first): the coefficients line up with weightedSum's.
  return weightedSum(found.coefficients, survivors.map(() => 1), survivors, spread);
}

/**
 * The target smoothed by the polynomial of every plain monomial (exactPolynomial's terms; each row weighted when
 * weights are given): values that carry about sqrt(terms/n) of the noise, and the polynomial's own error where the law
 * is no polynomial. Null when the rows are too few or the fit singular.
 */
export function polynomialSmooth(data: FitData, weights: Float64Array | null = null): Float64Array | null {
  if (data.n < 2 * MAX_TERMS) return null;
  const terms = termsFor(data.columns, false, false);
  const columns = [new Float64Array(data.n).fill(1), ...terms.map((t) => termColumn(t, data))];
  const root = weights ? weights.map(Math.sqrt) : null;
  const scaled = root ? columns.map((c) => c.map((v, s) => v * root[s]!)) : columns;
  const w = leastSquaresQR(scaled, root ? data.y.map((v, s) => v * root[s]!) : data.y);
  if (!w || !w.every(Number.isFinite)) return null;
  return Float64Array.from({ length: data.n }, (_, s) => columns.reduce((a, c, k) => a + w[k]! * c[s]!, 0));
}

/**
 * The sparse sum of functions of single inputs and products of two of them (x1*cos(x2) + x2*sin(x1),
 * log(x1) + x3*log(x2)) that fits the rows' target exactly; null when none does. The dictionary holds FACTORS (each
 * where its input allows it) and their products over two inputs; a product of two functions of one input is left out,
 * since sin^2 + cos^2 = 1 would make the dictionary dependent. A target of one input takes the richer dictionary of
 * ONE_INPUT_FACTORS and their products (functionDictionary). Every subset of up to three terms is tried, then greedy
 * selection up to five; the whole dictionary together is never fitted (it fits any smooth target to rounding).
 */
export function exactFunctionSum(data: FitData): Expr | null {
  const dictionary = functionDictionary(data);
  if (!dictionary) return null;
  const { terms, fitter } = dictionary;
  const kept = smallestExactSubset(fitter) ?? greedyExactSubset(fitter);
  if (kept === null) return null;
  const { w, scales } = fitter.refit(kept)!;
  const found = weightedSum(w, scales, kept.map((k) => terms[k]!), fitter.spread);
  // A sum the polynomial search writes (only powers) is left to it.
  return onlyPowers(found) ? null : found;
}

/**
 * The sum of at most MAX_LAW_TERMS functions (exactFunctionSum's dictionary, with one input its products of two
 * functions too) that noisy rows support: the best subsets of one, two and three terms (SubsetScreen) and each step of
 * greedy selection up to five are refitted, and the one with the lowest information criterion wins. A candidate for
 * discover to judge on validation rows, like significantPolynomial; sums of powers only are left to that.
 */
export function significantFunctionSum(data: FitData): Expr | null {
  const dictionary = functionDictionary(data);
  if (!dictionary) return null;
  const { terms, fitter } = dictionary;
  const screen = new SubsetScreen(fitter);
  const subsets: number[][] = [];
  for (let size = 1; size <= MAX_SUBSET_TERMS; size++) subsets.push(...screen.best(size, NOISY_SUBSETS, Infinity).map((c) => c.terms));
  subsets.push(...greedyPath(fitter, MAX_LAW_TERMS));
  let best: { subset: number[]; fit: NonNullable<ReturnType<SubsetFitter['refit']>>; score: number } | null = null;
  for (const subset of subsets) {
    const fit = fitter.refit(subset);
    if (!fit) continue;
    const score = bic(fit.rms ** 2 * data.n, data.n, subset.length + 1);
    if (!best || score < best.score) best = { subset, fit, score };
  }
  if (!best) return null;
  const found = weightedSum(best.fit.w, best.fit.scales, best.subset.map((k) => terms[k]!), fitter.spread);
  return onlyPowers(found) ? null : found;
}

/** Subsets of each size refitted by significantFunctionSum: the best few the screen finds. */
const NOISY_SUBSETS = 3;

/**
 * The function dictionary over these inputs: FACTORS (each where its input allows it) and their products over two
 * inputs; a product of two functions of one input is left out, since sin^2 + cos^2 = 1 would make the dictionary
 * dependent. With one input, ONE_INPUT_FACTORS and the products of two different ones instead; a
 * product that is a multiple of a term already held (x * x^-2 is 1/x) or constant (exp(x) exp(-x)) is left out. Null
 * when the rows are too few or the dictionary too large.
 */
function functionDictionary(data: FitData): { terms: Term[]; fitter: SubsetFitter } | null {
  if (data.n < 2 * MAX_FUNCTION_TERMS) return null;
  const spread = standardDeviation(data.y);
  if (!(spread > 0) || !data.y.every(Number.isFinite)) return null;
  const oneInput = data.columns.length === 1;
  const allows = (c: Float64Array) => (f: Factor): boolean => (f.needs === 'positive' ? c.every((v) => v > 0) : f.needs === 'nonzero' ? zeroClearance(c) >= CLEARANCE : true);
  const usable = data.columns.map((c) => (oneInput ? ONE_INPUT_FACTORS : FACTORS).filter(allows(c)));
  const terms: Term[] = [];
  usable.forEach((factors, i) => factors.forEach((factor) => terms.push({ kind: 'functions', factors: [{ input: i, factor }] })));
  if (oneInput) {
    const factors = usable[0]!;
    for (let a = 0; a < factors.length; a++) {
      for (let b = a + 1; b < factors.length; b++) terms.push({ kind: 'functions', factors: [{ input: 0, factor: factors[a]! }, { input: 0, factor: factors[b]! }] });
    }
  }
  for (let i = 0; i < usable.length; i++) {
    for (let j = i + 1; j < usable.length; j++) {
      for (const a of usable[i]!) for (const b of usable[j]!) terms.push({ kind: 'functions', factors: [{ input: i, factor: a }, { input: j, factor: b }] });
    }
  }
  if (terms.length > MAX_FUNCTION_TERMS || terms.length === 0) return null;
  const columns = terms.map((t) => termColumn(t, data));
  const kept = oneInput ? distinctDirections(columns) : columns.map((_, k) => k);
  return { terms: kept.map((k) => terms[k]!), fitter: new SubsetFitter(data, kept.map((k) => columns[k]!), spread) };
}

/**
 * Indices of the columns that are finite, not constant and not a multiple of an earlier kept column (to 1e-12 of their
 * norms, after centring: a multiple plus a constant is the same term to a fit with an intercept).
 */
function distinctDirections(columns: readonly Float64Array[]): number[] {
  const units: Float64Array[] = [];
  const kept: number[] = [];
  columns.forEach((c, k) => {
    if (!c.every(Number.isFinite)) return;
    const u = centredUnit(c, 1e-9 * Math.sqrt(c.reduce((a, v) => a + v * v, 0)));
    if (u === null) return;
    const parallel = units.some((w) => {
      let d = 0;
      for (let s = 0; s < u.length; s++) d += u[s]! * w[s]!;
      return Math.abs(Math.abs(d) - 1) < 1e-12;
    });
    if (parallel) return;
    units.push(u);
    kept.push(k);
  });
  return kept;
}

/** The column less its mean, scaled to unit norm; null when that norm is not above floor (a constant column). */
function centredUnit(c: Float64Array, floor: number): Float64Array | null {
  const mean = c.reduce((a, v) => a + v, 0) / c.length;
  const z = c.map((v) => v - mean);
  const norm = Math.sqrt(z.reduce((a, v) => a + v * v, 0));
  return norm > floor ? z.map((v) => v / norm) : null;
}

/** Least squares of the target on a constant and a subset of candidate columns, each scaled to unit RMS. */
class SubsetFitter {
  readonly norms: number[];
  private readonly ones: Float64Array;
  constructor(readonly data: FitData, readonly columns: Float64Array[], readonly spread: number) {
    this.norms = columns.map((c) => (c.every(Number.isFinite) ? Math.sqrt(c.reduce((a, v) => a + v * v, 0)) : 0));
    this.ones = new Float64Array(data.n).fill(1);
  }

  refit(subset: readonly number[]): { w: Float64Array; scales: number[]; residual: Float64Array; rms: number } | null {
    const { data, columns } = this;
    const scales = subset.map((k) => this.norms[k]! / Math.sqrt(data.n));
    const w = leastSquaresQR([this.ones, ...subset.map((k, q) => columns[k]!.map((v) => v / scales[q]!))], data.y);
    if (!w || !w.every(Number.isFinite)) return null;
    const r = data.y.map((v, s) => v - subset.reduce((p, k, q) => p + (w[q + 1]! * columns[k]![s]!) / scales[q]!, w[0]!));
    return { w, scales, residual: r, rms: Math.sqrt(r.reduce((a, v) => a + v * v, 0) / data.n) };
  }

  exact(subset: readonly number[]): boolean {
    const fit = this.refit(subset);
    return fit !== null && fit.rms <= EXACT * this.spread;
  }
}

/** Most terms the exhaustive search tries together (every subset of up to this many). */
const MAX_SUBSET_TERMS = 3;
/** A subset passes the screen when the share of the target's variance it leaves is under this (rounding in the Gram matrix sits near 1e-13). */
const SCREEN_SHARE = 1e-9;
/** Subsets passing the screen that are refitted exactly, best screened first, per size. */
const MAX_VERIFIED = 20;

/**
 * The smallest subset of at most MAX_SUBSET_TERMS terms that fits exactly, every subset tried (SubsetScreen), the few
 * that pass the screen refitted on the rows. Greedy selection misses log(x1) + x3*log(x2), whose terms are each less
 * correlated with the target than a third is.
 */
function smallestExactSubset(fitter: SubsetFitter): number[] | null {
  const screen = new SubsetScreen(fitter);
  for (let size = 1; size <= MAX_SUBSET_TERMS; size++) {
    for (const { terms } of screen.best(size, MAX_VERIFIED, SCREEN_SHARE)) if (fitter.exact(terms)) return terms;
  }
  return null;
}

/**
 * Every subset of one, two or three terms, scored without touching the rows again: from the Gram matrix of the
 * centred, unit-norm columns each subset's unexplained variance is a 1, 2 or 3 by 3 solve, so all 4.5 million triples
 * of 300 terms are screened in a fraction of a second.
 */
class SubsetScreen {
  /** Dictionary indices of the columns that vary, and their correlations with the target and with each other. */
  private readonly live: number[];
  private readonly r: Float64Array;
  private readonly g: Float64Array;

  constructor(fitter: SubsetFitter) {
    const { data, columns, norms } = fitter;
    const n = data.n;
    const usable = columns.map((_, k) => k).filter((k) => norms[k]! > 0);
    const units = usable.map((k) => centredUnit(columns[k]!, 1e-12 * norms[k]!));
    this.live = usable.filter((_, q) => units[q] !== null);
    const u = units.filter((c) => c !== null) as Float64Array[];
    const m = u.length;
    const yMean = data.y.reduce((a, v) => a + v, 0) / n;
    const yc = data.y.map((v) => v - yMean);
    const yy = yc.reduce((a, v) => a + v * v, 0);
    const dot = (a: Float64Array, b: Float64Array): number => {
      let d = 0;
      for (let s = 0; s < n; s++) d += a[s]! * b[s]!;
      return d;
    };
    this.r = Float64Array.from(u, (c) => dot(c, yc) / Math.sqrt(yy));
    this.g = new Float64Array(m * m);
    for (let a = 0; a < m; a++) {
      this.g[a * m + a] = 1;
      for (let b = a + 1; b < m; b++) this.g[a * m + b] = this.g[b * m + a] = dot(u[a]!, u[b]!);
    }
  }

  /**
   * The `limit` subsets of this size that leave the least share of the target's variance unexplained (1 - r_S^T G_S^-1
   * r_S, the target scaled to unit norm), each at most maxLeft, best first, as dictionary indices.
   */
  best(size: number, limit: number, maxLeft: number): { terms: number[]; left: number }[] {
    const { r, g, live } = this;
    const m = r.length;
    const top: { subset: number[]; left: number }[] = [];
    let bar = maxLeft;
    const offer = (left: number, subset: () => number[]): void => {
      if (!(left <= bar)) return;
      let at = top.length;
      while (at > 0 && top[at - 1]!.left > left) at--;
      top.splice(at, 0, { subset: subset(), left });
      if (top.length > limit) top.pop();
      if (top.length === limit) bar = Math.min(maxLeft, top[limit - 1]!.left);
    };
    if (size === 1) {
      for (let a = 0; a < m; a++) offer(1 - r[a]! ** 2, () => [a]);
    } else if (size === 2) {
      for (let a = 0; a < m; a++) {
        for (let b = a + 1; b < m; b++) {
          const gab = g[a * m + b]!;
          const det = 1 - gab * gab;
          if (!(det > 1e-10)) continue;
          offer(1 - (r[a]! ** 2 + r[b]! ** 2 - 2 * gab * r[a]! * r[b]!) / det, () => [a, b]);
        }
      }
    } else if (size === 3) {
      for (let a = 0; a < m; a++) {
        const ra = r[a]!;
        for (let b = a + 1; b < m; b++) {
          const gab = g[a * m + b]!;
          const rb = r[b]!;
          for (let c = b + 1; c < m; c++) {
            const gac = g[a * m + c]!;
            const gbc = g[b * m + c]!;
            const rc = r[c]!;
            // Cramer's rule on [[1, gab, gac], [gab, 1, gbc], [gac, gbc, 1]] w = (ra, rb, rc); explained = r . w.
            const c00 = 1 - gbc * gbc;
            const c01 = gac * gbc - gab;
            const c02 = gab * gbc - gac;
            const det = c00 + gab * c01 + gac * c02;
            if (!(det > 1e-10)) continue;
            const c11 = 1 - gac * gac;
            const c12 = gab * gac - gbc;
            const c22 = 1 - gab * gab;
            const explained = (ra * (c00 * ra + c01 * rb + c02 * rc) + rb * (c01 * ra + c11 * rb + c12 * rc) + rc * (c02 * ra + c12 * rb + c22 * rc)) / det;
            offer(1 - explained, () => [a, b, c]);
          }
        }
      }
    }
    return top.map(({ subset, left }) => ({ terms: subset.map((q) => live[q]!), left }));
  }
}

/**
 * Orthogonal matching pursuit: the term most correlated with what is left of the target joins, all chosen terms are
 * refitted, until the fit is exact (then the terms are returned) or MAX_GREEDY_TERMS have joined (null). A dictionary
 * this rich fits any smooth target over a short range to rounding when all its terms are used (log x1 on [1, 3] from
 * the other eight functions of x1); only a sum of a few terms is a law.
 */
function greedyExactSubset(fitter: SubsetFitter): number[] | null {
  const path = greedyPath(fitter, MAX_GREEDY_TERMS, (fit) => fit.rms <= EXACT * fitter.spread);
  const chosen = path[path.length - 1];
  if (!chosen || !fitter.exact(chosen)) return null;
  // A term picked early that the later ones make redundant is dropped while the fit stays exact.
  let kept = chosen.slice();
  for (let q = kept.length - 1; q >= 0 && kept.length > 1; q--) {
    const without = kept.filter((_, p) => p !== q);
    if (fitter.exact(without)) kept = without;
  }
  return kept.length > MAX_LAW_TERMS ? null : kept;
}

/** The subsets orthogonal matching pursuit chooses, one per step, up to `steps` terms or until `done` holds for a fit. */
function greedyPath(fitter: SubsetFitter, steps: number, done: (fit: { rms: number }) => boolean = () => false): number[][] {
  const { data, columns, norms } = fitter;
  const chosen: number[] = [];
  const path: number[][] = [];
  const mean = data.y.reduce((a, v) => a + v, 0) / data.n;
  let residual: Float64Array = data.y.map((v) => v - mean);
  for (let step = 0; step < steps; step++) {
    let best = -1;
    let bestScore = 0;
    columns.forEach((c, k) => {
      if (chosen.includes(k) || !(norms[k]! > 0)) return;
      let dot = 0;
      for (let s = 0; s < data.n; s++) dot += c[s]! * residual[s]!;
      const score = Math.abs(dot) / norms[k]!;
      if (score > bestScore) [best, bestScore] = [k, score];
    });
    if (best < 0) break;
    chosen.push(best);
    const fitted = fitter.refit(chosen);
    if (!fitted) break;
    path.push(chosen.slice());
    residual = fitted.residual;
    if (done(fitted)) break;
  }
  return path;
}

/** Terms the greedy search may pick, and terms a law found by it may keep. */
const MAX_GREEDY_TERMS = 8;
const MAX_LAW_TERMS = 5;

/** Terms of the function dictionary at most: three inputs (9 + 9 + 9 functions, 3 x 81 products) stay under it. */
const MAX_FUNCTION_TERMS = 300;

const onlyPowers = (e: Expr): boolean => (e.kind === 'fn' ? false : e.kind === 'add' ? e.terms.every(onlyPowers) : e.kind === 'mul' ? e.factors.every(onlyPowers) : e.kind === 'pow' ? onlyPowers(e.base) : true);

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
    const kept = terms.map((_, k) => k).filter((k) => (Math.abs(w[k + 1]!) * standardDeviation(raw[k]!)) / scales[k]! > NEGLIGIBLE * spread);
    if (kept.length === terms.length) {
      const linear = terms.every((t) => (t.kind === 'monomial' && t.exponents.every((e) => e >= 0) && t.exponents.reduce((a, b) => a + b, 0) <= 1) || (t.kind === 'functions' && t.factors.length === 1 && t.factors[0]!.factor.name === 'x'));
      if (linear) return null;
      return weightedSum(w, scales, terms, spread);
    }
    terms = kept.map((k) => terms[k]!);
    if (terms.length === 0) return null;
  }
  return null;
}
