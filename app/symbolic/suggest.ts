/**
 * Turning edges of a KAN into symbolic functions: ranking the library for one edge, fixing an edge to a function,
 * undoing it, and doing it for every numeric edge at once (autoSymbolic).
 *
 * The samples of edge (l, i, j) are the layer's input activations x = acts[l][:, i] on the given network inputs and the
 * values of the edge's numeric branch there (w_b * base(x) + w_s * spline(x), whatever its masks say).
 *
 * Ranking score (lower is better), as pykan's suggest_symbolic:
 *   score = weightSimple * complexity + (1 - weightSimple) * log2(1 + 1e-5 - R^2)
 * The log term rewards fit quality steeply near R^2 = 1 (R^2 = 0.99 -> -6.6, R^2 = 1 -> -16.6); weightSimple = 0.8 makes one
 * unit of complexity worth about a 16-fold lower 1 - R^2.
 *
 * The ranking orders by that score with the fit counted per decade of 1 - R^2 (floored at 1e-5, where the score's log
 * term flattens): fits within one decade are equal fits, and among them the lower complexity wins, then the function with
 * fewer argument parameters to search (x^2 before sin(a*x + b), which imitates a parabola on a short window), then the
 * exact score. The constant 0 ranks last unless the edge itself is constant: it never outranks a function that fits.
 * An edge that no library function fits to r2Threshold gets the best low-degree polynomial (library.ts
 * polynomialFunction), so that the model always has a closed form; 'numeric' keeps such edges numeric instead.
 */
import { column, evaluateEdgesFrom, isEdgeActive } from '../kan/edges';
import type { KanLayer } from '../kan/layer';
import type { Kan } from '../kan/model';
import { type EdgeSamples, type SymbolicFit, fitPolynomial, fitSymbolic, prepareEdgeSamples } from './fit';
import { BUILTIN_LIBRARY, type LibraryFunction, type SearchKind } from './library';

/** Network inputs [n][nIn] on which edges are sampled (the training inputs, as the model sees them). */
export interface NetworkSamples {
  x: Float64Array;
  n: number;
}

export interface EdgeId {
  layer: number;
  input: number;
  output: number;
}

export interface Suggestion extends SymbolicFit {
  name: string;
  complexity: number;
  score: number;
}

export interface RankOptions {
  /** Functions to try; default the whole built-in library. */
  lib?: readonly LibraryFunction[];
  /** Weight of complexity against fit in the score, in [0, 1]; default 0.8. */
  weightSimple?: number;
}

export interface SuggestOptions extends RankOptions {
  /** How many suggestions to return; default 5. */
  topK?: number;
}

export interface Ranking {
  /** Every fitted candidate, best score first. */
  ranked: Suggestion[];
  /** Candidates with no argument range inside their domain on these samples. */
  excluded: string[];
}

/** What edge fitting needs of a model: its edge layers, parameters and the input of every layer (a Kan or a MultKan). */
export type SymbolicModel = Pick<Kan, 'layers' | 'params' | 'activations'>;

export const edgeLabel = (e: EdgeId): string => `${e.layer}.${e.input}.${e.output}`;

export function symbolicScore(r2: number, complexity: number, weightSimple: number): number {
  return weightSimple * complexity + (1 - weightSimple) * Math.log2(1 + 1e-5 - r2);
}

/** The samples (x, numeric-branch y) of one edge; acts are the model's activations on samples when already computed. */
export function edgeSamples(kan: SymbolicModel, edge: EdgeId, samples: NetworkSamples, acts = kan.activations(samples.x, samples.n)): { x: Float64Array; y: Float64Array } {
  const layer = checkEdge(kan, edge);
  const x = column(acts[edge.layer]!, samples.n, layer.nIn, edge.input);
  const values = evaluateEdgesFrom(layer, kan.params, edge.input, x, 'numeric');
  return { x, y: column(values, samples.n, layer.nOut, edge.output) };
}

