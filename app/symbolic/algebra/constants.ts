/**
 * The constants of a whole formula against data: least-squares refitting (Levenberg–Marquardt, forward-difference
 * Jacobian, full double precision), snapping to simple exact values (integers, p/q, rational multiples of pi, 1/pi, e,
 * sqrt 2, sqrt 3, pi^2) while the validation error holds, and dropping terms that contribute nothing.
 * A constant marked exact is structure, not a parameter: it is never refitted.
 */
import { type Basis, type Expr, BASIS_VALUE, constant, evaluateExpr, exactConst } from './expr';
import { compileExpr } from './compile';
import { simplifyExpr } from './simplify';
import { inverseDense, normalEquations, solveDense } from '../../util/linalg';

type Const = Extract<Expr, { kind: 'const' }>;

export interface FitData {
  /** columns[i]: values of model input i. */
  columns: readonly Float64Array[];
  y: Float64Array;
  n: number;
}

/** Visits every constant in a fixed order (depth first, children in order) and rebuilds the tree with what f returns. */
function mapConstants(e: Expr, f: (c: Const) => Expr): Expr {
  switch (e.kind) {
    case 'const':
      return f(e);
    case 'var':
      return e;
    case 'add':
      return { kind: 'add', terms: e.terms.map((t) => mapConstants(t, f)) };
    case 'mul':
      return { kind: 'mul', factors: e.factors.map((t) => mapConstants(t, f)) };
    case 'pow': {
      const base = mapConstants(e.base, f);
      return { kind: 'pow', base, exponent: mapConstants(e.exponent, f) };
    }
    case 'fn':
      return { kind: 'fn', name: e.name, arg: mapConstants(e.arg, f) };
  }
}

function allConstants(e: Expr): Const[] {
  const found: Const[] = [];
  mapConstants(e, (c) => (found.push(c), c));
  return found;
}

export function freeConstants(e: Expr): number[] {
  return allConstants(e).filter((c) => c.exact === undefined).map((c) => c.value);
}

export function withConstants(e: Expr, values: readonly number[]): Expr {
  let next = 0;
  const result = mapConstants(e, (c) => (c.exact === undefined ? constant(values[next++]!) : c));
  if (next !== values.length) throw new Error(`the formula has ${next} free constants, but ${values.length} values were given`);
  return result;
}

/** Replaces the constant at position `position` of allConstants order. */
function withConstantAt(e: Expr, position: number, replacement: Const): Expr {
  let seen = 0;
  return mapConstants(e, (c) => (seen++ === position ? replacement : c));
}

/** Sum of squared residuals; Infinity when any prediction is not finite. */
function sumOfSquares(e: Expr, data: FitData): number {
  const predicted = evaluateExpr(e, data.columns, data.n);
  let s = 0;
  for (let r = 0; r < data.n; r++) {
    const d = predicted[r]! - data.y[r]!;
    s += d * d;
  }
  return Number.isFinite(s) ? s : Infinity;
}

const rmseOf = (e: Expr, data: FitData): number => Math.sqrt(sumOfSquares(e, data) / Math.max(1, data.n));

/**
 * Levenberg–Marquardt stops after LM_PATIENCE steps in a row that each lower the squared error by less than
 * LM_SLOW_GAIN of it: a formula of the right form converges quadratically to rounding noise and never crawls, while one
 * of the wrong form would crawl along a valley for every iteration allowed, gaining nothing that changes its rank.
 */
const LM_SLOW_GAIN = 1e-4;
const LM_PATIENCE = 4;

/**
 * Levenberg–Marquardt on every free constant against data.y. Steps that raise the error or produce a non-finite
 * prediction are rejected (the damping grows instead), so the result is never worse than the start.
 */
