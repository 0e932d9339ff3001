/**
 * Formula discovery for one target: trains the structures of structures.ts (a product KAN, a pruned KAN of log|y|, a
 * signed product, KANs with multiplication nodes of y and of log|y|, a sum KAN pruned to its minimal network, and a
 * KAN of log|y| in log x, once per seed), reads each as symbolic variants, polishes every variant (polish.ts) together
 * with the constant and linear formulas, and returns the Pareto front of (complexity, error on every row) with the
 * chosen formula (select.ts). A problem the product KAN does not solve is also reduced by its symmetries (reduce.ts: a pair
 * of inputs that enters only as a product, ratio, sum or difference becomes one input; a pair in which the target is
 * homogeneous becomes their ratio, the target divided by a power of one of them), before that split where the target is a
 * sum or product of functions of disjoint groups of inputs (separate.ts: each group searched alone) and, after the first seed,
 * searched with its target transformed (sin y, 1/y, 1/y^2), each a smaller search whose formulas are mapped back.
 * Where the oracle of that reduction shows the recipe's grid missing the law (reduce.ts needsFinerGrid), every later
 * structure is trained on the oracle's finer grid as well.
 * After the first KAN, laws are also read off the data (read-off.ts): exact polynomials, ratios and sums of functions of
 * y and of functions of y, or on noisy rows their counterparts of significant terms.
 * Stops early once a formula is exact to Float64 rounding, or when the time budget is spent.
 */
import type { Standardizer } from '../data/standardize';
import type { Kan } from '../kan/model';
import type { MultKan } from '../kan/mult';
import type { LibraryFunction } from '../symbolic/library';
import type { FitData } from '../symbolic/algebra/constants';
import { type Expr, exprKey, substituteVariables } from '../symbolic/algebra/expr';
import type { Batch } from '../train/types';
import { leastSquares } from '../util/linalg';
import { EXACT_FLOOR, paretoFront } from './pareto';
import { type Polished, finishFormula, refitFormula } from './polish';
import { exactLaws, noisyLaws } from './read-off';
import { ORACLE_GRID, type Oracle, fitOracle, needsFinerGrid, reduceBySymmetry } from './reduce';
import { type Separation, additiveGroups, formulaPart, groupProblem, interactions, oracleParts, partSize, splineParts } from './separate';
import { selectFormulas } from './select';
import { PRODUCT_FACTORS, type ComposedCandidate, type StructureContext, logContext, logInputContext, productSign, symbolicCandidates, targetSpread, trainMultKan, trainSeparableKan, trainSignedProduct, trainSumKan, univariateCandidates, withExpOutput } from './structures';

/** Formulas screened within this fraction of the target's spread are finished as soon as they are found. */
const NEAR_EXACT = 1e-4;
const NEAR_EXACT_PER_STAGE = 3;
/** Share of the time left that the reduced problem's search may take. */
const REDUCED_SHARE = 0.6;
/** Front formulas with a validation RMSE within this factor of the best are finished (refitted on all rows, snapped). */
const CONTENDER_FACTOR = 10;
/** Formulas off the front but as accurate as the best that an inner search hands back besides its front. */
const MAX_CONTENDERS = 12;
/** Formulas off the front but as accurate as the best that are finished at the end, most accurate first. */
const EXTRA_FINISHED = 12;

export interface DiscoverOptions {
  lib: readonly LibraryFunction[];
  /**
   * A formula is as accurate as the best when its error on every row (select.ts) is at most (1 + tolerance) times the
   * best one's; the choice also asks that the rows cannot tell it from the best.
   */
  tolerance: number;
  /** Seconds; no new structure is trained after this. */
  timeBudget: number;
  /** Restarts: each trains the structures again from another seed. */
  seeds: number;
  /** Hidden width of the sum KAN before pruning. */
  hidden: number;
  grid: number;
  /** A second grid every structure is also trained on (after the one on `grid`), where the law needs a finer one. */
  fineGrid?: number;
  k: number;
  seed: number;
  /** Symbolic variants per trained KAN. */
  maxVariants: number;
}

