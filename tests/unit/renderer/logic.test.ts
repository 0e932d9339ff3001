// Pure logic of the renderer: parameter counts, recipes built from the setup form, progress, Pareto front, layout, curves.
import { describe, expect, it } from 'vitest';
import { Kan } from '../../../app/kan/model';
import { Mlp } from '../../../app/mlp';
import { parseRecipe } from '../../../app/recipe/schema';
import { Rng } from '../../../app/util/rng';
import { estimateRemainingSeconds, formatDuration, formatNumber } from '../../../renderer/src/lib/format';
import { lossSeries, testError } from '../../../renderer/src/lib/metrics';
import { edgeOpacity, layoutNetwork, sparklinePaths } from '../../../renderer/src/lib/network-layout';
import { kanParameterCount, matchMlpWidth, mlpParameterCount } from '../../../renderer/src/lib/params';
import { paretoFront } from '../../../renderer/src/lib/pareto';
import { fractionAfterStep, overallFraction, progressPlan } from '../../../renderer/src/lib/progress';
import { buildRecipe, defaultSetupForm, parseGridSchedule, setupProblems, type DataChoice } from '../../../renderer/src/lib/recipe';
import { profileNotes } from '../../../renderer/src/lib/profile-notes';
import { defaultRoles, inferredTask, roleProblems, selectionFromRoles } from '../../../renderer/src/lib/roles';

describe('parameter counts', () => {
  it('matches the KAN the engine builds', () => {
    for (const [width, grid, k] of [[[2, 5, 1], 3, 3], [[4, 8, 4, 1], 5, 3], [[3, 2], 10, 2]] as const) {
      const kan = Kan.create({ width: [...width], grid, k }, new Rng(1));
      expect(kanParameterCount(width, grid, k)).toBe(kan.parameterCount());
    }
  });

  it('matches the MLP the engine builds, and the matched width is the closest', () => {
    const mlp = Mlp.create({ width: [2, 16, 16, 1], activation: 'silu' }, new Rng(1));
    expect(mlpParameterCount([2, 16, 16, 1])).toBe(mlp.parameterCount());
    const target = kanParameterCount([2, 5, 1], 3, 3); // 15 edges x 8 = 120
    const h = matchMlpWidth(2, 1, 2, target);
    const error = (w: number): number => Math.abs(mlpParameterCount([2, w, w, 1]) - target);
    expect(error(h)).toBeLessThanOrEqual(error(h - 1));
    expect(error(h)).toBeLessThanOrEqual(error(h + 1));
  });
});

describe('recipe from the setup form', () => {
  const csv: DataChoice = { kind: 'csv', datasetId: 'd1', inputs: ['a', 'b', 'c'], target: ['y'], task: 'regression', missing: 'drop', testFraction: 0.25, standardize: true };

  it('builds a recipe the schema accepts, with grid extension as refine + fit pairs', () => {
    const form = { ...defaultSetupForm(), hidden: [4, 2], gridSchedule: [5, 10], steps: 7, lr: 0.5 };
    const recipe = parseRecipe(buildRecipe(csv, form));
    expect(recipe.kan.width).toEqual([3, 4, 2, 1]);
    expect(recipe.mlp?.width).toEqual([3, 16, 16, 1]);
    expect(recipe.data).toMatchObject({ csv: 'dataset:d1', inputs: ['a', 'b', 'c'], target: ['y'], testFraction: 0.25, missing: 'drop' });
    expect(recipe.steps.map((s) => Object.keys(s)[0])).toEqual(['fit', 'refine', 'fit', 'refine', 'fit']);
    expect(recipe.steps[1]).toEqual({ refine: { grid: 5 } });
    expect(recipe.steps[0]).toMatchObject({ fit: { opt: 'lbfgs', steps: 7, lr: 0.5, lambL1: 1, lambEntropy: 2 } });
  });

  it('uses the class count as outputs for classification and omits the MLP when disabled', () => {
    const form = { ...defaultSetupForm(), classes: 3, mlp: { ...defaultSetupForm().mlp, enabled: false } };
    const recipe = parseRecipe(buildRecipe({ ...csv, task: 'classification' }, form));
    expect(recipe.kan.width).toEqual([3, 5, 3]);
    expect(recipe.mlp).toBeUndefined();
  });

  it('keeps a formula dataset as formula data', () => {
    const recipe = parseRecipe(buildRecipe({ kind: 'formula', formula: 'x1*x2', vars: 2, range: [-1, 1], train: 100, test: 50, noise: 0 }, defaultSetupForm()));
    expect(recipe.data).toMatchObject({ formula: 'x1*x2', vars: 2, train: 100, test: 50 });
    expect(recipe.kan.width).toEqual([2, 5, 1]);
  });

  it('passes a batch size to every fit (mini-batch), none by default, and names a bad one', () => {
    const formula: DataChoice = { kind: 'formula', formula: 'x1*x2', vars: 2, range: [-1, 1], train: 100, test: 50, noise: 0 };
    const plain = parseRecipe(buildRecipe(formula, { ...defaultSetupForm(), gridSchedule: [6] }));
    expect(plain.steps.filter((step) => 'fit' in step).map((step) => ('fit' in step ? step.fit.batch : 'x'))).toEqual([undefined, undefined]);
    const batched = parseRecipe(buildRecipe(formula, { ...defaultSetupForm(), optimizer: 'adam', batch: 32, gridSchedule: [6] }));
    expect(batched.steps.filter((step) => 'fit' in step).map((step) => ('fit' in step ? step.fit.batch : 'x'))).toEqual([32, 32]);
    for (const batch of [0, 2.5, Number.NaN]) {
      expect(setupProblems(formula, { ...defaultSetupForm(), batch }).join(' ')).toMatch(/^The batch size: /);
    }
  });

  it('names each problem in the form', () => {
    expect(setupProblems(null, defaultSetupForm())[0]).toMatch(/Choose a dataset/);
    const problems = setupProblems({ ...csv, inputs: [] }, { ...defaultSetupForm(), gridSchedule: [2] });
    expect(problems.join(' ')).toMatch(/input/);
    expect(problems.join(' ')).toMatch(/growing grid sizes/);
    expect(setupProblems(csv, { ...defaultSetupForm(), hidden: [0] })).toEqual(['The KAN layers: must be at least 1']);
    expect(setupProblems(csv, defaultSetupForm())).toEqual([]);
  });

  it('parses a grid schedule and rejects what is not a positive integer', () => {
    expect(parseGridSchedule('5, 10 20;40')).toEqual([5, 10, 20, 40]);
    expect(parseGridSchedule('  ')).toEqual([]);
    expect(() => parseGridSchedule('5, ten')).toThrow(/"ten"/);
  });
});

