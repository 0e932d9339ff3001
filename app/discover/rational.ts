/**
 * Exact rational laws: y = P(x) / Q(x) with P and Q polynomials of the raw inputs, found as a linear problem. y * Q = P
 * is linear in the coefficients of both once one coefficient of Q is fixed to 1, so for each pair of degrees (lowest
 * first) and each monomial of Q as that unit, least squares gives the rest; the first pair of degrees where a fit
 * predicts the target exactly holds the law in lowest terms, where its coefficients are unique. Relativistic velocity
 * addition, (u + v) / (1 + u v / c^2), is c^2 (u + v) / (c^2 + u v): no polynomial of y, 1/y or log|y|, and a KAN
 * writes it only as a close tangle. Only exact fits are offered (as for polynomials): a ratio of high degrees fitted
 * loosely would be the numerically close formula discovery exists to avoid. On noisy rows significantRational keeps
 * the terms the rows support instead (significant.ts), a candidate that discover judges on validation rows.
 */
import type { FitData } from '../symbolic/algebra/constants';
import type { Expr } from '../symbolic/algebra/expr';
import { inverseDense, leastSquaresQR, normalEquations } from '../util/linalg';
import { EXACT, NEGLIGIBLE, monomialColumn, monomialExpr, monomials, polynomialSmooth } from './polynomial';
import { bic } from './significant';
import { splineSmooth } from './spline';
import { standardDeviation } from './structures';

/**
 * Highest total degree of the numerator and of the denominator: 3, or more where the inputs are few, up to the degree at
 * which one polynomial has MAX_TERMS monomials (as three inputs have at degree 3) and at most MAX_DEGREE. A curve of one
 * input such as x^4/(1 + x^4) (Pagie's law, one term per input) needs degree 4; a separated group (separate.ts) is often
 * such a curve.
 */
const MIN_DEGREE = 3;
const MAX_DEGREE = 6;
const MAX_TERMS = 20;

export function maxRationalDegree(inputs: number): number {
  let degree = MIN_DEGREE;
  while (degree < MAX_DEGREE && monomialCount(inputs, degree + 1) <= MAX_TERMS) degree++;
  return degree;
}

/** Monomials of total degree 0..degree in this many inputs: (inputs + degree choose degree). */
function monomialCount(inputs: number, degree: number): number {
  let count = 1;
  for (let k = 1; k <= degree; k++) count = (count * (inputs + k)) / k;
  return Math.round(count);
}
/** Most unknown coefficients of one fit (numerator's and denominator's monomials, less the unit). */
const MAX_UNKNOWNS = 90;
/** Rows a candidate is screened on (at least this many, and at least 4 per unknown); exact ones are refitted on all. */
const SCREEN_ROWS = 300;

/** Exponent vectors of total degree 0..degree (the constant first), simplest first. */
function monomialsUpTo(inputs: number, degree: number): number[][] {
  return [new Array<number>(inputs).fill(0), ...(degree > 0 ? monomials(new Array<number>(inputs).fill(0), degree) : [])];
}

interface RationalFit {
  numerator: number[][];
  denominator: number[][];
  /** Coefficients of the numerator's monomials, then the denominator's (the unit's included). */
  p: Float64Array;
  q: Float64Array;
}

/** The rows' values of every monomial of P and of Q, computed once for all the units tried on them. */
interface MonomialColumns {
  data: FitData;
  numerator: number[][];
  denominator: number[][];
  p: Float64Array[];
  q: Float64Array[];
}

function columnsOf(data: FitData, numerator: number[][], denominator: number[][]): MonomialColumns {
  return { data, numerator, denominator, p: numerator.map((m) => monomialColumn(m, data)), q: denominator.map((m) => monomialColumn(m, data)) };
}

/** These rows of the data. */
function rowsOf(data: FitData, rows: readonly number[]): FitData {
  return { columns: data.columns.map((c) => Float64Array.from(rows, (s) => c[s]!)), y: Float64Array.from(rows, (s) => data.y[s]!), n: rows.length };
}

/**
 * Least squares of y * Q = P over the rows with Q's monomial `unit` at coefficient 1 (each row's squared residual
 * weighted when rowWeights are given); null when the system is singular (degrees above the law's, or a unit the law's
 * denominator lacks to the same effect).
 */
