/**
 * Reduction of a discovery problem by its symmetries (the symmetry test of AI Feynman, Udrescu & Tegmark 2020, with a
 * trained KAN as the oracle): when the target depends on two inputs only through their product, ratio, sum or
 * difference, the oracle's gradient shows it (x_i f_i = x_j f_j for a product, x_i f_i = -x_j f_j for a ratio,
 * f_i = f_j for a sum, f_i = -f_j for a difference), and the pair is replaced by one new input. A law of three inputs
 * such as sin(2*pi*x1*x2/x3)^2 becomes a curve of one; its formulas are written back in the original inputs.
 *
 * The ratio generalises to scaling: a target homogeneous of degree p in a pair, f(t x_i, t x_j) = t^p f, satisfies
 * Euler's identity x_i f_i + x_j f_j = p f, and is x_j^p times a function of x_i / x_j. Quantities of one unit (a speed
 * and the speed of light, an angle's spread and its offset) enter physical laws this way: m c^2 / sqrt(1 - v^2/c^2) is
 * c^2 times a function of v/c. The pair becomes their ratio and the target y / x_j^p, for p a multiple of 1/2.
 */
import { type Standardizer, columnScale } from '../data/standardize';
import type { DiscoverInput } from './discover';
import { CLEARANCE, zeroClearance } from './polynomial';
import { productSign, standardDeviation, standardisedTarget, validationRmse } from './structures';
import { clearDomains } from '../kan/domain';
import { refineGrid } from '../kan/grid';
import { Kan } from '../kan/model';
import { type Expr } from '../symbolic/algebra/expr';
import type { FitData } from '../symbolic/algebra/constants';
import { fit } from '../train/fit';
import type { Batch } from '../train/types';
import { Rng } from '../util/rng';

export type Combination = 'product' | 'ratio' | 'sum' | 'difference' | 'scaling';

/** Inputs i and j may be replaced by their combination; score is the relative violation of the symmetry (0: exact). */
export interface Symmetry {
  i: number;
  j: number;
  combination: Combination;
  score: number;
  /** 'scaling': the degree p (a nonzero multiple of 1/2; a degree of 0 is the ratio). */
  degree?: number;
}

/**
 * A pair is tried for merging when the oracle violates its symmetry by less than this (relative RMS of the gradient
 * identity). Measured on the Feynman benchmark's oracles: true symmetries scored 1e-3 to 7e-2, false ones 0.1 and up;
 * the refit of the merged problem settles the cases in between.
 */
export const SYMMETRY_THRESHOLD = 0.15;
/**
 * The threshold grows by this many times the oracle's validation RMSE (in units of the spread): 0.005 or less on exact
 * rows, about 0.09 on an oracle of rows with 1% noise. The merge is still kept only where a new oracle fits it.
 */
const NOISY_ORACLE_SLACK = 3;
/**
 * A pair that misses the threshold is still tried when its score is at most SEPARATED_CAP and at most 1/SEPARATION of
 * every other pair's. On noisy rows an input of weak effect has gradients the oracle's noise swamps, which lifts every
 * score alike: the Lorentz factor's x2/x3 with 1% noise (of the targets' RMS, 2.8% of their spread) scored 0.34 against
 * 0.8 and 0.9 for the false pairs. A false merge still has to pass the merged oracle's fit.
 */
const SEPARATED_CAP = 0.5;
const SEPARATION = 2;
/** Candidate pairs tried per merge. */
const TRIES_PER_LEVEL = 2;
/**
 * A merge is kept when the merged problem's oracle fits within this factor of the larger problem's, or under the floor
 * (an oracle's error varies by a few times between problems of one law; after a false merge, measured on the
 * benchmark's near misses, no oracle reached ORACLE_ACCURACY at all).
 */
const KEEP_FACTOR = 2;
const ORACLE_FLOOR = 1e-2;
/**
 * An oracle whose validation RMSE exceeds this fraction of the target's spread has gradients too rough to test. Noise
 * sets a floor under it: 1% of the targets' RMS is 2.8% of the Lorentz factor's spread (x1/sqrt(1 - x2^2/x3^2)), and
 * the oracle of its merged problem fits to 3.2% (3% turned that true merge away).
 */
const ORACLE_ACCURACY = 5e-2;
/**
 * An oracle of y this rough (validation RMSE over the target's spread) whose symmetries fail is retried on log|y|; a
 * finer one's failure is the symmetry's own, and the retry (an oracle more) is not worth its time.
 */
