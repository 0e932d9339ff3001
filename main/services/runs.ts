/**
 * Run operations of the API: create from a recipe, start, cancel, list, inspect, annotate, delete, and the three ways
 * to continue an experiment: re-run (same recipe, new run), branch (a new run from a stored step) and interactive
 * edits (steps appended to a finished run, undone by revert).
 */
import { ApiError } from '../../app/api';
import type { ParsedRequestOf, ResponseOf } from '../../app/api/contract';
import type { StageResult } from '../../app/recipe/runner';
import { parseRecipe, RecipeError, type Recipe } from '../../app/recipe/schema';
import type { ExperimentStore, RunRecord, RunStatus, RunSummaryRow, StepRecord } from '../store';
import { summaryOf } from '../training/execute';
import { storedRecipe } from '../training/stored-recipe';
import { datasetIdOfRef, datasetRef, formulaDataHash } from '../training/dataset-ref';
import type { EmitEvent, TrainingHost } from '../training/host';
import { admissionRefusal, runMemoryLimit } from './admission';
import { badRequest, conflict, notFound, recipeError } from './errors';

type RunRow = ResponseOf<'runs.list'>['rows'][number];

export interface RunServiceOptions {
  store: ExperimentStore;
  host: TrainingHost;
  emit: EmitEvent;
  appVersion: string;
  /** The runMemoryLimitMb setting: null for the default share of the free memory. */
  memoryLimitMb?: () => number | null;
  /** The compute backends this process can load; a recipe naming another is refused before it is stored. */
  knownBackends?: () => readonly string[];
}

const MAX_NAME_CHARS = 200;

export class RunService {
  private readonly store: ExperimentStore;
  private readonly host: TrainingHost;
  private readonly emit: EmitEvent;

  constructor(private readonly options: RunServiceOptions) {
    this.store = options.store;
    this.host = options.host;
    this.emit = options.emit;
  }

  create(request: ParsedRequestOf<'runs.create'>): RunRow {
    // The request's recipe was parsed, meaning and all, at the API boundary (app/api/validate.ts).
    const recipe = this.withDataset(request.recipe, request.datasetId);
    this.checkBackend(recipe.backend);
    if (request.start) this.admit(recipe);
    const run = this.store.createRun({
      name: request.name ?? recipe.name ?? defaultRunName(recipe, this.datasetName(recipe)),
      datasetId: recipeDatasetId(recipe),
      datasetHash: this.dataHash(recipe),
      recipe,
      seed: recipe.seed,
      backend: recipe.backend,
      appVersion: this.options.appVersion,
    });
    if (request.start) this.host.enqueue(run.id);
    return runRow(run);
  }

  start(request: ParsedRequestOf<'runs.start'>): RunRow {
    const run = this.requireRun(request.id);
    if (run.status !== 'queued' || this.host.isActive(run.id)) {
      conflict(`run "${run.name}" is ${run.status === 'queued' ? 'already waiting to train' : run.status}; only a run created without starting can be started. Re-run it instead.`);
    }
    this.admit(parseAt(run.recipe));
    this.host.enqueue(run.id);
    return runRow(run);
  }

  cancel(request: ParsedRequestOf<'runs.cancel'>): ResponseOf<'runs.cancel'> {
    const run = this.requireRun(request.id);
    if (this.host.cancel(run.id)) return { cancelled: true };
    if (run.status !== 'queued') return { cancelled: false };
    // Created without starting: nothing trains it, so it is cancelled here.
    this.setStatus(run.id, 'cancelled');
    return { cancelled: true };
  }

  list(request: ParsedRequestOf<'runs.list'>): ResponseOf<'runs.list'> {
    return this.store.listRuns(request);
  }

  get(request: ParsedRequestOf<'runs.get'>): ResponseOf<'runs.get'> {
    const run = this.store.getRun(request.id) ?? notFound(`run ${request.id}`);
    return { ...runRow(run), recipe: run.recipe, steps: run.steps.map(stepInfo) };
  }

  curves(request: ParsedRequestOf<'runs.curves'>): ResponseOf<'runs.curves'> {
    this.requireRun(request.id);
    return this.store.getCurves(request.id, request.stepIdx);
  }

  /** A training run is stopped first (its worker terminated), then deleted with everything it recorded. */
  async delete(request: ParsedRequestOf<'runs.delete'>): Promise<ResponseOf<'runs.delete'>> {
    if (!this.store.getRun(request.id)) return { deleted: false };
    if (this.host.isActive(request.id)) {
      this.host.cancel(request.id, { immediate: true });
      await this.host.waitFor(request.id);
    }
    if (!this.store.getRun(request.id)) return { deleted: false };
    this.store.deleteRun(request.id);
    return { deleted: true };
  }

  rename(request: ParsedRequestOf<'runs.rename'>): RunRow {
    this.requireRun(request.id);
    this.store.renameRun(request.id, request.name);
    return runRow(this.requireRun(request.id));
  }