function solve(cols: MonomialColumns, unit: number, rowWeights: Float64Array | null = null): RationalFit | null {
  const { numerator, denominator } = cols;
  const y = cols.data.y;
  const root = rowWeights ? rowWeights.map(Math.sqrt) : null;
  const weigh = (c: Float64Array): Float64Array => (root ? c.map((v, r) => v * root[r]!) : c);
  const qCols = cols.q.map((c) => c.map((v, r) => v * y[r]!));
  const others = qCols.filter((_, k) => k !== unit);
  // Columns scaled to unit RMS: monomials of inputs in the thousands span many decades.
  const all = [...cols.p, ...others.map((c) => c.map((v) => -v))].map(weigh);
  const scales = all.map((c) => Math.sqrt(c.reduce((a, v) => a + v * v, 0) / c.length) || 1);
  const w = leastSquaresQR(all.map((c, k) => c.map((v) => v / scales[k]!)), weigh(qCols[unit]!));
  if (!w || !w.every(Number.isFinite)) return null;
  const coef = w.map((v, k) => v / scales[k]!);
  const p = coef.slice(0, numerator.length);
  const q = new Float64Array(denominator.length);
  let o = numerator.length;
  for (let k = 0; k < denominator.length; k++) q[k] = k === unit ? 1 : coef[o++]!;
  return { numerator, denominator, p, q };
}

/** sum_k c_k * column_k on every row. */
function combination(columns: readonly Float64Array[], c: Float64Array, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, s) => columns.reduce((a, col, k) => a + c[k]! * col[s]!, 0));
}

function rmsError(fit: RationalFit, cols: MonomialColumns): number {
  return Math.sqrt(weightedSse(fit, cols, null) / cols.data.n);
}

/** RMS of a column. */
const rms = (c: Float64Array): number => Math.sqrt(c.reduce((a, v) => a + v * v, 0) / Math.max(1, c.length));

/** The monomials whose term carries more than NEGLIGIBLE of the polynomial's RMS over the rows. */
function carrying(ms: number[][], columns: readonly Float64Array[], c: Float64Array, n: number): number[][] {
  const total = rms(combination(columns, c, n));
  return ms.filter((_, k) => Math.abs(c[k]!) * rms(columns[k]!) > NEGLIGIBLE * total);
}

/** Drops the monomials that carry nothing in P or in Q and refits; null when that loses exactness. */
function sparsify(fit: RationalFit, cols: MonomialColumns, spread: number): RationalFit | null {
  const keepP = carrying(fit.numerator, cols.p, fit.p, cols.data.n);
  const keepQ = carrying(fit.denominator, cols.q, fit.q, cols.data.n);
  if (keepP.length === fit.numerator.length && keepQ.length === fit.denominator.length) return fit;
  if (keepP.length === 0 || keepQ.length === 0) return null;
  // The unit: the kept denominator monomial with the largest coefficient.
  const coefficient = (m: number[]): number => Math.abs(fit.q[fit.denominator.indexOf(m)]!);
  const unit = keepQ.reduce((best, m, k) => (coefficient(m) > coefficient(keepQ[best]!) ? k : best), 0);
  const kept = columnsOf(cols.data, keepP, keepQ);
  const again = solve(kept, unit);
  return again && rmsError(again, kept) <= EXACT * spread ? again : null;
}

/**
 * The coefficients divided by the one that makes most of them whole numbers (c^2 (u + v) / (c^2 + u v) reads with
 * ones, whichever monomial was the unit).
 */
function normalized(fit: RationalFit): RationalFit {
  const all = [...fit.p, ...fit.q];
  let best = 1;
  let bestScore = -1;
  for (const c of all) {
    if (!(Math.abs(c) > 0)) continue;
    const score = all.filter((v) => Math.abs(v / c - Math.round(v / c)) < 1e-6 * Math.max(1, Math.abs(v / c))).length;
    if (score > bestScore || (score === bestScore && Math.abs(c) > Math.abs(best))) [best, bestScore] = [c, score];
  }
  return { ...fit, p: fit.p.map((v) => v / best), q: fit.q.map((v) => v / best) };
}

function polynomialExpr(ms: number[][], c: Float64Array): Expr {
  return { kind: 'add', terms: ms.map((m, k): Expr => ({ kind: 'mul', factors: [{ kind: 'const', value: c[k]! }, ...monomialExpr(m)] })) };
}

/**
 * The rational function of the inputs, in lowest degrees, that predicts the rows' target exactly; null when none of
 * degree at most maxRationalDegree over the same does. A law whose denominator is constant is a polynomial
 * and is left to exactPolynomial.
 */
