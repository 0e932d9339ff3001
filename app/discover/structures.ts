/**
 * The networks that discovery trains, and their symbolic readings: a sum KAN [n, h, 1] pruned to its minimal network;
 * KANs of log|y| followed by an exp output edge, a separable one (a product of univariate factors, the commonest
 * structure of physical laws: exp(sum of logs) collapses into it) and a pruned [n, h, 1] one (products of sums, powers
 * of ratios as in exp(-(x2/x1)^2/2)/x1), optionally over log x (power laws); KANs with multiplication nodes of y or
 * of log|y| (sums of products); and a signed product (one factor per input, through fixed product nodes). Each trained network yields several symbolic variants (per edge, the best-ranked library
 * function and its runners-up), composed into formulas at full precision.
 */
import { attribute } from '../kan/attribution';
import { column, evaluateEdgesFrom, isEdgeActive } from '../kan/edges';
import { Kan } from '../kan/model';
import { keepNodes, prune } from '../kan/prune';
import { type Standardizer, columnScale } from '../data/standardize';
import type { Batch } from '../train/types';
import { fit } from '../train/fit';
import { Rng } from '../util/rng';
import { fitPolynomial, prepareEdgeSamples } from '../symbolic/fit';
import { fitPairs } from '../symbolic/pair';
import { type LibraryFunction, customFunction, resolveSymbolicFunction } from '../symbolic/library';
import { type EdgeId, type Suggestion, edgeLabel, edgeSamples, rankSymbolic, setSymbolic } from '../symbolic/suggest';
import { type Expr, substituteVariables } from '../symbolic/algebra/expr';
import type { FitData } from '../symbolic/algebra/constants';
import { expandExpr } from '../symbolic/algebra/simplify';
import { multKanToExpr } from '../symbolic/network-expr';
import { MultKan, type MultKanNodeWidth } from '../kan/mult';

/** Training budgets, in L-BFGS steps (pykan's unit: up to 20 iterations each). */
const SPARSE_FIT_STEPS = 40;
const PRUNE_REFIT_STEPS = 25;
const FINAL_FIT_STEPS = 30;
/** Sparsity of the first fit of a sum KAN (the paper's lambda, mu1 = 1, mu2 = 2). */
const SPARSITY = 1e-3;
/** Edges of the minimal network scoring under this are masked (pykan's edge threshold). */
const EDGE_THRESHOLD = 3e-2;
/** A library function is an alternative for an edge when its R^2 reaches this. */
const ALTERNATIVE_R2 = 0.9;
/** Alternatives kept per edge (the best included). */
const ALTERNATIVES_PER_EDGE = 3;
/** A first-layer edge no library function fits this well is also fitted by two-term functions of its raw input. */
const PAIR_BELOW_R2 = 1 - 1e-6;
/** A two-term fit is an option when its 1 - R^2 is at most this fraction of the best single function's. */
const PAIR_GAIN = 0.3;
/** An edge no library function fits this well also gets the polynomial fallback as a variant. */
const POLYNOMIAL_R2 = 0.99;

export interface StructureContext {
  train: Batch;
  validation: Batch;
  grid: number;
  k: number;
  lib: readonly LibraryFunction[];
  seed: number;
  inputNames: readonly string[];
  standardizer: Standardizer | null;
  /** The pruned network may be worse on validation than the full one by this factor (plus a floor); default 1. */
  pruneTolerance: number;
  maxVariants: number;
  /** The KAN's inputs are log(x) of the raw inputs (then the standardizer is null): formulas substitute it back. */
  logInputs?: boolean;
}

export interface ComposedCandidate {
  expr: Expr;
  /** Which structure and variant produced it, e.g. "sum [2,1,1]" or "product [3,1,1]". */
  source: string;
  /** Edge -> function chosen for it. */
  edges: Record<string, string>;
  /** The KAN with those edges made symbolic; null for a MultKan (the run's model is a Kan). */
  kan: Kan | null;
}

