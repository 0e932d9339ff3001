/** Which problem the training run chooses its backend for: the batches its fit steps take, not the whole training set. */
import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../app/recipe/schema';
import { initialState } from '../../app/recipe/runner';
import { resolveTrainingBackend, stepBatch } from '../../main/training/backend';

function state(steps: unknown[], train = 20000) {
  return initialState(parseRecipe({
    seed: 1,
    data: { formula: 'sin(x1) + x2*x3 - x4', vars: 4, train, test: 100 },
    kan: { width: [4, 8, 1], grid: 5 },
    steps,
  }), () => '');
}

describe('the batch a run chooses its backend for', () => {
  it('is the largest batch of the fit steps, the first rows of the training set, or the whole set', () => {
    const batched = state([{ fit: { opt: 'adam', steps: 1, batch: 64 } }, { refine: { grid: 8 } }, { fit: { opt: 'adam', steps: 1, batch: 256 } }]);
    const b = stepBatch(batched.recipe, batched.data.train, 4, 1);
    expect(b.n).toBe(256);
    expect(Array.from(b.x)).toEqual(Array.from(batched.data.train.x.subarray(0, 256 * 4)));
    expect(Array.from(b.y)).toEqual(Array.from(batched.data.train.y.subarray(0, 256)));
    const mixed = state([{ fit: { opt: 'adam', steps: 1, batch: 64 } }, { fit: { opt: 'lbfgs', steps: 1 } }]);
    expect(stepBatch(mixed.recipe, mixed.data.train, 4, 1)).toBe(mixed.data.train);
    const oversized = state([{ fit: { opt: 'adam', steps: 1, batch: 50000 } }]);
    expect(stepBatch(oversized.recipe, oversized.data.train, 4, 1)).toBe(oversized.data.train);
  });

  it('keeps the reference for a mini-batch fit whose batches are small, however large the training set', async () => {
    // 20000 rows x 40 edges is above the threshold for measuring; 256-row batches are far below it.
    const whole = await resolveTrainingBackend(state([{ fit: { opt: 'adam', steps: 1 } }], 8000), 'auto', null);
    expect(whole.reason).not.toMatch(/too small/);
    const small = await resolveTrainingBackend(state([{ fit: { opt: 'adam', steps: 1, batch: 256 } }]), 'auto', null);
    expect(small.name).toBe('reference');
    expect(small.reason).toMatch(/10240 sample-edge pairs per step\) is too small/);
  }, 60_000);
});