export function exactRational(data: FitData): Expr | null {
  const spread = standardDeviation(data.y);
  if (!(spread > 0) || !data.y.every(Number.isFinite) || data.columns.length === 0) return null;
  if (!data.columns.every((c) => c.every(Number.isFinite))) return null;
  const pairs: [number, number][] = [];
  const most = maxRationalDegree(data.columns.length);
  for (let total = 1; total <= 2 * most; total++) {
    for (let dq = 1; dq <= Math.min(total, most); dq++) if (total - dq <= most) pairs.push([total - dq, dq]);
  }
  for (const [dp, dq] of pairs) {
    const numerator = monomialsUpTo(data.columns.length, dp);
    const denominator = monomialsUpTo(data.columns.length, dq);
    const unknowns = numerator.length + denominator.length - 1;
    if (unknowns > MAX_UNKNOWNS || data.n < 2 * unknowns) continue;
    const screen = Math.min(data.n, Math.max(SCREEN_ROWS, 4 * unknowns));
    // Rows spread over the whole set, in case it is sorted.
    const screened = columnsOf(rowsOf(data, Array.from({ length: screen }, (_, r) => Math.floor((r * data.n) / screen))), numerator, denominator);
    let all: MonomialColumns | null = null;
    for (let unit = 0; unit < denominator.length; unit++) {
      const fit = solve(screened, unit);
      if (!fit || !(rmsError(fit, screened) <= EXACT * spread)) continue;
      all ??= columnsOf(data, numerator, denominator);
      const full = solve(all, unit);
      if (!full || !(rmsError(full, all) <= EXACT * spread)) continue;
      const sparse = sparsify(full, all, spread);
      if (!sparse) continue;
      // Beyond degree 3 a dense ratio fits any smooth curve of a short range to this precision (exp(x) on [0, 2] at
      // degree 4 over 4: a Pade approximant, not a law); there only a ratio that leaves out most monomials is one.
      if (Math.max(dp, dq) > MIN_DEGREE && 2 * (sparse.numerator.length + sparse.denominator.length) > numerator.length + denominator.length) continue;
      // Q constant: a polynomial, which exactPolynomial writes.
      if (sparse.denominator.every((m) => m.every((e) => e === 0))) return null;
      const f = normalized(sparse);
      return { kind: 'mul', factors: [polynomialExpr(f.numerator, f.p), { kind: 'pow', base: polynomialExpr(f.denominator, f.q), exponent: { kind: 'const', value: -1 } }] };
    }
  }
  return null;
}

/** Most unknowns of one noisy fit (each step of its elimination inverts a Gram matrix this size). */
const MAX_NOISY_UNKNOWNS = 40;

/**
 * The ratio of polynomials that noisy rows support, for rows no ratio fits exactly. y * Q = P is fitted to a smoothed
 * target (polynomialSmooth): with raw noisy y in its columns too, least squares favours denominators near zero, where
 * the noise they multiply vanishes. Every pair of degrees and unit is fitted whole, rows weighted by 1/Q^2 from a first
 * fit (the linear residual is Q times the residual in y: Sanathanan and Koerner's reweighting); the few with the lowest
 * information criterion against y itself are thinned along the whole backward path (thinByBic), and the best wins. The criterion is always taken on the real rows: terms that only fit the smoothing's own error do not pay.
 * Candidates whose denominator comes near zero on the rows are refused. weights: per-row weights of the squared
 * residuals in y (a transformed target's noise varies with it), or null. A candidate for discover to judge on
 * validation rows, not a claim.
 */
