/**
 * The recipe runner with the code of every step loaded, synchronous from the first call: what the tests, the benches
 * and the app's services use. A process that runs one recipe and wants to start fast loads only the steps it runs
 * (run-core.ts with loadStepLibrary, as the CLI and the training worker do).
 */
import { discoverStep } from './discover-step';
import { interpretabilityHandlers } from './interpretability-steps';
import { type RunOptions, type RunResult, type RunState, runStepsWith, summarizeRunWith } from './run-core';
import type { StepLibrary } from './step-library';
import { sweepStep } from './sweep-step';

export * from './run-core';

export const ALL_STEPS: StepLibrary = { interpretability: interpretabilityHandlers, discover: discoverStep, sweep: sweepStep };

/** Runs recipe.steps[from..] on state (mutated in place). */
export function runSteps(state: RunState, options: RunOptions = {}, from = 0): RunResult {
  return runStepsWith(state, { ...options, library: ALL_STEPS }, from);
}

/** The machine-readable summary printed by `kanbench run --json`. */
export function summarizeRun(result: RunResult): Record<string, unknown> {
  return summarizeRunWith(result, ALL_STEPS);
}