export function refitConstants(e: Expr, data: FitData, options: { maxIterations?: number } = {}): { expr: Expr; rmse: number } {
  const maxIterations = options.maxIterations ?? 100;
  let params = Float64Array.from(freeConstants(e));
  const m = params.length;
  const n = data.n;
  const compiled = compileExpr(e, (values) => withConstants(e, values));
  const predict = (p: ArrayLike<number>): Float64Array => compiled(p, data.columns, n);
  const costOf = (pred: Float64Array): number => {
    let s = 0;
    for (let r = 0; r < n; r++) s += (pred[r]! - data.y[r]!) ** 2;
    return Number.isFinite(s) ? s : Infinity;
  };
  let current = predict(params);
  let cost = costOf(current);
  let damping = 1e-3;
  let slow = 0;
  for (let iteration = 0; iteration < maxIterations && m > 0 && cost > 0 && slow < LM_PATIENCE; iteration++) {
    const jacobian: Float64Array[] = [];
    for (let j = 0; j < m; j++) {
      const step = 1.5e-8 * Math.max(Math.abs(params[j]!), 1e-3);
      const shifted = Float64Array.from(params);
      shifted[j]! += step;
      let moved = predict(shifted);
      let h = step;
      if (!moved.every(Number.isFinite)) {
        shifted[j] = params[j]! - step;
        moved = predict(shifted);
        h = -step;
      }
      const column = new Float64Array(n);
      // A constant that cannot move either way without leaving the formula's domain on some row (the integer exponent
      // of a base that changes sign) is held this iteration: a partial column would send every step out of the domain.
      if (moved.every(Number.isFinite)) for (let r = 0; r < n; r++) column[r] = (moved[r]! - current[r]!) / h;
      jacobian.push(column);
    }
    const normal = Array.from({ length: m }, () => new Float64Array(m));
    const gradient = new Float64Array(m);
    for (let i = 0; i < m; i++) {
      for (let r = 0; r < n; r++) gradient[i]! += jacobian[i]![r]! * (data.y[r]! - current[r]!);
      for (let k = 0; k <= i; k++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += jacobian[i]![r]! * jacobian[k]![r]!;
        normal[i]![k] = s;
        normal[k]![i] = s;
      }
    }
    const largestDiagonal = Math.max(...normal.map((row, i) => row[i]!), 1e-300);
    let improved = false;
    while (damping < 1e16) {
      const damped = normal.map((row, i) => {
        const copy = Float64Array.from(row);
        copy[i]! += damping * Math.max(row[i]!, 1e-12 * largestDiagonal);
        return copy;
      });
      const flat = new Float64Array(m * m);
      damped.forEach((row, i) => flat.set(row, i * m));
      const delta = solveDense(flat, gradient, m);
      if (delta !== null && delta.every(Number.isFinite)) {
        const trial = params.map((p, i) => p + delta[i]!);
        const predicted = predict(trial);
        const trialCost = costOf(predicted);
        if (trialCost < cost) {
          const previous = cost;
          params = trial;
          current = predicted;
          cost = trialCost;
          damping = Math.max(damping / 3, 1e-15);
          improved = previous - trialCost > 1e-12 * previous;
          slow = previous - trialCost < LM_SLOW_GAIN * previous ? slow + 1 : 0;
          break;
        }
      }
      damping *= 4;
    }
    if (!improved) break;
  }
  return { expr: withConstants(e, Array.from(params)), rmse: Math.sqrt(cost / Math.max(1, n)) };
}

const SNAP_BASES: readonly Basis[] = ['one', 'pi', '1/pi', 'e', 'sqrt2', 'sqrt3', 'pi^2', '1/pi^2', 'sqrt(pi)', '1/sqrt(pi)', 'sqrt(2pi)', '1/sqrt(2pi)'];
/**
 * The digits a basis adds to a constant's writing (snapWindow): one for pi, e, a root; two for the later bases, which are
 * tried only where the rows pin the constant down to their digits (RARE_BASIS_DIGITS): on noisy rows every basis is one
 * more value a constant may lie near by chance (0.0225158 in a tangle was 2/(9*pi^2) within its error, and won the
 * front from the law it rivalled).
 */
const BASIS_DIGITS: Readonly<Record<Basis, number>> = {
  one: 0, pi: 1, '1/pi': 1, e: 1, sqrt2: 1, sqrt3: 1, 'pi^2': 1, '1/pi^2': 2, 'sqrt(pi)': 2, '1/sqrt(pi)': 2, 'sqrt(2pi)': 2, '1/sqrt(2pi)': 2,
};
/** Bases with this many digits or more are tried only where the constant's uncertainty is below their window. */
const RARE_BASIS_DIGITS = 2;
/** Candidates are tried only this close (relative) to the constant, the simplest three, and 0 (snapCandidates). */
const SNAP_WINDOW = 0.05;
const SNAP_CANDIDATES = 3;
/** Standard errors a snap candidate may lie from a noisy constant. */
const UNCERTAINTY_WINDOW = 2;
/** Refitting after a trial snap starts next to the optimum, so a few LM steps suffice. */
const TRIAL_ITERATIONS = 30;

/**
 * How close (relative) a constant must be to p/q * basis to be tried as it: a value that takes d digits to write (the
 * digits of p and q, and the basis's, BASIS_DIGITS) must match to about 10^-d, so 2.4987 may become 5/2 but 26.85 is
 * not taken for 928/(11*pi): a value that long explains nothing unless it matches that closely. A constant fitted to
 * noisy rows is only known to within its standard error, so the window is at least `uncertainty` (relative) wide.
 */
function snapWindow(digits: number, uncertainty: number): number {
  return Math.min(SNAP_WINDOW, Math.max(10 ** -digits, uncertainty));
}

