/**
 * The compute backend a training run uses on this machine: for 'auto' the fastest by measurement (remembered per machine
 * and size class), otherwise the one named by the recipe, `--backend` or the settings. Whatever is picked is recorded
 * with the run, with the reason.
 */
import type { Kan } from '../../app/kan/model';
import type { RunState } from '../../app/recipe/runner';
import type { Batch, DifferentiableModel } from '../../app/train/types';
import { type BackendChoice, settled } from '../../app/compute/contract';
import { referenceMatmul } from '../../app/compute/reference';
import type { DenseMatmul } from '../../app/mlp';
import type { Recipe } from '../../app/recipe/schema';
import { batchRows } from '../../app/train/fit';

/** The plain TypeScript Float64 kernels, which every other backend is checked against. */
export const REFERENCE_BACKEND = 'reference';

/** Below this many (sample, edge) pairs per evaluation no accelerated backend can win back its start-up; skip measuring. */
const SMALL_PROBLEM_PAIRS = 1 << 18;

export interface TrainingBackend {
  name: string;
  reason: string;
  /** The model the fit steps train for a KAN (the KAN itself on the reference backend). */
  trainable: (kan: Kan) => DifferentiableModel;
  /** The backend's dense product for the MLP baseline, where it is faster than the MLP's own kernels; else null. */
  mlpMatmul: DenseMatmul | null;
}

export async function resolveTrainingBackend(state: RunState, requested: string, dataFolder: string | null): Promise<TrainingBackend> {
  const reference: TrainingBackend = { name: REFERENCE_BACKEND, reason: '', trainable: (kan) => kan, mlpMatmul: null };
  if (requested === REFERENCE_BACKEND) return { ...reference, reason: 'reference (requested)' };
  const { kan, data } = state;
  // A mini-batch fit computes on batches: the problem to choose for is the largest batch a fit step takes.
  const batch = stepBatch(state.recipe, data.train, data.nIn, data.task === 'regression' ? data.nOut : 1);
  const pairs = batch.n * kan.layers.reduce((sum, layer) => sum + layer.nIn * layer.nOut, 0);
  if (requested === 'auto' && pairs < SMALL_PROBLEM_PAIRS) {
    return { ...reference, reason: `reference: the problem (${pairs} sample-edge pairs per step) is too small for acceleration to pay` };
  }
  try {
    // The backends' code (worker threads, WebAssembly, gpu.js) loads only when a problem is big enough to choose one.
    const [{ chooseBackendForRun }, { createTrainable }] = await Promise.all([import('../compute'), import('../../app/compute/chooser')]);
    const decision = await chooseBackendForRun(kan, batch, data.task, { requested, ...(dataFolder ? { userDataFolder: dataFolder } : {}) });
    const mlpMatmul = denseMatmulOf(decision.choice);
    const reason = mlpMatmul ? `${decision.reason}; the MLP's dense products run on it too` : decision.reason;
    return { name: decision.backend, reason, trainable: (k) => createTrainable(k, decision.choice), mlpMatmul };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (requested !== 'auto') throw new Error(`the backend "${requested}" cannot run on this machine: ${message}. Use "auto" or "reference".`);
    return { ...reference, reason: `reference: choosing a backend failed (${message})` };
  }
}

/** The first rows of the training set, as many as the largest batch of the recipe's fit steps (all rows without batches). */
export function stepBatch(recipe: Recipe, train: Batch, xWidth: number, yWidth: number): Batch {
  let rows = 0;
  for (const step of recipe.steps) {
    if ('fit' in step) rows = Math.max(rows, batchRows(step.fit.batch, train.n));
  }
  if (rows === 0 || rows >= train.n) return train;
  return { x: train.x.subarray(0, rows * xWidth), y: train.y.subarray(0, rows * yWidth), n: rows };
}

/**
 * The dense product a backend offers the MLP: its own kernels (WebAssembly SIMD, a GPU), not the reference's plain loop
 * that the threads backend reuses, which is slower than the MLP's own blocked kernels.
 */
function denseMatmulOf(choice: BackendChoice): DenseMatmul | null {
  if (choice === 'reference' || choice.isAsync || choice.matmul === referenceMatmul) return null;
  const backend = choice;
  return (a, b, rows, inner, cols) => settled(backend.matmul(a, b, rows, inner, cols), `backend ${backend.name}`);
}