/** Fits every library function to prepared samples and ranks them by score. */
export function rankSymbolic(samples: EdgeSamples, options: RankOptions = {}): Ranking {
  const lib = options.lib ?? BUILTIN_LIBRARY;
  const weightSimple = options.weightSimple ?? 0.8;
  if (!(weightSimple >= 0 && weightSimple <= 1)) throw new Error(`weightSimple must be in [0, 1]; got ${weightSimple}`);
  const ranked: Suggestion[] = [];
  const excluded: string[] = [];
  for (const fn of lib) {
    const fit = fitSymbolic(samples, fn);
    if (!fit) {
      excluded.push(fn.name);
      continue;
    }
    ranked.push({ ...fit, name: fn.name, complexity: fn.complexity, score: symbolicScore(fit.r2, fn.complexity, weightSimple) });
  }
  const key = new Map(ranked.map((s) => [s, rankKey(s, weightSimple, samples.constantY)]));
  ranked.sort((p, q) => {
    const [kp, kq] = [key.get(p)!, key.get(q)!];
    return kp[0] - kq[0] || kp[1] - kq[1] || kp[2] - kq[2] || kp[3] - kq[3];
  });
  return { ranked, excluded };
}

/** Fewer argument parameters to search first: 0 and x have none, powers and log a shift, exp a scale, the rest both. */
const SEARCH_ORDER: Record<SearchKind, number> = { none: 0, shift: 1, scale: 1, sinusoid: 2, window: 2 };

/** The ranking's sort key (see the file header): [zero last, score with the fit per decade, search order, score]. */
function rankKey(s: Suggestion, weightSimple: number, constantY: boolean): [number, number, number, number] {
  const zeroLast = s.name === '0' && !constantY ? 1 : 0;
  const decade = Math.floor(Math.log10(Math.max(1 - s.r2, 1e-5)));
  const coarse = weightSimple * s.complexity + (1 - weightSimple) * decade * Math.log2(10);
  return [zeroLast, coarse, SEARCH_ORDER[s.fn.search], s.score];
}

/** The topK best library functions for an edge, best first. */
export function suggestSymbolic(kan: SymbolicModel, edge: EdgeId, samples: NetworkSamples, options: SuggestOptions = {}): Suggestion[] {
  const { x, y } = edgeSamples(kan, edge, samples);
  return rankSymbolic(prepareEdgeSamples(x, y), options).ranked.slice(0, options.topK ?? 5);
}

export interface FixOptions {
  /** Fit (a, b, c, d) to the edge's samples (default); false sets a = c = 1, b = d = 0. */
  fitParams?: boolean;
}

/**
 * Makes an edge symbolic with f (in place): the numeric branch is switched off (its coefficients are kept, so unfix
 * restores it) and (a, b, c, d) are fitted to the edge's samples. Returns the fit (null when fitParams is false).
 */
export function fixSymbolic(kan: SymbolicModel, edge: EdgeId, fn: LibraryFunction, samples: NetworkSamples | null, options: FixOptions = {}): SymbolicFit | null {
  checkEdge(kan, edge);
  const fitParams = options.fitParams ?? true;
  let fit: SymbolicFit | null = null;
  let p = [1, 0, 1, 0];
  if (fitParams) {
    if (!samples) throw new Error(`fixSymbolic(${edgeLabel(edge)}, ${fn.name}): fitting (a, b, c, d) needs samples; pass the training inputs or set fitParams to false`);
    const { x, y } = edgeSamples(kan, edge, samples);
    fit = fitSymbolic(prepareEdgeSamples(x, y), fn);
    if (!fit) throw new Error(`cannot fix edge ${edgeLabel(edge)} to ${fn.name}: no argument range a*x + b over its inputs stays inside the domain of ${fn.name}; choose another function`);
    p = [fit.a, fit.b, fit.c, fit.d];
  }
  setSymbolic(kan, edge, fn, p);
  return fit;
}

/** Writes a symbolic choice into the model: function, (a, b, c, d), masks. */
export function setSymbolic(kan: SymbolicModel, edge: EdgeId, fn: LibraryFunction, abcd: readonly number[]): void {
  const layer = checkEdge(kan, edge);
  const e = edge.input * layer.nOut + edge.output;
  layer.mask[e] = 0;
  layer.symMask[e] = 1;
  layer.symFns[e] = fn;
  kan.params.set(abcd.slice(0, 4), layer.symOffset + 4 * e);
}

