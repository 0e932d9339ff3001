/**
 * Redo over a run's step list. Undo removes steps (the store keeps no copy of them), so redo replays what was removed:
 * the same step settings run again from the same state, seeded, and give the same model. Plain data, no Vue: one
 * stack of undone edits per run, the most recently undone last; any new edit clears it, as in every editor.
 */

/** A recorded step as the recipe step that produced it ({ fit: { ... } }), ready to be applied again. */
export type ReplayStep = Record<string, unknown>;

export interface RedoStack {
  runId: string | null;
  /** Undone edits, each the steps one undo removed (a "back here" removes several), the next to redo last. */
  undone: ReplayStep[][];
}

export const emptyRedo = (): RedoStack => ({ runId: null, undone: [] });

export function replayStep(step: { kind: string; params: unknown }): ReplayStep {
  return { [step.kind]: step.params ?? {} };
}

/** After undoing back to step `toIdx` of `steps`: the removed steps become the next edit to redo. */
export function afterUndo(stack: RedoStack, runId: string, steps: readonly { idx: number; kind: string; params: unknown }[], toIdx: number): RedoStack {
  const removed = steps.filter((s) => s.idx > toIdx).map(replayStep);
  if (removed.length === 0) return stack;
  const undone = stack.runId === runId ? stack.undone : [];
  return { runId, undone: [...undone, removed] };
}

/** The next edit to redo on `runId`, and the stack without it; null when there is none. */
export function takeRedo(stack: RedoStack, runId: string | null): { steps: ReplayStep[]; rest: RedoStack } | null {
  if (!runId || stack.runId !== runId || stack.undone.length === 0) return null;
  return { steps: stack.undone[stack.undone.length - 1]!, rest: { runId, undone: stack.undone.slice(0, -1) } };
}

export function canRedo(stack: RedoStack, runId: string | null): boolean {
  return takeRedo(stack, runId) !== null;
}
