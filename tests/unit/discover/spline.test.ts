/**
 * Cubic regression splines of one input (app/discover/spline.ts): the basis is a partition of unity that reproduces
 * cubics, and the smoother's grid follows the curve on exact rows and averages the noise on noisy ones.
 */
import { describe, expect, it } from 'vitest';
import { rangeOf, splineBasis, splineSmooth } from '../../../app/discover/spline';
import { leastSquaresQR } from '../../../app/util/linalg';
import { Rng } from '../../../app/util/rng';

const rms = (v: ArrayLike<number>): number => Math.sqrt(Array.from(v).reduce((a, x) => a + x * x, 0) / v.length);

describe('cubic regression splines', () => {
  it('sums to one inside the range and fits a cubic exactly on any grid', () => {
    const rng = new Rng(2);
    const x = Float64Array.from({ length: 300 }, () => rng.range(-1, 3));
    const basis = splineBasis(rangeOf(x), 8, x);
    expect(basis).toHaveLength(11);
    for (let s = 0; s < x.length; s++) expect(basis.reduce((a, c) => a + c[s]!, 0)).toBeCloseTo(1, 12);
    const cubic = x.map((v) => 2 - v + 0.5 * v ** 3);
    const w = leastSquaresQR(basis, cubic)!;
    const fitted = x.map((_, s) => basis.reduce((a, c, m) => a + w[m]! * c[s]!, 0));
    expect(rms(fitted.map((v, s) => v - cubic[s]!))).toBeLessThan(1e-10);
  });

  it('follows a steep curve closely on exact rows and removes most of the noise on noisy ones', () => {
    const rng = new Rng(4);
    const law = (v: number): number => v ** 4 / (1 + v ** 4);
    const x = Float64Array.from({ length: 800 }, () => rng.range(0.2, 4));
    const exact = x.map(law);
    const smooth = splineSmooth(x, exact)!;
    // The global polynomial this replaces for one input (every monomial up to degree 4) errs by over 1e-2 here.
    expect(rms(smooth.map((v, s) => v - exact[s]!))).toBeLessThan(1e-4);
    const noisy = exact.map((v) => v + 0.01 * rng.normal());
    const denoised = splineSmooth(x, noisy)!;
    expect(rms(denoised.map((v, s) => v - exact[s]!))).toBeLessThan(0.004);
    // Too few rows for the coarsest grid: no smoothing.
    expect(splineSmooth(x.slice(0, 20), exact.slice(0, 20))).toBeNull();
  });
});
