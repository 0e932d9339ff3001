import { describe, expect, it } from 'vitest';

import { irisCsv } from '../../../app/data';
import { earlyStoppingDefault, initialState, runSteps, summarizeRun, trainedMetrics, type ModelMetrics } from '../../../app/recipe/runner';
import { parseRecipe, type RecipeInput } from '../../../app/recipe/schema';

const formulaRecipe = (steps: RecipeInput['steps'], extra: Partial<RecipeInput> = {}): RecipeInput => ({
  seed: 2,
  data: { formula: 'sin(x1) + x2^2', vars: 2, train: 150, test: 100 },
  kan: { width: [2, 3, 1], grid: 4 },
  mlp: { width: [2, 8, 1] },
  steps,
  ...extra,
});

describe('honest states', () => {
  it('a model no fit trained is "not trained", with its size and no figures', () => {
    const result = runSteps(initialState(parseRecipe(formulaRecipe([{ fit: { steps: 2, models: ['kan'] } }])), () => ''));
    expect(result.stages[0]!.mlp).toEqual({ status: 'not trained', params: 2 * 8 + 8 + 8 + 1 });
    expect(result.stages[0]!.kan.status).toBe('trained');
    const summary = summarizeRun(result) as { mlp: Record<string, unknown>; kan: Record<string, unknown> };
    expect(summary.mlp).toEqual({ status: 'not trained', params: 33 });
    expect(summary.kan.testRmse).toBeGreaterThan(0);
  });

  it('a run cancelled during the KAN fit reports its MLP as not trained', () => {
    const signal = { aborted: false };
    const recipe = parseRecipe(formulaRecipe([{ fit: { steps: 20 } }]));
    const result = runSteps(initialState(recipe, () => ''), { signal, events: { onProgress: (_i, model, p) => { if (model === 'kan' && p.step === 3) signal.aborted = true; } } });
    expect(result.status).toBe('cancelled');
    expect(result.stages[0]!.kan.status).toBe('trained');
    expect(result.stages[0]!.mlp!.status).toBe('not trained');
  });

  it('a resumed run counts the fits before its first step', () => {
    const recipe = parseRecipe(formulaRecipe([{ fit: { steps: 2 } }, { prune: {} }]));
    const result = runSteps(initialState(recipe, () => ''), {}, 1);
    expect(result.stages[0]!.mlp!.status).toBe('trained');
  });

  it('a diverged stage says why, keeps the figures of before, and later steps run on the restored models', () => {
    const recipe = parseRecipe(formulaRecipe([
      { fit: { steps: 6 } },
      { fit: { opt: 'adam', lr: 1e6, steps: 30, models: ['kan'] } },
      { fit: { steps: 2, models: ['kan'] } },
    ]));
    const result = runSteps(initialState(recipe, () => ''));
    expect(result.status).toBe('done');
    const [good, diverged, after] = result.stages as [typeof result.stages[0], typeof result.stages[0], typeof result.stages[0]];
    expect(good.diverged).toBeNull();
    expect(diverged.diverged).toMatch(/^KAN diverged at iteration \d+ of \d+: .*the parameters this fit started from \(best validation loss\) were restored/);
    expect(diverged.details.kanFit).toMatchObject({ status: 'diverged', bestStep: 0 });
    const figures = (m: ModelMetrics): number[] => [m.trainLoss, m.valLoss, m.testLoss];
    expect(figures(trainedMetrics(diverged.kan))).toEqual(figures(trainedMetrics(good.kan)));
    expect(after.diverged).toBeNull();
    expect(trainedMetrics(after.kan).trainLoss).toBeLessThanOrEqual(trainedMetrics(good.kan).trainLoss);
    expect(summarizeRun(result).diverged).toEqual([{ step: 1, reason: diverged.diverged }]);
  });
});

describe('validation and baselines in a run', () => {
  it('a formula dataset draws its validation rows afresh: the training rows are those of a run without them', () => {
    const recipe = parseRecipe(formulaRecipe([]));
    const without = initialState(parseRecipe({ ...formulaRecipe([]), data: { formula: 'sin(x1) + x2^2', vars: 2, train: 150, test: 100, validationFraction: 0 } }), () => '');
    const state = initialState(recipe, () => '');
    expect(state.data.validation.n).toBe(30);
    expect(without.data.validation.n).toBe(0);
    expect(Array.from(state.data.train.x)).toEqual(Array.from(without.data.train.x));
    expect(Array.from(state.data.test.y)).toEqual(Array.from(without.data.test.y));
  });

  it('a CSV gives 20% of its training rows to validation, stratified, and early stopping is on by default', () => {
    const recipe = parseRecipe({
      data: { csv: 'iris.csv', target: ['species'], task: 'classification' },
      kan: { width: [4, 2, 3], grid: 3 },
      mlp: { width: [4, 16, 3] },
      steps: [{ fit: { steps: 60 } }],
    });
    const result = runSteps(initialState(recipe, () => irisCsv));
    const { train, validation, test } = result.state.data;
    expect([train.n, validation.n, test.n]).toEqual([96, 24, 30]);
    for (const c of [0, 1, 2]) expect(validation.y.filter((v) => v === c).length).toBe(8);
    expect(earlyStoppingDefault(recipe)).toBe(true);
    expect(earlyStoppingDefault(parseRecipe(formulaRecipe([])))).toBe(false);
    const kan = trainedMetrics(result.stages[0]!.kan);
    expect(kan.valAccuracy).toBeGreaterThan(0.8);
    expect(kan.scores.test).toMatchObject({ accuracy: kan.testAccuracy });
    const summary = summarizeRun(result) as { baselines: { majority: { test: { accuracy: number } }; logistic: { test: { accuracy: number } } } };
    expect(summary.baselines.majority.test.accuracy).toBeCloseTo(1 / 3, 12);
    expect(summary.baselines.logistic.test.accuracy).toBeGreaterThan(0.85);
  });

  it('early stopping asked for without validation rows is a recipe error naming both fields', () => {
    expect(() => parseRecipe({ ...formulaRecipe([{ fit: { steps: 5, earlyStopping: true } }]), data: { formula: 'x1', vars: 2, validationFraction: 0 } }))
      .toThrow(/steps\[0\]\.fit\.earlyStopping: early stopping needs validation rows, but data\.validationFraction is 0/);
  });

  it('flags overfitting: validation loss above twice the training loss by a quarter of the mean predictor\'s', () => {
    // 24 noisy training rows and a wide MLP fitted without early stopping.
    const rows = ['x,y', ...Array.from({ length: 60 }, (_, i) => `${(i * 0.37) % 2 - 1},${Math.sin(7 * i) + ((i * 7919) % 13) / 6}`)];
    const recipe = parseRecipe({
      data: { csv: 'noise.csv', target: ['y'], testFraction: 0.5 },
      kan: { width: [1, 1], grid: 3 },
      mlp: { width: [1, 64, 64, 1], activation: 'tanh' },
      steps: [{ fit: { steps: 60, earlyStopping: false, models: ['mlp'] } }],
    });
    const result = runSteps(initialState(recipe, () => rows.join('\n')));
    const mlp = trainedMetrics(result.stages[0]!.mlp!);
    expect(mlp.valLoss).toBeGreaterThan(2 * mlp.trainLoss);
    expect(mlp.overfit).toBe(true);
    expect(summarizeRun(result)).toMatchObject({ overfit: true, overfitRule: expect.stringMatching(/^validation loss above 2 x the training loss/) });
    // The KAN of the same run, never fitted, is not judged.
    expect(result.stages[0]!.kan.status).toBe('not trained');
  });
});
