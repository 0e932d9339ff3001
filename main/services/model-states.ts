/**
 * Restored models for inspection: the KAN (and MLP) stored after one step of a run, the run's data prepared again, and
 * the activations of a sample of the training rows. Kept in a small cache, keyed so that a step rewritten by revert and
 * new edits is never served stale.
 */
import type { RunState } from '../../app/recipe/runner';
import { symbolicResolver } from '../../app/symbolic/library';
import type { ExperimentStore, RunDetail, StepRecord } from '../store';
import { datasetIdOfRef } from '../training/dataset-ref';
import { restoreState } from '../training/execute';
import { storedRecipe } from '../training/stored-recipe';
import { badRequest, notFound } from './errors';

/** Training rows used for attribution and activation plots; a stride sample keeps big datasets cheap to inspect. */
const MAX_SAMPLE_ROWS = 2000;

export interface InspectedModel {
  run: RunDetail;
  step: StepRecord;
  state: RunState;
  /** x: [n][nIn], a stride sample of the training inputs. */
  sample: { x: Float64Array; n: number };
  /** Inputs of every layer on the sample: acts[l] [n][n_l] (acts[L] the outputs). */
  acts: Float64Array[];
}

export class ModelStates {
  private readonly cache = new Map<string, InspectedModel>();

  constructor(private readonly store: ExperimentStore, private readonly capacity = 4) {}

  /** The model after `stepIdx` of run `runId` (default: its latest finished step). */
  get(runId: string, stepIdx: number | undefined): InspectedModel {
    const run = this.store.getRun(runId) ?? notFound(`run ${runId}`);
    if (run.steps.length === 0) badRequest(`run "${run.name}" has no finished step yet; wait for its first step to finish.`, 'step');
    const step = stepIdx === undefined ? run.steps[run.steps.length - 1]! : run.steps.find((s) => s.idx === stepIdx);
    if (!step) badRequest(`run "${run.name}" has no step ${stepIdx}; its steps are 0..${run.steps.length - 1}.`, 'step');
    const key = `${run.id}:${step.idx}:${step.startedAt}:${step.finishedAt}`;
    const cached = this.cache.get(key);
    if (cached) {
      // Most recently used last, so the oldest entry is the first to go.
      this.cache.delete(key);
      this.cache.set(key, cached);
      return cached;
    }
    const inspected = this.load(run, step);
    this.cache.set(key, inspected);
    if (this.cache.size > this.capacity) this.cache.delete(this.cache.keys().next().value!);
    return inspected;
  }

  private load(run: RunDetail, step: StepRecord): InspectedModel {
    const kan = this.store.getSnapshot(run.id, step.idx, 'kan');
    if (!kan) badRequest(`step ${step.idx} of run "${run.name}" kept no KAN to inspect.`, 'step');
    const recipe = storedRecipe(run);
    const csv = 'csv' in recipe.data ? datasetIdOfRef(recipe.data.csv) : null;
    const readCsv = (): string => {
      if (csv === null) badRequest(`run "${run.name}" reads a CSV file that is not a stored dataset, so its data cannot be shown.`);
      return new TextDecoder().decode(this.store.getDatasetBytes(csv));
    };
    const models = { kan, mlp: this.store.getSnapshot(run.id, step.idx, 'mlp') };
    const state = restoreState(recipe, readCsv, { models, resolveSymbolic: symbolicResolver(recipe.customFunctions ?? []) });
    const sample = strideSample(state.data.train.x, state.data.train.n, state.data.nIn, MAX_SAMPLE_ROWS);
    return { run, step, state, sample, acts: state.kan.activations(sample.x, sample.n) };
  }
}

/** Every k-th row of x [n][width] so that at most maxRows remain. */
export function strideSample(x: Float64Array, n: number, width: number, maxRows: number): { x: Float64Array; n: number } {
  if (n <= maxRows) return { x, n };
  const stride = n / maxRows;
  const out = new Float64Array(maxRows * width);
  for (let r = 0; r < maxRows; r++) {
    const source = Math.floor(r * stride);
    out.set(x.subarray(source * width, (source + 1) * width), r * width);
  }
  return { x: out, n: maxRows };
}
