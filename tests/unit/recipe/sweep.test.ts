// Tests the recipe step `sweep`: what it trains, the parameter counts it reports, its Pareto fronts, its split and cancel.
import { describe, expect, it } from 'vitest';
import { initialState, runSteps, summarizeRun } from '../../../app/recipe/runner';
import { parseRecipe, RecipeError, type RecipeInput } from '../../../app/recipe/schema';
import { defaultKanHidden, planSweep, sweepFront, validationError, type SweepPoint, type SweepReport } from '../../../app/recipe/sweep-step';
import { Kan } from '../../../app/kan/model';
import { Mlp } from '../../../app/mlp';
import { Rng } from '../../../app/util/rng';

function recipe(sweep: Record<string, unknown>, data: Record<string, unknown> = {}): RecipeInput {
  return {
    seed: 4,
    data: { formula: 'exp(sin(pi*x1)+x2^2)', vars: 2, train: 120, test: 60, ...data },
    kan: { width: [2, 3, 1] },
    steps: [{ sweep: { kan: { widths: [[1], [3]], grids: [3, 5] }, mlp: { widths: [[4], [8], [4, 4]] }, steps: 3, ...sweep } }],
  };
}

function sweepOf(input: RecipeInput): { report: SweepReport; status: string; progress: number[] } {
  const state = initialState(parseRecipe(input), () => '');
  const progress: number[] = [];
  const result = runSteps(state, { events: { onProgress: (_, __, p) => progress.push(p.step) } });
  return { report: state.sweep!, status: result.status, progress };
}

