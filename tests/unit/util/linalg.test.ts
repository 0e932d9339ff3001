import { describe, expect, it } from 'vitest';
import { leastSquares, leastSquaresQR } from '../../../app/util/linalg';
import { Rng } from '../../../app/util/rng';

describe('least squares', () => {
  it('by QR recovers the weights of monomials of an input far from zero, where the normal equations lose them', () => {
    const rng = new Rng(2);
    const n = 300;
    const x = Float64Array.from({ length: n }, () => rng.range(1000, 5000));
    const columns = [new Float64Array(n).fill(1), x, x.map((v) => v * v), x.map((v) => v * v * v), x.map((v) => v ** 4)];
    const truth = [7, -2e-3, 0, 4e-10, 0];
    const y = Float64Array.from({ length: n }, (_, s) => columns.reduce((a, c, k) => a + truth[k]! * c[s]!, 0));
    const qr = leastSquaresQR(columns, y)!;
    truth.forEach((t, k) => expect(Math.abs(qr[k]! - t)).toBeLessThan(1e-9 * Math.max(Math.abs(t), 1e-3)));
    // The normal equations' error on the same problem, for contrast (a guard that the case is ill-conditioned at all).
    const normal = leastSquares(columns, y);
    const worst = normal ? Math.max(...truth.map((t, k) => Math.abs(normal[k]! - t) / Math.max(Math.abs(t), 1e-3))) : Infinity;
    expect(worst).toBeGreaterThan(1e-7);
  });

  it('by QR matches the normal equations on a well-conditioned problem, and reports dependent columns', () => {
    const rng = new Rng(3);
    const n = 50;
    const a = Float64Array.from({ length: n }, () => rng.range(-1, 1));
    const b = Float64Array.from({ length: n }, () => rng.range(-1, 1));
    const y = Float64Array.from({ length: n }, () => rng.range(-1, 1));
    const qr = leastSquaresQR([a, b], y)!;
    const normal = leastSquares([a, b], y)!;
    expect(qr[0]).toBeCloseTo(normal[0]!, 12);
    expect(qr[1]).toBeCloseTo(normal[1]!, 12);
    expect(leastSquaresQR([a, a.map((v) => 2 * v)], y)).toBeNull();
    expect(leastSquaresQR([a, b], y.subarray(0, 1))).toBeNull();
  });
});
