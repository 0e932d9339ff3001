// The workbench's words for what a run did: step names and settings, the optimiser "train more" continues with, the
// prune preview's count of what it marks, and a fixed edge's formula (issue 14).
import { describe, expect, it } from 'vitest';
import { affineText, signedTerm } from '../../../renderer/src/lib/formula-text';
import { pruneRemoval, pruneSummary } from '../../../renderer/src/lib/prune-preview';
import { lastFitSettings, stepLabel, stepName } from '../../../renderer/src/lib/step-labels';

describe('step labels', () => {
  it('names steps by the action, not the recipe key', () => {
    expect(stepName('fixSymbolic')).toBe('Fix symbolic');
    expect(stepName('autoSymbolic')).toBe('Auto-symbolic');
    expect(stepName('fit', { opt: 'lbfgs', steps: 20, models: ['kan'] })).toBe('Fine-tune');
    expect(stepName('fit', { opt: 'lbfgs', steps: 20, models: ['kan', 'mlp'] })).toBe('Fit');
    expect(stepName('somethingNew')).toBe('somethingNew');
  });

  it('adds the settings that tell two steps of a kind apart', () => {
    expect(stepLabel('fit', { opt: 'adam', steps: 400 })).toBe('Fit · Adam, 400 steps');
    expect(stepLabel('fit', { opt: 'lbfgs', steps: 1, models: ['kan'] })).toBe('Fine-tune · L-BFGS, 1 step (KAN only)');
    expect(stepLabel('fixSymbolic', { layer: 0, input: 1, output: 2, fn: 'sin' })).toBe('Fix symbolic · edge 0.1.2 → sin');
    expect(stepLabel('refine', { grid: 10 })).toBe('Refine grid · G → 10');
    expect(stepLabel('prune', { edgeThreshold: 0.0123456, nodeThreshold: 0 })).toBe('Prune · edges < 0.0123, nodes < 0');
  });

  it('continues training with the optimiser of the last fit that trained both models', () => {
    const recipe = { steps: [{ fit: { opt: 'adam', steps: 400, lr: 0.1, batch: 32 } }, { prune: {} }, { fit: { opt: 'lbfgs', steps: 5, models: ['kan'] } }] };
    expect(lastFitSettings(recipe)).toEqual({ opt: 'adam', lr: 0.1, batch: 32 });
    expect(lastFitSettings({ steps: [] })).toEqual({ opt: 'lbfgs' });
    expect(lastFitSettings(null)).toEqual({ opt: 'lbfgs' });
  });
});

describe('prune preview', () => {
  // [2, 2, 1]: edges 0.i.o (4) and 1.i.0 (2); edge 0.1.1 is already pruned.
  const edges = [
    { layer: 0, input: 0, output: 0, kind: 'numeric' }, { layer: 0, input: 0, output: 1, kind: 'numeric' },
    { layer: 0, input: 1, output: 0, kind: 'numeric' }, { layer: 0, input: 1, output: 1, kind: 'pruned' },
    { layer: 1, input: 0, output: 0, kind: 'numeric' }, { layer: 1, input: 1, output: 0, kind: 'numeric' },
  ];

  it('counts the edges of a removed node with the edges under the threshold, each once', () => {
    // Hidden node 1.1 goes: its live edges 0.0.1 and 1.1.0 go with it (0.1.1 is pruned already); 0.0.1 is also listed.
    const removal = pruneRemoval(edges, { nodes: [{ layer: 1, index: 1 }], edges: [{ layer: 0, input: 0, output: 1 }, { layer: 0, input: 1, output: 0 }] });
    expect([...removal.edges].sort()).toEqual(['0.0.1', '0.1.0', '1.1.0']);
    expect(pruneSummary(removal)).toBe('3 edges, 1 node would go');
  });

  it('marks nothing without a preview', () => {
    expect(pruneSummary(pruneRemoval(edges, null))).toBe('0 edges, 0 nodes would go');
  });
});

describe('a fixed edge as text', () => {
  it('folds signs into the operators and leaves out what adds nothing', () => {
    expect(affineText({ name: 'sin', a: 3.14159, b: -0.5, c: 2, d: -0.09979 })).toBe('2 · sin(3.142 · x − 0.5) − 0.09979');
    expect(affineText({ name: 'x^2', a: 1, b: 0, c: -1, d: 0.25 })).toBe('−x^2(x) + 0.25');
    expect(affineText({ name: 'exp', a: -2, b: 0.1, c: 1, d: 0 })).toBe('exp(−2 · x + 0.1)');
    expect(signedTerm(0)).toBe('');
  });
});