export function significantRational(data: FitData, weights: Float64Array | null = null): Expr | null {
  const spread = standardDeviation(data.y);
  if (!(spread > 0) || !data.y.every(Number.isFinite) || data.columns.length === 0) return null;
  if (!data.columns.every((c) => c.every(Number.isFinite))) return null;
  // A curve of one input is smoothed by a spline, which follows a steep rise that a polynomial of every monomial cannot.
  const smooth = data.columns.length === 1 ? splineSmooth(data.columns[0]!, data.y, weights) : polynomialSmooth(data, weights);
  if (!smooth) return null;
  const smoothed: FitData = { ...data, y: smooth };
  const whole: { cols: MonomialColumns; unit: number; rowWeights: Float64Array; score: number }[] = [];
  const most = maxRationalDegree(data.columns.length);
  for (let dp = 0; dp <= most; dp++) {
    for (let dq = 1; dq <= most; dq++) {
      const numerator = monomialsUpTo(data.columns.length, dp);
      const denominator = monomialsUpTo(data.columns.length, dq);
      const unknowns = numerator.length + denominator.length - 1;
      if (unknowns > MAX_NOISY_UNKNOWNS || data.n < 4 * unknowns) continue;
      const cols = columnsOf(smoothed, numerator, denominator);
      for (let unit = 0; unit < denominator.length; unit++) {
        // Degrees above the law's leave Q undetermined (P and Q share any factor) and usually make it cross zero.
        const first = solve(cols, unit);
        if (!first || !keepsAwayFromZero(cols.data, cols.denominator, first.q)) continue;
        const q = combination(cols.q, first.q, data.n);
        const rowWeights = q.map((v, s) => (weights ? weights[s]! : 1) / (v * v));
        const fit = solve(cols, unit, rowWeights) ?? first!;
        if (!keepsAwayFromZero(cols.data, cols.denominator, fit.q)) continue;
        const sse = weightedSse(fit, { ...cols, data }, weights);
        if (Number.isFinite(sse)) whole.push({ cols, unit, rowWeights, score: bic(sse, data.n, unknowns) });
      }
    }
  }
  let best: { fit: RationalFit; score: number } | null = null;
  for (const c of whole.sort((p, q) => p.score - q.score).slice(0, THINNED_CANDIDATES)) {
    const thin = thinByBic(c.cols, data, c.unit, c.rowWeights, weights);
    if (thin && (!best || thin.score < best.score)) best = thin;
  }
  if (!best || best.fit.denominator.every((m) => m.every((e) => e === 0))) return null;
  const f = normalized(best.fit);
  return { kind: 'mul', factors: [polynomialExpr(f.numerator, f.p), { kind: 'pow', base: polynomialExpr(f.denominator, f.q), exponent: { kind: 'const', value: -1 } }] };
}

/** Whole fits (pair of degrees and unit) that significantRational thins, best first. */
const THINNED_CANDIDATES = 3;

/**
 * Backward elimination of y * Q = P (fitted to the smoothed target in cols, rows weighted by rowWeights, Q's `unit` at
 * 1) judged in y: each step drops the term whose removal leaves the lowest information criterion of P/Q against the
 * real rows (each refit a rank-one downdate of the inverse Gram matrix); the subset on the path with the lowest
 * criterion is returned.
 */
function thinByBic(cols: MonomialColumns, data: FitData, unit: number, rowWeights: Float64Array, weights: Float64Array | null): { fit: RationalFit; score: number } | null {
  const { n } = data;
  const yHat = cols.data.y;
  const others = cols.q.map((_, k) => k).filter((k) => k !== unit);
  const columns = [...cols.p, ...others.map((k) => cols.q[k]!.map((v, s) => -v * yHat[s]!))];
  const target = cols.q[unit]!.map((v, s) => v * yHat[s]!);
  const m = columns.length;
  const scales = columns.map((c) => Math.sqrt(c.reduce((a, v, s) => a + rowWeights[s]! * v * v, 0) / n) || 1);
  const unitCols = columns.map((c, k) => c.map((v) => v / scales[k]!));
  const { gram, rhs } = normalEquations(unitCols, target, rowWeights);
  const np = cols.p.length;
  // P/Q on the real rows for coefficients w over the active columns (numerator's first, then Q's others).
  const score = (active: readonly number[], w: ArrayLike<number>): number => {
    let sse = 0;
    for (let s = 0; s < n; s++) {
      let top = 0;
      let bottom = cols.q[unit]![s]!;
      for (let r = 0; r < active.length; r++) {
        const k = active[r]!;
        const c = w[r]! / scales[k]!;
        if (k < np) top += c * cols.p[k]![s]!;
        else bottom += c * cols.q[others[k - np]!]![s]!;
      }
      sse += (weights ? weights[s]! : 1) * (top / bottom - data.y[s]!) ** 2;
    }
    return Number.isFinite(sse) ? bic(sse, n, active.length) : Infinity;
  };
  // The whole path is walked, down to one term, and its best point kept: correlated terms can make the criterion rise
  // for a step before it falls further.
  let active = columns.map((_, k) => k);
  let best: { active: number[]; w: Float64Array; score: number } | null = null;
  while (active.length > 0) {
    const q = active.length;
    const inv = inverseDense(Float64Array.from({ length: q * q }, (_, e) => gram[active[Math.floor(e / q)]! * m + active[e % q]!]!), q);
    if (!inv) break;
    const w = Float64Array.from(active, (_, r) => active.reduce((a, c, k) => a + inv[r * q + k]! * rhs[c]!, 0));
    const here = score(active, w);
    if (!best || here < best.score) best = { active, w, score: here };
    let drop = -1;
    let dropScore = Infinity;
    for (let r = 0; r < q && q > 1; r++) {
      // Without column r: w - inv[:, r] * w_r / inv[r, r].
      const f = w[r]! / inv[r * q + r]!;
      const reduced = active.filter((_, i) => i !== r);
      const wr = Float64Array.from(reduced, (_, i) => {
        const from = i < r ? i : i + 1;
        return w[from]! - inv[from * q + r]! * f;
      });
      const sc = score(reduced, wr);
      if (drop < 0 || sc < dropScore) [drop, dropScore] = [r, sc];
    }
    if (drop < 0) break;
    active = active.filter((_, i) => i !== drop);
  }
  if (!best || !Number.isFinite(best.score)) return null;
  const { w, score: current } = best;
  active = best.active;
  const keptP = active.filter((k) => k < np);
  if (keptP.length === 0) return null;
  const keptQ = active.filter((k) => k >= np);
  const qIndices = [...keptQ.map((k) => others[k - np]!), unit].sort((a, b) => a - b);
  const coefficient = (k: number): number => w[active.indexOf(k)]! / scales[k]!;
  const qs = Float64Array.from(qIndices, (k) => (k === unit ? 1 : coefficient(np + others.indexOf(k))));
  const fit: RationalFit = { numerator: keptP.map((k) => cols.numerator[k]!), denominator: qIndices.map((k) => cols.denominator[k]!), p: Float64Array.from(keptP, coefficient), q: qs };
  return keepsAwayFromZero(data, fit.denominator, fit.q) ? { fit, score: current } : null;
}

