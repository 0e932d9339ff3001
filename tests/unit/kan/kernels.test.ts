import { describe, expect, it } from 'vitest';
import {
  BasisScratch, NO_SUPPORT, basisCount, buildKnotTables, cubicBasisColumn, cubicBasisInto, evaluateSpline, knotReciprocals, padGrid, paddedKnotCount, uniformKnots,
} from '../../../app/kan/bspline';
import { LayerCache, baseValue, inputSplineValues, layerBackward, layerForward, type KanLayer } from '../../../app/kan/layer';
import { Kan } from '../../../app/kan/model';
import { updateGridFromSamples } from '../../../app/kan/grid';
import { Rng } from '../../../app/util/rng';
import type { Batch } from '../../../app/train/types';

/** Strictly increasing grid points with spacings drawn from [minGap, minGap + 1), optionally clustered. */
function randomGrid(G: number, rng: Rng, clustered = false): number[] {
  const pts = [-1];
  for (let q = 0; q < G; q++) pts.push(pts[q]! + (clustered && q % 3 !== 0 ? 1e-3 : 0.05) + (clustered ? 0.01 : 1) * rng.uniform());
  return pts;
}

/** Textbook Cox–de Boor over the extended knots t (no padding): B_{m,k}(x) and its derivative. */
function coxDeBoor(t: number[], m: number, k: number, x: number): number {
  if (k === 0) return t[m]! <= x && x < t[m + 1]! ? 1 : 0;
  return ((x - t[m]!) / (t[m + k]! - t[m]!)) * coxDeBoor(t, m, k - 1, x) + ((t[m + k + 1]! - x) / (t[m + k + 1]! - t[m + 1]!)) * coxDeBoor(t, m + 1, k - 1, x);
}

function coxDeBoorDerivative(t: number[], m: number, k: number, x: number): number {
  return (k / (t[m + k]! - t[m]!)) * coxDeBoor(t, m, k - 1, x) - (k / (t[m + k + 1]! - t[m + 1]!)) * coxDeBoor(t, m + 1, k - 1, x);
}

/** Sample points: random ones, every knot exactly, and doubles a bit or two either side of each knot. */
function probePoints(knots: Float64Array, rng: Rng, count: number): number[] {
  const lo = knots[0]!;
  const hi = knots[knots.length - 1]!;
  const xs: number[] = [];
  for (let q = 0; q < count; q++) xs.push(rng.range(lo - 0.3, hi + 0.3));
  for (const t of knots) {
    const ulp = t === 0 ? Number.MIN_VALUE : Math.abs(t) * Number.EPSILON;
    xs.push(t, t + ulp, t - ulp);
  }
  return xs;
}

