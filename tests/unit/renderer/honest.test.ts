// The workbench's honest comparison: the validation split and early stopping the Setup form puts in the recipe, and the
// reading of real engine output (steps run by app/recipe/runner.ts, sent as JSON) into the models-and-baselines table,
// "not trained" states, validation curves and the points early stopping kept.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseRecipe, type RecipeInput } from '../../../app/recipe/schema';
import { initialState, runSteps, type StageResult } from '../../../app/recipe/runner';
import { lossSeries, notTrained, type LossPoint } from '../../../renderer/src/lib/metrics';
import { buildRecipe, DEFAULT_PATIENCE, defaultSetupForm, earlyStoppingOf, setupProblems, type DataChoice } from '../../../renderer/src/lib/recipe';
import { bestOnTest, divergedSteps, earlyStopMarks, fitOutcome, recipeTarget, scoreColumns, scoreRows, stepTask } from '../../../renderer/src/lib/scores';
import type { StepLike } from '../../../renderer/src/lib/step-metrics';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../integration/fixtures');
const csv: DataChoice = { kind: 'csv', datasetId: 'd1', inputs: ['a', 'b'], target: ['y'], task: 'regression', missing: 'drop', testFraction: 0.25, standardize: true };
const formula: DataChoice = { kind: 'formula', formula: 'x1*x2', vars: 2, range: [-1, 1], train: 100, test: 50, noise: 0 };

type WireStep = StepLike & { idx: number };

/** A stage as the renderer receives it: the store's step record, through JSON (NaN and Infinity become null). */
function wire(stage: StageResult): WireStep {
  return JSON.parse(JSON.stringify({ idx: stage.index, metrics: { kan: stage.kan, mlp: stage.mlp, details: stage.details, diverged: stage.diverged, baselines: stage.baselines } })) as WireStep;
}

/** Runs a recipe with the engine, collecting the stages and every progress point as the store records curves. */
function run(input: RecipeInput, readCsv: (ref: string) => string = () => '') {
  const state = initialState(parseRecipe(input), readCsv);
  const points: LossPoint[] = [];
  /** The iterations early stopping judged the model at (validation loss on the whole validation set). */
  const checks: { model: string; iter: number; valLoss: number }[] = [];
  const result = runSteps(state, {
    events: {
      onProgress: (stepIdx, model, p) => {
        points.push({ stepIdx, model, iter: p.step, trainLoss: p.trainLoss, testLoss: p.testLoss, valLoss: Number.isFinite(p.valLoss) ? p.valLoss : null });
        if (p.checked) checks.push({ model, iter: p.step, valLoss: p.valLoss });
      },
    },
  });
  return { steps: result.stages.map(wire), points, checks };
}

describe('validation split and early stopping from the Setup form', () => {
  it('puts the validation fraction in the data and early stopping on for CSV data, off for formula data', () => {
    const fromCsv = parseRecipe(buildRecipe(csv, { ...defaultSetupForm(), gridSchedule: [6] }));
    expect(fromCsv.data).toMatchObject({ validationFraction: 0.2 });
    expect(fromCsv.steps.flatMap((s) => ('fit' in s ? [s.fit.earlyStopping] : []))).toEqual([true, true]);
    expect(fromCsv.steps.flatMap((s) => ('fit' in s ? [s.fit.patience] : []))).toEqual([undefined, undefined]);
    const fromFormula = parseRecipe(buildRecipe(formula, { ...defaultSetupForm(), validationFraction: 0.3 }));
    expect(fromFormula.data).toMatchObject({ validationFraction: 0.3 });
    expect(fromFormula.steps[0]).toMatchObject({ fit: { earlyStopping: false } });
    expect(earlyStoppingOf(csv, defaultSetupForm())).toBe(true);
    expect(earlyStoppingOf(formula, defaultSetupForm())).toBe(false);
  });

  it("keeps the user's choice and patience, and names what cannot work", () => {
    const chosen = parseRecipe(buildRecipe(formula, { ...defaultSetupForm(), earlyStopping: true, patience: 4 }));
    expect(chosen.steps[0]).toMatchObject({ fit: { earlyStopping: true, patience: 4 } });
    const off = parseRecipe(buildRecipe(csv, { ...defaultSetupForm(), earlyStopping: false, patience: 4 }));
    expect(off.steps[0]).toMatchObject({ fit: { earlyStopping: false } });
    expect('patience' in (off.steps[0] as { fit: object }).fit).toBe(false);
    expect(setupProblems(csv, { ...defaultSetupForm(), validationFraction: 0 }).join(' ')).toMatch(/^Early stopping: early stopping needs validation rows, but data.validationFraction is 0/);
    expect(setupProblems(csv, { ...defaultSetupForm(), validationFraction: 0, earlyStopping: false })).toEqual([]);
    expect(setupProblems(formula, { ...defaultSetupForm(), validationFraction: 0 })).toEqual([]);
    for (const validationFraction of [1, -0.1, Number.NaN]) expect(setupProblems(csv, { ...defaultSetupForm(), validationFraction }).join(' ')).toMatch(/^The validation split: /);
    for (const patience of [0, 2.5]) expect(setupProblems(csv, { ...defaultSetupForm(), patience }).join(' ')).toMatch(/^Patience: /);
    expect(DEFAULT_PATIENCE).toBeGreaterThan(0);
  });
});

