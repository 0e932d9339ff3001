import { describe, expect, it } from 'vitest';
import { BasisScratch, NO_SUPPORT, basisCount, evaluateSpline, padGrid, uniformKnots } from '../../../app/kan/bspline';
import { Rng } from '../../../app/util/rng';

/** All G+k basis values at x, dense, from the sparse evaluator. */
function dense(knots: Float64Array, G: number, k: number, x: number, derivs = false): number[] {
  const scratch = new BasisScratch(k);
  const out = new Array<number>(basisCount(G, k)).fill(0);
  const start = scratch.evaluate(knots, 0, G, k, x, derivs);
  if (start === NO_SUPPORT) return out;
  for (let r = 0; r <= k; r++) {
    const m = start + r;
    if (m >= 0 && m < out.length) out[m] = derivs ? scratch.derivs[r]! : scratch.values[r]!;
  }
  return out;
}

/** Textbook Cox–de Boor recursion over the extended knots t (no padding), for comparison. */
function coxDeBoor(t: number[], m: number, k: number, x: number): number {
  if (k === 0) return t[m]! <= x && x < t[m + 1]! ? 1 : 0;
  const a = t[m + k]! - t[m]! === 0 ? 0 : ((x - t[m]!) / (t[m + k]! - t[m]!)) * coxDeBoor(t, m, k - 1, x);
  const b = t[m + k + 1]! - t[m + 1]! === 0 ? 0 : ((t[m + k + 1]! - x) / (t[m + k + 1]! - t[m + 1]!)) * coxDeBoor(t, m + 1, k - 1, x);
  return a + b;
}

describe('sparse B-spline bases', () => {
  it('form a partition of unity inside the grid, for orders 1..5', () => {
    for (const k of [1, 2, 3, 4, 5]) {
      const G = 7;
      const knots = uniformKnots(-1, 1, G, k);
      for (let x = -1; x < 1; x += 0.0371) {
        const sum = dense(knots, G, k, x).reduce((a, b) => a + b, 0);
        expect(sum).toBeCloseTo(1, 13);
      }
    }
  });

  it('equal hand-computed values: uniform cubic at a knot is (1/6, 2/3, 1/6)', () => {
    const G = 4;
    const k = 3;
    const knots = uniformKnots(0, 4, G, k); // extended knots -3..7, unit spacing
    const v = dense(knots, G, k, 1);
    // At x = 1 = t_4: B_1 = 1/6, B_2 = 2/3, B_3 = 1/6 (B_m starts at t_m = m - 3).
    expect(v[1]).toBeCloseTo(1 / 6, 14);
    expect(v[2]).toBeCloseTo(2 / 3, 14);
    expect(v[3]).toBeCloseTo(1 / 6, 14);
    expect(v[0]).toBe(0);
    // At the midpoint x = 1.5 the four non-zero cubic values are 1/48, 23/48, 23/48, 1/48.
    const mid = dense(knots, G, k, 1.5);
    expect(mid.slice(1, 5).map((q) => q * 48)).toEqual([1, 23, 23, 1].map((q) => expect.closeTo(q, 12)));
    // Linear hat functions (k = 1): value 0.25 / 0.75 at a quarter of an interval.
    const lin = uniformKnots(0, 2, 2, 1);
    expect(dense(lin, 2, 1, 0.25)).toEqual([0.75, 0.25, 0].map((q) => expect.closeTo(q, 14)));
  });

  it('agree with the textbook recursion on a non-uniform grid', () => {
    const rng = new Rng(3);
    const G = 6;
    const k = 3;
    const pts = [0];
    for (let q = 0; q < G; q++) pts.push(pts[q]! + 0.2 + rng.uniform());
    const knots = padGrid(pts, k);
    const t = Array.from(knots.subarray(k, k + G + 2 * k + 1));
    for (let x = pts[0]!; x <= pts[G]!; x += 0.0537) {
      const v = dense(knots, G, k, x);
      for (let m = 0; m < G + k; m++) expect(v[m]).toBeCloseTo(coxDeBoor(t, m, k, x), 12);
    }
  });

  it('derivatives match central differences', () => {
    const rng = new Rng(5);
    for (const k of [1, 2, 3, 4]) {
      const G = 5;
      const pts = [-1];
      for (let q = 0; q < G; q++) pts.push(pts[q]! + 0.1 + rng.uniform());
      const knots = padGrid(pts, k);
      for (let trial = 0; trial < 40; trial++) {
        const x = rng.range(pts[0]!, pts[G]!);
        const d = dense(knots, G, k, x, true);
        const h = 1e-6;
        const up = dense(knots, G, k, x + h);
        const down = dense(knots, G, k, x - h);
        for (let m = 0; m < G + k; m++) expect(d[m]).toBeCloseTo((up[m]! - down[m]!) / (2 * h), 5);
      }
    }
  });

  it('continue beyond the grid along their tangents at its nearer end, value and slope continuous', () => {
    const G = 5;
    const knots = uniformKnots(-1, 1, G, 3);
    const coef = Float64Array.from([0.3, -2, 1.5, 4, -1, 0.5, 7, -3]);
    for (const [end, side] of [[-1, -1], [1, 1]] as const) {
      const atEnd = evaluateSpline(knots, 0, G, 3, coef, 0, end);
      const slopeAtEnd = dense(knots, G, 3, end, true);
      const slope = slopeAtEnd.reduce((sum, d, m) => sum + d * coef[m]!, 0);
      expect(Math.abs(slope)).toBeGreaterThan(1);
      // Continuous slope: the one-sided difference quotient just inside the end tends to it.
      expect((side * (atEnd - evaluateSpline(knots, 0, G, 3, coef, 0, end - side * 1e-6))) / 1e-6).toBeCloseTo(slope, 3);
      for (const distance of [1e-9, 0.1, 0.7, 2.5, 40]) {
        const x = end + side * distance;
        expect(evaluateSpline(knots, 0, G, 3, coef, 0, x)).toBeCloseTo(atEnd + side * distance * slope, 10);
        expect(dense(knots, G, 3, x, true)).toEqual(slopeAtEnd);
      }
    }
    expect(new BasisScratch(3).evaluate(knots, 0, G, 3, Number.NaN, false)).toBe(NO_SUPPORT);
    expect(evaluateSpline(knots, 0, G, 3, new Float64Array(8).fill(1), 0, Number.NaN)).toBe(0);
  });

  it('keep the partition of unity beyond the grid, for orders 1..5 (a constant spline stays constant)', () => {
    for (const k of [1, 2, 3, 4, 5]) {
      const knots = uniformKnots(-1, 1, 4, k);
      for (const x of [-30, -1.5, 1.2, 9]) expect(dense(knots, 4, k, x).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });
});