export interface DiscoverInput {
  inputNames: readonly string[];
  standardizer: Standardizer | null;
  /** Model inputs (standardised like the model's) with one target column. */
  train: Batch;
  validation: Batch;
  /** The same rows as raw input columns and target, where formulas are fitted and judged. */
  rawTrain: FitData;
  rawValidation: FitData;
}

export interface DiscoveredFormula extends Polished {
  /**
   * Set on the reported front: the RMSE on every row, training and validation, with each free constant charged what
   * fitting it took from the noise (select.ts). The front and the choice are made on it.
   */
  selectionRmse?: number;
  /** "constant", "linear", "product [3,1,1]", "sum [2,1,1]"... */
  source: string;
  /** Edge -> function, for formulas read from a KAN. */
  edges: Record<string, string>;
  /** The symbolic KAN the formula was read from (absent for the constant and linear formulas). */
  kan: Kan | null;
}

export interface DiscoverResult {
  front: DiscoveredFormula[];
  /**
   * The front and every other formula as accurate as the best (within the tolerance), most accurate first: what an
   * outer search takes from an inner one. On noisy rows the law is often off the inner front, beaten on the validation
   * rows' noise by an approximation as simple, and only the outer search's rows tell them apart (select.ts).
   */
  contenders: DiscoveredFormula[];
  chosen: DiscoveredFormula;
  /** Formulas polished and compared. */
  tried: number;
  /** True when the time budget ended the search before every seed ran. */
  timedOut: boolean;
  /** True when a formula exact to Float64 rounding ended the search. */
  exact: boolean;
}

export interface DiscoverHooks {
  now?: () => number;
  signal?: { readonly aborted: boolean };
}

/**
 * reduce: whether a problem that the first structure does not solve exactly is also reduced by its symmetries
 * (reduce.ts) and searched with its target transformed, as smaller searches of their own (which do neither).
 * separate: whether it is also split into groups of inputs whose functions add or multiply (separate.ts); a group's own
 * search is reduced and transformed but not split again.
 */
