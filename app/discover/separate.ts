/**
 * Separation of a discovery problem (AI Feynman's separability tests, Udrescu & Tegmark 2020, with a trained KAN as the
 * oracle): when the target is a sum g(x_A) + h(x_B) of functions of disjoint groups of inputs, or a product g(x_A) h(x_B)
 * (a sum in log|y|), each group is a smaller problem of its own, searched apart and combined back. A group's function
 * may be beyond one network's reading of the whole, such as sin(x2^2) beside sin(x1) (two compositions in one sum),
 * Pagie's 1/(1 + x^-4) on each input, or a Planck spectrum's x^3/(exp(x) - 1) as one factor of a product, and within
 * its own search it is a curve the one-input readings find.
 *
 * The oracle decides both questions. Inputs i and j interact when the mixed difference
 * f(x) - f(x with x_i from another row) - f(x with x_j from another row) + f(x with both) is not zero; it vanishes for
 * every pair of rows exactly when f is additive in x_i and x_j. The groups are the connected components of the pairs
 * that interact. A group's target is y less the other groups' parts: a one-input group's part a cubic spline fitted to
 * the rows, a larger group's its partial dependence on the oracle (the oracle averaged over the other inputs of other
 * rows), and once a group's search has run, its formula. So a target carries the data's noise and the parts' error of
 * a fraction of a percent or less; the sum of the groups' formulas is refitted on the rows themselves, where that error
 * is gone.
 * For a product the same holds of log|y| and an oracle of it: a group's target is y divided by the other groups' factors.
 */
import type { Standardizer } from '../data/standardize';
import type { Kan } from '../kan/model';
import type { FitData } from '../symbolic/algebra/constants';
import { type Expr, evaluateExpr } from '../symbolic/algebra/expr';
import type { Batch } from '../train/types';
import type { DiscoverInput } from './discover';
import { standardisedTarget } from './structures';
import { SPLINE_INTERVALS, rangeOf, splineBasis } from './spline';
import { leastSquaresQR } from '../util/linalg';

/** Rows at which each pair's interaction is measured, and rows of other inputs each partial dependence averages over. */
const TEST_ROWS = 400;
const PARTNERS = 48;
/**
 * A pair interacts when the RMS of its mixed difference exceeds this many spreads of the target, or INTERACTION_SLACK
 * times the oracle's own validation RMSE (in spreads), whichever is larger: an oracle's errors at four points add up in
 * the difference. Measured on oracles of separable sums: under 0.01 on exact rows; x1*x2 inside a sum scores about 1.
 */
const INTERACTION = 0.02;
const INTERACTION_SLACK = 4;
/** An oracle that errs by more than this fraction of its target's spread is too rough to separate by. */
const ROUGH_ORACLE = 5e-2;

/** How the groups combine: a sum of their functions, or a product (a sum of their logs, the oracle modelling log|y|). */
export type Separation = 'sum' | 'product';

/** The target whose parts add up: y for a sum, log|y| for a product. */
function additive(y: Float64Array, kind: Separation): Float64Array {
  return kind === 'sum' ? y : y.map((v) => Math.log(Math.abs(v)));
}

/** A group's part of the target (of log|y| for a product) at the rows of both splits, in the target's units. */
export interface Part {
  train: Float64Array;
  validation: Float64Array;
}

/** Every pair's interaction, in spreads of the standardised target (the mixed difference's RMS at the test rows). */
export function interactions(oracle: Pick<Kan, 'forward'>, problem: DiscoverInput): number[][] {
  const nIn = problem.inputNames.length;
  const { x, n } = problem.validation;
  const rows = Math.min(TEST_ROWS, n);
  const step = n / rows;
  const picked = Array.from({ length: rows }, (_, q) => Math.floor(q * step));
  // Each test row's partner: a row half the split away, so the pair's values come from unrelated rows.
  const partner = picked.map((r) => (r + Math.floor(n / 2)) % n);
  const scores = Array.from({ length: nIn }, () => new Array<number>(nIn).fill(0));
  const evaluate = (swap: readonly number[]): Float64Array => {
    const batch = new Float64Array(rows * nIn);
    picked.forEach((r, q) => {
      for (let c = 0; c < nIn; c++) batch[q * nIn + c] = x[(swap.includes(c) ? partner[q]! : r) * nIn + c]!;
    });
    return oracle.forward(batch, rows);
  };
  const base = evaluate([]);
  const single = Array.from({ length: nIn }, (_, i) => evaluate([i]));
  for (let i = 0; i < nIn; i++) {
    for (let j = i + 1; j < nIn; j++) {
      const both = evaluate([i, j]);
      let sum = 0;
      for (let q = 0; q < rows; q++) sum += (base[q]! - single[i]![q]! - single[j]![q]! + both[q]!) ** 2;
      scores[i]![j] = scores[j]![i] = Math.sqrt(sum / rows);
    }
  }
  return scores;
}