const ROUGH_ORACLE = 2e-2;
/** L-BFGS steps of the oracle. */
const ORACLE_STEPS = 60;
/** The oracle's grid after refinement. */
export const ORACLE_GRID = 10;
/**
 * A law needs a grid finer than the recipe's when the oracle at that grid misses it by more than this fraction of the
 * target's spread and its refinement to ORACLE_GRID cuts the error by more than FINER_GRID_GAIN: a factor that turns
 * over several times in its input's range (cos(2*pi*x2) on [-1, 1]) is beyond 3 intervals, and every structure trained
 * on them reads a tangle. x1*cos(2*pi*x2) gains 6 to 11 (0.024-0.035 to 0.003), and 3.6 with noise of 2.5% of its
 * spread (0.100 to 0.028); the Feynman laws whose coarse oracle misses by over 1% gain 1.1 to 3.7 (x1*x2*sin(x3)), and
 * a smooth law's oracle on noisy rows fits down to the noise on both grids. A false alarm costs time, not the law: the
 * structures are trained on both grids.
 */
const COARSE_MISS = 1e-2;
const FINER_GRID_GAIN = 3;
/** Rows whose gradients are tested. */
const TEST_ROWS = 400;
/** An input whose effect on the target is under this fraction of the strongest input's is not merged. */
const NEGLIGIBLE_EFFECT = 1e-3;

/**
 * A smaller problem, each of its inputs as an expression in the original problem's inputs, and the factor (in those
 * inputs) its target was divided by: a formula g of the smaller problem is factor * g in the original.
 */
export interface Reduced {
  problem: DiscoverInput;
  inputs: Expr[];
  factor: Expr | null;
  /** "x1*x2 -> z1, z1/x3 -> z2" */
  steps: string[];
}

/** Whether the oracle shows that the structures should be trained on ORACLE_GRID as well as the recipe's grid. */
export function needsFinerGrid(oracle: Oracle | null, options: OracleOptions): boolean {
  return oracle !== null && options.grid < ORACLE_GRID && oracle.coarseRmse > COARSE_MISS && oracle.rmse * FINER_GRID_GAIN < oracle.coarseRmse;
}

export interface OracleOptions {
  hidden: number;
  grid: number;
  k: number;
  seed: number;
}

/**
 * The problem reduced by every symmetry the oracle finds, one pair at a time; null when no pair merges. A pair whose
 * gradient test passes merges only when a new oracle fits the smaller problem about as well as the old one fitted the
 * larger (a false symmetry loses information and the fit shows it); that oracle then tests the next pair.
 */
export function reduceBySymmetry(problem: DiscoverInput, options: OracleOptions, outOfTime: () => boolean, firstOracle?: Oracle | null): Reduced | null {
  if (problem.inputNames.length < 2) return null;
  let current: Reduced = { problem, inputs: problem.inputNames.map((_, i): Expr => ({ kind: 'var', index: i })), factor: null, steps: [] };
  /** The level's merge by this oracle's symmetries (the merged problem's oracle models the same target), and whether any was tried. */
  const level = (oracle: Oracle): { accepted: { reduced: Reduced; oracle: Oracle | null } | null; tried: boolean } => {
    const bar = Math.max(KEEP_FACTOR * oracle.rmse, ORACLE_FLOOR);
    let tried = false;
    // An oracle fitted to noisy rows differentiates the noise too: its violations rise with its error (the true product
    // of tanh(x1*x2 + x3) with 1% noise scores 0.22 on an oracle missing by 0.029 of the spread; false pairs 0.8).
    const threshold = SYMMETRY_THRESHOLD + NOISY_ORACLE_SLACK * oracle.rmse;
    const all = findSymmetries(oracle.kan, current.problem, oracle.logTarget);
    const passing = all.filter((s) => s.score <= threshold);
    // Where none passes, a pair far below every other still stands out (see SEPARATION); the merged oracle decides.
    if (passing.length === 0 && all.length >= 2 && all[0]!.score <= SEPARATED_CAP && all[0]!.score * SEPARATION <= all[1]!.score) passing.push(all[0]!);
    for (const symmetry of passing.slice(0, TRIES_PER_LEVEL)) {
      if (outOfTime()) break;
      tried = true;
      const reduced = mergePair(current, symmetry);
      const next = trainOracle(reduced.problem, options, oracle.logTarget);
      if ((next && next.rmse <= bar) || (reduced.problem.inputNames.length === 1 && curveRoughness(reduced.problem) <= bar)) return { accepted: { reduced, oracle: next }, tried };
    }
    return { accepted: null, tried };
  };
  let oracle = firstOracle === undefined ? trainOracle(problem, options, false) : accurate(firstOracle);
  while (current.problem.inputNames.length > 1 && !outOfTime()) {
    let outcome = oracle ? level(oracle) : { accepted: null, tried: true };
    // The oracle of y was too rough to test, or rough and its symmetries did not survive the merge: the oracle of log|y|
    // (a product's sum) once more, where the target keeps one sign.
    if (!outcome.accepted && outcome.tried && !(oracle && (oracle.logTarget || oracle.rmse <= ROUGH_ORACLE)) && !outOfTime()) {
      const logOracle = trainOracle(current.problem, options, true);
      if (logOracle) outcome = level(logOracle);
    }
    if (!outcome.accepted) break;
    current = outcome.accepted.reduced;
    oracle = outcome.accepted.oracle;
  }
  return current.steps.length > 0 ? current : null;
}

