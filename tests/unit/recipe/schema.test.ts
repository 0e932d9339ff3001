import { describe, expect, it } from 'vitest';
import { RecipeError, parseRecipe } from '../../../app/recipe/schema';

const good = {
  seed: 0,
  data: { formula: 'exp(sin(pi*x1)+x2^2)', vars: 2, range: [-1, 1], train: 100, test: 100 },
  kan: { width: [2, 5, 1], grid: 3, k: 3 },
  mlp: { width: [2, 32, 32, 1], activation: 'silu' },
  steps: [{ fit: { opt: 'lbfgs', steps: 50, lamb: 0.001, lambEntropy: 2 } }, { refine: { grid: 10 } }, { fit: { opt: 'lbfgs', steps: 50 } }],
};

function errorOf(recipe: unknown): RecipeError {
  try {
    parseRecipe(recipe);
  } catch (err) {
    if (err instanceof RecipeError) return err;
    throw err;
  }
  throw new Error('expected the recipe to be rejected');
}

describe('recipe validation', () => {
  it('accepts the reference recipe and fills defaults', () => {
    const r = parseRecipe(good);
    expect(r.backend).toBe('auto');
    expect(r.steps).toHaveLength(3);
    expect(r.kan.base).toBe('silu');
    const csv = parseRecipe({ ...good, mlp: undefined, data: { csv: 'file.csv', inputs: ['a', 'b'], target: ['y'] } });
    expect('csv' in csv.data && csv.data.testFraction).toBe(0.2);
  });

  it('rejects an unknown key with its path', () => {
    const err = errorOf({ ...good, steps: [{ fit: { opt: 'lbfgs', steps: 5, lambda: 1 } }] });
    expect(err.path).toBe('steps[0].fit');
    expect(err.message).toContain('"lambda"');
  });

  it('rejects a bad value with its path', () => {
    expect(errorOf({ ...good, steps: [{ fit: { opt: 'lbfgs', steps: -1 } }] }).path).toBe('steps[0].fit.steps');
    expect(errorOf({ ...good, kan: { width: [2, 0, 1] } }).path).toBe('kan.width[1]');
    expect(errorOf({ ...good, steps: [{ refine: { grid: 2.5 } }] }).path).toBe('steps[0].refine.grid');
    expect(errorOf({ ...good, data: { ...good.data, range: [1, -1] } }).path).toBe('data.range');
    expect(errorOf({ ...good, steps: [{ fit: { opt: 'sgd', steps: 3 } }] }).path).toBe('steps[0].fit.opt');
    const batch = errorOf({ ...good, steps: [{ fit: { opt: 'adam', steps: 3, batch: 0 } }] });
    expect(batch.path).toBe('steps[0].fit.batch');
    expect(batch.message).toMatch(/at least 1, or -1 for the whole training set/);
    // pykan's batch = -1 (all rows) and a positive batch are accepted.
    expect(parseRecipe({ ...good, steps: [{ fit: { opt: 'adam', steps: 3, batch: -1 } }, { fit: { opt: 'adam', steps: 3, batch: 64 } }] }).steps).toHaveLength(2);
  });

  it('rejects an unknown step kind and a top-level typo', () => {
    expect(errorOf({ ...good, steps: [{ train: { steps: 3 } }] }).message).toMatch(/step is one of/);
    expect(errorOf({ ...good, seeds: 1 }).message).toContain('"seeds"');
  });

  it('checks that widths agree with the data and between models', () => {
    expect(errorOf({ ...good, kan: { width: [3, 5, 1] } }).message).toContain('set kan.width[0] to 2');
    expect(errorOf({ ...good, mlp: { width: [2, 8, 2] } }).path).toBe('mlp.width');
  });

  it('leaves a CSV task to inference, drops constant columns and rows with missing values by default', () => {
    const csv = parseRecipe({ ...good, mlp: undefined, data: { csv: 'file.csv', target: ['y'] } }).data;
    expect(csv).toMatchObject({ dropConstant: true, missing: 'drop' });
    expect('csv' in csv && csv.task).toBeUndefined();
    expect(errorOf({ ...good, data: { csv: 'f.csv', target: ['y'], missing: 'mean' } }).path).toBe('data.missing');
  });

  it('lets kan.width[0] count fewer inputs than data.inputs lists only while constant columns may be dropped', () => {
    const data = { csv: 'f.csv', inputs: ['a', 'b', 'c'], target: ['y'] };
    const base = { ...good, mlp: undefined };
    expect(parseRecipe({ ...base, data, kan: { width: [2, 1] } }).kan.width).toEqual([2, 1]);
    expect(errorOf({ ...base, data, kan: { width: [4, 1] } }).message).toContain('set kan.width[0] to 3');
    expect(errorOf({ ...base, data: { ...data, dropConstant: false }, kan: { width: [2, 1] } }).message).toContain('set kan.width[0] to 3');
  });

  it('fills the validation and early-stopping defaults, and bounds them', () => {
    const recipe = parseRecipe(good);
    expect(recipe.data.validationFraction).toBe(0.2);
    const fit = recipe.steps[0] as { fit: { earlyStopping?: boolean; patience?: number } };
    // Left unset so the runner applies the data's default (on for CSV, off for formula data) and fit's patience.
    expect([fit.fit.earlyStopping, fit.fit.patience]).toEqual([undefined, undefined]);
    expect(parseRecipe({ data: { csv: 'a.csv', target: ['y'] }, kan: { width: [1, 1] }, steps: [] }).data.validationFraction).toBe(0.2);
    expect(errorOf({ ...good, data: { ...good.data, validationFraction: 1 } }).path).toBe('data.validationFraction');
    expect(errorOf({ ...good, steps: [{ fit: { steps: 3, patience: 0 } }] }).path).toBe('steps[0].fit.patience');
  });
});