export function discoverFormula(input: DiscoverInput, options: DiscoverOptions, hooks: DiscoverHooks = {}, reduce = true, separate = reduce): DiscoverResult {
  const now = hooks.now ?? (() => performance.now());
  const t0 = now();
  const spread = targetSpread(input.validation) || 1;
  const pool = new Map<string, DiscoveredFormula>();
  const keep = (f: DiscoveredFormula): void => {
    const key = exprKey(f.expr);
    const known = pool.get(key);
    // The key compares constants by value: a snapped form (pi, exact) keys like its float twin and wins at equal error.
    const better = !known || f.valRmse < known.valRmse || (f.snapped > known.snapped && f.valRmse <= Math.max(known.valRmse, EXACT_FLOOR * spread));
    if (better) pool.set(key, f);
  };
  const add = (raw: Expr, source: string, edges: Record<string, string>, kan: Kan | null): DiscoveredFormula | null => {
    const p = refitFormula(raw, input.rawTrain, input.rawValidation, spread);
    if (!p) return null;
    const f = { ...p, source, edges, kan };
    keep(f);
    return f;
  };
  // Formulas finished (refitted on every row and snapped) already, by key: finishing is the costly part of polishing.
  const finished = new Set<string>();
  const finish = (f: DiscoveredFormula): void => {
    finished.add(exprKey(f.expr));
    const forms = finishFormula(f, input.rawTrain, input.rawValidation, noiseLevel());
    for (const form of forms) {
      finished.add(exprKey(form.expr));
      keep({ ...f, ...form });
    }
    // The last form's snaps each passed the allowance against the refitted form (the noise's price, on noisy rows): it
    // supersedes that form and the formula it came from. Left in, their float constants would win the front on the
    // validation rows' noise alone (0.0795822*x1/(x2*x3^2) over x1/(4*pi*x2*x3^2), at the same complexity).
    const last = forms[forms.length - 1];
    if (!last || last.snapped <= f.snapped || last.complexity > forms[0]!.complexity) return;
    for (const superseded of [f.expr, forms[0]!.expr]) {
      const key = exprKey(superseded);
      if ((pool.get(key)?.snapped ?? Infinity) < last.snapped) pool.delete(key);
    }
    // Keys compare constants by value, so the last form may share a key with what it supersedes (and have lost to it).
    const lastKey = exprKey(last.expr);
    if (!pool.has(lastKey)) pool.set(lastKey, { ...f, ...last });
  };
  // A formula of the right form often screens a little above rounding (its refit on a subsample, before snapping): those
  // are finished at once, so that an exact law ends the search when it is found.
  const finishNearExact = (): void => {
    const near = [...pool.values()].filter((f) => f.valRmse <= NEAR_EXACT * spread && !finished.has(exprKey(f.expr)));
    for (const f of near.sort((a, b) => a.complexity - b.complexity).slice(0, NEAR_EXACT_PER_STAGE)) finish(f);
  };
  const exactFound = (): boolean => [...pool.values()].some((f) => f.valRmse <= EXACT_FLOOR * spread);
  const best = (): number => Math.min(Infinity, ...[...pool.values()].map((f) => f.valRmse));
  // The data's noise, as far as any formula shows it: the best validation error (rounding on exact data).
  const noiseLevel = (): number => (Number.isFinite(best()) ? best() : 0);
  const outOfTime = (): boolean => (now() - t0) / 1000 > options.timeBudget || hooks.signal?.aborted === true;

  // Every structure is trained on the recipe's grid and, once the symmetry oracle shows that the law needs a finer one,
  // on that too: a smooth law's factors read best on the coarse grid (x1*(1 + x2*cos(x3)) is no signed product on grid
  // 10), a factor that turns over within its range only on the fine one.
  let fineGrid = options.fineGrid;
  const discoverReduced = (): void => {
    const oracleOptions = { hidden: options.hidden, grid: options.grid, k: options.k, seed: options.seed };
    const oracle = input.inputNames.length >= 2 ? fitOracle(input, oracleOptions) : null;
    if (needsFinerGrid(oracle, oracleOptions)) fineGrid = ORACLE_GRID;
    // A target of one sign that is no sum may be a product: separated on an oracle of log|y|.
    if (separate && oracle && !discoverSeparated(oracle) && !exactFound() && !outOfTime()) {
      const logOracle = fitOracle(input, oracleOptions, true);
      if (logOracle) discoverSeparated(logOracle);
    }
    if (exactFound() || outOfTime()) return;
    const reduced = reduceBySymmetry(input, oracleOptions, outOfTime, oracle);
    if (!reduced || outOfTime()) return;
    const remaining = options.timeBudget - (now() - t0) / 1000;
    const inner = discoverFormula(reduced.problem, { ...options, fineGrid, timeBudget: REDUCED_SHARE * remaining }, hooks, false);
    const over = `over ${reduced.steps.join(', ')}`;
    for (const f of inner.contenders) {
      const g = substituteVariables(f.expr, (i) => reduced.inputs[i]!);
      add(reduced.factor === null ? g : { kind: 'mul', factors: [reduced.factor, g] }, `${f.source} ${over}`, {}, null);
    }
  };

  // A sum (or, on an oracle of log|y|, a product) of functions of disjoint groups of inputs (separate.ts): each group
  // searched on its own, in a share of the time left, and the sums (products) of their most promising formulas refitted
  // on the rows. False when the oracle shows no such groups.
  const discoverSeparated = (oracle: Oracle): boolean => {
    const kind: Separation = oracle.logTarget ? 'product' : 'sum';
    const groups = additiveGroups(interactions(oracle.kan, input), oracle.rmse);
    if (!groups) return false;
    const fromOracle = oracleParts(oracle.kan, input, groups, kind);
    const parts = splineParts(input, groups, fromOracle, kind) ?? fromOracle;
    const formulas: Expr[][] = groups.map(() => []);
    const exact = groups.map(() => false);
    const cutShort = groups.map(() => false);
    const perGroup = Math.max(1, Math.floor(SEPARATED_SUMS ** (1 / groups.length)));
    // Which search made each group's part (0: the oracle or splines), and what the others' were when it was searched.
    const made = groups.map(() => 0);
    const seen: (number[] | null)[] = groups.map(() => null);
    let searches = 0;
    /**
     * Searches group g on y less the other groups' parts, for this many seconds; its chosen formula becomes its part.
     * Returns that formula's complexity.
     */
    const search = (g: number, seconds: number): number => {
      const members = groups[g]!;
      seen[g] = made.slice();
      const problem = groupProblem(input, members, parts.filter((_, h) => h !== g), kind);
      const inner = discoverFormula(problem, { ...options, fineGrid, timeBudget: seconds }, hooks, true, false);
      parts[g] = formulaPart(inner.chosen.expr, input, members, kind);
      made[g] = ++searches;
      exact[g] = inner.exact;
      cutShort[g] = inner.timedOut;
      const best = Math.min(...inner.contenders.map((f) => f.valRmse));
      const promising = [inner.chosen, ...inner.contenders.filter((f) => f !== inner.chosen && f.valRmse <= CONTENDER_FACTOR * best).sort((a, b) => a.complexity - b.complexity)];
      formulas[g] = promising.slice(0, perGroup).map((f) => substituteVariables(f.expr, (i): Expr => ({ kind: 'var', index: members[i]! })));
      return inner.chosen.complexity;
    };
    const names = groups.map((members) => members.map((i) => input.inputNames[i]).join(',')).join(kind === 'sum' ? ' + ' : ' * ');
    let combined = 0;
    const combine = (): void => {
      if (combined === searches || formulas.some((f) => f.length === 0)) return;
      combined = searches;
      for (const items of cartesian(formulas)) add(kind === 'sum' ? { kind: 'add', terms: items } : { kind: 'mul', factors: items }, `${kind === 'sum' ? 'sum' : 'product'} of groups ${names}`, {}, null);
      finishNearExact();
    };
    // Two passes (backfitting). The group that carries most of the target goes first: the oracle's or the splines' error
    // is the smallest share of its part. Each later group's target is y less the formulas found before it, exact where
    // those are the laws (a search on an exact target ends as soon as it finds its law). First-pass searches are short
    // (FIRST_PASS_SHARE of this step's time between them): on a target that is not exact they find the simple parts
    // (x1, exp(-x2)) and read a curve the target's error hides as a tangle. The second pass searches again each group
    // whose search was not exact and whose target has changed since or whose search ran out of time, the most complex
    // formula first, each search taking half of the time left: where the others are now laws, its target is exact
    // (x1*exp(-x2)*sin(x3^2): sin(x3^2) read as a ratio of 39 nodes on the splines' target, as itself on y/(x1*exp(-x2))).
    const deadline = now() + 1000 * SEPARATED_SHARE * (options.timeBudget - (now() - t0) / 1000);
    const firstPass = (FIRST_PASS_SHARE * (deadline - now())) / 1000 / groups.length;
    const order = groups.map((_, g) => g).sort((a, b) => partSize(parts[b]!) - partSize(parts[a]!));
    const complexity = groups.map(() => 0);
    for (const g of order) {
      if (exactFound() || outOfTime()) break;
      complexity[g] = search(g, firstPass);
      combine();
    }
    const secondOrder = order.slice().sort((a, b) => complexity[b]! - complexity[a]!);
    for (const g of secondOrder) {
      if (exactFound() || outOfTime() || now() >= deadline) break;
      if (exact[g] || (!cutShort[g] && seen[g]!.every((v, h) => h === g || v === made[h]))) continue;
      search(g, (deadline - now()) / 1000 / 2);
      combine();
    }
    combine();
    return true;
  };

  // Laws that are simple in a function of y (AI Feynman's transforms): asin of a product, 1/(1/x1 + x3/x2), and the
  // Lorentz factor, whose 1/y^2 is a sum of products. Each transform's problem is searched on its own, in a share of
  // the time left, and its formulas mapped back through the inverse.
  const discoverTransformed = (): void => {
    const applicable = TARGET_TRANSFORMS.filter((t) => t.applies(input.rawTrain.y) && t.applies(input.rawValidation.y));
    for (const [q, transform] of applicable.entries()) {
      if (exactFound() || outOfTime()) return;
      const remaining = options.timeBudget - (now() - t0) / 1000;
      const problem = withTarget(input, transform.forward);
      const inner = discoverFormula(problem, { ...options, fineGrid, seeds: 1, timeBudget: (TRANSFORM_SHARE * remaining) / (applicable.length - q) }, hooks, false);
      for (const f of inner.contenders) add(transform.inverse(f.expr, input.rawTrain.y), `${f.source} of ${transform.name}`, {}, null);
      finishNearExact();
    }
  };

  add(constantExpr(input.rawTrain), 'constant', {}, null);
  add(linearExpr(input.rawTrain), 'linear', {}, null);
  let timedOut = false;
  for (let restart = 0; restart < options.seeds && !exactFound(); restart++) {
    const base: StructureContext = {
      train: input.train, validation: input.validation, grid: options.grid, k: options.k, lib: options.lib, seed: options.seed + 7919 * restart,
      inputNames: input.inputNames, standardizer: input.standardizer, pruneTolerance: 1, maxVariants: options.maxVariants,
    };
    type Log = ReturnType<typeof logContext>;
    // The contexts every stage is trained in, each with its log|y| context: the recipe's grid, and the fine one once known.
    const pass = (ctx: StructureContext): { ctx: StructureContext; log: Log } => ({ ctx, log: logContext(ctx) });
    const passes = [pass(base)];
    const addFinePass = (): void => {
      if (fineGrid !== undefined && passes.length === 1) passes.push(pass({ ...base, grid: fineGrid }));
    };
    addFinePass();
    const productLib = [...options.lib, ...PRODUCT_FACTORS];
    const readLog = (inner: Kan, kind: string, log: NonNullable<Log>, within: StructureContext): ComposedCandidate[] => {
      const kan = withExpOutput(inner, log.sign, within);
      // A KAN [n, 1] of log|y| has one node, whose target log|y| is known.
      const nodeTarget = inner.layers.length === 1 ? log.ctx.train.y : undefined;
      return symbolicCandidates(kan, within, `${kind} [${inner.width.join(',')}] of log|y|${within.logInputs ? ' in log x' : ''}`, productLib, undefined, false, nodeTarget);
    };
    const products = Math.max(1, Math.min(2, Math.floor(input.inputNames.length / 2)));
    const stages: [string, (ctx: StructureContext, log: Log) => ComposedCandidate[]][] = [
      ['product', (ctx, log) => (log ? readLog(trainSeparableKan(log.ctx), 'product', log, ctx) : [])],
      ['product of sums', (ctx, log) => (log ? readLog(trainSumKan(log.ctx, options.hidden), 'product of sums', log, ctx) : [])],
      ['signed product', (ctx) => {
        const trained = trainSignedProduct(ctx);
        return trained ? symbolicCandidates(trained.model, ctx, `signed product ${multWidth(trained.model)}`, options.lib, trained.target, false) : [];
      }],
      ['sum of products', (ctx) => {
        const { model, target } = trainMultKan(ctx, products);
        return symbolicCandidates(model, ctx, `sum of products ${multWidth(model)}`, options.lib, target);
      }],
      ['sum', (ctx) => {
        const kan = trainSumKan(ctx, options.hidden);
        return symbolicCandidates(kan, ctx, `sum [${kan.width.join(',')}]`, options.lib);
      }],
      ['products in log|y|', (ctx, log) => {
        if (!log) return [];
        const { model, target } = trainMultKan(log.ctx, 1, log.sign);
        return symbolicCandidates(model, ctx, `products ${multWidth(model)} of log|y|`, productLib, target);
      }],
      ['power law', (_ctx, log) => {
        const logLog = log ? logInputContext(log.ctx, input.rawTrain, input.rawValidation) : null;
        return logLog ? readLog(trainSumKan(logLog, options.hidden), 'power law', log!, logLog) : [];
      }],
    ];
    for (const [name, run] of stages) {
      if (exactFound()) break;
      if (restart === 0 && name === 'product of sums') {
        // Read off the data when the first KAN has not found the law (so a law it finds keeps its KAN as the model).
        for (const { expr, source } of exactLaws(input.rawTrain)) add(expr, source, {}, null);
        // Noisy rows: the laws their significant terms make, judged on the validation rows like every formula. They are
        // finished at once: before their constants snap, a ratio's unnormalised coefficients make it look more complex
        // than it is, and a formula off the front is never finished later.
        if (!exactFound()) {
          for (const { expr, source } of noisyLaws(input.rawTrain)) {
            const f = add(expr, source, {}, null);
            if (f && !finished.has(exprKey(f.expr))) finish(f);
          }
        }
        for (const c of univariateCandidates(input.rawTrain, input.inputNames[0]!, options.lib)) add(c.expr, c.source, c.edges, null);
        finishNearExact();
        if (exactFound()) break;
        if (reduce) discoverReduced();
        addFinePass();
      }
      for (const { ctx, log } of passes) {
        if (exactFound()) break;
        if (outOfTime()) {
          timedOut = true;
          break;
        }
        const onGrid = ctx.grid === options.grid ? '' : ` on grid ${ctx.grid}`;
        for (const c of run(ctx, log)) {
          if (outOfTime()) break;
          add(c.expr, `${c.source}${onGrid}`, c.edges, c.kan);
          finishNearExact();
          if (exactFound()) break;
        }
      }
      if (timedOut) break;
    }
    if (timedOut) break;
    if (reduce && restart === 0 && !exactFound()) discoverTransformed();
  }
  // Only contenders are refitted on every row and snapped: front formulas within CONTENDER_FACTOR of the best error.
  // A formula off the front stays dominated whatever its constants read, and one far worse than the best is not chosen.
  const floor = EXACT_FLOOR * spread;
  const bar = CONTENDER_FACTOR * Math.max(best(), floor);
  for (const f of paretoFront([...pool.values()], floor).filter((c) => c.valRmse <= bar && !finished.has(exprKey(c.expr)))) finish(f);
  // On noisy rows, formulas as accurate as the best (within the chooser's tolerance) but off the front are finished too:
  // before snapping, a law's spurious offsets make it look complex, and a tangle fitted to the noise dominated it
  // (-1.001*(sin(6.28*x2 - 1.568) - 0.0016)*(x1 - 0.0008) - 0.0007, complexity 16, is cos(2*pi*x2)*x1 once snapped). On
  // exact rows nothing unfinished comes within the tolerance of an exact formula. The bar is the best validation error so
  // far within the tolerance, taken once per use: finishing may lower the best.
  const accurateBar = (): number => (1 + options.tolerance) * Math.max(best(), floor);
  const unfinishedBar = accurateBar();
  const asAccurate = [...pool.values()].filter((f) => f.valRmse <= unfinishedBar && !finished.has(exprKey(f.expr)));
  for (const f of asAccurate.sort((a, b) => a.valRmse - b.valRmse).slice(0, EXTRA_FINISHED)) finish(f);
  const { front, chosen } = selectFormulas([...pool.values()], input.rawTrain, input.rawValidation, noiseLevel(), options.tolerance, spread);
  const accurate = accurateBar();
  const onFront = new Set(front.map((f) => exprKey(f.expr)));
  const offFront = [...pool.values()].filter((f) => f.valRmse <= accurate && !onFront.has(exprKey(f.expr))).sort((a, b) => a.valRmse - b.valRmse);
  const contenders = [...front, ...offFront.slice(0, MAX_CONTENDERS)];
  return { front, contenders, chosen: chosen!, tried: pool.size, timedOut, exact: exactFound() };
}