describe('column roles', () => {
  it('defaults to the last column as target and ignores text columns', () => {
    const columns = ['sepal', 'name', 'petal', 'species'];
    const roles = defaultRoles(columns, ['sepal', 'petal'], []);
    expect(roles).toEqual({ sepal: 'input', name: 'ignore', petal: 'input', species: 'target' });
    const tasks = { species: { task: 'classification' as const, reason: '3 distinct text labels' }, petal: { task: 'regression' as const, reason: 'non-integer values' } };
    expect(inferredTask(columns, roles, tasks)).toEqual(tasks.species);
    expect(inferredTask(columns, { ...roles, petal: 'target' }, tasks)).toEqual({ task: 'regression', reason: '2 target columns' });
    expect(defaultRoles(columns, ['sepal', 'petal'], ['petal']).petal).toBe('ignore');
    expect(selectionFromRoles(columns, roles)).toEqual({ inputs: ['sepal', 'petal'], target: ['species'] });
    expect(roleProblems(columns, ['sepal', 'petal'], roles, 'classification')).toEqual([]);
    expect(roleProblems(columns, ['sepal', 'petal'], roles, 'regression')[0]).toMatch(/"species" holds text/);
    expect(roleProblems(columns, ['sepal', 'petal'], { ...roles, name: 'input' }, 'classification')[0]).toMatch(/"name" holds text/);
  });
});

describe('import notes', () => {
  it('names every constant and duplicate column and the missing counts in one list', () => {
    expect(profileNotes({ constant: ['px0', 'px32', 'px39'], duplicate: [{ column: 'b2', sameAs: 'b' }], missing: { age: 3, bmi: 1 } })).toEqual([
      '3 constant columns (px0, px32, px39): set to ignore, since they carry no information.',
      '1 duplicate column (b2 = b): set to ignore.',
      '4 missing values (age: 3, bmi: 1): rows missing an input are dropped, or filled with the training mean if you choose so.',
    ]);
    expect(profileNotes({ constant: [], duplicate: [], missing: {} })).toEqual([]);
  });
});

describe('progress', () => {
  const plan = progressPlan([{ fit: { steps: 10 } }, { refine: { grid: 5 } }, { fit: { steps: 10, models: ['kan'] } }], true);

  it('weighs fit steps by iterations per model and the other steps by one', () => {
    expect(plan).toEqual([{ kind: 'fit', name: 'Fit', kan: 10, mlp: 10 }, { kind: 'refine', name: 'Refine grid', kan: 1, mlp: 0 }, { kind: 'fit', name: 'Fine-tune', kan: 10, mlp: 0 }]);
    // total 31: half the KAN's first fit is 5/31; the MLP's first iteration comes after the KAN's 10.
    expect(overallFraction(plan, { stepIdx: 0, model: 'kan', step: 5, steps: 10 })).toBeCloseTo(5 / 31, 12);
    expect(overallFraction(plan, { stepIdx: 0, model: 'mlp', step: 1, steps: 10 })).toBeCloseTo(11 / 31, 12);
    expect(overallFraction(plan, { stepIdx: 2, model: 'kan', step: 10, steps: 10 })).toBe(1);
    expect(fractionAfterStep(plan, 1)).toBeCloseTo(21 / 31, 12);
  });

  it('estimates the remaining time at the rate so far', () => {
    expect(estimateRemainingSeconds(0.25, 10)).toBeCloseTo(30, 12);
    expect(estimateRemainingSeconds(0, 10)).toBeNull();
  });

  it('gives no estimate before 1 s and 2% of the work have gone by (a stale or start-up rate says "0 s" at 38%)', () => {
    expect(estimateRemainingSeconds(0.38, 0)).toBeNull();
    expect(estimateRemainingSeconds(0.38, 0.5)).toBeNull();
    expect(estimateRemainingSeconds(0.01, 30)).toBeNull();
    expect(estimateRemainingSeconds(0.5, 1)).toBeCloseTo(1, 12);
  });
});