describe('division-free basis kernels', () => {
  it('the cubic kernels equal the textbook recursion (values and derivatives) to 1e-14 on non-uniform grids', () => {
    const rng = new Rng(11);
    const k = 3;
    for (const clustered of [false, true]) {
      const G = 9;
      const knots = padGrid(randomGrid(G, rng, clustered), k);
      const t = Array.from(knots.subarray(k, k + G + 2 * k + 1));
      const recip = knotReciprocals(knots, k);
      const v = new Float64Array(4);
      const d = new Float64Array(4);
      for (let q = 0; q < 400; q++) {
        const x = rng.range(t[k]!, t[G + k]!); // the grid proper: beyond it the bases are tangents (bspline.test.ts)
        const start = cubicBasisInto(knots, recip, 0, G, x, v, 0, d, 0);
        expect(start).not.toBe(NO_SUPPORT);
        for (let r = 0; r <= k; r++) {
          const m = start + r;
          if (m < 0 || m >= basisCount(G, k)) continue; // bases off the ends of the extended grid are never used
          expect(Math.abs(v[r]! - coxDeBoor(t, m, k, x))).toBeLessThan(1e-14);
          // Derivatives scale with 1 / (knot spacing); compare relative to that scale.
          const scale = 1 + Math.abs(coxDeBoorDerivative(t, m, k, x));
          expect(Math.abs(d[r]! - coxDeBoorDerivative(t, m, k, x)) / scale).toBeLessThan(1e-12);
        }
      }
    }
  });

  it('cubicBasisInto and the column kernel are bit-identical to evaluateInto, span lookup included', () => {
    const rng = new Rng(12);
    for (const [G, clustered] of [[5, false], [5, true], [40, true], [500, false]] as const) {
      const uniform = !clustered && G === 500;
      const knots = uniform ? uniformKnots(-1, 1, G, 3) : padGrid(randomGrid(G, rng, clustered), 3);
      const tables = buildKnotTables(knots, G, 3);
      const xs = Float64Array.from(probePoints(knots, rng, 300));
      const starts = new Int32Array(xs.length);
      const values = new Float64Array(4 * xs.length);
      const derivs = new Float64Array(4 * xs.length);
      cubicBasisColumn(knots, tables, 0, G, xs, 0, 1, xs.length, starts, 0, NO_SUPPORT, values, 0, derivs);
      const scratch = new BasisScratch(3);
      const v = new Float64Array(4);
      const d = new Float64Array(4);
      xs.forEach((x, q) => {
        const start = scratch.evaluateInto(knots, 0, G, 3, x, v, 0, d, 0);
        expect(starts[q]).toBe(start);
        expect(cubicBasisInto(knots, tables.recip, 0, G, x, values, 4 * q, derivs, 4 * q)).toBe(start);
        if (start === NO_SUPPORT) return;
        for (let r = 0; r < 4; r++) {
          expect(values[4 * q + r]).toBe(v[r]);
          expect(derivs[4 * q + r]).toBe(d[r]);
        }
      });
    }
  });

  it('the column kernel reads strided columns and several knot vectors, points beyond the grid included', () => {
    const rng = new Rng(13);
    const G = 6;
    const len = paddedKnotCount(G, 3);
    const knots = new Float64Array(3 * len);
    for (let v = 0; v < 3; v++) padGrid(randomGrid(G, rng, v === 1), 3, knots, v * len);
    const tables = buildKnotTables(knots, G, 3);
    const n = 50;
    const x = new Float64Array(3 * n).map(() => rng.range(-2, 8)); // [n][3]
    const scratch = new BasisScratch(3);
    const v = new Float64Array(4);
    for (let vector = 0; vector < 3; vector++) {
      const rows = new Int32Array(n).fill(-5);
      const values = new Float64Array(4 * n).fill(7);
      cubicBasisColumn(knots, tables, vector, G, x, vector, 3, n, rows, 3, 0, values, 0, null);
      for (let s = 0; s < n; s++) {
        const start = scratch.evaluateInto(knots, vector * len, G, 3, x[3 * s + vector]!, v, 0, null, 0);
        expect(rows[s]).toBe(start + 3);
        expect(Array.from(values.subarray(4 * s, 4 * s + 4))).toEqual(Array.from(v));
      }
    }
  });

  it('evaluateWithReciprocals equals the dividing triangle to 1e-14 for orders 1, 2, 4, 5', () => {
    const rng = new Rng(14);
    for (const k of [1, 2, 4, 5]) {
      const G = 7;
      const knots = padGrid(randomGrid(G, rng, k === 4), k);
      const recip = knotReciprocals(knots, k);
      const scratch = new BasisScratch(k);
      const a = new Float64Array(k + 1);
      const da = new Float64Array(k + 1);
      const b = new Float64Array(k + 1);
      const db = new Float64Array(k + 1);
      for (const x of probePoints(knots, rng, 200)) {
        const start = scratch.evaluateInto(knots, 0, G, k, x, a, 0, da, 0);
        expect(scratch.evaluateWithReciprocals(knots, recip, 0, G, k, x, b, 0, db, 0)).toBe(start);
        if (start === NO_SUPPORT) continue;
        for (let r = 0; r <= k; r++) {
          expect(Math.abs(a[r]! - b[r]!)).toBeLessThan(1e-14);
          expect(Math.abs(da[r]! - db[r]!) / (1 + Math.abs(da[r]!))).toBeLessThan(1e-13);
        }
      }
    }
  });
});

