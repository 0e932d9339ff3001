/**
 * The compute backend a training run uses on this machine: for 'auto' the fastest by measurement (remembered per machine
 * and size class), otherwise the one named by the recipe, `--backend` or the settings. Whatever is picked is recorded
 * with the run, with the reason.
 */
import { createTrainable } from '../../app/compute';
import type { Kan } from '../../app/kan/model';
import type { RunState } from '../../app/recipe/runner';
import type { DifferentiableModel } from '../../app/train/types';
import { chooseBackendForRun } from '../compute';

/** The plain TypeScript Float64 kernels, which every other backend is checked against. */
export const REFERENCE_BACKEND = 'reference';

/** Below this many (sample, edge) pairs per evaluation no accelerated backend can win back its start-up; skip measuring. */
const SMALL_PROBLEM_PAIRS = 1 << 18;

export interface TrainingBackend {
  name: string;
  reason: string;
  /** The model the fit steps train for a KAN (the KAN itself on the reference backend). */
  trainable: (kan: Kan) => DifferentiableModel;
}

export async function resolveTrainingBackend(state: RunState, requested: string, dataFolder: string | null): Promise<TrainingBackend> {
  const reference: TrainingBackend = { name: REFERENCE_BACKEND, reason: '', trainable: (kan) => kan };
  if (requested === REFERENCE_BACKEND) return { ...reference, reason: 'reference (requested)' };
  const { kan, data } = state;
  const pairs = data.train.n * kan.layers.reduce((sum, layer) => sum + layer.nIn * layer.nOut, 0);
  if (requested === 'auto' && pairs < SMALL_PROBLEM_PAIRS) {
    return { ...reference, reason: `reference: the problem (${pairs} sample-edge pairs per step) is too small for acceleration to pay` };
  }
  try {
    const decision = await chooseBackendForRun(kan, data.train, data.task, { requested, ...(dataFolder ? { userDataFolder: dataFolder } : {}) });
    return { name: decision.backend, reason: decision.reason, trainable: (k) => createTrainable(k, decision.choice) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (requested !== 'auto') throw new Error(`the backend "${requested}" cannot run on this machine: ${message}. Use "auto" or "reference".`);
    return { ...reference, reason: `reference: choosing a backend failed (${message})` };
  }
}