/**
 * The inputs in groups that do not interact (the connected components of the interacting pairs), in input order; null
 * when they form one group. oracleRmse: the oracle's validation RMSE in spreads of its target.
 */
export function additiveGroups(scores: readonly (readonly number[])[], oracleRmse: number): number[][] | null {
  if (!(oracleRmse <= ROUGH_ORACLE)) return null;
  const nIn = scores.length;
  const bar = Math.max(INTERACTION, INTERACTION_SLACK * oracleRmse);
  const group = Array.from({ length: nIn }, (_, i) => i);
  const root = (i: number): number => (group[i] === i ? i : (group[i] = root(group[i]!)));
  for (let i = 0; i < nIn; i++) for (let j = i + 1; j < nIn; j++) if (scores[i]![j]! > bar) group[root(i)] = root(j);
  const byRoot = new Map<number, number[]>();
  for (let i = 0; i < nIn; i++) byRoot.set(root(i), [...(byRoot.get(root(i)) ?? []), i]);
  const groups = [...byRoot.values()];
  return groups.length >= 2 ? groups : null;
}

/**
 * Each group's part of the target as the oracle has it: its partial dependence on the group's inputs (the oracle at the
 * row's values of them and another row's values of the rest, averaged over PARTNERS rows of the training split), less
 * its mean over the training rows, in the target's units.
 */
export function oracleParts(oracle: Pick<Kan, 'forward'>, problem: DiscoverInput, groups: readonly number[][], kind: Separation): Part[] {
  const nIn = problem.inputNames.length;
  const of = (b: Batch): Batch => ({ ...b, y: additive(b.y, kind) });
  const { scale } = standardisedTarget(of(problem.train), of(problem.validation));
  const background = problem.train;
  const partners = Array.from({ length: Math.min(PARTNERS, background.n) }, (_, q) => Math.floor((q * background.n) / Math.min(PARTNERS, background.n)));
  /** The group's part at every row of a batch, less its mean over the training rows' part, in target units. */
  const part = (members: readonly number[], batch: Batch): Float64Array => {
    const x = new Float64Array(batch.n * partners.length * nIn);
    for (let s = 0; s < batch.n; s++) {
      partners.forEach((p, q) => {
        const at = (s * partners.length + q) * nIn;
        for (let c = 0; c < nIn; c++) x[at + c] = members.includes(c) ? batch.x[s * nIn + c]! : background.x[p * nIn + c]!;
      });
    }
    const f = oracle.forward(x, batch.n * partners.length);
    const out = new Float64Array(batch.n);
    for (let s = 0; s < batch.n; s++) {
      let sum = 0;
      for (let q = 0; q < partners.length; q++) sum += f[s * partners.length + q]!;
      out[s] = (scale * sum) / partners.length;
    }
    return out;
  };
  // The parts' means cancel in the sum of the groups' formulas, which is refitted; each is centred on the training rows.
  return groups.map((members) => centred({ train: part(members, problem.train), validation: part(members, problem.validation) }));
}

/**
 * The parts of one-input groups refitted as cubic splines (spline.ts), all together by least squares on y less the
 * other groups' parts, on the grid (of SPLINE_INTERVALS, as far as the rows allow 4 per unknown) that predicts the
 * validation rows best: far closer to the law than an oracle's
 * partial dependence (on x^4/(1 + x^4) + x2^4/(1 + x2^4) over [0.2, 4], 2e-5 of the target's spread against 4e-4), so
 * the first group's search sees a target nearly exact. The parts of larger groups stay as given; null when no group
 * has one input.
 */
export function splineParts(problem: DiscoverInput, groups: readonly number[][], parts: readonly Part[], kind: Separation): Part[] | null {
  const singles = groups.map((members, g) => (members.length === 1 ? g : -1)).filter((g) => g >= 0);
  if (singles.length === 0) return null;
  const rest = (split: 'train' | 'validation', y: Float64Array): Float64Array =>
    Float64Array.from(y, (v, s) => parts.reduce((r, p, g) => (singles.includes(g) ? r : r - p[split][s]!), v));
  const trainY = rest('train', additive(problem.rawTrain.y, kind));
  const validationY = rest('validation', additive(problem.rawValidation.y, kind));
  let best: { error: number; parts: Part[] } | null = null;
  for (const intervals of SPLINE_INTERVALS) {
    const unknowns = 1 + singles.length * (intervals + 2);
    if (problem.rawTrain.n < 4 * unknowns) break;
    const bases = singles.map((g) => {
      const input = groups[g]![0]!;
      const range = rangeOf(problem.rawTrain.columns[input]!);
      return { train: splineBasis(range, intervals, problem.rawTrain.columns[input]!), validation: splineBasis(range, intervals, problem.rawValidation.columns[input]!) };
    });
    // Each basis sums to one: its last function is left out, the intercept stands in for it.
    const columns = [new Float64Array(problem.rawTrain.n).fill(1), ...bases.flatMap((b) => b.train.slice(0, -1))];
    const w = leastSquaresQR(columns, trainY);
    if (!w) continue;
    let offset = 1;
    const fitted = bases.map((b) => {
      const coef = w.slice(offset, offset + b.train.length - 1);
      offset += b.train.length - 1;
      const at = (cols: Float64Array[], n: number): Float64Array => Float64Array.from({ length: n }, (_, s) => coef.reduce((a, c, m) => a + c * cols[m]![s]!, 0));
      return { train: at(b.train, problem.rawTrain.n), validation: at(b.validation, problem.rawValidation.n) };
    });
    let error = 0;
    for (let s = 0; s < problem.rawValidation.n; s++) error += (validationY[s]! - w[0]! - fitted.reduce((a, p) => a + p.validation[s]!, 0)) ** 2;
    if (best && !(error < best.error)) continue;
    const next = parts.slice();
    singles.forEach((g, q) => (next[g] = centred(fitted[q]!)));
    best = { error, parts: next };
  }
  return best?.parts ?? null;
}