/**
 * How far a one-input problem's target is from a curve in its input, as a fraction of its spread: the rows (training
 * and validation) sorted by the input, the RMS of each target's distance from the line through its neighbours. A true
 * merge leaves a smooth curve (a distance of the order of the curvature times the squared spacing of 1000 rows); a false
 * one leaves a scatter of the order of the spread. It stands in for the oracle where a KAN's grid fits a curve poorly
 * (a Gaussian's sparse tails), so that the oracle's error would turn a true merge away.
 */
export function curveRoughness(problem: DiscoverInput): number {
  const x = [...problem.rawTrain.columns[0]!, ...problem.rawValidation.columns[0]!];
  const y = [...problem.rawTrain.y, ...problem.rawValidation.y];
  const order = x.map((_, s) => s).sort((p, q) => x[p]! - x[q]!);
  const spread = standardDeviation(Float64Array.from(y));
  if (!(spread > 0) || order.length < 3) return 0;
  let sum = 0;
  let count = 0;
  for (let q = 1; q + 1 < order.length; q++) {
    const [a, b, c] = [order[q - 1]!, order[q]!, order[q + 1]!];
    const span = x[c]! - x[a]!;
    if (!(span > 0)) continue;
    const t = (x[b]! - x[a]!) / span;
    sum += (y[b]! - ((1 - t) * y[a]! + t * y[c]!)) ** 2;
    count++;
  }
  return count > 0 ? Math.sqrt(sum / count) / spread : 0;
}

/** A trained oracle and its validation RMSE in units of its target's spread. */
export interface Oracle {
  kan: Kan;
  rmse: number;
  /** The oracle models log|y| (the target keeps one sign), not y. */
  logTarget: boolean;
  /** Its validation RMSE on the recipe's grid, before the refinement (in units of its target's spread). */
  coarseRmse: number;
}

/**
 * The target an oracle learns: y, or log|y| when asked and y keeps one sign (else null). A product of factors, the commonest form of a
 * law, is a sum in log|y|, which a sum KAN fits to a fraction of the error it makes on y (x1 x2^2 / sqrt(1 - x2^2/x3^2):
 * 0.025 of the spread on y, too rough a gradient to pass the symmetry test of the merged problem); and every symmetry
 * identity reads the same on log|y| (see findSymmetries).
 */
function oracleTarget(problem: DiscoverInput, logTarget: boolean): { train: Batch; validation: Batch; logTarget: boolean } | null {
  if (!logTarget) return { train: problem.train, validation: problem.validation, logTarget: false };
  const sign = productSign(problem.train.y);
  if (sign === 0 || productSign(problem.validation.y) !== sign) return null;
  const log = (b: Batch): Batch => ({ x: b.x, y: b.y.map((v) => Math.log(Math.abs(v))), n: b.n });
  return { train: log(problem.train), validation: log(problem.validation), logTarget: true };
}