/** Trains a sum KAN of width [n, hidden, 1] and reduces it to the smallest network that keeps its validation error. */
export function trainSumKan(ctx: StructureContext, hidden: number): Kan {
  const nIn = ctx.inputNames.length;
  const kan = Kan.create({ width: [nIn, hidden, 1], grid: ctx.grid, k: ctx.k }, new Rng(ctx.seed));
  train(kan, ctx, SPARSE_FIT_STEPS, SPARSITY, ctx.seed);
  const full = validationRmse(kan, ctx.validation);
  const spread = targetSpread(ctx.validation);
  const accept = (rmse: number): boolean => rmse <= (1 + ctx.pruneTolerance) * full + 1e-4 * spread;
  const scores = attribute(kan, ctx.train.x, ctx.train.n).node[1]!;
  const order = Array.from(scores.keys()).sort((p, q) => scores[q]! - scores[p]!);
  let chosen = kan;
  for (let keep = 1; keep <= hidden; keep++) {
    const candidate = keep === hidden ? kan : keepNodes(kan, [Array.from({ length: nIn }, (_, i) => i), order.slice(0, keep).sort((p, q) => p - q), [0]]);
    if (keep < hidden) train(candidate, ctx, PRUNE_REFIT_STEPS, 0, ctx.seed + keep);
    if (keep === hidden || accept(validationRmse(candidate, ctx.validation))) {
      chosen = candidate;
      break;
    }
  }
  const masked = prune(chosen, ctx.train.x, ctx.train.n, { nodeThreshold: 0, edgeThreshold: EDGE_THRESHOLD }).kan;
  train(masked, ctx, FINAL_FIT_STEPS, 0, ctx.seed + 100);
  if (accept(validationRmse(masked, ctx.validation))) return masked;
  train(chosen, ctx, FINAL_FIT_STEPS, 0, ctx.seed + 100);
  return chosen;
}

/**
 * The context with the target replaced by log|y|, and the sign s of y; null when y changes sign or comes near 0 (then no
 * product explains it). A KAN trained there, followed by the output edge s * exp(h), computes y as a product.
 */
export function logContext(ctx: StructureContext): { ctx: StructureContext; sign: number } | null {
  const sign = productSign(ctx.train.y);
  if (sign === 0 || productSign(ctx.validation.y) !== sign) return null;
  const logOf = (b: Batch): Batch => ({ x: b.x, y: b.y.map((v) => Math.log(Math.abs(v))), n: b.n });
  return { ctx: { ...ctx, train: logOf(ctx.train), validation: logOf(ctx.validation) }, sign };
}

/**
 * The context with the inputs replaced by the logarithms of the raw inputs; null unless every raw input is positive.
 * In log-log coordinates a power law is linear and a ratio inside a function, (x2/x1)^2, is exp(2*(t2 - t1)): products
 * and powers that a KAN of x can only approximate become sums of library functions.
 */
export function logInputContext(ctx: StructureContext, rawTrain: FitData, rawValidation: FitData): StructureContext | null {
  const logRows = (raw: FitData, batch: Batch): Batch | null => {
    const nIn = raw.columns.length;
    const x = new Float64Array(raw.n * nIn);
    for (let i = 0; i < nIn; i++) {
      const column = raw.columns[i]!;
      for (let s = 0; s < raw.n; s++) {
        if (!(column[s]! > 0)) return null;
        x[s * nIn + i] = Math.log(column[s]!);
      }
    }
    return { x, y: batch.y, n: batch.n };
  };
  const train = logRows(rawTrain, ctx.train);
  const validation = logRows(rawValidation, ctx.validation);
  return train && validation ? { ...ctx, train, validation, standardizer: null, logInputs: true } : null;
}

/** A separable KAN [n, 1]: the sum of one univariate function per input (trained on the context's target). */
export function trainSeparableKan(ctx: StructureContext): Kan {
  const kan = Kan.create({ width: [ctx.inputNames.length, 1], grid: ctx.grid, k: ctx.k }, new Rng(ctx.seed));
  train(kan, ctx, SPARSE_FIT_STEPS + FINAL_FIT_STEPS, 0, ctx.seed);
  return kan;
}

/**
 * inner followed by one more layer whose single edge is the symbolic s * exp(h): from a KAN of log|y| to a KAN of y.
 * The inner KAN is left as it is.
 */
export function withExpOutput(inner: Kan, sign: number, ctx: StructureContext): Kan {
  const outer = Kan.create({ width: [1, 1], grid: ctx.grid, k: ctx.k }, new Rng(ctx.seed));
  const copy = inner.clone();
  const params = new Float64Array(copy.params.length + outer.params.length);
  params.set(copy.params);
  params.set(outer.params, copy.params.length);
  const kan = new Kan([...copy.layers, outer.layers[0]!], params);
  setSymbolic(kan, { layer: kan.layers.length - 1, input: 0, output: 0 }, resolveSymbolicFunction('exp')!, [1, 0, sign, 0]);
  return kan;
}

