/**
 * Grid adaptation: moving knots to where the activations are (grid update) and extending a spline to a finer grid
 * (refine). Both refit coefficients by least squares so that the learned curves do not move.
 */
import { clearDomains } from './domain';
import { basisCount, gridPointsOf, padGrid, paddedKnotCount } from './bspline';
import { type KanLayer, assignOffsets, layerForward } from './layer';
import { Kan } from './model';
import { refitSplines } from './splinefit';

/**
 * Default margin of a grid update, as a fraction of the activations' range added beyond min and max. pykan uses 0; then
 * a test input just outside the training range (common for hidden nodes on fine grids) leaves the grid at once. With
 * splines that faded out across their extension intervals this cost a factor 1000 on exp(sin(pi*x1)+x2^2), [2,5,1],
 * G 3 -> 10 -> 100 (test RMSE 6e-2 with no margin, 4e-4 with 3%); since splines continue along their tangent beyond the
 * grid (bspline.ts) it costs a factor 2 (7e-4 against 3e-4).
 */
export const DEFAULT_GRID_MARGIN = 0.03;

/**
 * Grid points for one input node from its samples: quantiles blended with the uniform grid over [min - m, max + m] by
 * gridEps (1 = uniform, 0 = pure quantiles), as the paper's grid update, with m = margin * (max - min). A node that sees
 * (almost) a constant keeps a grid of non-zero width around that value: a collapsed grid would make the next
 * least-squares fit singular (pykan issue #416).
 */
export function adaptiveGridPoints(samples: Float64Array, G: number, gridEps: number, fallbackHalfWidth: number, margin = 0): Float64Array {
  const sorted = Float64Array.from(samples).sort();
  const n = sorted.length;
  const lo = sorted[0]!;
  const hi = sorted[n - 1]!;
  const pts = new Float64Array(G + 1);
  const minWidth = 1e-6 * Math.max(1, Math.abs(lo), Math.abs(hi));
  if (!(hi - lo > minWidth)) {
    const centre = (lo + hi) / 2;
    const half = Math.max(fallbackHalfWidth, 1e-3);
    for (let q = 0; q <= G; q++) pts[q] = centre - half + (2 * half * q) / G;
    return pts;
  }
  const m = margin * (hi - lo);
  for (let q = 0; q <= G; q++) {
    const adaptive = q === 0 ? lo - m : q === G ? hi + m : sorted[Math.floor((n * q) / G)]!;
    const uniform = lo - m + ((hi - lo + 2 * m) * q) / G;
    pts[q] = gridEps * uniform + (1 - gridEps) * adaptive;
  }
  // With gridEps > 0 the blend is strictly increasing; with gridEps = 0 repeated quantiles must still be separated.
  const minGap = ((hi - lo) / G) * 1e-3;
  for (let q = 1; q <= G; q++) if (pts[q]! - pts[q - 1]! < minGap) pts[q] = pts[q - 1]! + minGap;
  return pts;
}

/**
 * Moves every layer's knots to its current activations on x (all layers, first to last, each using the activations
 * produced by the already-updated layers before it), refitting coefficients so each edge keeps its shape.
 */
export function updateGridFromSamples(kan: Kan, x: Float64Array, n: number, gridEps = 0.02, margin = DEFAULT_GRID_MARGIN): void {
  // Refitted splines are a new function: the training domain is recorded again by whoever measures it next.
  clearDomains(kan.layers);
  let cur = x;
  for (const [l, layer] of kan.layers.entries()) {
    updateLayerGrid(kan.params, layer, cur, n, gridEps, margin);
    if (l === kan.layers.length - 1) break; // the outputs feed no grid
    const next = new Float64Array(n * layer.nOut);
    layerForward(layer, kan.params, cur, n, next, null, null);
    cur = next;
  }
}

/** Grid update of one layer whose input activations are x [n][nIn]. */
export function updateLayerGrid(params: Float64Array, layer: KanLayer, x: Float64Array, n: number, gridEps: number, margin = DEFAULT_GRID_MARGIN): void {
  const { nIn, nOut, G, k } = layer;
  const nb = basisCount(G, k);
  const knotLen = paddedKnotCount(G, k);
  const column = new Float64Array(n);
  for (let i = 0; i < nIn; i++) {
    for (let s = 0; s < n; s++) column[s] = x[s * nIn + i]!;
    const koff = i * knotLen;
    const oldKnots = layer.knots.slice(koff, koff + knotLen);
    const old = gridPointsOf(oldKnots, 0, G, k);
    const pts = adaptiveGridPoints(column, G, gridEps, (old[G]! - old[0]!) / 2, margin);
    padGrid(pts, k, layer.knots, koff);
    // The coefficients of input i's edges are contiguous ([nOut][nb]) and are refitted from the old knots.
    const coef = refitSplines(layer.knots, koff, G, oldKnots, 0, G, k, column, params, layer.coefOffset + i * nOut * nb, nOut);
    params.set(coef, layer.coefOffset + i * nOut * nb);
  }
}