/** Share of the time left that the searches of separate groups take together, and the sums (products) tried at most. */
const SEPARATED_SHARE = 0.6;
const SEPARATED_SUMS = 36;
/** The first pass over the groups takes this share of the separation's time, in equal parts. */
const FIRST_PASS_SHARE = 0.25;

/** Every choice of one element from each list. */
function cartesian<T>(lists: readonly (readonly T[])[]): T[][] {
  return lists.reduce<T[][]>((acc, list) => acc.flatMap((prefix) => list.map((item) => [...prefix, item])), [[]]);
}

/** Share of the time left that the target transforms may take together. */
const TRANSFORM_SHARE = 0.6;

interface TargetTransform {
  name: string;
  applies: (y: Float64Array) => boolean;
  forward: (y: number) => number;
  /** y as an expression of the formula found for forward(y); y itself gives the sign where forward loses it. */
  inverse: (formula: Expr, y: Float64Array) => Expr;
}

const TARGET_TRANSFORMS: readonly TargetTransform[] = [
  {
    name: 'sin(y)',
    applies: (y) => y.every((v) => Math.abs(v) <= Math.PI / 2),
    forward: Math.sin,
    inverse: (formula) => ({ kind: 'fn', name: 'asin', arg: formula }),
  },
  {
    name: '1/y',
    applies: (y) => signOf(y) !== 0,
    forward: (v) => 1 / v,
    inverse: (formula) => ({ kind: 'pow', base: formula, exponent: { kind: 'const', value: -1, exact: { p: -1, q: 1, basis: 'one' } } }),
  },
  {
    name: '1/y^2',
    applies: (y) => signOf(y) !== 0,
    forward: (v) => 1 / (v * v),
    inverse: (formula, y) => ({
      kind: 'mul',
      factors: [
        { kind: 'const', value: signOf(y), exact: { p: signOf(y), q: 1, basis: 'one' } },
        { kind: 'pow', base: formula, exponent: { kind: 'const', value: -0.5, exact: { p: -1, q: 2, basis: 'one' } } },
      ],
    }),
  },
];