/**
 * Factors of a product that are not powers of one library function, as their logarithms (a KAN of log|y| sums them):
 * sin and cos (sin(theta) in a law), and quadratics, 1 - u^2 and 1 + u^2 of an affine u (with u's affine map they cover
 * every quadratic up to scale: the Lorentz factor 1/sqrt(1 - v^2/c^2), a Lorentzian 1/(1 + x^2)).
 */
export const PRODUCT_FACTORS: readonly LibraryFunction[] = [
  customFunction({ name: 'log_sin', expr: 'log(sin(x))', complexity: 3 }),
  customFunction({ name: 'log_cos', expr: 'log(cos(x))', complexity: 3 }),
  customFunction({ name: 'log_1_minus_sq', expr: 'log(1 - x^2)', complexity: 5 }),
  customFunction({ name: 'log_1_plus_sq', expr: 'log(1 + x^2)', complexity: 5 }),
];

/**
 * How a composed formula maps back to the target: y = mean + scale * formula for a model trained on a standardised y;
 * with expSign, that was log|y| and y = expSign * exp(mean + scale * formula).
 */
export interface TargetScale {
  mean: number;
  scale: number;
  expSign?: number;
}

/**
 * Symbolic variants of a trained KAN (or MultKan): every numeric edge takes its best-ranked function, then (one edge at
 * a time) a runner-up, up to maxVariants variants; each is composed into a formula at full precision. Edges that are
 * already symbolic keep their function. A MultKan's formula is a sum of products of sums, written expanded, so that its
 * constants enter linearly where they can (refitting a product of sums crawls along its redundant scalings), unless
 * expand is false (a product of one factor per input, which expands into 2^n terms); its candidates carry no Kan, since
 * the run's model is a Kan.
 */
export function symbolicCandidates(model: Kan | MultKan, ctx: StructureContext, source: string, lib: readonly LibraryFunction[], target?: TargetScale, expand = model instanceof MultKan, nodeTarget?: Float64Array): ComposedCandidate[] {
  const acts = model.activations(ctx.train.x, ctx.train.n);
  // The first layer's single node against what it should compute: each edge's partial residual, edge + (target - node).
  const nodeMiss = nodeTarget && model.layers[0]!.nOut === 1 ? Float64Array.from(nodeTarget, (t, s) => t - acts[1]![s]!) : null;
  // Per edge, its options and which of them is its most accurate single function (0 when that is the first choice).
  const edges: { edge: EdgeId; options: Suggestion[]; accurate: number }[] = [];
  model.layers.forEach((layer, l) => {
    for (let e = 0; e < layer.nIn * layer.nOut; e++) {
      if (layer.mask[e] === 0 || !isEdgeActive(layer, e) || layer.symMask[e] !== 0) continue;
      const edge = { layer: l, input: Math.floor(e / layer.nOut), output: e % layer.nOut };
      const { x, y } = edgeSamples(model, edge, ctx.train, acts);
      const prepared = prepareEdgeSamples(x, y);
      const ranked = rankSymbolic(prepared, { lib }).ranked;
      const options = ranked.filter((s) => s.r2 >= ALTERNATIVE_R2).slice(0, ALTERNATIVES_PER_EDGE);
      // The ranking counts fits only to 1 - R^2 = 1e-5, where a simpler function wins; the most accurate one is what a
      // law's edge is, so it is always an alternative.
      const mostAccurate = mostAccurateOf(ranked);
      if (mostAccurate && mostAccurate.r2 >= ALTERNATIVE_R2 && !options.includes(mostAccurate)) options.push(mostAccurate);
      if (l === 0 && !(mostAccurate && mostAccurate.r2 >= PAIR_BELOW_R2)) {
        options.push(...pairOptions(ctx, edge.input, x, y, nodeMiss, mostAccurate));
      }
      if (!options.some((s) => s.r2 >= POLYNOMIAL_R2)) {
        const poly = fitPolynomial(prepared, POLYNOMIAL_R2);
        options.push({ ...poly, name: poly.fn.name, complexity: poly.fn.complexity, score: 0 });
      }
      edges.push({ edge, options, accurate: mostAccurate ? Math.max(0, options.indexOf(mostAccurate)) : 0 });
    }
  });
  const variants: number[][] = [edges.map(() => 0)];
  // Every edge on its most accurate single function at once: a law whose edges each rank a simpler look-alike first
  // (atan(x1) + atan(x2), each edge's spline as close to a sine) is no single swap away from the first choice.
  const accurate = edges.map((e) => e.accurate);
  if (accurate.filter((q) => q !== 0).length > 1) variants.push(accurate);
  for (let q = 0; q < edges.length; q++) {
    for (let alt = 1; alt < edges[q]!.options.length && variants.length < ctx.maxVariants; alt++) {
      const v = edges.map(() => 0);
      v[q] = alt;
      variants.push(v);
    }
  }
  const out: ComposedCandidate[] = [];
  for (const variant of variants) {
    const copy = model.clone();
    const names: Record<string, string> = {};
    edges.forEach(({ edge, options }, q) => {
      const s = options[variant[q]!]!;
      setSymbolic(copy, edge, s.fn, [s.a, s.b, s.c, s.d]);
      names[edgeLabel(edge)] = s.name;
    });
    const composed = compose(copy, ctx, target);
    if (composed) out.push({ expr: expand ? expandExpr(composed) : composed, source, edges: names, kan: copy instanceof Kan ? copy : null });
  }
  return out;
}

