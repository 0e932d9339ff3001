// Redo over a run's step list: what an undo removed is replayed in order, a new edit clears it, runs do not mix (issue 14).
import { describe, expect, it } from 'vitest';
import { afterUndo, canRedo, emptyRedo, takeRedo } from '../../../renderer/src/lib/redo';

const steps = [
  { idx: 0, kind: 'fit', params: { opt: 'lbfgs', steps: 20 } },
  { idx: 1, kind: 'prune', params: { edgeThreshold: 0.01, nodeThreshold: 0 } },
  { idx: 2, kind: 'fit', params: { opt: 'lbfgs', steps: 5, models: ['kan'] } },
];

describe('redo', () => {
  it('replays the last undone edit first, each as the recipe step that made it', () => {
    let stack = afterUndo(emptyRedo(), 'r1', steps, 1);
    stack = afterUndo(stack, 'r1', steps.slice(0, 2), 0);
    const first = takeRedo(stack, 'r1')!;
    expect(first.steps).toEqual([{ prune: { edgeThreshold: 0.01, nodeThreshold: 0 } }]);
    const second = takeRedo(first.rest, 'r1')!;
    expect(second.steps).toEqual([{ fit: { opt: 'lbfgs', steps: 5, models: ['kan'] } }]);
    expect(canRedo(second.rest, 'r1')).toBe(false);
  });

  it('replays every step a "back here" removed, in their order', () => {
    expect(takeRedo(afterUndo(emptyRedo(), 'r1', steps, 0), 'r1')!.steps.map((s) => Object.keys(s)[0])).toEqual(['prune', 'fit']);
  });

  it('keeps the undone edits of one run only', () => {
    const stack = afterUndo(emptyRedo(), 'r1', steps, 1);
    expect(canRedo(stack, 'r2')).toBe(false);
    expect(afterUndo(stack, 'r2', steps, 1).undone).toHaveLength(1);
    expect(afterUndo(stack, 'r1', steps, 2)).toBe(stack);
  });
});