/** The digits p/q * basis takes to write: those of p and q, and the basis's (BASIS_DIGITS). */
function digitsOf(p: number, q: number, basis: Basis): number {
  return String(Math.abs(p)).length + (q > 1 ? String(q).length : 0) + BASIS_DIGITS[basis];
}

/**
 * Simple exact values near v, simplest first (fewest digits to write, then nearest): p/q * basis with q <= 12, then 0
 * (first, where v is within its relative uncertainty of 0).
 * Simplest first, because on noisy rows several may fit as well: 0.9883 is 1, not 4*sqrt(3)/7.
 */
function snapCandidates(v: number, uncertainty = 0): Const[] {
  const seen = new Map<number, { c: Const; distance: number; digits: number }>();
  for (const basis of SNAP_BASES) {
    for (let q = 1; q <= 12; q++) {
      const p = Math.round((v / BASIS_VALUE[basis]) * q);
      if (p === 0) continue;
      const c = exactConst(p, q, basis) as Const | undefined;
      if (c === undefined || seen.has(c.value)) continue;
      const distance = Math.abs(c.value - v);
      const digits = digitsOf(c.exact!.p, c.exact!.q, c.exact!.basis);
      if (BASIS_DIGITS[basis] >= RARE_BASIS_DIGITS && uncertainty > 10 ** -digits) continue;
      if (distance <= snapWindow(digits, uncertainty) * Math.abs(v)) seen.set(c.value, { c, distance, digits });
    }
  }
  const near = [...seen.values()].sort((a, b) => a.digits - b.digits || a.distance - b.distance).slice(0, SNAP_CANDIDATES).map((s) => s.c);
  const zero = exactConst(0, 1) as Const;
  // 0 is the simplest value of all: tried first where the estimate is within its uncertainty of it (a noisy offset of
  // -0.05 +- 0.03 is no -1/(6*pi)), else last.
  return v === 0 ? [zero] : uncertainty >= 1 ? [zero, ...near] : [...near, zero];
}

/** Forward-difference derivatives of the predictions by each free constant, per allConstants position. */
function jacobianColumns(e: Expr, data: FitData, positions: readonly number[]): Map<number, Float64Array> {
  const base = evaluateExpr(e, data.columns, data.n);
  const constants = allConstants(e);
  return new Map(positions.map((position) => {
    const c = constants[position]!;
    const step = 1e-6 * Math.max(Math.abs(c.value), 1e-6);
    const moved = evaluateExpr(withConstantAt(e, position, constant(c.value + step) as Const), data.columns, data.n);
    return [position, Float64Array.from(moved, (v, r) => (v - base[r]!) / step)];
  }));
}

/** How much each constant moves the prediction: RMS over the rows of |d prediction / d c| * |c|, per position. */
function influence(e: Expr, jacobian: ReadonlyMap<number, Float64Array>): Map<number, number> {
  const constants = allConstants(e);
  const result = new Map<number, number>();
  for (const [position, column] of jacobian) {
    const c = constants[position]!;
    let s = 0;
    for (let r = 0; r < column.length; r++) {
      const d = column[r]! * c.value;
      if (Number.isFinite(d)) s += d * d;
    }
    result.set(position, Math.sqrt(s / Math.max(1, column.length)));
  }
  return result;
}

/**
 * Relative standard errors of the free constants fitted to rows with noise of this standard deviation: noise *
 * sqrt((J^T J)^-1_jj) / |c_j|, J the Jacobian of the predictions (0 where it is singular).
 */
function relativeStandardErrors(e: Expr, jacobian: ReadonlyMap<number, Float64Array>, noise: number): Map<number, number> {
  const positions = [...jacobian.keys()];
  const out = new Map<number, number>(positions.map((p) => [p, 0]));
  if (!(noise > 0) || positions.length === 0) return out;
  const constants = allConstants(e);
  const columns = [...jacobian.values()];
  const m = columns.length;
  // J^T J; the right-hand side normalEquations also forms (against the first column) is not needed.
  const { gram } = normalEquations(columns, columns[0]!);
  if (!gram.every(Number.isFinite)) return out;
  const inverse = inverseDense(gram, m);
  if (!inverse) return out;
  positions.forEach((position, j) => {
    const relative = (noise * Math.sqrt(Math.max(0, inverse[j * m + j]!))) / Math.abs(constants[position]!.value);
    if (Number.isFinite(relative)) out.set(position, relative);
  });
  return out;
}

function rootMeanSquare(values: Float64Array, n: number): number {
  let s = 0;
  for (let r = 0; r < n; r++) s += values[r]! ** 2;
  return Math.sqrt(s / Math.max(1, n));
}

