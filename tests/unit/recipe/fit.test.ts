import { describe, expect, it } from 'vitest';
import { Kan } from '../../../app/kan/model';
import { Mlp } from '../../../app/mlp';
import { NonFiniteError, evaluate, fit } from '../../../app/train/fit';
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
    const forward = kan.forward.bind(kan);
    kan.forward = (x, n) => {
      rowsEvaluated += n;
      return forward(x, n);
    };
    const steps = 12;
    const result = fit(kan, d, 'regression', { opt: 'adam', steps, batch: 50, lr: 0.01 }, { seed: 4 });
    expect(result.history.map((p) => p.sampled)).toEqual([...Array<boolean>(steps - 1).fill(true), false]);
    // Every step but the last evaluates 50 training and 50 test rows; the last, both whole sets.
    expect(rowsEvaluated).toBe((steps - 1) * (50 + 50) + 3000 + 3000);
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

  it('stops with a clear error on NaN and keeps the last good parameters', () => {
    const mlp = Mlp.create({ width: [2, 4, 1], activation: 'tanh' }, new Rng(1));
    const d = data(50, 3);
    fit(mlp, d, 'regression', { opt: 'adam', steps: 2, lr: 0.01 });
    const good = mlp.params.slice();
    d.train.y[7] = Number.NaN; // poisoned target: the loss becomes NaN at the next step
    expect(() => fit(mlp, d, 'regression', { opt: 'adam', steps: 5, lr: 0.01 })).toThrow(NonFiniteError);
    expect(() => fit(mlp, d, 'regression', { opt: 'adam', steps: 5, lr: 0.01 })).toThrow(/step 0.*last good step/);
    expect(Array.from(mlp.params)).toEqual(Array.from(good));
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