  setTags(request: ParsedRequestOf<'runs.setTags'>): RunRow {
    this.requireRun(request.id);
    this.store.setTags(request.id, request.tags);
    return runRow(this.requireRun(request.id));
  }

  setNote(request: ParsedRequestOf<'runs.setNote'>): RunRow {
    this.requireRun(request.id);
    this.store.setNote(request.id, request.note);
    return runRow(this.requireRun(request.id));
  }

  rerun(request: ParsedRequestOf<'runs.rerun'>): RunRow {
    const source = this.requireRun(request.id);
    const recipe = storedRecipe(source);
    this.admit(recipe);
    const run = this.store.createRun({
      name: clipName(`${source.name} (re-run)`), datasetId: source.datasetId, datasetHash: source.datasetHash, recipe,
      seed: recipe.seed, backend: recipe.backend, appVersion: this.options.appVersion,
    });
    this.host.enqueue(run.id);
    return runRow(run);
  }

  /** The new run holds copies of steps 0..step (so it stands on its own) and trains only the new steps. */
  branch(request: ParsedRequestOf<'runs.branch'>): RunRow {
    const parent = this.store.getRun(request.id) ?? notFound(`run ${request.id}`);
    const from = this.requireStep(parent.steps, request.step, parent.name);
    const parentRecipe = storedRecipe(parent);
    // New steps on a stored recipe make a new recipe: its steps are checked against its KAN, once, here.
    const recipe = parseAt({ ...parentRecipe, steps: [...parentRecipe.steps.slice(0, request.step + 1), ...request.steps] });
    this.admit(recipe);
    const run = this.store.transaction(() => {
      const created = this.store.createRun({
        name: request.name ?? clipName(`${parent.name} (branch at step ${request.step + 1})`),
        datasetId: parent.datasetId, datasetHash: parent.datasetHash, recipe, seed: recipe.seed,
        backend: recipe.backend, appVersion: this.options.appVersion, parentRunId: parent.id, parentStep: request.step,
      });
      this.store.copySteps(parent.id, created.id, request.step);
      this.store.setRunSummary(created.id, summaryOfStep(from));
      return created;
    });
    this.host.enqueue(run.id, { from: request.step + 1, restoreStep: request.step });
    return runRow(this.requireRun(run.id));
  }

  /** Appends steps to a finished run and trains them on the models of its last step; each becomes a step of the run. */
  applySteps(request: ParsedRequestOf<'runs.applySteps'>): RunRow {
    const run = this.store.getRun(request.id) ?? notFound(`run ${request.id}`);
    if (run.status === 'queued' || run.status === 'running' || this.host.isActive(run.id)) {
      conflict(`run "${run.name}" is still ${run.status}; wait for it to finish or cancel it before changing it.`);
    }
    const recorded = run.steps.length;
    const current = storedRecipe(run);
    const recipe = parseAt({ ...current, steps: [...current.steps.slice(0, recorded), ...request.steps] });
    this.admit(recipe);
    const reopened = this.store.reopenRun(run.id, recipe);
    this.emit('run.status', { runId: run.id, status: 'queued', error: null });
    this.host.enqueue(run.id, { from: recorded, restoreStep: recorded > 0 ? recorded - 1 : null });
    return runRow(reopened);
  }

  /** Undo: the steps after `step` are deleted and the run is as it was after that step. */
  revert(request: ParsedRequestOf<'runs.revert'>): RunRow {
    const run = this.store.getRun(request.id) ?? notFound(`run ${request.id}`);
    if (run.status === 'queued' || run.status === 'running' || this.host.isActive(run.id)) {
      conflict(`run "${run.name}" is still ${run.status}; wait for it to finish or cancel it before reverting.`);
    }
    const kept = this.requireStep(run.steps, request.step, run.name);
    const current = storedRecipe(run);
    const reverted = this.store.transaction(() => {
      const record = this.store.truncateSteps(run.id, request.step, { ...current, steps: current.steps.slice(0, request.step + 1) });
      this.store.setRunSummary(run.id, summaryOfStep(kept));
      return record;
    });
    return runRow({ ...reverted, summary: summaryOfStep(kept) });
  }

  // ---- helpers

  private requireRun(id: string): RunRecord {
    return this.store.getRun(id) ?? notFound(`run ${id}`);
  }

  private requireStep(steps: StepRecord[], idx: number, runName: string): StepRecord {
    const step = steps.find((s) => s.idx === idx);
    if (!step) {
      const range = steps.length === 0 ? 'it has no finished steps' : `its steps are 0..${steps.length - 1}`;
      badRequest(`run "${runName}" has no step ${idx}; ${range}.`, 'step');
    }
    if (!step.snapshotModels.includes('kan')) badRequest(`step ${idx} of run "${runName}" kept no model to continue from.`, 'step');
    return step;
  }

  private setStatus(runId: string, status: RunStatus): void {
    this.store.setRunStatus(runId, status);
    this.emit('run.status', { runId, status, error: null });
  }

