/**
 * A layer's training domain and what its edges do beyond it. After a fit, each input node of each layer records the
 * range [lo, hi] of the activations the training rows gave it. Where a prediction's activation falls outside that range,
 * a numeric edge continues from its value at the nearer end along its secant over the range, (phi(hi) - phi(lo)) /
 * (hi - lo); a symbolic edge keeps its formula. Inside the range nothing changes, so training rows predict exactly as
 * the fit left them.
 *
 * Why: no training row constrains a spline between the last training activation and the grid's end, or beyond it. The
 * fitted cubic there can dive steeply, and its tangent carries that slope on. On scikit-learn's diabetes data (KAN
 * [10,3,1], 100 L-BFGS steps, seeds 0 to 9), one test row whose hidden activation lay 4% of the range past the training
 * rows' was off by 1,196 against targets of 25 to 346. The secant is the edge's average trend over the data it saw: a
 * linear law extrapolates exactly, and a wiggle fitted to noise near an end does not.
 */
import { type KanLayer, baseValue, inputSplineValues, layerForward } from './layer';

/** The range [lo, hi] per input node, interleaved: domain[2i] = lo_i, domain[2i + 1] = hi_i. */
export type LayerDomain = Float64Array;

/** The range of each of nIn columns of x [n][nIn] (NaN cells skipped; a column with no finite cell gets [NaN, NaN]). */
export function domainOf(x: Float64Array, n: number, nIn: number): LayerDomain {
  const domain = new Float64Array(2 * nIn);
  for (let i = 0; i < nIn; i++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let s = 0; s < n; s++) {
      const v = x[s * nIn + i]!;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    domain[2 * i] = lo <= hi ? lo : Number.NaN;
    domain[2 * i + 1] = lo <= hi ? hi : Number.NaN;
  }
  return domain;
}

/** Outputs y [n][nOut] of a layer on x [n][nIn] for prediction: layerForward inside the layer's domain, secants beyond. */
export function predictLayer(L: KanLayer, params: Float64Array, x: Float64Array, n: number, y: Float64Array): void {
  const domain = L.domain;
  const clamped = domain === null ? null : clampedCopy(domain, x, n, L.nIn);
  if (clamped === null) {
    layerForward(L, params, x, n, y, null, null);
    return;
  }
  layerForward(L, params, clamped, n, y, null, null);
  const slopes = secantSlopes(L, params, domain!);
  const { nIn, nOut, symMask, symFns, symOffset } = L;
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < nIn; i++) {
      const v = x[s * nIn + i]!;
      const c = clamped[s * nIn + i]!;
      if (v === c) continue;
      for (let j = 0; j < nOut; j++) {
        const e = i * nOut + j;
        let change = slopes[e]! * (v - c);
        const fn = symFns[e];
        if (symMask[e] !== 0 && fn) {
          const p = symOffset + 4 * e;
          const a = params[p]!;
          const b = params[p + 1]!;
          change += symMask[e]! * params[p + 2]! * (fn.f(a * v + b) - fn.f(a * c + b));
        }
        y[s * nOut + j]! += change;
      }
    }
  }
}

/** x with each cell clamped into its node's domain, or null when every cell is already inside (or the domain unknown). */
function clampedCopy(domain: LayerDomain, x: Float64Array, n: number, nIn: number): Float64Array | null {
  let copy: Float64Array | null = null;
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < nIn; i++) {
      const v = x[s * nIn + i]!;
      const lo = domain[2 * i]!;
      const hi = domain[2 * i + 1]!;
      if (!(v < lo || v > hi)) continue;
      copy ??= x.slice();
      copy[s * nIn + i] = v < lo ? lo : hi;
    }
  }
  return copy;
}

/** Per edge [nIn][nOut], the numeric branch's secant over its input's domain (0 where the domain is a single point). */
function secantSlopes(L: KanLayer, params: Float64Array, domain: LayerDomain): Float64Array {
  const { nIn, nOut, mask, wbOffset, wsOffset, base } = L;
  const slopes = new Float64Array(nIn * nOut);
  const ends = new Float64Array(2);
  const splines = new Float64Array(2 * nOut);
  for (let i = 0; i < nIn; i++) {
    const lo = domain[2 * i]!;
    const hi = domain[2 * i + 1]!;
    if (!(hi > lo)) continue;
    ends[0] = lo;
    ends[1] = hi;
    inputSplineValues(L, params, i, ends, 2, splines);
    const rise = baseValue(base, hi) - baseValue(base, lo);
    for (let j = 0; j < nOut; j++) {
      const e = i * nOut + j;
      if (mask[e] === 0) continue;
      const change = params[wbOffset + e]! * rise + params[wsOffset + e]! * (splines[nOut + j]! - splines[j]!);
      slopes[e] = (mask[e]! * change) / (hi - lo);
    }
  }
  return slopes;
}

/** A model whose layers carry domains: a Kan or a MultKan, whose activations()[l] is the input of edge layer l. */
interface DomainModel {
  readonly layers: KanLayer[];
  activations(x: Float64Array, n: number): Float64Array[];
}

/**
 * Sets every layer's domain to the range of the activations the rows x [n][nIn] give it under the model as it is now,
 * and returns those activations (the last is the prediction: inside their own domain, the rows predict as computed).
 */
export function recordDomains(model: DomainModel, x: Float64Array, n: number): Float64Array[] {
  clearDomains(model.layers);
  if (n === 0) return [];
  const acts = model.activations(x, n);
  model.layers.forEach((layer, l) => {
    layer.domain = domainOf(acts[l]!, n, layer.nIn);
  });
  return acts;
}

/** Removes the domains: predictions use the layers' functions everywhere (as training does). */
export function clearDomains(layers: readonly KanLayer[]): void {
  for (const layer of layers) layer.domain = null;
}

export function hasDomains(layers: readonly KanLayer[]): boolean {
  return layers.some((layer) => layer.domain !== null);
}
