// Pure logic behind Compare's grouping (same data and task only, metric and loss names) and the sweep panel's series.
import { describe, expect, it } from 'vitest';
import { dataLabel, groupRuns, onlySweeps, runTask, taskLoss, taskMetric } from '../../../renderer/src/lib/compare-groups';
import { latestSweep, sweepAxisName, sweepError, sweepSeries, sweepSpread, type SweepPoint, type SweepReport } from '../../../renderer/src/lib/sweep';
import { buildSweepRecipe, defaultSetupForm, setupProblems, type DataChoice } from '../../../renderer/src/lib/recipe';
import { parseRecipe } from '../../../app/recipe/schema';
import { overallFraction, progressPlan } from '../../../renderer/src/lib/progress';

describe('Compare groups', () => {
  const run = (id: string, datasetHash: string, summary: Record<string, number | string | null>) => ({ id, datasetHash, summary });
  const runs = [
    run('a', 'h1', { kanTestRmse: 0.1, kanParams: 10 }),
    run('b', 'h2', { kanTestAccuracy: 0.9, kanParams: 10 }),
    run('c', 'h1', { mlpTestRmse: 0.2, kanParams: 10 }),
    run('d', 'h1', { kanTestAccuracy: 0.5 }),
    run('e', 'h1', {}),
  ];

  it('groups runs by data and task, in the order of their first run', () => {
    expect(groupRuns(runs).map((g) => [g.datasetHash, g.task, g.runs.map((r) => r.id)])).toEqual([
      ['h1', 'regression', ['a', 'c']], ['h2', 'classification', ['b']], ['h1', 'classification', ['d']], ['h1', null, ['e']],
    ]);
  });

  it('names each task\'s metric and loss, so accuracy is never headed RMSE and MSE never shares an axis with cross-entropy', () => {
    expect(runTask({ kanTrainAccuracy: 1 })).toBe('classification');
    // A sweep-only run's own models never trained; its baselines say the task.
    expect(runTask({ kanStatus: 'not trained', kanParams: 120, baselineMeanTestRmse: 1.4 })).toBe('regression');
    expect(runTask({ kanStatus: 'not trained', baselineMajorityTestAccuracy: 0.3 })).toBe('classification');
    expect(taskMetric('classification')).toEqual({ name: 'accuracy', higherIsBetter: true });
    expect(taskMetric('regression')).toEqual({ name: 'RMSE', higherIsBetter: false });
    expect(taskLoss('classification')).toBe('cross-entropy');
    expect(taskLoss('regression')).toBe('MSE');
  });

  it('labels data by formula or stored dataset name and target, and knows sweep-only runs', () => {
    expect(dataLabel({ data: { formula: 'x1*x2', vars: 2 } }, {})).toBe('formula x1*x2');
    expect(dataLabel({ data: { csv: 'dataset:d7', target: ['progression'] } }, { d7: 'diabetes.csv' })).toBe('diabetes.csv → progression');
    expect(onlySweeps({ lastStep: 'sweep', steps: 1 })).toBe(true);
    expect(onlySweeps({ lastStep: 'sweep', steps: 2 })).toBe(false);
  });
});