/** The suggestion with the highest R^2 (the ranking orders by score, where simplicity weighs in). */
function mostAccurateOf(ranked: readonly Suggestion[]): Suggestion | undefined {
  return ranked.reduce<Suggestion | undefined>((top, s) => (!top || s.r2 > top.r2 ? s : top), undefined);
}

/**
 * Two-term fits (pair.ts) of a first-layer edge in its raw input, as options, when they beat the edge's best single
 * function clearly: their error at most PAIR_GAIN of its error. They are fitted to the edge's values and, where the
 * node's target is known (nodeMiss: target - node), to its partial residual, edge + nodeMiss: the data itself plus the
 * other edges' errors, where the spline's approximation of a steep factor would mislead (each judged against the single
 * function on the same values).
 */
function pairOptions(ctx: StructureContext, input: number, x: Float64Array, y: Float64Array, nodeMiss: Float64Array | null, single: Suggestion | undefined): Suggestion[] {
  const { mean, std } = columnScale(ctx.standardizer, ctx.inputNames[input]!);
  const z = x.map((v) => std * v + mean);
  const out: Suggestion[] = [];
  for (const values of nodeMiss ? [y, y.map((v, s) => v + nodeMiss[s]!)] : [y]) {
    const singleR2 = single ? rSquared(x.map((v) => single.c * single.fn.f(single.a * v + single.b) + single.d), values) : 0;
    for (const p of fitPairs(z, values)) {
      if (1 - p.r2 > PAIR_GAIN * (1 - singleR2) || out.some((o) => o.name === p.fn.name)) continue;
      out.push({ fn: p.fn, a: std, b: mean, c: p.c, d: p.d, r2: p.r2, name: p.fn.name, complexity: p.fn.complexity, score: 0 });
    }
  }
  return out;
}

/** 1 - SSR/SST of a prediction, with the prediction's own best affine map (as the pair fits get): its squared correlation. */
function rSquared(prediction: Float64Array, y: Float64Array): number {
  const n = y.length;
  let mp = 0;
  let my = 0;
  for (let s = 0; s < n; s++) {
    mp += prediction[s]!;
    my += y[s]!;
  }
  mp /= n;
  my /= n;
  let spp = 0;
  let syy = 0;
  let spy = 0;
  for (let s = 0; s < n; s++) {
    const [dp, dy] = [prediction[s]! - mp, y[s]! - my];
    spp += dp * dp;
    syy += dy * dy;
    spy += dp * dy;
  }
  return spp > 0 && syy > 0 ? (spy * spy) / (spp * syy) : 0;
}

/**
 * A law of one input, read off the data itself: the best-ranked library functions c * f(a*x + b) + d and the best
 * two-term functions of x (pair.ts), each as a formula; and the best-ranked c * f(a*g(x) + b) + d for a few inner
 * functions g (INNER_FUNCTIONS). No network stands between the data and the fit, so a factor such as sin(x)/x, which a
 * KAN's edges approximate piece by piece, is found when it is the law, and so is a composition such as sin(x^2) on
 * [-1.5, 1.5], which a sum KAN [1, 1, 1] read from one draw of the rows and not from another.
 */