describe('Pareto front', () => {
  it('keeps the points no other point beats on both parameters and error', () => {
    const points = [{ x: 100, y: 0.5 }, { x: 50, y: 0.9 }, { x: 200, y: 0.1 }, { x: 150, y: 0.6 }, { x: 300, y: 0.1 }, { x: 10, y: Number.NaN }];
    expect(paretoFront(points)).toEqual([1, 0, 2]);
  });
});

describe('network layout', () => {
  it('places one box per edge, grouped by input, between its two node rows, without overlaps', () => {
    const width = [4, 8, 4, 1];
    const layout = layoutNetwork(width, 900);
    expect(layout.nodes.map((r) => r.length)).toEqual(width);
    expect(layout.boxes.map((r) => r.length)).toEqual([32, 32, 4]);
    for (const [l, row] of layout.boxes.entries()) {
      const yLow = layout.nodes[l]![0]!.y;
      const yHigh = layout.nodes[l + 1]![0]!.y;
      for (const b of row) expect(b.y > yHigh && b.y + b.h < yLow).toBe(true);
      for (let i = 1; i < row.length; i++) expect(row[i]!.x).toBeGreaterThanOrEqual(row[i - 1]!.x + row[i - 1]!.w);
      expect(row[0]!.x).toBeGreaterThanOrEqual(0);
      expect(row[row.length - 1]!.x + row[row.length - 1]!.w).toBeLessThanOrEqual(900);
    }
    // Edge (input 1, output 0) of layer 0 is box 1 * 8 + 0.
    expect(layout.boxes[0]![8]).toMatchObject({ input: 1, output: 0 });
  });

  it('scales a curve into its box', () => {
    const box = { x: 10, y: 20, w: 40, h: 30 };
    const { curve, dots } = sparklinePaths(box, [-1, 0, 1], [0, 1, 2], [0.5], [1.5]);
    // x in [-1, 1] -> [12, 48]; y in [0, 2] -> [48, 22] (SVG y grows downward); one decimal kept.
    expect(curve).toBe('M12 48L30 35L48 22');
    expect(dots).toBe('M39 28.5h0');
  });

  it('fades unimportant edges, never to nothing', () => {
    expect(edgeOpacity(1, 1)).toBeCloseTo(Math.tanh(3), 12);
    expect(edgeOpacity(0, 1)).toBe(0.08);
    expect(edgeOpacity(0.5, 0)).toBe(1);
  });
});

describe('curves and figures', () => {
  it('lays fit steps end to end and drops losses a log axis cannot show', () => {
    const s = lossSeries([
      { stepIdx: 0, model: 'kan', iter: 1, trainLoss: 1, testLoss: 2 },
      { stepIdx: 0, model: 'kan', iter: 2, trainLoss: 0.5, testLoss: null },
      { stepIdx: 2, model: 'kan', iter: 1, trainLoss: 0.25, testLoss: 0 },
      { stepIdx: 0, model: 'mlp', iter: 1, trainLoss: 3, testLoss: 4 },
    ]);
    expect(s.kanTrain).toEqual([[1, 1], [2, 0.5], [3, 0.25]]);
    expect(s.kanTest).toEqual([[1, 2]]);
    expect(s.mlpTest).toEqual([[1, 4]]);
  });

  it('reads test error as RMSE, or as 1 - accuracy for classification', () => {
    expect(testError({ kanTestRmse: 0.1 }, 'kan')).toEqual({ value: 0.1, label: 'test RMSE' });
    expect(testError({ mlpTestAccuracy: 0.75 }, 'mlp')).toEqual({ value: 0.25, label: 'test error rate' });
    expect(testError({ kanTestRmse: null }, 'kan')).toBeNull();
  });

  it('formats numbers and durations for people', () => {
    expect(formatNumber(0.000123456)).toBe('1.23e-4');
    expect(formatNumber(3.14159)).toBe('3.142');
    expect(formatNumber(null)).toBe('—');
    expect(formatDuration(185)).toBe('3 min 05 s');
    expect(formatDuration(4.25)).toBe('4.3 s');
  });
});