/** Makes a symbolic edge numeric again (in place), with the spline it had before it was fixed. */
export function unfixSymbolic(kan: SymbolicModel, edge: EdgeId): void {
  const layer = checkEdge(kan, edge);
  const e = edge.input * layer.nOut + edge.output;
  if (layer.symMask[e] === 0 || !layer.symFns[e]) throw new Error(`edge ${edgeLabel(edge)} is not symbolic, so there is nothing to unfix`);
  layer.symMask[e] = 0;
  layer.symFns[e] = null;
  layer.mask[e] = 1;
}

export interface AutoSymbolicOptions extends RankOptions {
  /** An edge with no library function reaching this R^2 gets the fallback; default 0.9. */
  r2Threshold?: number;
  /** What such an edge becomes: the best low-degree polynomial (default) or it stays numeric. */
  fallback?: 'polynomial' | 'numeric';
}

export interface AutoSymbolicEdge extends EdgeId {
  /** The function the edge now has, or null when it stayed numeric. */
  fn: string | null;
  r2: number;
  a?: number;
  b?: number;
  c?: number;
  d?: number;
  /** When no library function reached the threshold: the best-scoring one and its R^2. */
  best?: { name: string; r2: number };
  /** True when the edge got the polynomial fallback. */
  polynomial?: boolean;
}

/**
 * Fixes every active numeric edge to the first library function in the ranking whose R^2 reaches r2Threshold; an edge
 * with no such candidate gets the fallback (never silently 0). All edges are sampled on the model as it was before this
 * call.
 */
export function autoSymbolic(kan: SymbolicModel, samples: NetworkSamples, options: AutoSymbolicOptions = {}): AutoSymbolicEdge[] {
  const r2Threshold = options.r2Threshold ?? 0.9;
  const fallback = options.fallback ?? 'polynomial';
  const acts = kan.activations(samples.x, samples.n);
  const report: AutoSymbolicEdge[] = [];
  kan.layers.forEach((layer, l) => {
    for (let i = 0; i < layer.nIn; i++) {
      const x = column(acts[l]!, samples.n, layer.nIn, i);
      const values = evaluateEdgesFrom(layer, kan.params, i, x, 'numeric');
      for (let j = 0; j < layer.nOut; j++) {
        const e = i * layer.nOut + j;
        if (layer.mask[e] === 0 || !isEdgeActive(layer, e) || layer.symMask[e] !== 0) continue;
        const edge = { layer: l, input: i, output: j };
        const prepared = prepareEdgeSamples(x, column(values, samples.n, layer.nOut, j));
        const { ranked } = rankSymbolic(prepared, options);
        const choice = ranked.find((s) => s.r2 >= r2Threshold);
        const top = ranked[0];
        const best = top ? { best: { name: top.name, r2: top.r2 } } : {};
        if (choice) {
          setSymbolic(kan, edge, choice.fn, [choice.a, choice.b, choice.c, choice.d]);
          report.push({ ...edge, fn: choice.name, r2: choice.r2, a: choice.a, b: choice.b, c: choice.c, d: choice.d });
        } else if (fallback === 'polynomial') {
          const poly = fitPolynomial(prepared, r2Threshold);
          setSymbolic(kan, edge, poly.fn, [poly.a, poly.b, poly.c, poly.d]);
          report.push({ ...edge, fn: poly.fn.name, r2: poly.r2, a: poly.a, b: poly.b, c: poly.c, d: poly.d, polynomial: true, ...best });
        } else {
          report.push({ ...edge, fn: null, r2: top?.r2 ?? 0, ...best });
        }
      }
    }
  });
  return report;
}

function checkEdge(kan: SymbolicModel, edge: EdgeId): KanLayer {
  const layer = kan.layers[edge.layer];
  if (!layer) throw new Error(`edge ${edgeLabel(edge)}: the model has edge layers 0..${kan.layers.length - 1}`);
  if (!(Number.isInteger(edge.input) && edge.input >= 0 && edge.input < layer.nIn && Number.isInteger(edge.output) && edge.output >= 0 && edge.output < layer.nOut)) {
    throw new Error(`edge ${edgeLabel(edge)} does not exist: layer ${edge.layer} connects inputs 0..${layer.nIn - 1} to outputs 0..${layer.nOut - 1}`);
  }
  return layer;
}