export function univariateCandidates(raw: FitData, inputName: string, lib: readonly LibraryFunction[]): ComposedCandidate[] {
  if (raw.columns.length !== 1) return [];
  const x = raw.columns[0]!;
  const out: ComposedCandidate[] = [];
  const push = (fn: LibraryFunction, abcd: number[], source: string, inner: InnerFunction | null): void => {
    const kan = Kan.create({ width: [1, 1], grid: 3, k: 3 }, new Rng(0));
    setSymbolic(kan, { layer: 0, input: 0, output: 0 }, fn, abcd);
    try {
      const expr = multKanToExpr(kan, null, [inputName], PRODUCT_FACTORS);
      out.push({ expr: inner ? substituteVariables(expr, () => inner.expr({ kind: 'var', index: 0 })) : expr, source, edges: { '0.0.0': inner ? `${fn.name} of ${inner.name}` : fn.name }, kan: null });
    } catch {
      // A template that does not compose (none of the library's) is skipped.
    }
  };
  const ranked = rankSymbolic(prepareEdgeSamples(x, raw.y), { lib }).ranked;
  for (const s of bestSingles(ranked)) push(s.fn, [s.a, s.b, s.c, s.d], 'univariate', null);
  for (const p of fitPairs(x, raw.y, ALTERNATIVES_PER_EDGE)) push(p.fn, [1, 0, p.c, p.d], 'univariate', null);
  for (const inner of INNER_FUNCTIONS) {
    if (!x.every(inner.applies)) continue;
    const z = x.map(inner.value);
    if (!z.every(Number.isFinite)) continue;
    const innerRanked = rankSymbolic(prepareEdgeSamples(z, raw.y), { lib }).ranked;
    for (const s of bestSingles(innerRanked)) push(s.fn, [s.a, s.b, s.c, s.d], `univariate of ${inner.name}`, inner);
  }
  return out;
}

/** The best-ranked fits over ALTERNATIVE_R2 (at most ALTERNATIVES_PER_EDGE) and the most accurate one. */
function bestSingles(ranked: readonly Suggestion[]): Suggestion[] {
  const singles = ranked.filter((s) => s.r2 >= ALTERNATIVE_R2).slice(0, ALTERNATIVES_PER_EDGE);
  // As for an edge: the ranking weighs simplicity down to 1 - R^2 = 1e-5, and the law is the most accurate (atan(z) ranks
  // behind an exponential that is 1e-3 off).
  const mostAccurate = mostAccurateOf(ranked);
  if (mostAccurate && !singles.includes(mostAccurate)) singles.push(mostAccurate);
  return singles;
}

/** An inner function g of a one-input law c * f(a*g(x) + b) + d, where x keeps in its domain. */
interface InnerFunction {
  name: string;
  applies: (x: number) => boolean;
  value: (x: number) => number;
  expr: (x: Expr) => Expr;
}

const INNER_FUNCTIONS: readonly InnerFunction[] = [
  { name: 'x^2', applies: () => true, value: (v) => v * v, expr: (x) => ({ kind: 'pow', base: x, exponent: { kind: 'const', value: 2, exact: { p: 2, q: 1, basis: 'one' } } }) },
  { name: '1/x', applies: (v) => v !== 0, value: (v) => 1 / v, expr: (x) => ({ kind: 'pow', base: x, exponent: { kind: 'const', value: -1, exact: { p: -1, q: 1, basis: 'one' } } }) },
  { name: 'log x', applies: (v) => v > 0, value: Math.log, expr: (x) => ({ kind: 'fn', name: 'log', arg: x }) },
  { name: 'exp x', applies: () => true, value: Math.exp, expr: (x) => ({ kind: 'fn', name: 'exp', arg: x }) },
];

/** The symbolic model's formula as an expression in the raw inputs; null when it cannot be written (e.g. a pole). */
function compose(model: Kan | MultKan, ctx: StructureContext, target: TargetScale | undefined): Expr | null {
  try {
    let expr = multKanToExpr(model, ctx.standardizer, ctx.inputNames, PRODUCT_FACTORS);
    if (ctx.logInputs) expr = substituteVariables(expr, (i) => ({ kind: 'fn', name: 'log', arg: { kind: 'var', index: i } }));
    if (!target) return expr;
    const scaled: Expr = { kind: 'add', terms: [{ kind: 'const', value: target.mean }, { kind: 'mul', factors: [{ kind: 'const', value: target.scale }, expr] }] };
    return target.expSign === undefined ? scaled : { kind: 'mul', factors: [{ kind: 'const', value: target.expSign }, { kind: 'fn', name: 'exp', arg: scaled }] };
  } catch {
    return null;
  }
}