/** trainOracle's oracle, whatever its accuracy; null only when its target does not exist (log|y| of a y that changes sign). */
export function fitOracle(problem: DiscoverInput, options: OracleOptions, logTarget = false): Oracle | null {
  const target = oracleTarget(problem, logTarget);
  if (!target) return null;
  const { data } = standardisedTarget(target.train, target.validation);
  let kan = Kan.create({ width: [problem.inputNames.length, options.hidden, 1], grid: options.grid, k: options.k }, new Rng(options.seed));
  fit(kan, data, 'regression', { opt: 'lbfgs', steps: ORACLE_STEPS, lamb: 0 }, { seed: options.seed });
  const coarseRmse = validationRmse(kan, data.test);
  kan = refineGrid(kan, ORACLE_GRID, data.train.x, data.train.n).kan;
  fit(kan, data, 'regression', { opt: 'lbfgs', steps: ORACLE_STEPS, lamb: 0 }, { seed: options.seed + 1 });
  const rmse = validationRmse(kan, data.test);
  // The symmetry test differentiates the oracle's function at validation rows, some just past its training rows:
  // there the secant of a training domain (kan/domain.ts) would stand in for the derivative. On x1/sqrt(1-x2^2/x3^2) it
  // raised the true ratio's violation from 0.084 to 0.27, past the threshold.
  clearDomains(kan.layers);
  return { kan, rmse, logTarget: target.logTarget, coarseRmse };
}

/**
 * A sum KAN [n, hidden, 1] fitted without sparsity to the standardised target (y, or log|y| given logTarget), its grid refined once for accuracy;
 * null when it fits worse than ORACLE_ACCURACY. It predicts the standardised target (the symmetry test is scale-free).
 */
export function trainOracle(problem: DiscoverInput, options: OracleOptions, logTarget = false): Oracle | null {
  return accurate(fitOracle(problem, options, logTarget));
}

/** The oracle when its gradients are fine enough for the symmetry test (validation RMSE within ORACLE_ACCURACY). */
function accurate(oracle: Oracle | null): Oracle | null {
  return oracle && Number.isFinite(oracle.rmse) && oracle.rmse <= ORACLE_ACCURACY ? oracle : null;
}

/**
 * Every pair's best combination, most symmetric first, judged on the oracle's gradient at validation rows (central
 * differences in raw units). Pairs where either input barely matters are skipped: any combination of nothing holds.
 */
export function findSymmetries(oracle: Pick<Kan, 'forward'>, problem: DiscoverInput, logTarget = false): Symmetry[] {
  const nIn = problem.inputNames.length;
  const raw = problem.rawValidation;
  const rows = Math.min(TEST_ROWS, raw.n);
  const step = raw.n / rows;
  const picked = Array.from({ length: rows }, (_, q) => Math.floor(q * step));
  const gradients = Array.from({ length: nIn }, (_, i) => {
    const scale = rawPerModelUnit(problem, i);
    const h = 1e-4 * (problem.standardizer ? 1 : standardDeviation(raw.columns[i]!) || 1);
    const shifted = (sign: number): Float64Array => {
      const x = new Float64Array(rows * nIn);
      picked.forEach((r, q) => {
        for (let c = 0; c < nIn; c++) x[q * nIn + c] = problem.validation.x[r * nIn + c]!;
        x[q * nIn + i]! += sign * h;
      });
      return oracle.forward(x, rows);
    };
    const up = shifted(1);
    const down = shifted(-1);
    return Float64Array.from(up, (u, q) => (u - down[q]!) / (2 * h * scale));
  });
  const effect = gradients.map((g, i) => rms(g) * standardDeviation(raw.columns[i]!));
  // The oracle predicts its target standardised as trainOracle does: its gradients are the target's over this scale.
  // On log|y| the gradients are f_i / f: the product, ratio, sum and difference identities, homogeneous in them, are
  // unchanged, and Euler's x_i f_i + x_j f_j = p f becomes x_i g_i + x_j g_j = p, so the target at the rows is 1.
  const target = oracleTarget(problem, logTarget);
  if (!target) throw new Error('findSymmetries: an oracle of log|y| needs a target of one sign');
  const yScale = standardisedTarget(target.train, target.validation).scale;
  const yAtRows = picked.map((r) => (logTarget ? 1 : raw.y[r]!));
  const strongest = Math.max(...effect);
  const out: Symmetry[] = [];
  for (let i = 0; i < nIn; i++) {
    for (let j = i + 1; j < nIn; j++) {
      if (!(effect[i]! > NEGLIGIBLE_EFFECT * strongest) || !(effect[j]! > NEGLIGIBLE_EFFECT * strongest)) continue;
      const xi = picked.map((r) => raw.columns[i]![r]!);
      const xj = picked.map((r) => raw.columns[j]![r]!);
      const scaled = (g: Float64Array, x: number[]): Float64Array => Float64Array.from(g, (v, q) => v * x[q]!);
      const candidates: [Combination, Float64Array, Float64Array, number][] = [
        ['sum', gradients[i]!, gradients[j]!, -1],
        ['difference', gradients[i]!, gradients[j]!, 1],
      ];
      // x_i f_i and x_j f_j, where both inputs keep away from zero: the product, ratio and scaling identities use them.
      const weighted = awayFromZero(raw.columns[i]!) && awayFromZero(raw.columns[j]!) ? [scaled(gradients[i]!, xi), scaled(gradients[j]!, xj)] as const : null;
      if (weighted) candidates.push(['product', weighted[0], weighted[1], -1], ['ratio', weighted[0], weighted[1], 1]);
      let best: Symmetry | null = null;
      for (const [combination, a, b, sign] of candidates) {
        let violation = 0;
        let size = 0;
        for (let q = 0; q < rows; q++) {
          violation += (a[q]! + sign * b[q]!) ** 2;
          size += a[q]! ** 2 + b[q]! ** 2;
        }
        const score = Math.sqrt(violation / size);
        if (Number.isFinite(score) && (!best || score < best.score)) best = { i, j, combination, score };
      }
      // A scaling divides the target by a factor: it is tried only where no plain combination holds (x1 + x2 is also
      // x2 * (x1/x2 + 1), but the sum is the simpler reduction).
      if (weighted && !(best && best.score <= SYMMETRY_THRESHOLD)) best = scalingSymmetry(i, j, weighted[0], weighted[1], yAtRows, xj, yScale) ?? best;
      if (best) out.push(denominatorAwayFromZero(best, raw.columns));
    }
  }
  return out.sort((p, q) => p.score - q.score);
}