/** y [n][nOut] of a layer, edge by edge, through evaluateSpline and baseValue only. */
function naiveLayer(L: KanLayer, params: Float64Array, x: Float64Array, n: number): { y: Float64Array; abs: Float64Array } {
  const { nIn, nOut, G, k } = L;
  const nb = basisCount(G, k);
  const y = new Float64Array(n * nOut);
  const abs = new Float64Array(nIn * nOut);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < nIn; i++) {
      const xi = x[s * nIn + i]!;
      for (let j = 0; j < nOut; j++) {
        const e = i * nOut + j;
        if (L.mask[e] === 0) continue;
        const spline = evaluateSpline(L.knots, i * paddedKnotCount(G, k), G, k, params, L.coefOffset + e * nb, xi);
        const phi = params[L.wbOffset + e]! * baseValue(L.base, xi) + params[L.wsOffset + e]! * spline;
        y[s * nOut + j]! += L.mask[e]! * phi;
        abs[e]! += Math.abs(phi);
      }
    }
  }
  return { y, abs };
}

function perturbedKan(width: number[], G: number, k: number, seed: number): Kan {
  const kan = Kan.create({ width, grid: G, k }, new Rng(seed));
  const rng = new Rng(seed + 1);
  for (let i = 0; i < kan.params.length; i++) kan.params[i]! += 0.3 * rng.normal();
  return kan;
}

function maxRelativeDifference(a: Float64Array, b: Float64Array): number {
  let worst = 0;
  for (let q = 0; q < a.length; q++) worst = Math.max(worst, Math.abs(a[q]! - b[q]!) / (1 + Math.abs(b[q]!)));
  return worst;
}

