import { describe, expect, it } from 'vitest';
import { Kan } from '../../../app/kan/model';
import { Mlp } from '../../../app/mlp';
import { DIVERGENCE_FACTOR, evaluate, fit } from '../../../app/train/fit';
import { parseRecipe } from '../../../app/recipe/schema';
import { initialState, runSteps, summarizeRun } from '../../../app/recipe/runner';
import { Rng } from '../../../app/util/rng';
import type { Batch } from '../../../app/train/types';

function data(n: number, seed: number): { train: Batch; test: Batch } {
  const rng = new Rng(seed);
  const make = (): Batch => {
    const x = new Float64Array(2 * n).map(() => rng.range(-1, 1));
    const y = new Float64Array(n).map((_, s) => Math.sin(2 * x[2 * s]!) + x[2 * s + 1]! ** 2);
    return { x, y, n };
  };
  return { train: make(), test: make() };
}

describe('the training loop', () => {
  it('reduces the loss of a KAN with L-BFGS and reports every step', () => {
    const kan = Kan.create({ width: [2, 3, 1], grid: 5, k: 3 }, new Rng(0));
    const seen: number[] = [];
    const result = fit(kan, data(200, 1), 'regression', { opt: 'lbfgs', steps: 8 }, { onProgress: (p) => seen.push(p.step) });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(result.history.at(-1)!.testMetric).toBeLessThan(0.05);
    expect(result.history.at(-1)!.trainLoss).toBeLessThan(result.history[0]!.trainLoss);
  });

  it('is bit-for-bit reproducible for the same seed (mini-batch Adam included)', () => {
    const run = (): Float64Array => {
      const kan = Kan.create({ width: [2, 3, 1], grid: 4, k: 3 }, new Rng(5));
      fit(kan, data(300, 2), 'regression', { opt: 'adam', steps: 20, batch: 64, lr: 0.01 }, { seed: 9 });
      return kan.params;
    };
    expect(Buffer.from(run().buffer).equals(Buffer.from(run().buffer))).toBe(true);
  });

  it('a mini-batch fit reports each step on its batch and a test sample, and its last step on the whole sets', () => {
    const kan = Kan.create({ width: [2, 3, 1], grid: 4, k: 3 }, new Rng(5));
    const d = data(3000, 6);
    let rowsEvaluated = 0;
    // Every evaluation passes through activations (forward is built on it; training rows use it to record the domain).
    const activations = kan.activations.bind(kan);
    kan.activations = (x, n) => {
      rowsEvaluated += n;
      return activations(x, n);
    };
    const steps = 12;
    const result = fit(kan, d, 'regression', { opt: 'adam', steps, batch: 50, lr: 0.01 }, { seed: 4 });
    expect(result.history.map((p) => p.sampled)).toEqual([...Array<boolean>(steps - 1).fill(true), false]);
    // The start is measured on the whole training set (the reference for divergence); every step but the last evaluates
    // 50 training and 50 test rows; the last, both whole sets.
    expect(rowsEvaluated).toBe(3000 + (steps - 1) * (50 + 50) + 3000 + 3000);
    const whole = evaluate(kan, d, 'regression');
    const last = result.history.at(-1)!;
    expect([last.trainLoss, last.testLoss, last.trainMetric, last.testMetric]).toEqual([whole.trainLoss, whole.testLoss, whole.trainMetric, whole.testMetric]);
    // A sampled figure is a real measurement of the model at that step: of the same order as the whole-set one.
    expect(result.history[steps - 2]!.testLoss).toBeGreaterThan(whole.testLoss / 3);
    expect(result.history[steps - 2]!.testLoss).toBeLessThan(whole.testLoss * 3);
  });

  it('a full-batch fit reports every step on the whole sets', () => {
    const kan = Kan.create({ width: [2, 3, 1], grid: 4, k: 3 }, new Rng(5));
    const d = data(100, 6);
    const result = fit(kan, d, 'regression', { opt: 'lbfgs', steps: 3 });
    expect(result.history.every((p) => !p.sampled)).toBe(true);
    expect(result.history.at(-1)!.testLoss).toBe(evaluate(kan, d, 'regression').testLoss);
  });

  it('stops as diverged on NaN, says why, and keeps the parameters it started from', () => {
    const mlp = Mlp.create({ width: [2, 4, 1], activation: 'tanh' }, new Rng(1));
    const d = data(50, 3);
    fit(mlp, d, 'regression', { opt: 'adam', steps: 2, lr: 0.01 });
    const good = mlp.params.slice();
    d.train.y[7] = Number.NaN; // poisoned target: the loss becomes NaN at the next step
    const result = fit(mlp, d, 'regression', { opt: 'adam', steps: 5, lr: 0.01 });
    expect(result.status).toBe('diverged');
    expect(result.divergence).toMatch(/iteration 1 of \d+: the objective is NaN; the parameters this fit started from .* were restored/);
    expect(result.bestStep).toBe(0);
    expect(result.history).toHaveLength(0);
    expect(Array.from(mlp.params)).toEqual(Array.from(good));
  });

  it('catches divergence at Adam lr 1e6 after a good fit: stops, restores the best parameters, figures as before', () => {
    const kan = Kan.create({ width: [2, 3, 1], grid: 5, k: 3 }, new Rng(0));
    const d = data(200, 1);
    fit(kan, d, 'regression', { opt: 'lbfgs', steps: 8 });
    const before = evaluate(kan, d, 'regression');
    const params = kan.params.slice();
    const knots = kan.layers.map((l) => l.knots.slice());
    expect(before.testMetric).toBeLessThan(0.05);
    const result = fit(kan, d, 'regression', { opt: 'adam', steps: 50, lr: 1e6 });
    expect(result.status).toBe('diverged');
    expect(result.history.length).toBeLessThan(50);
    expect(result.divergence).toMatch(new RegExp(`more than ${DIVERGENCE_FACTOR} times its best|became|is (NaN|Infinity)`));
    expect(result.divergence).toMatch(/the parameters this fit started from \(best training loss\) were restored/);
    expect(Array.from(kan.params)).toEqual(Array.from(params));
    // The first step's grid update moved the knots; restoring gives the grids back as well.
    kan.layers.forEach((l, i) => expect(Array.from(l.knots)).toEqual(Array.from(knots[i]!)));
    expect(evaluate(kan, d, 'regression')).toEqual(before);
  });

  it('a loss that only wanders at machine precision is not divergence', () => {
    const mlp = Mlp.create({ width: [1, 1], activation: 'tanh' }, new Rng(1));
    // y = 2x + 1 is exactly representable: the loss falls to ~1e-30 and then rounds about, far above "1e3 x best".
    const x = new Float64Array(40).map((_, i) => i / 20 - 1);
    const batch: Batch = { x, y: x.map((v) => 2 * v + 1), n: 40 };
    const result = fit(mlp, { train: batch, test: batch }, 'regression', { opt: 'lbfgs', steps: 30 });
    expect(result.status).toBe('done');
    expect(Math.min(...result.history.map((p) => p.trainLoss))).toBeLessThan(1e-20);
  });

  it('early stopping ends on the parameters of the best validation check, and the curve says which', () => {
    // A wide MLP on 30 noisy rows overfits: the validation loss turns upwards while the training loss keeps falling.
    const rng = new Rng(11);
    const make = (n: number): Batch => {
      const x = new Float64Array(n).map(() => rng.range(-1, 1));
      return { x, y: x.map((v) => Math.sin(3 * v) + 0.3 * rng.normal()), n };
    };
    const d = { train: make(30), validation: make(200), test: make(200) };
    const mlp = Mlp.create({ width: [1, 64, 64, 1], activation: 'tanh' }, new Rng(3));
    const result = fit(mlp, d, 'regression', { opt: 'lbfgs', steps: 100, earlyStopping: true, patience: 5 });
    expect(result.stoppedEarly).toBe(true);
    expect(result.history.length).toBeLessThan(100);
    const curve = result.history.map((p) => p.valLoss);
    const best = Math.min(...curve);
    expect(result.bestStep).toBe(curve.indexOf(best) + 1);
    // Patience counts checks (every step of a fit of 100 steps): it stopped 5 checks after the best one.
    expect(result.history.length).toBe(result.bestStep! + 5);
    expect(evaluate(mlp, d, 'regression').valLoss).toBe(best);
    expect(result.history.at(-1)!.valLoss).toBeGreaterThan(best);
  });

  it('without early stopping keeps the last step, and reports validation figures at every step', () => {
    const d = { ...data(100, 6), validation: data(50, 7).train };
    const kan = Kan.create({ width: [2, 3, 1], grid: 4, k: 3 }, new Rng(5));
    const result = fit(kan, d, 'regression', { opt: 'lbfgs', steps: 4 });
    expect(result.bestStep).toBeNull();
    expect(result.stoppedEarly).toBe(false);
    expect(result.history.every((p) => p.checked && Number.isFinite(p.valLoss))).toBe(true);
    expect(evaluate(kan, d, 'regression').valLoss).toBe(result.history.at(-1)!.valLoss);
  });

  it('can be cancelled between steps, keeping finished steps', () => {
    const kan = Kan.create({ width: [2, 2, 1], grid: 3, k: 3 }, new Rng(0));
    const signal = { aborted: false };
    const result = fit(kan, data(100, 4), 'regression', { opt: 'lbfgs', steps: 50 }, { signal, onProgress: (p) => { if (p.step === 3) signal.aborted = true; } });
    expect(result.status).toBe('cancelled');
    expect(result.history).toHaveLength(3);
  });

  it('trains a classifier (softmax cross-entropy) to high accuracy', () => {
    const rng = new Rng(8);
    const make = (n: number): Batch => {
      const x = new Float64Array(2 * n).map(() => rng.range(-1, 1));
      const y = new Float64Array(n).map((_, s) => (x[2 * s]! * x[2 * s + 1]! > 0 ? 1 : 0));
      return { x, y, n };
    };
    const kan = Kan.create({ width: [2, 4, 2], grid: 5, k: 3 }, new Rng(2));
    const result = fit(kan, { train: make(300), test: make(300) }, 'classification', { opt: 'lbfgs', steps: 15 });
    expect(result.history.at(-1)!.testMetric).toBeGreaterThan(0.9);
  });
});

describe('recipes', () => {
  it('run the steps in order, with an MLP baseline trained on the same data', () => {
    const recipe = parseRecipe({
      seed: 3,
      data: { formula: 'x1*x2 + sin(x1)', vars: 2, train: 200, test: 200 },
      kan: { width: [2, 3, 1], grid: 3 },
      mlp: { width: [2, 8, 1] },
      steps: [{ fit: { steps: 5 } }, { refine: { grid: 6 } }, { fit: { steps: 5 } }],
    });
    const result = runSteps(initialState(recipe, () => ''));
    expect(result.stages.map((s) => s.step)).toEqual(['fit', 'refine', 'fit']);
    expect(result.stages[1]!.details.maxDeviation).toBeLessThan(2e-2);
    expect(result.stages[2]!.kan.params).toBe(6 * (6 + 3 + 2) + 3 * (6 + 3 + 2));
    const summary = summarizeRun(result) as { kan: { testRmse: number }; mlp: { params: number } };
    expect(summary.kan.testRmse).toBeLessThan(0.05);
    expect(summary.mlp.params).toBe(2 * 8 + 8 + 8 + 1);
  });
});