/** Degrees tried for a scaling symmetry: nonzero multiples of 1/2 up to this magnitude. */
const MAX_DEGREE = 4;
/**
 * A scaling is a candidate only below this violation. Euler's identity is judged against the target itself, where a
 * ratio x f_x / f that merely varies little over the data comes close: x1/sqrt(1 - (x2/x3)^2) with x2/x3 in [0.1, 0.67]
 * scores 0.135 for (x1, x2) at degree 1 with exact gradients.
 */
const SCALING_THRESHOLD = 0.1;

/**
 * The pair's scaling symmetry, when Euler's identity a + b = p y holds for a nonzero p that is a multiple of 1/2 (a, b:
 * x_i f_i and x_j f_j of the standardised oracle, so yScale * (a + b) in the target's units); null otherwise. p is the
 * least-squares degree, snapped; the score is the identity's relative violation at the snapped degree. A half-integer
 * degree needs x_j > 0 (x_j^p must be real).
 */
function scalingSymmetry(i: number, j: number, a: Float64Array, b: Float64Array, y: number[], xj: number[], yScale: number): Symmetry | null {
  let cross = 0;
  let square = 0;
  for (let q = 0; q < y.length; q++) {
    cross += yScale * (a[q]! + b[q]!) * y[q]!;
    square += y[q]! ** 2;
  }
  const degree = Math.round((2 * cross) / square) / 2;
  if (!(degree !== 0 && Math.abs(degree) <= MAX_DEGREE)) return null;
  if (!Number.isInteger(degree) && xj.some((v) => !(v > 0))) return null;
  let violation = 0;
  let size = 0;
  for (let q = 0; q < y.length; q++) {
    violation += (yScale * (a[q]! + b[q]!) - degree * y[q]!) ** 2;
    size += yScale ** 2 * (a[q]! ** 2 + b[q]! ** 2);
  }
  const score = Math.sqrt(violation / size);
  return score <= SCALING_THRESHOLD ? { i, j, combination: 'scaling', score, degree } : null;
}

