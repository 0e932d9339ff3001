import { describe, expect, it } from 'vitest';
import { Kan } from '../../../app/kan/model';
import { adaptiveGridPoints, refineGrid, updateGridFromSamples } from '../../../app/kan/grid';
import { gridPointsOf, padGrid, paddedKnotCount } from '../../../app/kan/bspline';
import { inputSplineValues } from '../../../app/kan/layer';
import { fitSplineCoefficients, refitSplines } from '../../../app/kan/splinefit';
import { Rng } from '../../../app/util/rng';

function samples(n: number, nIn: number, seed: number, lo = -1, hi = 1): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(n * nIn).map(() => rng.range(lo, hi));
}

function perturbed(width: number[], G: number, seed: number): Kan {
  const kan = Kan.create({ width, grid: G, k: 3 }, new Rng(seed));
  const rng = new Rng(seed + 100);
  for (let i = 0; i < kan.params.length; i++) kan.params[i]! += 0.5 * rng.normal();
  return kan;
}

describe('grid update', () => {
  it('moves knots to the quantiles of skewed activations, keeping a smooth curve in place', () => {
    const kan = Kan.create({ width: [1, 1], grid: 5, k: 3 }, new Rng(1));
    const layer = kan.layers[0]!;
    // Make the edge a smooth curve: w_b = 0, spline fitted to sin(2x) on the grid.
    kan.params[layer.wbOffset] = 0;
    kan.params[layer.wsOffset] = 1;
    const fitX = samples(400, 1, 9);
    const target = fitX.map((v) => Math.sin(2 * v));
    kan.params.set(fitSplineCoefficients(layer.knots, 0, 5, 3, fitX, target, 1), layer.coefOffset);
    const n = 2000;
    const rng = new Rng(2);
    const x = new Float64Array(n).map(() => -1 + 2 * rng.uniform() ** 3);
    const before = kan.forward(x, n);
    updateGridFromSamples(kan, x, n, 0.02, 0);
    const after = kan.forward(x, n);
    let worst = 0;
    for (let q = 0; q < n; q++) worst = Math.max(worst, Math.abs(before[q]! - after[q]!));
    // The new grid has one wide interval on [0, 1] where samples are sparse: a cubic there misses sin(2x) by ~h^4 |f''''| / 384 ≈ 0.04.
    expect(worst).toBeLessThan(0.05);
    const pts = gridPointsOf(layer.knots, 0, 5, 3);
    // Quantiles of -1 + 2u^3: the 20% quantile is -1 + 2 * 0.2^3 = -0.984; blended 2% with the uniform grid.
    expect(pts[1]!).toBeCloseTo(0.98 * (-1 + 2 * 0.2 ** 3) + 0.02 * (-0.6), 2);
    expect(pts[0]!).toBeCloseTo(Math.min(...x), 12);
  });

  it('leaves the model unchanged when the new grid equals the old one', () => {
    const kan = perturbed([2, 3], 4, 11);
    const n = 401;
    // Evenly spaced inputs with min -1 and max 1 and gridEps = 1 give back the uniform grid on [-1, 1].
    const x = new Float64Array(2 * n).map((_, q) => -1 + (2 * Math.floor(q / 2)) / (n - 1));
    const before = kan.forward(x, n);
    updateGridFromSamples(kan, x, n, 1, 0);
    const after = kan.forward(x, n);
    for (let q = 0; q < before.length; q++) expect(after[q]!).toBeCloseTo(before[q]!, 8);
  });

  it('widens the grid by the margin beyond the activations', () => {
    const values = new Float64Array(101).map((_, s) => 2 + s / 100); // range [2, 3]
    const pts = adaptiveGridPoints(values, 4, 1, 1, 0.05);
    expect(Array.from(pts)).toEqual([1.95, 2.225, 2.5, 2.775, 3.05].map((v) => expect.closeTo(v, 12)));
  });

  it('keeps a usable grid for a node that sees a constant (pykan #416)', () => {
    const pts = adaptiveGridPoints(new Float64Array(100).fill(0.3), 5, 0.02, 1);
    for (let q = 1; q < pts.length; q++) expect(pts[q]! - pts[q - 1]!).toBeGreaterThan(0);
    expect(pts[0]! < 0.3 && pts[5]! > 0.3).toBe(true);
    const kan = perturbed([1, 2, 1], 5, 3);
    const x = new Float64Array(50).fill(0.7);
    updateGridFromSamples(kan, x, 50);
    const out = kan.forward(x, 50);
    expect(out.every(Number.isFinite)).toBe(true);
  });

  it('separates repeated quantiles when gridEps is 0', () => {
    const values = new Float64Array(100).map((_, s) => (s < 90 ? 0 : s / 100));
    const pts = adaptiveGridPoints(values, 5, 0, 1);
    for (let q = 1; q < pts.length; q++) expect(pts[q]! - pts[q - 1]!).toBeGreaterThan(0);
  });
});