/**
 * Grid extension G -> newG: each layer's grid points are re-spaced (piecewise-linearly following the old knot
 * distribution, so an adapted grid stays adapted) and every spline is least-squares fitted to the coarse one on the
 * training activations plus a dense uniform sweep of the grid. Returns the new model and the largest deviation of any
 * output on the training inputs.
 */
export function refineGrid(kan: Kan, newG: number, x: Float64Array, n: number): { kan: Kan; maxDeviation: number } {
  if (!Number.isInteger(newG) || newG < 1) throw new Error(`refine: the new grid size must be a positive integer; got ${newG}`);
  const acts = kan.activations(x, n);
  const layers: KanLayer[] = kan.layers.map((old) => ({
    ...old,
    G: newG,
    knots: new Float64Array(old.nIn * paddedKnotCount(newG, old.k)),
    mask: old.mask.slice(),
    symMask: old.symMask.slice(),
    symFns: old.symFns.slice(),
  }));
  let total = 0;
  for (const layer of layers) total = assignOffsets(layer, total);
  const params = new Float64Array(total);
  kan.layers.forEach((old, l) => {
    const layer = layers[l]!;
    const { nIn, nOut, k } = old;
    const edges = nIn * nOut;
    const newNb = basisCount(newG, k);
    params.set(kan.params.subarray(old.wbOffset, old.wbOffset + edges), layer.wbOffset);
    params.set(kan.params.subarray(old.wsOffset, old.wsOffset + edges), layer.wsOffset);
    params.set(kan.params.subarray(old.symOffset, old.symOffset + 4 * edges), layer.symOffset);
    const oldKnotLen = paddedKnotCount(old.G, k);
    const newKnotLen = paddedKnotCount(newG, k);
    const input = acts[l]!;
    const column = new Float64Array(n);
    for (let i = 0; i < nIn; i++) {
      for (let s = 0; s < n; s++) column[s] = input[s * nIn + i]!;
      const pts = refinedGridPoints(gridPointsOf(old.knots, i * oldKnotLen, old.G, k), newG, column);
      padGrid(pts, k, layer.knots, i * newKnotLen);
      const sweep = 4 * (newG + k) + 1;
      const xs = new Float64Array(n + sweep);
      xs.set(column);
      for (let q = 0; q < sweep; q++) xs[n + q] = pts[0]! + ((pts[newG]! - pts[0]!) * q) / (sweep - 1);
      const coef = refitSplines(layer.knots, i * newKnotLen, newG, old.knots, i * oldKnotLen, old.G, k, xs, kan.params, old.coefOffset + i * nOut * basisCount(old.G, k), nOut, { ridge: 1e-12 });
      params.set(coef, layer.coefOffset + i * nOut * newNb);
    }
  });
  const refined = new Kan(layers, params);
  refined.regularization = { ...kan.regularization };
  const before = acts[acts.length - 1]!;
  const after = refined.forward(x, n);
  let maxDeviation = 0;
  for (let q = 0; q < before.length; q++) maxDeviation = Math.max(maxDeviation, Math.abs(before[q]! - after[q]!));
  return { kan: refined, maxDeviation };
}

/**
 * Grid points of the finer grid: piecewise-linear in the old points (so an adapted grid stays adapted and, for a
 * multiple of the old G, every old knot is kept and the coarse spline is reproduced exactly). Activations that reach
 * well beyond the old grid (a quarter of a fine interval or more; closer ones fall in the fine grid's extension) are taken
 * in by one extra point at that end, so refining never drops the part of a curve the data uses.
 */
export function refinedGridPoints(oldPts: Float64Array, newG: number, samples: Float64Array): Float64Array {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of samples) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const oldG = oldPts.length - 1;
  const slack = (0.25 * (oldPts[oldG]! - oldPts[0]!)) / newG;
  const anchors = Array.from(oldPts);
  if (lo < anchors[0]! - slack) anchors.unshift(lo);
  if (hi > anchors[anchors.length - 1]! + slack) anchors.push(hi);
  const G = anchors.length - 1;
  const pts = new Float64Array(newG + 1);
  for (let q = 0; q <= newG; q++) {
    const pos = (q * G) / newG;
    const at = Math.min(Math.floor(pos), G - 1);
    pts[q] = anchors[at]! + (pos - at) * (anchors[at + 1]! - anchors[at]!);
  }
  return pts;
}