describe('layer kernels', () => {
  // Many samples on a coarse grid make the paired-sample loops run; a few samples far outside exercise the tangent rows.
  const n = 257;
  const rng = new Rng(21);
  const x = new Float64Array(n * 3).map((_, q) => (q % 97 === 0 ? 9 : rng.range(-1.3, 1.3)));

  // 11 outputs take the row-sorted paired loops, 5 the natural order, 1 the single-output loop.
  for (const [k, masked, nOut] of [[3, false, 11], [3, false, 5], [3, false, 1], [3, true, 11], [2, false, 11]] as const) {
    it(`forward equals the edge-by-edge reference to 1e-14 (k=${k}, ${nOut} outputs${masked ? ', masked' : ''}), with and without a cache`, () => {
      const kan = perturbedKan([3, nOut], 4, k, 5);
      const L = kan.layers[0]!;
      if (masked) L.mask[4] = 0;
      const expected = naiveLayer(L, kan.params, x, n);
      const y = new Float64Array(n * nOut);
      const abs = new Float64Array(3 * nOut);
      layerForward(L, kan.params, x, n, y, new LayerCache(), abs);
      expect(maxRelativeDifference(y, expected.y)).toBeLessThan(1e-14);
      expect(maxRelativeDifference(abs, expected.abs)).toBeLessThan(1e-13);
      const plain = new Float64Array(n * nOut);
      layerForward(L, kan.params, x, n, plain, null, null);
      expect(maxRelativeDifference(plain, expected.y)).toBeLessThan(1e-14);
    });
  }

  it('forward of a wide layer (input read through a transposed copy) equals the edge-by-edge reference', () => {
    const kan = perturbedKan([20, 9], 5, 3, 14);
    const L = kan.layers[0]!;
    const wide = new Float64Array(n * 20).map(() => rng.range(-1.2, 1.2));
    const y = new Float64Array(n * 9);
    layerForward(L, kan.params, wide, n, y, new LayerCache(), null);
    expect(maxRelativeDifference(y, naiveLayer(L, kan.params, wide, n).y)).toBeLessThan(1e-14);
  });

  it('inputSplineValues equals evaluateSpline edge by edge (k = 3 and 2, points on and off the grid)', () => {
    for (const k of [3, 2]) {
      const kan = perturbedKan([3, 6], 5, k, 9);
      const L = kan.layers[0]!;
      const nb = basisCount(5, k);
      const xs = new Float64Array(90).map((_, q) => (q % 30 === 0 ? -4 : rng.range(-1.5, 1.5)));
      for (let i = 0; i < 3; i++) {
        const out = inputSplineValues(L, kan.params, i, xs, xs.length);
        xs.forEach((xv, s) => {
          for (let j = 0; j < 6; j++) {
            const expected = evaluateSpline(L.knots, i * paddedKnotCount(5, k), 5, k, kan.params, L.coefOffset + (i * 6 + j) * nb, xv);
            expect(Math.abs(out[s * 6 + j]! - expected)).toBeLessThan(1e-14 * (1 + Math.abs(expected)));
          }
        });
      }
    }
  });

  it('follows knots rewritten in place one vector at a time', () => {
    const kan = perturbedKan([3, 6], 4, 3, 10);
    const L = kan.layers[0]!;
    const y = new Float64Array(n * 6);
    layerForward(L, kan.params, x, n, y, null, null);
    padGrid([-0.9, -0.2, 0.1, 0.3, 1.4], 3, L.knots, paddedKnotCount(4, 3));
    layerForward(L, kan.params, x, n, y, null, null);
    expect(maxRelativeDifference(y, naiveLayer(L, kan.params, x, n).y)).toBeLessThan(1e-14);
  });

  it('the paired backward (row-sorted samples) equals the per-sample path, input gradient included', () => {
    const kan = perturbedKan([3, 11], 4, 3, 6);
    const L = kan.layers[0]!;
    const cache = new LayerCache();
    const y = new Float64Array(n * 11);
    layerForward(L, kan.params, x, n, y, cache, null);
    const gy = new Float64Array(n * 11).map(() => rng.normal());
    const paired = new Float64Array(kan.params.length);
    const pairedGx = new Float64Array(n * 3);
    layerBackward(L, kan.params, cache, gy, null, paired, pairedGx);
    // A regulariser of weight zero changes nothing but takes the per-sample loop.
    const single = new Float64Array(kan.params.length);
    const singleGx = new Float64Array(n * 3);
    layerBackward(L, kan.params, cache, gy, new Float64Array(33), single, singleGx);
    expect(maxRelativeDifference(paired, single)).toBeLessThan(1e-13);
    expect(maxRelativeDifference(pairedGx, singleGx)).toBeLessThan(1e-13);
    expect(paired.some((g) => g !== 0) && pairedGx.some((g) => g !== 0)).toBe(true);
    const withoutGx = new Float64Array(kan.params.length);
    layerBackward(L, kan.params, cache, gy, null, withoutGx, null);
    expect(Array.from(withoutGx)).toEqual(Array.from(paired));
  });

  // 11 outputs: the paired loops; 5 with the input gradient: the per-sample loop; 1: the single-output loops.
  for (const [nOut, withGx] of [[11, false], [5, true], [1, true], [1, false]] as const) {
    it(`the regulariser's sign(phi) kept by the forward pass gives bit-identical gradients (${nOut} outputs${withGx ? ', input gradient' : ''})`, () => {
      const kan = perturbedKan([3, nOut], 4, 3, 16);
      const L = kan.layers[0]!;
      const cache = new LayerCache();
      const y = new Float64Array(n * nOut);
      layerForward(L, kan.params, x, n, y, cache, new Float64Array(3 * nOut));
      expect(cache.edgeOutputsKept).toBe(true);
      const gy = new Float64Array(n * nOut).map(() => rng.normal());
      const regCoef = new Float64Array(3 * nOut).map(() => rng.range(-1, 1));
      const kept = new Float64Array(kan.params.length);
      const keptGx = withGx ? new Float64Array(n * 3) : null;
      layerBackward(L, kan.params, cache, gy, regCoef, kept, keptGx);
      cache.edgeOutputsKept = false;
      const recomputed = new Float64Array(kan.params.length);
      const recomputedGx = withGx ? new Float64Array(n * 3) : null;
      layerBackward(L, kan.params, cache, gy, regCoef, recomputed, recomputedGx);
      expect(Array.from(kept)).toEqual(Array.from(recomputed));
      if (keptGx && recomputedGx) expect(Array.from(keptGx)).toEqual(Array.from(recomputedGx));
      // Without the regulariser nothing is kept: there is no sign to read.
      layerForward(L, kan.params, x, n, y, cache, null);
      expect(cache.edgeOutputsKept).toBe(false);
    });
  }

  // [2,1,1]: single-output loops; [3,5,2]: a sorted first layer (its basis is kept) with a natural-order second one;
  // [2,3,9,1]: a sorted hidden layer whose input gradient takes the paired sweep.
  for (const width of [[2, 1, 1], [3, 5, 2], [2, 3, 9, 1]]) {
    for (const lamb of [0, 0.05]) {
      it(`${JSON.stringify(width)} gradients match central differences${lamb > 0 ? ' with the regulariser' : ''}`, () => {
        const kan = perturbedKan(width, 4, 3, 12);
        kan.regularization = { lamb, lambL1: 1, lambEntropy: 2, lambCoef: 0, lambCoefDiff: 0 };
        const r = new Rng(13);
        const nIn = width[0]!;
        const nOut = width[width.length - 1]!;
        const batch: Batch = { x: new Float64Array(nIn * 40).map(() => r.range(-1.1, 1.1)), y: new Float64Array(nOut * 40).map(() => r.normal()), n: 40 };
        const grad = new Float64Array(kan.params.length);
        kan.lossAndGrad(batch, 'regression', grad);
        const scratch = new Float64Array(kan.params.length);
        const h = 1e-6;
        let worst = 0;
        for (let q = 0; q < kan.params.length; q++) {
          const orig = kan.params[q]!;
          kan.params[q] = orig + h;
          const up = kan.lossAndGrad(batch, 'regression', scratch).objective;
          kan.params[q] = orig - h;
          const down = kan.lossAndGrad(batch, 'regression', scratch).objective;
          kan.params[q] = orig;
          const fd = (up - down) / (2 * h);
          worst = Math.max(worst, Math.abs(fd - grad[q]!) / Math.max(1e-3, Math.abs(fd) + Math.abs(grad[q]!)));
        }
        expect(worst).toBeLessThan(1e-6);
      });
    }
  }

  it('reuses a cached basis only for the same input values and knots', () => {
    const kan = perturbedKan([3, 4], 5, 3, 15);
    const L = kan.layers[0]!;
    const cache = new LayerCache();
    const input = x.slice();
    const y = new Float64Array(n * 4);
    layerForward(L, kan.params, input, n, y, cache, null);
    // The same buffer, overwritten in place (a recycled mini-batch): the basis must follow the new values.
    for (let q = 0; q < input.length; q++) input[q] = -input[q]!;
    layerForward(L, kan.params, input, n, y, cache, null);
    expect(maxRelativeDifference(y, naiveLayer(L, kan.params, input, n).y)).toBeLessThan(1e-14);
  });

  it('keeps the first layer basis only while the input array and knots are unchanged', () => {
    const kan = perturbedKan([3, 4, 2], 5, 3, 7);
    const batch: Batch = { x, y: new Float64Array(n * 2).map(() => rng.normal()), n };
    const grad = new Float64Array(kan.params.length);
    kan.lossAndGrad(batch, 'regression', grad);
    // Knots move in place: the cached basis must be dropped.
    updateGridFromSamples(kan, x, n);
    const after = kan.lossAndGrad(batch, 'regression', grad).objective;
    const fresh = kan.clone().lossAndGrad({ ...batch, x: x.slice() }, 'regression', new Float64Array(grad.length)).objective;
    expect(after).toBe(fresh);
  });

  it('gives the same objective and gradient whatever batch sizes came before (reused buffers)', () => {
    const kan = perturbedKan([3, 5, 2], 6, 3, 8);
    kan.regularization = { lamb: 0.01, lambL1: 1, lambEntropy: 2, lambCoef: 0, lambCoefDiff: 0 };
    const make = (count: number, seed: number): Batch => {
      const r = new Rng(seed);
      return { x: new Float64Array(count * 3).map(() => r.range(-1, 1)), y: new Float64Array(count * 2).map(() => r.normal()), n: count };
    };
    const small = make(17, 1);
    const large = make(40, 2);
    const reference = new Float64Array(kan.params.length);
    const expected = kan.clone().lossAndGrad(small, 'regression', reference).objective;
    const grad = new Float64Array(kan.params.length);
    for (const batch of [large, small, large, small]) kan.lossAndGrad(batch, 'regression', grad);
    expect(kan.lossAndGrad(small, 'regression', grad).objective).toBe(expected);
    expect(Array.from(grad)).toEqual(Array.from(reference));
  });
});
