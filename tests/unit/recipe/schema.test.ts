import { describe, expect, it } from 'vitest';
import { RecipeError, parseRecipe, recipeIssues } from '../../../app/recipe/schema';

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

describe('recipe meaning is checked with its structure (one parse)', () => {
  const withSteps = (steps: unknown[], extra: Record<string, unknown> = {}): unknown => ({ ...good, steps: [{ fit: { steps: 5 } }, ...steps], ...extra });

  it('refuses unknown library names, including object property names, before anything trains', () => {
    for (const fn of ['nosuch', 'constructor', '__proto__', 'toString']) {
      const error = errorOf(withSteps([{ fixSymbolic: { layer: 0, input: 0, output: 0, fn } }]));
      expect(error.path).toBe('steps[1].fixSymbolic.fn');
      expect(error.message).toContain(`unknown symbolic function "${fn}"`);
    }
    expect(errorOf(withSteps([{ autoSymbolic: { lib: ['sin', 'x^9'] } }])).path).toBe('steps[1].autoSymbolic.lib[1]');
    expect(errorOf(withSteps([{ discover: { lib: ['hasOwnProperty'] } }])).path).toBe('steps[1].discover.lib[0]');
    const custom = { customFunctions: [{ name: 'bump', expr: 'x * exp(-x)', complexity: 3 }] };
    expect(parseRecipe(withSteps([{ fixSymbolic: { layer: 0, input: 0, output: 0, fn: 'bump' } }, { autoSymbolic: { lib: ['asin', 'bump', 'x^2'] } }], custom)).steps).toHaveLength(3);
  });

  it('refuses edges and nodes the KAN does not have, naming the field and the valid range', () => {
    const layer = errorOf(withSteps([{ fixSymbolic: { layer: 99, input: 0, output: 0, fn: 'sin' } }]));
    expect(layer.path).toBe('steps[1].fixSymbolic.layer');
    expect(layer.message).toContain('the KAN [2, 5, 1] has edge layers 0 to 1; layer 99 does not exist');
    expect(errorOf(withSteps([{ unfixSymbolic: { layer: 1, input: 5, output: 0 } }])).path).toBe('steps[1].unfixSymbolic.input');
    expect(errorOf(withSteps([{ fixSymbolic: { layer: 0, input: 1, output: 5, fn: 'sin' } }])).path).toBe('steps[1].fixSymbolic.output');
    const node = errorOf(withSteps([{ prune: { nodes: ['1.2', '99.99'] } }]));
    expect(node.path).toBe('steps[1].prune.nodes[1]');
    expect(node.message).toContain('only hidden nodes can be pruned, in layers 1 to 1');
    expect(errorOf(withSteps([{ prune: { nodes: ['1.5'] } }])).message).toContain('layer 1 of the KAN [2, 5, 1] has nodes 0 to 4');
    expect(errorOf(withSteps([{ prune: { edges: ['0.2.0'] } }])).path).toBe('steps[1].prune.edges[0].input');
    expect(parseRecipe(withSteps([{ prune: { nodes: ['1.4'], edges: ['1.4.0'] } }, { fixSymbolic: { layer: 1, input: 4, output: 0, fn: 'x' } }])).steps).toHaveLength(3);
  });

  it('checks references after a discover step when they run, as discovery picks the KAN shape', () => {
    expect(parseRecipe(withSteps([{ discover: {} }, { fixSymbolic: { layer: 3, input: 0, output: 0, fn: 'sin' } }])).steps).toHaveLength(3);
  });

  it('compiles custom functions even when no step uses them', () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ name: 'f', expr: 'import("x")', complexity: 1 }, 'customFunctions[0].expr', /"import" .* is not an allowed function/],
      [{ name: 'f', expr: 'evaluate("1+1")', complexity: 1 }, 'customFunctions[0].expr', /"evaluate" .* is not an allowed function/],
      [{ name: 'f', expr: 'x * y', complexity: 1 }, 'customFunctions[0].expr', /unknown symbol "y"/],
      [{ name: 'f', expr: 'x +* 2', complexity: 1 }, 'customFunctions[0].expr', /does not parse/],
      [{ name: 'sin', expr: 'x', complexity: 1 }, 'customFunctions[0].name', /"sin" is a built-in library function; choose another name/],
      [{ name: 'sinh', expr: 'x', complexity: 1 }, 'customFunctions[0].name', /math function/],
      [{ name: 'constructor', expr: 'x', complexity: 1 }, 'customFunctions[0].name', /property name of every object/],
      [{ name: '__proto__', expr: 'x', complexity: 1 }, 'customFunctions[0].name', /property name of every object/],
    ];
    for (const [spec, path, message] of cases) {
      const error = errorOf({ ...good, customFunctions: [spec] });
      expect(error.path, JSON.stringify(spec)).toBe(path);
      expect(error.message, JSON.stringify(spec)).toMatch(message);
    }
    const twice = errorOf({ ...good, customFunctions: [{ name: 'g', expr: 'x', complexity: 1 }, { name: 'g', expr: 'x^2', complexity: 1 }] });
    expect(twice.path).toBe('customFunctions[1].name');
  });

  it('says what a bad value must be in words, not in zod notation', () => {
    expect(errorOf({ ...good, kan: { width: [2, 0, 1] } }).message).toBe('recipe field kan.width[1]: must be at least 1');
    expect(errorOf({ ...good, steps: [{ fit: { steps: 2.5 } }] }).message).toBe('recipe field steps[0].fit.steps: must be a whole number');
    expect(errorOf({ ...good, kan: { width: [2] } }).message).toBe('recipe field kan.width: needs at least 2 entries');
    expect(errorOf({ ...good, kan: { ...good.kan, k: 11 } }).message).toBe('recipe field kan.k: must be at most 10');
    expect(errorOf({ ...good, kan: { ...good.kan, base: 'relu' } }).message).toBe('recipe field kan.base: must be one of "silu", "identity", "zero"');
    expect(errorOf({ ...good, seed: Number.NaN }).message).toBe('recipe field seed: must be a number, not NaN');
  });

  it('lists every problem with its path for a form', () => {
    const issues = recipeIssues({ ...good, kan: { width: [3, 5, 1] }, steps: [{ fit: { steps: 5, earlyStopping: true } }], data: { ...good.data, validationFraction: 0 } });
    expect(issues.map((i) => i.path).sort()).toEqual(['kan.width', 'mlp.width', 'steps[0].fit.earlyStopping']);
    expect(recipeIssues(good)).toEqual([]);
  });
});