describe('reading what the engine reports', () => {
  it('shows an MLP no fit trained as "not trained", beside the mean and ridge baselines under named metrics', () => {
    const { steps } = run({
      seed: 1, data: { formula: 'x1 + 0.5*x2', vars: 2, train: 120, test: 60 }, kan: { width: [2, 2, 1], grid: 3 },
      mlp: { width: [2, 8, 1] }, steps: [{ fit: { steps: 5, models: ['kan'] } }],
    });
    const last = steps.at(-1)!;
    expect(stepTask(last)).toBe('regression');
    const rows = scoreRows(last);
    expect(rows.map((r) => r.key)).toEqual(['kan', 'mlp', 'mean', 'ridge']);
    const [kan, mlp, mean, ridge] = rows;
    expect(mlp).toMatchObject({ status: 'not trained', params: 2 * 8 + 8 + 8 + 1, overfit: false, scores: { train: null, validation: null, test: null } });
    expect(kan!.status).toBe('trained');
    expect(kan!.scores.validation?.rmse).toBeGreaterThan(0);
    expect(mean!.params).toBe(1);
    expect(ridge!.note).toMatch(/^alpha /);
    // A linear target: ridge regression is all but exact on test, the mean is not, and the table says which is best.
    const columns = scoreColumns('regression', recipeTarget({ data: { target: ['price'] } }));
    expect(columns.map((c) => c.label)).toEqual(['RMSE (price)', 'R²']);
    expect(ridge!.scores.test!.r2!).toBeGreaterThan(0.99);
    expect(Math.abs(mean!.scores.test!.r2!)).toBeLessThan(0.1);
    expect(bestOnTest(rows, columns[0]!)).toBe('ridge');
    expect(bestOnTest(rows, columns[1]!)).toBe('ridge');
    expect(recipeTarget({ data: { formula: 'x1' } })).toBeNull();
  });

  it('reads a classification run (digits) with majority and logistic baselines, accuracy and macro-F1', () => {
    const text = fs.readFileSync(path.join(FIXTURES, 'digits-514.csv'), 'utf8');
    const columns = text.slice(0, text.indexOf('\n')).split(',');
    const { steps } = run({
      seed: 0, data: { csv: 'digits.csv', target: [columns.at(-1)!] }, kan: { width: [columns.length - 1, 10], grid: 3 },
      mlp: { width: [columns.length - 1, 8, 10] }, steps: [{ fit: { steps: 3 } }],
    }, () => text);
    const last = steps.at(-1)!;
    expect(stepTask(last)).toBe('classification');
    const rows = scoreRows(last);
    expect(rows.map((r) => r.key)).toEqual(['kan', 'mlp', 'majority', 'logistic']);
    expect(scoreColumns('classification', null).map((c) => c.key)).toEqual(['accuracy', 'macroF1']);
    for (const row of rows) {
      expect(row.status).toBe('trained');
      for (const split of ['train', 'validation', 'test'] as const) expect(row.scores[split]!.accuracy).toBeGreaterThanOrEqual(0);
    }
    // Ten classes: the majority class is right about a tenth of the time, logistic regression far more often.
    expect(rows[2]!.scores.test!.accuracy!).toBeLessThan(0.25);
    expect(rows[3]!.scores.test!.accuracy!).toBeGreaterThan(0.8);
  }, 60_000);

  it('plots validation curves and marks the iteration early stopping kept, from the recorded curve', () => {
    // Few noisy rows and a wide KAN: the validation loss turns up, and a patience of 2 checks stops the fit.
    const { steps, points, checks } = run({
      seed: 3, data: { formula: 'sin(3*x1)', vars: 1, train: 12, test: 40, noise: 0.3, validationFraction: 0.5 },
      kan: { width: [1, 8, 1], grid: 10 }, steps: [{ fit: { steps: 200, opt: 'adam', lr: 0.05, earlyStopping: true, patience: 2 } }],
    });
    const outcome = fitOutcome(steps[0], 'kan')!;
    expect(outcome.stoppedEarly).toBe(true);
    expect(outcome.bestStep).not.toBeNull();
    const series = lossSeries(points);
    expect(series.kanVal.length).toBeGreaterThan(0);
    const marks = earlyStopMarks(steps, series);
    expect(marks).toHaveLength(1);
    const recorded = points.find((p) => p.model === 'kan' && p.iter === outcome.bestStep)!;
    expect(marks[0]).toEqual({ model: 'kan', stepIdx: 0, stoppedEarly: true, bestStep: outcome.bestStep, point: [outcome.bestStep, recorded.valLoss] });
    // The kept iteration is the check with the lowest validation loss, and the fit ran past it.
    const best = checks.reduce((a, b) => (b.valLoss < a.valLoss ? b : a));
    expect(best.iter).toBe(outcome.bestStep);
    expect(points.filter((p) => p.model === 'kan').at(-1)!.iter).toBeGreaterThan(outcome.bestStep!);
  });

  it('lays validation points of later steps after the earlier ones', () => {
    const series = lossSeries([
      { stepIdx: 0, model: 'kan', iter: 1, trainLoss: 1, testLoss: 2, valLoss: 1.5 },
      { stepIdx: 0, model: 'kan', iter: 2, trainLoss: 0.5, testLoss: 1, valLoss: null },
      { stepIdx: 2, model: 'kan', iter: 1, trainLoss: 0.25, testLoss: 0.5, valLoss: 0.4 },
    ]);
    expect(series.kanVal).toEqual([[1, 1.5], [3, 0.4]]);
    expect(series.stepStart.kan).toEqual({ 0: 0, 2: 2 });
    const step = (idx: number, fit: object): WireStep => ({ idx, metrics: { details: { kanFit: fit } } });
    expect(earlyStopMarks([step(2, { status: 'done', stoppedEarly: true, bestStep: 1 })], series)).toEqual([{ model: 'kan', stepIdx: 2, stoppedEarly: true, bestStep: 1, point: [3, 0.4] }]);
    // A fit that ran to its end and went back to its best check is marked too; one that kept its last step, or diverged, is not.
    expect(earlyStopMarks([step(0, { status: 'done', stoppedEarly: false, bestStep: 1 })], series)).toEqual([{ model: 'kan', stepIdx: 0, stoppedEarly: false, bestStep: 1, point: [1, 1.5] }]);
    expect(earlyStopMarks([step(0, { status: 'done', stoppedEarly: false, bestStep: null }), step(2, { status: 'diverged', stoppedEarly: false, bestStep: 1 })], series)).toEqual([]);
  });

  it('lists diverged steps with their stored reason, and History reads "not trained" from the run summary', () => {
    const steps: WireStep[] = [
      { idx: 0, metrics: { diverged: null } },
      { idx: 1, metrics: { diverged: 'KAN loss 3.3e14 is more than 1000 x its best 1.2' } },
    ];
    expect(divergedSteps(steps)).toEqual([{ idx: 1, reason: 'KAN loss 3.3e14 is more than 1000 x its best 1.2' }]);
    expect(notTrained({ mlpParams: 353, mlpStatus: 'not trained' }, 'mlp')).toBe(true);
    expect(notTrained({ mlpParams: 353, mlpTestRmse: 1.2 }, 'mlp')).toBe(false);
  });

  it('marks a model whose validation loss is far above its training loss as overfit', () => {
    const rows = scoreRows({ metrics: { kan: { status: 'trained', params: 10, overfit: true, scores: { train: { rmse: 0.1 }, validation: { rmse: 2 }, test: { rmse: 2.1 } } } } });
    expect(rows[0]).toMatchObject({ key: 'kan', overfit: true });
    // Steps stored before validation splits: headline figures only, no flags.
    const old = scoreRows({ metrics: { kan: { params: 10, trainRmse: 0.1, testRmse: 0.3 } } });
    expect(old[0]).toMatchObject({ status: 'trained', overfit: false, scores: { train: { rmse: 0.1 }, validation: null, test: { rmse: 0.3 } } });
  });
});