describe('grid extension (refine)', () => {
  it('preserves the function when going 5 -> 20 and reports the deviation', () => {
    const kan = perturbed([2, 4, 1], 5, 4);
    const n = 500;
    const x = samples(n, 2, 5, -0.95, 0.95);
    // As in training: a grid update first puts every layer's activations inside its grid.
    updateGridFromSamples(kan, x, n);
    const before = kan.forward(x, n);
    const { kan: fine, maxDeviation } = refineGrid(kan, 20, x, n);
    const after = fine.forward(x, n);
    let worst = 0;
    for (let q = 0; q < n; q++) worst = Math.max(worst, Math.abs(before[q]! - after[q]!));
    expect(maxDeviation).toBeCloseTo(worst, 14);
    // A cubic on 20 intervals represents a cubic on 5 intervals exactly (the coarse knots are among the fine ones).
    expect(maxDeviation).toBeLessThan(1e-8);
    expect(fine.layers[0]!.G).toBe(20);
    expect(fine.layers[0]!.knots.length).toBe(2 * paddedKnotCount(20, 3));
  });

  it('approximates closely when the grids do not nest (5 -> 7)', () => {
    const kan = perturbed([1, 3, 1], 5, 6);
    const n = 300;
    const x = samples(n, 1, 7);
    const { maxDeviation } = refineGrid(kan, 7, x, n);
    expect(maxDeviation).toBeLessThan(0.05);
    expect(maxDeviation).toBeGreaterThan(0);
  });
});

describe('refitting splines onto other knots', () => {
  it('through the cross Gram matrix equals a least-squares fit to the old splines evaluated at the samples', () => {
    for (const [k, oldG, newG] of [[3, 5, 5], [3, 5, 12], [2, 7, 4], [1, 6, 9]] as const) {
      const nOut = 3;
      const kan = Kan.create({ width: [1, nOut], grid: oldG, k }, new Rng(oldG + newG));
      const rng = new Rng(k);
      for (let q = 0; q < kan.params.length; q++) kan.params[q]! += rng.normal();
      const layer = kan.layers[0]!;
      // Samples partly beyond the old grid [-1, 1]: they carry no old spline (value 0) but do count for the new fit.
      const xs = new Float64Array(400).map(() => rng.range(-1.6, 1.4));
      const newKnots = new Float64Array(paddedKnotCount(newG, k));
      const pts = new Float64Array(newG + 1).map((_, q) => -1.5 + (3 * q) / newG + (q > 0 && q < newG ? 0.05 * rng.normal() : 0));
      padGrid(pts, k, newKnots, 0);
      const ys = inputSplineValues(layer, kan.params, 0, xs, xs.length);
      const want = fitSplineCoefficients(newKnots, 0, newG, k, xs, ys, nOut, { ridge: 1e-12 });
      const got = refitSplines(newKnots, 0, newG, layer.knots, 0, oldG, k, xs, kan.params, layer.coefOffset, nOut, { ridge: 1e-12 });
      let diff = 0;
      let norm = 0;
      for (let q = 0; q < want.length; q++) {
        diff = Math.max(diff, Math.abs(got[q]! - want[q]!));
        norm = Math.max(norm, Math.abs(want[q]!));
      }
      expect(norm).toBeGreaterThan(0.1);
      expect(diff / norm).toBeLessThan(1e-9);
    }
  });

  it('keeps only the entries the samples touch, and still equals that fit at G = 300 with samples on part of the grid', () => {
    const [k, oldG, newG, nOut] = [3, 300, 240, 4];
    const kan = Kan.create({ width: [1, nOut], grid: oldG, k }, new Rng(31));
    const rng = new Rng(32);
    for (let q = 0; q < kan.params.length; q++) kan.params[q]! += rng.normal();
    const layer = kan.layers[0]!;
    // Dense samples on [-0.9, 0.2] only: most rows of the cross Gram matrix are empty, the rest short runs.
    const xs = new Float64Array(3000).map(() => rng.range(-0.9, 0.2));
    const newKnots = new Float64Array(paddedKnotCount(newG, k));
    padGrid(new Float64Array(newG + 1).map((_, q) => -1 + (2 * q) / newG + (q > 0 && q < newG ? 0.002 * rng.normal() : 0)), k, newKnots, 0);
    const ys = inputSplineValues(layer, kan.params, 0, xs, xs.length);
    const want = fitSplineCoefficients(newKnots, 0, newG, k, xs, ys, nOut, { ridge: 1e-12 });
    const got = refitSplines(newKnots, 0, newG, layer.knots, 0, oldG, k, xs, kan.params, layer.coefOffset, nOut, { ridge: 1e-12 });
    let diff = 0;
    let norm = 0;
    for (let q = 0; q < want.length; q++) {
      diff = Math.max(diff, Math.abs(got[q]! - want[q]!));
      norm = Math.max(norm, Math.abs(want[q]!));
    }
    expect(norm).toBeGreaterThan(0.1);
    expect(diff / norm).toBeLessThan(1e-9);
  });
});