  private checkBackend(backend: string): void {
    const known = this.options.knownBackends?.();
    if (backend === 'auto' || !known || known.includes(backend)) return;
    badRequest(`unknown compute backend "${backend.slice(0, 100)}"; choose "auto" (measure and pick) or one of ${known.join(', ')}.`, 'recipe.backend');
  }

  /** Refuses, before anything is stored or queued, a run whose estimated peak memory is over the limit. */
  private admit(recipe: Recipe): void {
    const id = recipeDatasetId(recipe);
    const dataset = id === null ? null : this.store.getDataset(id);
    const data = dataset
      ? { rows: dataset.rows, columns: Array.isArray(dataset.columns) ? dataset.columns.length : 1, csv: true }
      : { rows: 'formula' in recipe.data ? recipe.data.train + recipe.data.test : 0, columns: 'formula' in recipe.data ? recipe.data.vars + 1 : 0, csv: false };
    const refusal = admissionRefusal(recipe, data, runMemoryLimit(this.options.memoryLimitMb?.() ?? null));
    if (refusal) throw new ApiError({ code: 'invalid', message: refusal });
  }

  /** In the app, CSV data always comes from a stored dataset: datasetId (or the recipe's "dataset:<id>") names it. */
  private withDataset(recipe: Recipe, datasetId: string | undefined): Recipe {
    const data = recipe.data;
    if (!('csv' in data)) {
      if (datasetId !== undefined) badRequest('datasetId was given but the recipe generates its data from a formula; drop one of them.', 'datasetId');
      return recipe;
    }
    const named = datasetIdOfRef(data.csv);
    if (named !== null && datasetId !== undefined && named !== datasetId) {
      badRequest(`the recipe reads dataset ${named} but datasetId is ${datasetId}; make them agree.`, 'datasetId');
    }
    const id = named ?? datasetId;
    if (id === undefined) {
      badRequest(`the recipe reads the file "${data.csv.slice(0, 200)}"; in the app, import the CSV as a dataset and refer to it as "dataset:<id>" (or pass datasetId).`, 'recipe.data.csv');
    }
    const dataset = this.store.getDataset(id) ?? notFound(`dataset ${id}`);
    const columns = Array.isArray(dataset.columns) ? dataset.columns.map(String) : [];
    const columnLists: [string, string[] | undefined][] = [['target', data.target], ['inputs', data.inputs]];
    for (const [field, list] of columnLists) {
      list?.forEach((column, index) => {
        if (!columns.includes(column)) {
          badRequest(`column "${column.slice(0, 100)}" is not in dataset "${dataset.name}"; its columns are ${columns.join(', ')}.`, `recipe.data.${field}[${index}]`);
        }
      });
    }
    return { ...recipe, data: { ...data, csv: datasetRef(id) } };
  }

  private datasetName(recipe: Recipe): string {
    const id = recipeDatasetId(recipe);
    return id === null ? `f = ${(recipe.data as { formula: string }).formula}` : (this.store.getDataset(id)?.name ?? 'data');
  }

  private dataHash(recipe: Recipe): string {
    const id = recipeDatasetId(recipe);
    return id === null ? formulaDataHash(recipe) : (this.store.getDataset(id) ?? notFound(`dataset ${id}`)).hash;
  }
}

function parseAt(recipe: unknown): Recipe {
  try {
    return parseRecipe(recipe);
  } catch (error) {
    if (error instanceof RecipeError) throw recipeError(error, 'recipe');
    throw error;
  }
}

function recipeDatasetId(recipe: Recipe): string | null {
  return 'csv' in recipe.data ? datasetIdOfRef(recipe.data.csv) : null;
}

function defaultRunName(recipe: Recipe, dataName: string): string {
  return clipName(`KAN [${recipe.kan.width.join(', ')}] on ${dataName}`);
}

function clipName(name: string): string {
  return name.length > MAX_NAME_CHARS ? `${name.slice(0, MAX_NAME_CHARS - 1)}…` : name;
}

export function runRow(run: RunRecord | RunSummaryRow): RunRow {
  const { recipe: _recipe, ...row } = run as RunRecord;
  return row;
}

export function stepInfo(step: StepRecord): ResponseOf<'runs.get'>['steps'][number] {
  return {
    idx: step.idx, kind: step.kind, params: step.params, seconds: step.seconds,
    metrics: step.metrics as ResponseOf<'runs.get'>['steps'][number]['metrics'], snapshotModels: step.snapshotModels,
  };
}

/** A run's summary as it was right after one of its stored steps. */
export function summaryOfStep(step: StepRecord): ReturnType<typeof summaryOf> {
  const metrics = step.metrics as Partial<Pick<StageResult, 'diverged' | 'baselines' | 'details'>> & Pick<StageResult, 'kan' | 'mlp'>;
  const stage: StageResult = {
    index: step.idx, step: step.kind, seconds: step.seconds, kan: metrics.kan, mlp: metrics.mlp ?? null,
    diverged: metrics.diverged ?? null, baselines: metrics.baselines ?? null, details: metrics.details ?? {},
  };
  return summaryOf(stage, step.idx + 1);
}
