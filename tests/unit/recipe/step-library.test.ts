// The runner the CLI and the training worker use (run-core with only the step code a recipe needs) gives exactly the
// results of the runner with every step loaded, and loads no symbolic code for a recipe that only fits.
import { describe, expect, it } from 'vitest';

import { runStepsWith, summarizeRunWith } from '../../../app/recipe/run-core';
import { initialState, runSteps, summarizeRun } from '../../../app/recipe/runner';
import { parseRecipe, type RecipeInput } from '../../../app/recipe/schema';
import { loadStepLibrary } from '../../../app/recipe/step-library';

const noCsv = (): string => {
  throw new Error('these recipes read no CSV');
};

function recipe(steps: RecipeInput['steps']): ReturnType<typeof parseRecipe> {
  return parseRecipe({ seed: 4, data: { formula: 'sin(pi*x1) + x2^2', vars: 2, train: 200, test: 100 }, kan: { width: [2, 3, 1], grid: 5, k: 3 }, steps });
}

/** Stage figures without the seconds they took. */
function figures(summary: Record<string, unknown>): string {
  return JSON.stringify(summary, (key, value: unknown) => (key === 'seconds' || key === 'kanSeconds' || key === 'mlpSeconds' ? undefined : value));
}

describe('loadStepLibrary', () => {
  it('loads nothing beyond fit, refine and updateGrid for a recipe of those, and the summary still lists no symbolic edges', async () => {
    const fitOnly = recipe([{ fit: { steps: 3 } }, { refine: { grid: 8 } }, { updateGrid: {} }, { fit: { steps: 3 } }]);
    const library = await loadStepLibrary(fitOnly.steps, { resumed: false });
    expect(library).toEqual({ interpretability: null, discover: null, sweep: null });
    const lazy = runStepsWith(initialState(fitOnly, noCsv), { library });
    const full = runSteps(initialState(fitOnly, noCsv));
    expect(figures(summarizeRunWith(lazy, library))).toBe(figures(summarizeRun(full)));
    expect(summarizeRunWith(lazy, library).symbolic).toEqual([]);
  });

  it('loads the interpretability code for its steps and for a resumed run, and the results equal the full runner', async () => {
    const symbolic = recipe([{ fit: { steps: 5 } }, { prune: {} }, { autoSymbolic: { lib: ['x', 'x^2', 'sin'] } }, { fit: { steps: 3 } }, { formula: {} }]);
    const library = await loadStepLibrary(symbolic.steps, { resumed: false });
    expect(library.interpretability).not.toBeNull();
    expect(library.discover).toBeNull();
    expect(library.sweep).toBeNull();
    const lazy = runStepsWith(initialState(symbolic, noCsv), { library });
    const full = runSteps(initialState(symbolic, noCsv));
    expect(figures(summarizeRunWith(lazy, library))).toBe(figures(summarizeRun(full)));
    expect((await loadStepLibrary(recipe([{ fit: { steps: 1 } }]).steps, { resumed: true })).interpretability).not.toBeNull();
  });

  it('says which step lacks its code instead of skipping it', async () => {
    const sweep = recipe([{ sweep: { kan: { widths: [[2]], grids: [3] }, mlp: { widths: [[4]] }, steps: 2 } }]);
    const library = await loadStepLibrary([], { resumed: false });
    expect(() => runStepsWith(initialState(sweep, noCsv), { library })).toThrow(/the code of the recipe step "sweep" was not loaded/);
  });
});
