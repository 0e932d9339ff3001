/** Tests of the sweep's KAN-vs-MLP verdict: the permutation test's p-values against a count by brute force, and the models chosen at each budget. */
import { describe, expect, it } from 'vitest';
import type { SweepPoint } from '../../../app/recipe/sweep-step';
import { sweepFront } from '../../../app/recipe/sweep-step';
import { compareAtBudgets, permutationPValue } from '../../../app/recipe/sweep-verdict';
import { Rng } from '../../../app/util/rng';

/** The p-value by another route: every subset of the pooled values as a bit mask of their indices. */
function bruteForcePValue(a: number[], b: number[]): number {
  const pooled = [...a, ...b];
  const n = pooled.length;
  const mean = (v: number[]): number => v.reduce((s, x) => s + x, 0) / v.length;
  const observed = Math.abs(mean(a) - mean(b));
  let count = 0;
  let splits = 0;
  for (let mask = 0; mask < 1 << n; mask++) {
    const left = pooled.filter((_, i) => (mask >> i) & 1);
    if (left.length !== a.length) continue;
    const right = pooled.filter((_, i) => !((mask >> i) & 1));
    splits++;
    if (Math.abs(mean(left) - mean(right)) >= observed * (1 - 1e-12)) count++;
  }
  return count / splits;
}

describe('the permutation test of two groups of test errors', () => {
  it('gives the exact share of splits: 2 of 70 for four against four fully separated, 1 for identical groups', () => {
    expect(permutationPValue([1, 2, 3, 4], [5, 6, 7, 8])).toBeCloseTo(2 / 70, 15);
    expect(permutationPValue([3, 3, 3], [3, 3, 3])).toBe(1);
    // Three initialisations each can never show a difference at 0.05: the best p is 2 of 20.
    expect(permutationPValue([1, 2, 3], [10, 11, 12])).toBeCloseTo(0.1, 15);
  });

  it('agrees with a brute-force count on random groups of unequal sizes', () => {
    const rng = new Rng(4);
    for (let trial = 0; trial < 20; trial++) {
      const a = Array.from({ length: 2 + (trial % 5) }, () => rng.normal());
      const b = Array.from({ length: 3 + (trial % 4) }, () => rng.normal() + 0.8);
      expect(permutationPValue(a, b)).toBeCloseTo(bruteForcePValue(a, b), 12);
    }
  });

  it('estimates the p-value by seeded sampling past 50,000 splits: near the exact figure, never 0', () => {
    const rng = new Rng(5);
    const a = Array.from({ length: 10 }, () => rng.normal());
    const b = Array.from({ length: 10 }, () => rng.normal() + 0.7);
    const sampled = permutationPValue(a, b);
    expect(permutationPValue(a, b)).toBe(sampled);
    // A normal approximation of the statistic's null distribution is close at ten a side; sampling error is about 0.003.
    const pooled = [...a, ...b];
    const mean = pooled.reduce((s, v) => s + v, 0) / 20;
    const variance = pooled.reduce((s, v) => s + (v - mean) ** 2, 0) / 20;
    const observed = Math.abs(a.reduce((s, v) => s + v, 0) / 10 - b.reduce((s, v) => s + v, 0) / 10);
    const z = observed / Math.sqrt(variance * (1 / 10 + 1 / 10) * (20 / 19));
    const normalTwoSided = erfc(z / Math.SQRT2);
    expect(Math.abs(sampled - normalTwoSided)).toBeLessThan(0.02);
    expect(permutationPValue(Array(10).fill(0), Array(10).fill(1))).toBeGreaterThan(0);
  });
});

/** erfc by Abramowitz and Stegun 7.1.26 (error under 1.5e-7). */
function erfc(x: number): number {
  const t = 1 / (1 + 0.3275911 * x);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return poly * Math.exp(-x * x);
}

const point = (family: 'kan' | 'mlp', params: number, val: number, tests: number[]): SweepPoint => {
  const test = tests.reduce((s, v) => s + v, 0) / tests.length;
  return {
    family, shape: [2, params, 1], params, seconds: 0, metrics: { valRmse: val, testRmse: test },
    ...(tests.length > 1 ? { runs: tests.map((t) => ({ valRmse: val, testRmse: t })), spread: { valRmse: 0, testRmse: 0 } } : {}),
  };
};

describe('KAN against MLP at equal parameter budgets', () => {
  it('compares, at each budget a front steps down at, the models of lowest validation error within it, on their test errors', () => {
    const points = [
      point('kan', 20, 0.5, [0.50, 0.52, 0.51, 0.49]),
      point('kan', 60, 0.1, [0.10, 0.11, 0.09, 0.10]),
      point('kan', 90, 0.3, [0.3, 0.3, 0.3, 0.3]), // worse than the smaller KAN: never chosen
      point('mlp', 40, 0.4, [0.40, 0.41, 0.39, 0.42]),
      point('mlp', 200, 0.2, [0.20, 0.22, 0.19, 0.21]),
    ];
    const comparisons = compareAtBudgets({ points, fronts: { kan: sweepFront(points.filter((p) => p.family === 'kan')), mlp: sweepFront(points.filter((p) => p.family === 'mlp')) } });
    // Budget 20 has no MLP yet; 40: KAN 20 against MLP 40; 60: KAN 60 against MLP 40; 200: the same KAN against MLP 200.
    expect(comparisons.map((c) => [c.budget, c.kan.params, c.mlp.params])).toEqual([[40, 20, 40], [60, 60, 40], [200, 60, 200]]);
    // Four initialisations each, fully separated: p = 2/70, under 0.05.
    expect(comparisons.map((c) => c.better)).toEqual(['mlp', 'kan', 'kan']);
    for (const c of comparisons) expect(c.p).toBeCloseTo(2 / 70, 12);
    expect(comparisons[0]!.kan.tests).toEqual([0.50, 0.52, 0.51, 0.49]);
  });

  it('shows no difference where the errors overlap, and gives no p-value for models trained once', () => {
    const overlapping = [point('kan', 30, 0.2, [0.20, 0.25, 0.18, 0.22]), point('mlp', 30, 0.21, [0.21, 0.19, 0.24, 0.20])];
    const [c] = compareAtBudgets({ points: overlapping, fronts: { kan: [overlapping[0]!], mlp: [overlapping[1]!] } });
    expect(c!.p!).toBeGreaterThan(0.5);
    expect(c!.better).toBeNull();
    const once = [point('kan', 30, 0.2, [0.2]), point('mlp', 30, 0.3, [0.3])];
    const [single] = compareAtBudgets({ points: once, fronts: { kan: [once[0]!], mlp: [once[1]!] } });
    expect(single!.p).toBeNull();
    expect(single!.better).toBeNull();
    expect(single!.kan.test).toBe(0.2);
    // A diverged initialisation (a test error that is not finite) makes no test either, rather than a p-value of NaN.
    const diverged = [point('kan', 30, 0.2, [0.2, 0.1, Number.POSITIVE_INFINITY, 0.3]), point('mlp', 30, 0.3, [0.3, 0.4, 0.35, 0.3])];
    const [broken] = compareAtBudgets({ points: diverged, fronts: { kan: [diverged[0]!], mlp: [diverged[1]!] } });
    expect(broken!.p).toBeNull();
    expect(broken!.better).toBeNull();
  });
});