describe('the sweep step', () => {
  const { report, status, progress } = sweepOf(recipe({}));

  it('trains every KAN shape at every grid and every MLP, reporting each as a progress event', () => {
    expect(status).toBe('done');
    expect(report.points.map((p) => [p.family, p.shape, p.grid])).toEqual([
      ['kan', [2, 1, 1], 3], ['kan', [2, 1, 1], 5], ['kan', [2, 3, 1], 3], ['kan', [2, 3, 1], 5],
      ['mlp', [2, 4, 1], undefined], ['mlp', [2, 8, 1], undefined], ['mlp', [2, 4, 4, 1], undefined],
    ]);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const p of report.points) {
      expect(p.metrics.trainRmse).toBeGreaterThan(0);
      expect(p.metrics.valRmse).toBeGreaterThan(0);
      expect(p.metrics.testRmse).toBeGreaterThan(0);
    }
    // Formula data is noise-free: early stopping is off by default, as in a fit step.
    expect(report.budget).toEqual({ opt: 'lbfgs', steps: 3, earlyStopping: false, repeats: 1 });
  });

  it('reports parameter counts as the models count them, and as the KAN and MLP formulas give', () => {
    for (const p of report.points) {
      const model = p.family === 'kan' ? Kan.create({ width: p.shape, grid: p.grid!, k: 3 }, new Rng(0)) : Mlp.create({ width: p.shape, activation: 'silu' }, new Rng(0));
      expect(p.params).toBe(model.parameterCount());
      const layers = p.shape.slice(1).map((out, l) => [p.shape[l]!, out] as const);
      // KAN: G + k basis coefficients plus two scales per edge; MLP: weights and biases.
      const expected = p.family === 'kan' ? layers.reduce((sum, [i, o]) => sum + i * o * (p.grid! + 3 + 2), 0) : layers.reduce((sum, [i, o]) => sum + (i + 1) * o, 0);
      expect(p.params).toBe(expected);
    }
  });

  it('puts on each front exactly the points no other point of the family beats on parameters and validation error', () => {
    for (const family of ['kan', 'mlp'] as const) {
      const mine = report.points.filter((p) => p.family === family);
      const dominated = (p: SweepPoint): boolean => mine.some((q) => q !== p && q.params <= p.params && validationError(q) < validationError(p));
      const front = report.fronts[family];
      expect(front.length).toBeGreaterThan(0);
      expect(front.map((p) => p.params)).toEqual([...front.map((p) => p.params)].sort((a, b) => a - b));
      for (const p of mine) expect(front.some((f) => f.shape.join() === p.shape.join() && f.grid === p.grid), JSON.stringify(p)).toBe(!dominated(p));
    }
  });

  it('keeps the front of hand-made points: ties in parameters go to the lower error, worse larger points drop out', () => {
    const point = (params: number, valRmse: number): SweepPoint => ({ family: 'mlp', shape: [1, params, 1], params, metrics: { valRmse }, seconds: 0 });
    const front = sweepFront([point(10, 0.5), point(10, 0.4), point(20, 0.45), point(30, 0.1), point(5, Number.NaN)]);
    expect(front.map((p) => [p.params, p.metrics.valRmse])).toEqual([[10, 0.4], [30, 0.1]]);
  });

  it('chooses on the data\'s validation split, the same for both families, and appears in the run summary', () => {
    expect(report.rows).toEqual({ fit: 120, validation: 24, test: 60, validationFrom: 'data.validation' });
    const state = initialState(parseRecipe(recipe({})), () => '');
    runSteps(state);
    const summary = summarizeRun({ status: 'done', stages: [], state });
    expect((summary.sweep as SweepReport).points.map((p) => p.metrics)).toEqual(report.points.map((p) => p.metrics));
  });

  it('carves a seeded 20% of the training rows when the data has no validation split, and early-stops on them when asked', () => {
    const small = { kan: { widths: [[1]], grids: [3] }, mlp: { widths: [[2]] } };
    const state = initialState(parseRecipe(recipe(small, { validationFraction: 0 })), () => '');
    runSteps(state);
    expect(state.sweep!.rows).toEqual({ fit: 96, validation: 24, test: 60, validationFrom: 'carved from training rows' });
    const stopping = initialState(parseRecipe(recipe({ ...small, steps: 400, opt: 'adam', lr: 0.5, earlyStopping: true }, { validationFraction: 0, noise: 0.3 })), () => '');
    runSteps(stopping);
    expect(stopping.sweep!.budget.earlyStopping).toBe(true);
    expect(stopping.sweep!.points.some((p) => p.stoppedEarly)).toBe(true);
  });

  it('stops between points when cancelled, keeping the points finished so far', () => {
    const state = initialState(parseRecipe(recipe({})), () => '');
    const signal = { aborted: false };
    const result = runSteps(state, { signal, events: { onProgress: (_, __, p) => { if (p.step === 2) signal.aborted = true; } } });
    expect(result.status).toBe('cancelled');
    expect(state.sweep!.points).toHaveLength(2);
    expect(result.stages[0]!.details.sweep).toBe(state.sweep);
  });

  it('stops inside a fit when cancelled there, without reporting the unfinished model', () => {
    const state = initialState(parseRecipe(recipe({ steps: 50 })), () => '');
    let evaluations = 0;
    const signal = { get aborted(): boolean { return ++evaluations > 5; } };
    const result = runSteps(state, { signal });
    expect(result.status).toBe('cancelled');
    expect(state.sweep!.points).toHaveLength(0);
  });

  it('derives default shapes from the inputs: hidden 1, nIn, 2 nIn + 1 (at most 21), grids 3, 5, 10; MLPs over two decades', () => {
    expect(defaultKanHidden(2)).toEqual([1, 2, 5]);
    expect(defaultKanHidden(1)).toEqual([1, 3]);
    expect(defaultKanHidden(30)).toEqual([1, 21, 30]);
    const spec = parseRecipe({ ...recipe({}), steps: [{ sweep: {} }] }).steps[0]!;
    if (!('sweep' in spec)) throw new Error('not a sweep');
    expect(spec.sweep).toEqual({ kan: {}, mlp: {}, opt: 'lbfgs', steps: 50, repeats: 1 });
    const plan = planSweep(spec.sweep, 2, 1);
    expect(plan.filter((p) => p.family === 'kan')).toHaveLength(9);
    const mlpParams = plan.filter((p) => p.family === 'mlp').map((p) => Mlp.create({ width: p.shape, activation: 'silu' }, new Rng(0)).parameterCount());
    expect(Math.max(...mlpParams) / Math.min(...mlpParams)).toBeGreaterThan(100);
  });

  it('with repeats, trains each model from that many seeds on the same rows: means, their spread, and the first run is the plain sweep\'s', () => {
    const small = { kan: { widths: [[3]], grids: [3] }, mlp: { widths: [[8]] } };
    const once = sweepOf(recipe(small)).report;
    const thrice = sweepOf(recipe({ ...small, repeats: 3 })).report;
    expect(thrice.budget.repeats).toBe(3);
    expect(thrice.points.map((p) => p.runs!.length)).toEqual([3, 3]);
    thrice.points.forEach((p, q) => {
      // The first initialisation is the one a sweep without repeats trains: same seeds, same rows.
      expect(p.runs![0]).toEqual(once.points[q]!.metrics);
      const vals = p.runs!.map((m) => m.valRmse!);
      const mean = vals.reduce((a, v) => a + v, 0) / 3;
      expect(p.metrics.valRmse).toBeCloseTo(mean, 15);
      expect(p.spread!.valRmse).toBeCloseTo(Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / 2), 15);
      // Other initialisations give other models.
      expect(new Set(vals).size).toBe(3);
      expect(p.params).toBe(once.points[q]!.params);
    });
    // The fronts rank the means.
    expect(thrice.fronts.kan[0]!.metrics).toBe(thrice.points[0]!.metrics);
    expect(once.points[0]!.runs).toBeUndefined();
    expect(() => parseRecipe(recipe({ repeats: 0 }))).toThrow(/steps\[0\]\.sweep\.repeats/);
  });

  it('rejects unknown options naming the field', () => {
    expect(() => parseRecipe({ ...recipe({}), steps: [{ sweep: { kan: { width: [[2]] } } }] })).toThrow(RecipeError);
    expect(() => parseRecipe({ ...recipe({}), steps: [{ sweep: { kan: { width: [[2]] } } }] })).toThrow(/steps\[0\]\.sweep\.kan.*"width"/);
  });
});