/** The reduced problem with inputs i and j replaced by their combination, appended as the last input. */
export function mergePair(current: Reduced, symmetry: Symmetry): Reduced {
  const { problem } = current;
  const { i, j, combination } = symmetry;
  const combine = (a: number, b: number): number =>
    combination === 'product' ? a * b : combination === 'ratio' || combination === 'scaling' ? a / b : combination === 'sum' ? a + b : a - b;
  // A scaling of degree p divides the target by x_j^p.
  const degree = combination === 'scaling' ? symmetry.degree! : 0;
  const target = (data: FitData): Float64Array => (degree === 0 ? data.y : Float64Array.from(data.y, (v, s) => v / data.columns[j]![s]! ** degree));
  const keptIndices = problem.inputNames.map((_, c) => c).filter((c) => c !== i && c !== j);
  const name = freshName(problem.inputNames);
  const inputNames = [...keptIndices.map((c) => problem.inputNames[c]!), name];
  const rawOf = (data: FitData): FitData => {
    const merged = Float64Array.from(data.columns[i]!, (a, s) => combine(a, data.columns[j]![s]!));
    return { columns: [...keptIndices.map((c) => data.columns[c]!), merged], y: target(data), n: data.n };
  };
  const rawTrain = rawOf(problem.rawTrain);
  const rawValidation = rawOf(problem.rawValidation);
  const standardizer: Standardizer = {
    columns: inputNames.slice(),
    mean: rawTrain.columns.map((c) => mean(c)),
    std: rawTrain.columns.map((c) => standardDeviation(c) || 1),
  };
  const batchOf = (data: FitData): Batch => {
    const nIn = inputNames.length;
    const x = new Float64Array(data.n * nIn);
    data.columns.forEach((column, c) => {
      for (let s = 0; s < data.n; s++) x[s * nIn + c] = (column[s]! - standardizer.mean[c]!) / standardizer.std[c]!;
    });
    return { x, y: data.y, n: data.n };
  };
  const a = current.inputs[i]!;
  const b = current.inputs[j]!;
  const power = (base: Expr, exponent: number): Expr => ({ kind: 'pow', base, exponent: { kind: 'const', value: exponent } });
  const expr: Expr =
    combination === 'product' ? { kind: 'mul', factors: [a, b] }
      : combination === 'ratio' || combination === 'scaling' ? { kind: 'mul', factors: [a, power(b, -1)] }
        : combination === 'sum' ? { kind: 'add', terms: [a, b] }
          : { kind: 'add', terms: [a, { kind: 'mul', factors: [{ kind: 'const', value: -1 }, b] }] };
  const symbol = { product: '*', ratio: '/', sum: '+', difference: '-', scaling: '/' }[combination];
  const scaledBy = degree === 0 ? null : power(b, degree);
  const factor = scaledBy === null ? current.factor : current.factor === null ? scaledBy : { kind: 'mul' as const, factors: [current.factor, scaledBy] };
  return {
    problem: { inputNames, standardizer, train: batchOf(rawTrain), validation: batchOf(rawValidation), rawTrain, rawValidation },
    inputs: [...keptIndices.map((c) => current.inputs[c]!), expr],
    factor,
    steps: [...current.steps, `${problem.inputNames[i]}${symbol}${problem.inputNames[j]} -> ${name}${degree === 0 ? '' : ` (target / ${problem.inputNames[j]}^${degree})`}`],
  };
}

/**
 * A ratio or scaling the other way up when its denominator comes close to zero and the numerator less so: x_i/x_j and
 * x_j/x_i carry the same information, but a denominator that crosses zero (a difference merged earlier, x2 - x3) makes
 * the merged input blow up. A half-integer scaling keeps a denominator that is not positive out.
 */
function denominatorAwayFromZero(s: Symmetry, columns: readonly Float64Array[]): Symmetry {
  if (s.combination !== 'ratio' && s.combination !== 'scaling') return s;
  const [ci, cj] = [columns[s.i]!, columns[s.j]!];
  const halfInteger = s.degree !== undefined && !Number.isInteger(s.degree);
  const flip = zeroClearance(cj) < CLEARANCE && zeroClearance(ci) > zeroClearance(cj) && (!halfInteger || ci.every((v) => v > 0));
  return flip ? { ...s, i: s.j, j: s.i } : s;
}

/** Raw units per model unit of input i: its standard deviation when the problem standardises it, else 1. */
function rawPerModelUnit(problem: DiscoverInput, i: number): number {
  return columnScale(problem.standardizer, problem.inputNames[i]!).std;
}

function freshName(taken: readonly string[]): string {
  for (let k = 1; ; k++) if (!taken.includes(`z${k}`)) return `z${k}`;
}

/** True when no value is within 1e-9 of the column's largest magnitude of zero (a ratio's denominator, a product's scale). */
function awayFromZero(column: Float64Array): boolean {
  let max = 0;
  for (const v of column) max = Math.max(max, Math.abs(v));
  for (const v of column) if (!(Math.abs(v) > 1e-9 * max)) return false;
  return max > 0;
}

function mean(v: Float64Array): number {
  return v.reduce((a, x) => a + x, 0) / Math.max(1, v.length);
}

function rms(v: Float64Array): number {
  return Math.sqrt(v.reduce((a, x) => a + x * x, 0) / Math.max(1, v.length));
}
