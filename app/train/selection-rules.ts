/**
 * The model-selection rules in numbers, apart from the code that applies them so that the workbench can state them
 * without loading the engine: early stopping's default patience and when a model counts as overfit.
 */

/** Checks without a better validation loss before early stopping ends a fit (app/train/fit.ts). */
export const DEFAULT_PATIENCE = 10;

/** See isOverfit in app/recipe/runner.ts. */
export const OVERFIT_LOSS_RATIO = 2;
export const OVERFIT_GAP_OF_BASELINE = 0.25;
export const OVERFIT_RULE = `validation loss above ${OVERFIT_LOSS_RATIO} x the training loss, by more than ${OVERFIT_GAP_OF_BASELINE} x the trivial predictor's validation loss`;
