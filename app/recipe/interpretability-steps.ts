/** Recipe steps of the interpretability toolkit (prune, symbolic fitting, formulas); filled in by app/symbolic. */
import type { RecipeStep } from './schema';
import type { RunState } from './runner';

export interface InterpretabilityState {
  formula: unknown;
}

export const interpretabilityHandlers = {
  apply(_state: RunState, step: RecipeStep): Record<string, unknown> {
    throw new Error(`the recipe step "${Object.keys(step)[0]}" is not available yet`);
  },
  summarize(_state: RunState): Record<string, unknown> {
    return {};
  },
};