/** The sign a 1/y transform keeps: y's, when no value comes within 1e-6 of the largest magnitude of 0 (else 0). */
const signOf = (y: Float64Array): number => productSign(y, 1e-6);

/** The problem with its target replaced by forward(y) in every split. */
function withTarget(input: DiscoverInput, forward: (y: number) => number): DiscoverInput {
  const map = (y: Float64Array): Float64Array => y.map(forward);
  return {
    ...input,
    train: { ...input.train, y: map(input.train.y) },
    validation: { ...input.validation, y: map(input.validation.y) },
    rawTrain: { ...input.rawTrain, y: map(input.rawTrain.y) },
    rawValidation: { ...input.rawValidation, y: map(input.rawValidation.y) },
  };
}

/** [4,(1+2x),1]: a MultKan's width with each hidden layer as (sum nodes + product nodes x). */
function multWidth(model: MultKan): string {
  return `[${model.width.map((w) => (Array.isArray(w) ? `(${w[0]}+${w[1]}x)` : w)).join(',')}]`;
}

/** The mean of the target: the simplest formula, and the floor every other must beat. */
function constantExpr(data: FitData): Expr {
  let mean = 0;
  for (let s = 0; s < data.n; s++) mean += data.y[s]!;
  return { kind: 'const', value: mean / Math.max(1, data.n) };
}

/** Least squares y = w0 + sum_i w_i * x_i on the raw inputs (the constant when the inputs are collinear). */
function linearExpr(data: FitData): Expr {
  const ones = new Float64Array(data.n).fill(1);
  const w = leastSquares([ones, ...data.columns], data.y);
  if (!w) return constantExpr(data);
  return {
    kind: 'add',
    terms: [{ kind: 'const', value: w[0]! }, ...data.columns.map((_, i): Expr => ({ kind: 'mul', factors: [{ kind: 'const', value: w[i + 1]! }, { kind: 'var', index: i }] }))],
  };
}