/**
 * A KAN with multiplication nodes, [n, [1, products], 1]: one sum node and `products` product nodes (each the product of
 * two sums of univariate functions), for sums of products such as x1*x2 + x3*x4 or m*(v^2 + u^2)/2. It is trained on
 * the standardised target (on the raw one L-BFGS stalls on the product's scale); the scale is returned for the formula.
 * Given a log context and expSign, it models log|y|: x1/sqrt(1 - x2^2/x3^2) is log x1 - log(1 - x2^2 * x3^-2)/2.
 */
export function trainMultKan(ctx: StructureContext, products: number | MultKanNodeWidth[], expSign?: number): { model: MultKan; target: TargetScale } {
  const { data, mean, scale } = standardisedTarget(ctx.train, ctx.validation);
  const width = typeof products === 'number' ? [ctx.inputNames.length, [1, products] as MultKanNodeWidth, 1] : products;
  const model = MultKan.create({ width, grid: ctx.grid, k: ctx.k }, new Rng(ctx.seed));
  fit(model, data, 'regression', { opt: 'lbfgs', steps: SPARSE_FIT_STEPS, lamb: SPARSITY }, { seed: ctx.seed });
  maskWeakEdges(model, ctx.train);
  fit(model, data, 'regression', { opt: 'lbfgs', steps: FINAL_FIT_STEPS, lamb: 0 }, { seed: ctx.seed + 100 });
  return { model, target: { mean, scale, ...(expSign === undefined ? {} : { expSign }) } };
}

/**
 * A KAN that multiplies one factor per input, whatever its signs: a tree of two-input product nodes whose edges are
 * fixed, so that each factor sees one input ([2, (0+1x), 1] for two inputs; [3, (1+1x), (0+1x), 1] for three, one
 * input reaching the second product through a sum node; [4, (0+2x), (0+1x), 1] for four), and an output edge. The
 * edges between the product layers are affine where the law needs it, so x1*(1 + x2*cos(x3)) is one too. A law such
 * as x1*sin(x2) changes sign, so no KAN of log|y| writes it, and a free MultKan mixes its factors. Every way of
 * placing the inputs in the tree is trained (on the standardised target, like trainMultKan's), and the one with the
 * lowest validation error returned; null beyond four inputs.
 */
export function trainSignedProduct(ctx: StructureContext): { model: MultKan; target: TargetScale } | null {
  const topologies = SIGNED_PRODUCTS[ctx.inputNames.length];
  if (!topologies) return null;
  const { data, mean, scale } = standardisedTarget(ctx.train, ctx.validation);
  let best: { model: MultKan; rmse: number } | null = null;
  for (const topology of topologies) {
    const model = MultKan.create({ width: topology.width, grid: ctx.grid, k: ctx.k }, new Rng(ctx.seed));
    model.layers.forEach((layer, l) => {
      const allowed = topology.edges[l];
      if (!allowed) return;
      layer.mask.fill(0);
      for (const [i, j] of allowed) layer.mask[i * layer.nOut + j] = 1;
    });
    fit(model, data, 'regression', { opt: 'lbfgs', steps: SPARSE_FIT_STEPS + FINAL_FIT_STEPS, lamb: 0 }, { seed: ctx.seed });
    const rmse = validationRmse(model, data.test);
    if (!best || rmse < best.rmse) best = { model, rmse };
  }
  return { model: best!.model, target: { mean, scale } };
}

type Topology = { width: MultKanNodeWidth[]; edges: readonly (readonly [number, number])[][] };

/** Per input count, every placement of the inputs: the width, and per edge layer the (node, subnode) edges kept. */
const SIGNED_PRODUCTS: Readonly<Record<number, readonly Topology[]>> = {
  2: [{ width: [2, [0, 1], 1], edges: [[[0, 0], [1, 1]]] }],
  // The input through the sum node is the third, second or first; the other two are multiplied first.
  3: [[0, 1, 2], [0, 2, 1], [1, 2, 0]].map(([a, b, c]) => ({ width: [3, [1, 1], [0, 1], 1], edges: [[[c!, 0], [a!, 1], [b!, 2]], [[0, 0], [1, 1]]] })),
  // Pairs (x1 x2)(x3 x4), (x1 x3)(x2 x4), (x1 x4)(x2 x3).
  4: [[0, 1, 2, 3], [0, 2, 1, 3], [0, 3, 1, 2]].map(([a, b, c, d]) => ({ width: [4, [0, 2], [0, 1], 1], edges: [[[a!, 0], [b!, 1], [c!, 2], [d!, 3]], [[0, 0], [1, 1]]] })),
};

