/**
 * The code of the recipe steps beyond fit, refine and updateGrid: the interpretability steps, discover and sweep. The
 * first two bring in the symbolic engine (math.js and the function library), which takes most of a short run's
 * start-up, so a process loads each only for the recipes that use it.
 */
import type { discoverStep } from './discover-step';
import type { interpretabilityHandlers } from './interpretability-steps';
import type { RecipeStep } from './schema';
import type { sweepStep } from './sweep-step';

export interface StepLibrary {
  /** prune, fixSymbolic, unfixSymbolic, autoSymbolic and formula, and the summary's formula and symbolic edges. */
  interpretability: typeof interpretabilityHandlers | null;
  discover: typeof discoverStep | null;
  sweep: typeof sweepStep | null;
}

const INTERPRETABILITY_STEPS = new Set(['prune', 'fixSymbolic', 'unfixSymbolic', 'autoSymbolic', 'formula']);

/**
 * Loads the code the steps need. A resumed run (resumed: true) may start from a model with symbolic edges, which the
 * summary reports, so it always gets the interpretability code; so does discover, whose chosen model is symbolic.
 */
export async function loadStepLibrary(steps: readonly RecipeStep[], { resumed }: { resumed: boolean }): Promise<StepLibrary> {
  const kinds = new Set(steps.map((step) => Object.keys(step)[0]!));
  const needs = (kind: string): boolean => kinds.has(kind);
  const interpretability = resumed || needs('discover') || [...kinds].some((kind) => INTERPRETABILITY_STEPS.has(kind));
  const [interpretabilityModule, discoverModule, sweepModule] = await Promise.all([
    interpretability ? import('./interpretability-steps') : null,
    needs('discover') ? import('./discover-step') : null,
    needs('sweep') ? import('./sweep-step') : null,
  ]);
  return {
    interpretability: interpretabilityModule?.interpretabilityHandlers ?? null,
    discover: discoverModule?.discoverStep ?? null,
    sweep: sweepModule?.sweepStep ?? null,
  };
}