/** The part less its mean over the training rows. */
function centred(part: Part): Part {
  const mean = part.train.reduce((a, v) => a + v, 0) / Math.max(1, part.train.length);
  return { train: part.train.map((v) => v - mean), validation: part.validation.map((v) => v - mean) };
}

/** The RMS of a part over the training rows: how much of the target it carries. */
export function partSize(part: Part): number {
  return Math.sqrt(part.train.reduce((a, v) => a + v * v, 0) / Math.max(1, part.train.length));
}

/** The group's problem: its inputs, and the target less the other groups' parts (divided by their factors, for a product). */
export function groupProblem(problem: DiscoverInput, members: readonly number[], others: readonly Part[], kind: Separation): DiscoverInput {
  const target = (y: Float64Array, split: 'train' | 'validation'): Float64Array =>
    Float64Array.from(y, (v, s) => {
      const rest = others.reduce((sum, p) => sum + p[split][s]!, 0);
      return kind === 'sum' ? v - rest : v / Math.exp(rest);
    });
  return restrict(problem, members, target(problem.train.y, 'train'), target(problem.validation.y, 'validation'));
}

/**
 * A group's formula (in the group's inputs, as its own search found it) as the group's part of the target: its values
 * at the rows less its constant term (for a product: the log of its magnitude without its constant factor). Where the
 * formula is the group's law, the next group's target is exact, up to a constant of its own law's choosing (the
 * read-offs of y^2 or 1/y need the law's own offset).
 */
export function formulaPart(expr: Expr, problem: DiscoverInput, members: readonly number[], kind: Separation): Part {
  const varying = kind === 'sum' ? withoutConstant(expr, 'add') : withoutConstant(expr, 'mul');
  const at = (d: FitData): Float64Array => additive(evaluateExpr(varying, members.map((c) => d.columns[c]!), d.n), kind);
  return { train: at(problem.rawTrain), validation: at(problem.rawValidation) };
}

/** The expression without its constant terms (of a sum) or factors (of a product). */
function withoutConstant(e: Expr, kind: 'add' | 'mul'): Expr {
  if (e.kind !== kind || (e.kind !== 'add' && e.kind !== 'mul')) return e;
  const items = (e.kind === 'add' ? e.terms : e.factors).filter((t) => t.kind !== 'const');
  if (items.length === 0) return { kind: 'const', value: kind === 'add' ? 0 : 1 };
  if (items.length === 1) return items[0]!;
  return kind === 'add' ? { kind: 'add', terms: items } : { kind: 'mul', factors: items };
}

/** The problem on a subset of its inputs, with new targets for its training and validation splits. */
function restrict(problem: DiscoverInput, members: readonly number[], trainY: Float64Array, validationY: Float64Array): DiscoverInput {
  const nIn = problem.inputNames.length;
  const batch = (b: Batch, y: Float64Array): Batch => {
    const x = new Float64Array(b.n * members.length);
    for (let s = 0; s < b.n; s++) members.forEach((c, k) => (x[s * members.length + k] = b.x[s * nIn + c]!));
    return { x, y, n: b.n };
  };
  const raw = (d: FitData, y: Float64Array): FitData => ({ columns: members.map((c) => d.columns[c]!), y, n: d.n });
  const inputNames = members.map((c) => problem.inputNames[c]!);
  const standardizer: Standardizer | null = problem.standardizer && restrictStandardizer(problem.standardizer, inputNames);
  return {
    inputNames,
    standardizer,
    train: batch(problem.train, trainY),
    validation: batch(problem.validation, validationY),
    rawTrain: raw(problem.rawTrain, trainY),
    rawValidation: raw(problem.rawValidation, validationY),
  };
}

function restrictStandardizer(s: Standardizer, names: readonly string[]): Standardizer {
  const index = names.map((name) => s.columns.indexOf(name)).filter((c) => c >= 0);
  return { columns: index.map((c) => s.columns[c]!), mean: index.map((c) => s.mean[c]!), std: index.map((c) => s.std[c]!) };
}
