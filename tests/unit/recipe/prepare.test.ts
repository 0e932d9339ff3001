// Tests prepareData on CSVs: constant and duplicate inputs dropped together with the model width following, the task
// inferred when the recipe leaves it out, and missing cells dropped or imputed with counts and without test leakage.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { dataNotice, describePreparedData, prepareData } from '../../../app/recipe/data';
import { initialState } from '../../../app/recipe/runner';
import { RecipeError, parseRecipe } from '../../../app/recipe/schema';

const digits = fs.readFileSync(path.join(__dirname, '../../integration/fixtures/digits-514.csv'), 'utf8');

function recipe(data: Record<string, unknown>, width: number[], mlp?: number[]): ReturnType<typeof parseRecipe> {
  return parseRecipe({ data: { csv: 'data.csv', ...data }, kan: { width }, ...(mlp ? { mlp: { width: mlp } } : {}), steps: [] });
}

function recipeError(action: () => unknown): RecipeError {
  try {
    action();
  } catch (error) {
    if (error instanceof RecipeError) return error;
    throw error;
  }
  throw new Error('expected a RecipeError');
}

describe('prepareData on digits', () => {
  it('drops all constant pixels at once, infers classification, and builds models on the kept columns from a width counted before', () => {
    const r = recipe({ target: ['digit'] }, [64, 5, 10], [64, 8, 10]);
    const state = initialState(r, () => digits);
    const data = state.data;
    expect(data.dropped).toEqual({ constant: ['px0', 'px32', 'px39'], duplicate: [] });
    expect(data.task).toBe('classification');
    expect(data.taskInferredFrom).toBe('10 distinct integer labels');
    expect(data.nIn).toBe(61);
    expect(data.inputNames).not.toContain('px32');
    expect(state.kan.width).toEqual([61, 5, 10]);
    expect(state.mlp!.spec.width).toEqual([61, 8, 10]);
    expect(state.recipe.kan.width).toEqual([61, 5, 10]);
    expect(r.kan.width).toEqual([64, 5, 10]);
    expect(dataNotice(data)).toBe('ignored 3 constant input columns (px0, px32, px39); 61 inputs remain (set data.dropConstant to false to keep every column)');
    expect(describePreparedData(data)).toMatchObject({ task: 'classification', taskInferredFrom: '10 distinct integer labels', inputs: 61 });
  });

  it('accepts the width after dropping too, and names both choices when the width is neither', () => {
    expect(prepareData(recipe({ target: ['digit'] }, [61, 10]), () => digits).nIn).toBe(61);
    const error = recipeError(() => prepareData(recipe({ target: ['digit'] }, [50, 10]), () => digits));
    expect(error.path).toBe('kan.width');
    expect(error.message).toContain('set kan.width[0] to 64 (all input columns) or 61 (after taking off 3 constant or duplicate)');
  });

  it('keeps every column with dropConstant false, and lets an explicit task win over the inferred one', () => {
    const kept = prepareData(recipe({ target: ['digit'], dropConstant: false, task: 'regression' }, [64, 1]), () => digits);
    expect(kept.nIn).toBe(64);
    expect(kept.dropped).toEqual({ constant: [], duplicate: [] });
    expect(kept.task).toBe('regression');
    expect(kept.taskInferredFrom).toBeNull();
    expect(dataNotice(kept)).toBeNull();
  });

  it('says the task was inferred when the output width does not fit the classes', () => {
    const error = recipeError(() => prepareData(recipe({ target: ['digit'] }, [64, 1]), () => digits));
    expect(error.message).toContain('10 classes');
    expect(error.message).toContain('inferred from 10 distinct integer labels; set data.task to choose');
  });
});

describe('prepareData cleaning', () => {
  it('drops a duplicate input and names the column it repeats', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `${i},${(i * 7) % 5},${i},${i * 0.5 + 0.25}`);
    const data = prepareData(recipe({ target: ['y'] }, [3, 1]), () => `a,b,a2,y\n${rows.join('\n')}\n`);
    expect(data.dropped).toEqual({ constant: [], duplicate: [{ column: 'a2', sameAs: 'a' }] });
    expect(data.inputNames).toEqual(['a', 'b']);
    expect(data.task).toBe('regression');
    expect(data.taskInferredFrom).toBe('non-integer values');
    expect(dataNotice(data)).toContain('ignored 1 duplicate input column (a2 = a)');
  });

  // x is missing in rows 0 and 5, the target in row 9; z is empty but for one cell, so it is constant and takes no rows with it.
  const rows = Array.from({ length: 40 }, (_, i) => `${i === 0 || i === 5 ? 'NA' : i},${i % 3},${i === 9 ? '' : i * 1.5},${i === 3 ? 7 : ''}`);
  const gappy = `x,w,y,z\n${rows.join('\n')}\n`;

  it('drops rows with a missing input or target by default, with counts', () => {
    const data = prepareData(recipe({ target: ['y'] }, [3, 1]), () => gappy);
    expect(data.dropped.constant).toEqual(['z']);
    expect(data.missing).toEqual({ handling: 'drop', cells: { x: 2, y: 1 }, rowsDropped: 3, imputed: {} });
    expect(data.train.n + data.validation.n + data.test.n).toBe(37);
    expect(dataNotice(data)).toContain('dropped 3 rows with missing values (x: 2, y: 1); set data.missing to "impute"');
  });

  it('imputes missing inputs with the training mean only, and still drops rows missing the target', () => {
    const r = recipe({ target: ['y'], missing: 'impute', standardize: false }, [3, 1]);
    const data = prepareData(r, () => gappy);
    expect(data.missing).toEqual({ handling: 'impute', cells: { x: 2, y: 1 }, rowsDropped: 1, imputed: { x: 2 } });
    expect(data.train.n + data.validation.n + data.test.n).toBe(39);
    // The mean of x over the training rows that have it; a validation or test row's x never enters it.
    const xs = (batch: { x: Float64Array; n: number }) => Array.from({ length: batch.n }, (_, s) => batch.x[s * 2]!);
    const trainValues = xs(data.train).filter(Number.isInteger);
    const mean = trainValues.reduce((a, b) => a + b, 0) / trainValues.length;
    const filled = [...xs(data.train), ...xs(data.validation), ...xs(data.test)].filter((v) => !Number.isInteger(v));
    expect(filled).toHaveLength(2);
    for (const v of filled) expect(v).toBeCloseTo(mean, 12);
    const allMean = [...xs(data.train), ...xs(data.validation), ...xs(data.test)].filter(Number.isInteger).reduce((a, b, _, all) => a + b / all.length, 0);
    expect(Math.abs(mean - allMean)).toBeGreaterThan(1e-9);
    expect(dataNotice(data)).toBe('ignored 1 constant input column (z); 2 inputs remain (set data.dropConstant to false to keep every column); dropped 1 row with missing values (y: 1); filled 2 missing input cells with training-row means (x: 2)');
  });

  it('says what to do when dropping would leave too few rows', () => {
    const sparse = 'a,b,y\n1,,1\n,2,2\n3,,3\n,4,4\n';
    const error = recipeError(() => prepareData(recipe({ target: ['y'] }, [2, 1]), () => sparse));
    expect(error.path).toBe('data.missing');
    expect(error.message).toContain('only 0 of 4 rows have every selected value ("a" misses 2); set data.missing to "impute"');
  });
});