describe('the sweep panel', () => {
  const point = (family: 'kan' | 'mlp', params: number, valRmse: number, testRmse: number): SweepPoint => ({ family, shape: [2, params, 1], ...(family === 'kan' ? { grid: 3 } : {}), params, metrics: { trainRmse: 0, valRmse, testRmse }, seconds: 1 });
  const kan = [point('kan', 24, 0.1, 0.12), point('kan', 60, 0.01, 0.02), point('kan', 90, 0.05, 0.04)];
  const mlp = [point('mlp', 17, 0.3, 0.3), point('mlp', 300, 0, 0.01)];
  const report: SweepReport = {
    task: 'regression', errorMetric: 'rmse', target: 'y', points: [...kan, ...mlp], fronts: { kan: [kan[0]!, kan[1]!], mlp: [mlp[0]!, mlp[1]!] },
    budget: { opt: 'lbfgs', steps: 5, earlyStopping: false }, rows: { fit: 8, validation: 2, test: 4, validationFrom: 'carved from training rows' },
  };

  it('plots each family\'s points and front at the chosen error, leaving out what a log axis cannot show', () => {
    expect(sweepSeries(report, 'kan', 'val')).toEqual({ points: [[24, 0.1, 'KAN [2, 24, 1] G=3'], [60, 0.01, 'KAN [2, 60, 1] G=3'], [90, 0.05, 'KAN [2, 90, 1] G=3']], front: [[24, 0.1], [60, 0.01]] });
    expect(sweepSeries(report, 'kan', 'test').front).toEqual([[24, 0.12], [60, 0.02]]);
    expect(sweepSeries(report, 'mlp', 'val')).toEqual({ points: [[17, 0.3, 'MLP [2, 17, 1]']], front: [[17, 0.3]] });
  });

  it('names the axis by the error, the rows and the target\'s units; classification shows 1 - accuracy', () => {
    expect(sweepAxisName(report, 'val')).toBe('validation RMSE (y, in its units)');
    expect(sweepAxisName({ ...report, task: 'classification' }, 'test')).toBe('test error rate (1 − accuracy)');
    expect(sweepError({ ...mlp[0]!, metrics: { valAccuracy: 0.75, testAccuracy: 0.5 } }, 'test')).toBe(0.5);
  });

  it('gives the spread of a point trained from several initialisations, and none for one trained once', () => {
    expect(sweepSpread(mlp[0]!, 'val')).toBeNull();
    const repeated: SweepPoint = { ...mlp[0]!, spread: { valRmse: 0.02, testRmse: 0.03 } };
    expect([sweepSpread(repeated, 'val'), sweepSpread(repeated, 'test')]).toEqual([0.02, 0.03]);
    expect(sweepSpread({ ...mlp[0]!, metrics: { valAccuracy: 0.75 }, spread: { valAccuracy: 0.04 } }, 'val')).toBe(0.04);
  });

  it('counts a sweep\'s progress by models finished across both families', () => {
    const plan = progressPlan([{ fit: { steps: 10 } }, { sweep: {} }], true);
    expect(overallFraction(plan, { stepIdx: 1, model: 'kan', step: 4, steps: 16 })).toBeCloseTo((20 + 4 / 16) / 21);
    expect(overallFraction(plan, { stepIdx: 1, model: 'mlp', step: 12, steps: 16 })).toBeCloseTo((20 + 12 / 16) / 21);
  });

  it('finds the run\'s last sweep among its steps', () => {
    const steps = [{ kind: 'fit', metrics: { details: {} } }, { kind: 'sweep', metrics: { details: { sweep: report } } }, { kind: 'prune', metrics: { details: {} } }];
    expect(latestSweep(steps)).toBe(report);
    expect(latestSweep(steps.slice(0, 1))).toBeNull();
  });

  it('builds a sweep recipe from the setup form that the schema accepts, with the form\'s optimiser and steps', () => {
    const data: DataChoice = { kind: 'formula', formula: 'x1*x2', vars: 2, range: [-1, 1], train: 100, test: 100, noise: 0 };
    const recipe = parseRecipe(buildSweepRecipe(data, { ...defaultSetupForm(), optimizer: 'adam', steps: 7, lr: 0.01 }));
    expect(recipe.steps).toEqual([{ sweep: { kan: {}, mlp: {}, opt: 'adam', steps: 7, lr: 0.01, repeats: 1 } }]);
    expect(recipe.name).toBe('sweep');
  });

  it('gives the sweep the form\'s initialisations per model, and names the field when their number is out of range', () => {
    const data: DataChoice = { kind: 'formula', formula: 'x1*x2', vars: 2, range: [-1, 1], train: 100, test: 100, noise: 0 };
    const recipe = parseRecipe(buildSweepRecipe(data, { ...defaultSetupForm(), sweepRepeats: 4 }));
    expect(recipe.steps).toEqual([{ sweep: { kan: {}, mlp: {}, opt: 'lbfgs', steps: 50, repeats: 4 } }]);
    expect(setupProblems(data, { ...defaultSetupForm(), sweepRepeats: 0 })).toEqual(['Sweep initialisations: must be at least 1']);
    expect(setupProblems(data, { ...defaultSetupForm(), sweepRepeats: 21 })).toEqual(['Sweep initialisations: must be at most 20']);
    expect(setupProblems(data, { ...defaultSetupForm(), sweepRepeats: 2.5 }).join(' ')).toMatch(/^Sweep initialisations: /);
    expect(setupProblems(data, defaultSetupForm())).toEqual([]);
  });
});
