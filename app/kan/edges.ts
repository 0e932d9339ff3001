/**
 * Single-edge evaluation: the values phi(x) of the edges leaving one input node, which the layer itself only ever adds
 * up into node sums. Attribution needs their spread, symbolic fitting needs the numeric curve of one edge.
 */
import { BasisScratch, NO_SUPPORT, basisCount, paddedKnotCount } from './bspline';
import { type KanLayer, baseValue } from './layer';

/**
 * Which part of an edge to evaluate: 'numeric' is w_b * base(x) + w_s * spline(x) whatever the masks say (the curve a
 * symbolic function is fitted to); 'active' is what the layer adds to its output node, mask * numeric + symMask * symbolic.
 */
export type EdgeBranch = 'numeric' | 'active';

/** Values of the edges (i, 0..nOut-1) of a layer at the points x [n]; returns out [n][nOut]. */
export function evaluateEdgesFrom(layer: KanLayer, params: Float64Array, i: number, x: Float64Array, branch: EdgeBranch, out = new Float64Array(x.length * layer.nOut)): Float64Array {
  const { nOut, G, k, knots, mask, symMask, symFns, coefOffset, wbOffset, wsOffset, symOffset } = layer;
  const nb = basisCount(G, k);
  const knotOffset = i * paddedKnotCount(G, k);
  const scratch = new BasisScratch(k);
  const values = scratch.values;
  const edge0 = i * nOut;
  for (let s = 0; s < x.length; s++) {
    const xs = x[s]!;
    const start = scratch.evaluate(knots, knotOffset, G, k, xs, false);
    const rLo = start === NO_SUPPORT ? 0 : Math.max(0, -start);
    const rHi = start === NO_SUPPORT ? -1 : Math.min(k, nb - 1 - start);
    const b = baseValue(layer.base, xs);
    for (let j = 0; j < nOut; j++) {
      const e = edge0 + j;
      const cOff = coefOffset + e * nb + start;
      let spline = 0;
      for (let r = rLo; r <= rHi; r++) spline += params[cOff + r]! * values[r]!;
      const numeric = params[wbOffset + e]! * b + params[wsOffset + e]! * spline;
      if (branch === 'numeric') {
        out[s * nOut + j] = numeric;
        continue;
      }
      let value = mask[e]! * numeric;
      const fn = symFns[e];
      if (symMask[e] !== 0 && fn) {
        const p = symOffset + 4 * e;
        value += symMask[e]! * (params[p + 2]! * fn.f(params[p]! * xs + params[p + 1]!) + params[p + 3]!);
      }
      out[s * nOut + j] = value;
    }
  }
  return out;
}

/** Column i of a row-major matrix m [n][width]. */
export function column(m: Float64Array, n: number, width: number, i: number): Float64Array {
  const out = new Float64Array(n);
  for (let s = 0; s < n; s++) out[s] = m[s * width + i]!;
  return out;
}

/** True when edge e of the layer contributes to its output node (numeric or symbolic branch on). */
export function isEdgeActive(layer: KanLayer, e: number): boolean {
  return layer.mask[e] !== 0 || (layer.symMask[e] !== 0 && layer.symFns[e] !== null);
}