/** The residual sum of squares of P/Q against y, each row weighted when weights are given. */
function weightedSse(fit: RationalFit, cols: MonomialColumns, weights: Float64Array | null): number {
  const { n, y } = cols.data;
  const top = combination(cols.p, fit.p, n);
  const bottom = combination(cols.q, fit.q, n);
  let ss = 0;
  for (let s = 0; s < n; s++) ss += (weights ? weights[s]! : 1) * (top[s]! / bottom[s]! - y[s]!) ** 2;
  return ss;
}

/**
 * A denominator (its monomials and their coefficients) that keeps one sign over the rows and nowhere comes near a pole:
 * at every row its Newton distance to zero, |Q| / |grad Q| with each input measured in its range over the rows, is at
 * least NOISY_POLE_CLEARANCE. The test is scale-free: 1 + x^4 over [0.2, 4] spans a factor of 250 and is a law's
 * denominator (x^4/(1 + x^4)), where a bound relative to its largest value took it for a near pole; x1 over [0.001, 1]
 * and x1 - x2 + 0.001 over the unit square are near poles.
 */
function keepsAwayFromZero(data: FitData, monomials: readonly number[][], coefficients: Float64Array): boolean {
  const ranges = data.columns.map((c) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of c) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    return hi - lo;
  });
  const value = combination(monomials.map((m) => monomialColumn(m, data)), coefficients, data.n);
  // Each input's partial derivative of Q, times the input's range.
  const slopes = data.columns.map((_, i) => {
    const slope = new Float64Array(data.n);
    monomials.forEach((m, k) => {
      if (m[i] === 0) return;
      const column = monomialColumn(m.map((e, j) => (j === i ? e - 1 : e)), data);
      for (let s = 0; s < data.n; s++) slope[s]! += coefficients[k]! * m[i]! * column[s]! * ranges[i]!;
    });
    return slope;
  });
  let sign = 0;
  for (let s = 0; s < data.n; s++) {
    const q = value[s]!;
    let gradient = 0;
    for (const slope of slopes) gradient += slope[s]! ** 2;
    if (!Number.isFinite(q) || !Number.isFinite(gradient) || q === 0 || !(Math.abs(q) >= NOISY_POLE_CLEARANCE * Math.sqrt(gradient))) return false;
    if (sign === 0) sign = Math.sign(q);
    else if (Math.sign(q) !== sign) return false;
  }
  return sign !== 0;
}

/** A noisy ratio's denominator must keep this fraction of the inputs' ranges (its Newton distance) from zero at every row. */
const NOISY_POLE_CLEARANCE = 1e-2;