/**
 * Masks the edges whose output spreads less than EDGE_THRESHOLD of the widest edge into the same (sub)node: pruning for
 * a MultKan, whose product nodes have no attribution rule (a factor's scale is arbitrary, so spreads are compared only
 * among the edges of one sum).
 */
function maskWeakEdges(model: MultKan, train: Batch): void {
  const acts = model.activations(train.x, train.n);
  model.layers.forEach((layer, l) => {
    const spread = new Float64Array(layer.nIn * layer.nOut);
    for (let i = 0; i < layer.nIn; i++) {
      const values = evaluateEdgesFrom(layer, model.params, i, column(acts[l]!, train.n, layer.nIn, i), 'active');
      for (let j = 0; j < layer.nOut; j++) spread[i * layer.nOut + j] = standardDeviation(column(values, train.n, layer.nOut, j));
    }
    for (let j = 0; j < layer.nOut; j++) {
      let widest = 0;
      for (let i = 0; i < layer.nIn; i++) widest = Math.max(widest, spread[i * layer.nOut + j]!);
      for (let i = 0; i < layer.nIn; i++) if (spread[i * layer.nOut + j]! < EDGE_THRESHOLD * widest) layer.mask[i * layer.nOut + j] = 0;
    }
  });
}

/** Population standard deviation of v (0 for no values). */
export function standardDeviation(v: Float64Array): number {
  const mean = v.reduce((a, x) => a + x, 0) / Math.max(1, v.length);
  return Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0) / Math.max(1, v.length));
}

function train(kan: Kan, ctx: StructureContext, steps: number, lamb: number, seed: number): void {
  fit(kan, { train: ctx.train, test: ctx.validation }, 'regression', { opt: 'lbfgs', steps, lamb }, { seed });
}

/** RMSE of a model's predictions on a batch; Infinity when any is not finite. */
export function validationRmse(kan: Pick<Kan, 'forward'>, validation: Batch): number {
  const pred = kan.forward(validation.x, validation.n);
  let sum = 0;
  for (let s = 0; s < validation.n; s++) sum += (pred[s]! - validation.y[s]!) ** 2;
  const value = Math.sqrt(sum / validation.n);
  return Number.isFinite(value) ? value : Infinity;
}

/**
 * Both splits with the target standardised by the training rows' mean and spread (a spread of 0 counts as 1), for
 * networks that L-BFGS trains badly at the raw target's scale; mean and scale map predictions back.
 */
export function standardisedTarget(train: Batch, validation: Batch): { data: { train: Batch; test: Batch }; mean: number; scale: number } {
  const mean = train.y.reduce((a, v) => a + v, 0) / train.n;
  const scale = targetSpread(train) || 1;
  const standardised = (b: Batch): Batch => ({ x: b.x, y: b.y.map((v) => (v - mean) / scale), n: b.n });
  return { data: { train: standardised(train), test: standardised(validation) }, mean, scale };
}

/** Standard deviation of a batch's (single) target. */
export function targetSpread(batch: Batch): number {
  let mean = 0;
  for (let s = 0; s < batch.n; s++) mean += batch.y[s]!;
  mean /= batch.n;
  let sum = 0;
  for (let s = 0; s < batch.n; s++) sum += (batch.y[s]! - mean) ** 2;
  return Math.sqrt(sum / batch.n);
}

/**
 * +1 or -1 when every value has that sign and is clearly away from 0, no closer than floor times the largest magnitude
 * (log|y| stays finite and tame), else 0.
 */
export function productSign(y: Float64Array, floor = 1e-9): number {
  let max = 0;
  for (const v of y) max = Math.max(max, Math.abs(v));
  const sign = Math.sign(y[0] ?? 0);
  if (sign === 0 || !(max > 0)) return 0;
  for (const v of y) if (Math.sign(v) !== sign || Math.abs(v) < floor * max) return 0;
  return sign;
}