/**
 * Snaps free constants to simple exact values, most influential first. A snap is kept when, with the remaining free
 * constants refitted on train, the validation RMSE stays at or below the allowance: max(1e-9 * RMS(validation y),
 * (1 + tolerance) * the validation RMSE before any snap), tolerance defaulting to 0.05. Measuring every snap against the
 * starting error (not the previous one) keeps the allowed rises from compounding. Snapped constants become exact.
 *
 * noise: the standard deviation of the targets' noise, where the data has some (the best error any model reaches). A
 * constant fitted to noisy rows is off its true value by its estimation error, and fixing it at the true value costs
 * about noise^2 / n of mean square error; the allowance then also takes, per constant snapped, the price a parameter
 * has in the Bayesian information criterion, noise^2 * ln(n) / n (n training rows). On exact data noise is at rounding
 * and nothing changes; a tolerance alone would have kept 1.00013 * x2^2 from becoming x2^2 on rows with 1% noise. The
 * noise also widens which values are tried: those within two standard errors of the estimate (from the Jacobian at the
 * start), so a noisy 0.07985 may be tried as 1/(4*pi), where its three digits alone would ask for a match to 0.1%.
 */
export function snapConstants(e: Expr, train: FitData, validation: FitData, options: { tolerance?: number; noise?: number } = {}): { expr: Expr; rmse: number; snapped: number } {
  const tolerance = options.tolerance ?? 0.05;
  const startRmse = rmseOf(e, validation);
  // A formula undefined somewhere on the validation data has no error to hold: nothing is snapped.
  if (!Number.isFinite(startRmse)) return { expr: e, rmse: startRmse, snapped: 0 };
  const floor = 1e-9 * rootMeanSquare(validation.y, validation.n);
  const parameterPrice = (options.noise ?? 0) ** 2 * (Math.log(Math.max(2, train.n)) / Math.max(2, train.n));
  // Trials refit the other constants on these training rows: on noisy rows the start is also measured after that refit
  // (when it is worse), or each trial would pay for fitting fewer rows than the start was fitted on.
  const refitStart = parameterPrice > 0 ? rmseOf(refitConstants(e, train, { maxIterations: TRIAL_ITERATIONS }).expr, validation) : startRmse;
  const baseline = Number.isFinite(refitStart) ? Math.max(startRmse, refitStart) : startRmse;
  const allowance = (snapsSoFar: number): number => Math.max(floor, (1 + tolerance) * baseline, Math.sqrt(baseline ** 2 + (snapsSoFar + 1) * parameterPrice));
  const freePositions = allConstants(e).flatMap((c, position) => (c.exact === undefined ? [position] : []));
  const jacobian = jacobianColumns(e, train, freePositions);
  const weights = influence(e, jacobian);
  const order = [...freePositions].sort((a, b) => weights.get(b)! - weights.get(a)!);
  // Candidates within two standard errors of a noisy estimate are tried (the allowance still decides).
  const uncertainty = relativeStandardErrors(e, jacobian, options.noise ?? 0);
  let current = e;
  let rmse = startRmse;
  let snapped = 0;
  for (const position of order) {
    const value = allConstants(current)[position]!.value;
    for (const candidate of snapCandidates(value, UNCERTAINTY_WINDOW * uncertainty.get(position)!)) {
      const refit = refitConstants(withConstantAt(current, position, candidate), train, { maxIterations: TRIAL_ITERATIONS });
      const trialRmse = rmseOf(refit.expr, validation);
      if (trialRmse <= allowance(snapped)) {
        current = refit.expr;
        rmse = trialRmse;
        snapped++;
        break;
      }
    }
  }
  const simplified = simplifyExpr(current);
  const refitSimplified = refitConstants(simplified, train);
  const simplifiedRmse = rmseOf(refitSimplified.expr, validation);
  if (simplifiedRmse <= Math.max(allowance(snapped), rmse)) return { expr: refitSimplified.expr, rmse: simplifiedRmse, snapped };
  return { expr: current, rmse, snapped };
}

/**
 * Removes terms of a top-level sum whose largest absolute contribution on data is below tolerance * max|y|, then refits
 * the rest. Terms whose contribution is not finite somewhere are kept.
 */
export function dropNegligibleTerms(e: Expr, data: FitData, tolerance: number): Expr {
  if (e.kind !== 'add') return e;
  let scale = 0;
  for (let r = 0; r < data.n; r++) scale = Math.max(scale, Math.abs(data.y[r]!));
  const kept = e.terms.filter((term) => {
    const values = evaluateExpr(term, data.columns, data.n);
    let largest = 0;
    for (let r = 0; r < data.n; r++) largest = Math.max(largest, Number.isFinite(values[r]!) ? Math.abs(values[r]!) : Infinity);
    return largest >= tolerance * scale;
  });
  if (kept.length === e.terms.length) return e;
  const reduced: Expr = kept.length === 0 ? constant(0) : kept.length === 1 ? kept[0]! : { kind: 'add', terms: kept };
  return simplifyExpr(refitConstants(reduced, data).expr);
}
