/**
 * Runs a recipe's steps in order on a KAN (and optional MLP baseline), reporting progress and one stage result per step.
 * Pure and synchronous: the CLI runs it directly, the app runs it in a worker thread; both persist what onStepEnd hands
 * them. A run can also resume from any stored state (branching), since a step only needs the state before it.
 */
import { Kan } from '../kan/model';
import { refineGrid, updateGridFromSamples } from '../kan/grid';
import { type DenseMatmul, Mlp } from '../mlp';
import { evaluateBatch, fit, type FitOptions, type FitProgress } from '../train/fit';
import { Rng } from '../util/rng';
import type { DifferentiableModel } from '../train/types';
import { describePreparedData, fitInputWidth, prepareData, type CsvReader, type PreparedData } from './data';
import { interpretabilityHandlers, type InterpretabilityState } from './interpretability-steps';
import { discoverStep } from './discover-step';
import { sweepStep, type SweepReport } from './sweep-step';
import type { FitStep, Recipe, RecipeStep } from './schema';

export interface ModelMetrics {
  params: number;
  trainLoss: number;
  testLoss: number;
  /** Regression. */
  trainRmse?: number;
  testRmse?: number;
  /** Classification. */
  trainAccuracy?: number;
  testAccuracy?: number;
}

export interface RunState extends InterpretabilityState {
  recipe: Recipe;
  data: PreparedData;
  kan: Kan;
  mlp: Mlp | null;
  /** The last sweep step's points and fronts. */
  sweep?: SweepReport;
}

export interface StageResult {
  index: number;
  step: string;
  seconds: number;
  kan: ModelMetrics;
  mlp: ModelMetrics | null;
  /** What the step reports beyond metrics (refine: maxDeviation; prune: what was removed; formula: the formula). */
  details: Record<string, unknown>;
}

export interface RunnerEvents {
  onStepStart?: (index: number, step: RecipeStep) => void;
  onProgress?: (index: number, model: 'kan' | 'mlp', progress: FitProgress) => void;
  onStepEnd?: (stage: StageResult, state: RunState) => void;
}

export interface RunOptions {
  events?: RunnerEvents;
  /** The model a fit step trains for the KAN: a backend's accelerated wrapper sharing its parameters; default the KAN. */
  trainable?: (kan: Kan) => DifferentiableModel;
  /** The dense product the MLP's fit steps use (a backend's, see Mlp.useMatmul); default the MLP's own kernels. */
  mlpMatmul?: DenseMatmul | null;
  signal?: { readonly aborted: boolean };
  now?: () => number;
}

export interface RunResult {
  status: 'done' | 'cancelled';
  stages: StageResult[];
  state: RunState;
}

export function stepKind(step: RecipeStep): string {
  return Object.keys(step)[0]!;
}

/** Builds data and fresh models from a recipe (everything seeded by recipe.seed); the state's recipe has the models' input width the data gives. */
export function initialState(given: Recipe, readCsv: CsvReader): RunState {
  const data = prepareData(given, readCsv);
  const recipe = fitInputWidth(given, data.nIn);
  const rng = new Rng(recipe.seed);
  const kan = Kan.create({ ...recipe.kan }, rng);
  const mlp = recipe.mlp ? Mlp.create({ ...recipe.mlp }, new Rng(recipe.seed + 1)) : null;
  return { recipe, data, kan, mlp, formula: null };
}

/** Runs recipe.steps[from..] on state (mutated in place). */
export function runSteps(state: RunState, options: RunOptions = {}, from = 0): RunResult {
  const now = options.now ?? (() => performance.now());
  const stages: StageResult[] = [];
  const steps = state.recipe.steps;
  for (let index = from; index < steps.length; index++) {
    if (options.signal?.aborted) return { status: 'cancelled', stages, state };
    const step = steps[index]!;
    options.events?.onStepStart?.(index, step);
    const t0 = now();
    const outcome = applyStep(state, step, index, options);
    const stage: StageResult = {
      index,
      step: stepKind(step),
      seconds: (now() - t0) / 1000,
      kan: modelMetrics(state.kan, state.data),
      mlp: state.mlp ? modelMetrics(state.mlp, state.data) : null,
      details: outcome.details,
    };
    stages.push(stage);
    options.events?.onStepEnd?.(stage, state);
    if (outcome.cancelled) return { status: 'cancelled', stages, state };
  }
  return { status: 'done', stages, state };
}

function applyStep(state: RunState, step: RecipeStep, index: number, options: RunOptions): { details: Record<string, unknown>; cancelled: boolean } {
  if ('fit' in step) return fitStep(state, step.fit, index, options);
  if ('refine' in step) {
    const { kan, maxDeviation } = refineGrid(state.kan, step.refine.grid, state.data.train.x, state.data.train.n);
    state.kan = kan;
    return { details: { grid: step.refine.grid, maxDeviation }, cancelled: false };
  }
  if ('updateGrid' in step) {
    updateGridFromSamples(state.kan, state.data.train.x, state.data.train.n, step.updateGrid.gridEps, step.updateGrid.gridMargin);
    return { details: {}, cancelled: false };
  }
  if ('sweep' in step) return sweepStep(state, step.sweep, index, options);
  if ('discover' in step) return { details: discoverStep(state, step.discover, index, options), cancelled: options.signal?.aborted === true };
  return { details: interpretabilityHandlers.apply(state, step), cancelled: false };
}

function fitStep(state: RunState, spec: FitStep, index: number, options: RunOptions): { details: Record<string, unknown>; cancelled: boolean } {
  const models = spec.models ?? ['kan', 'mlp'];
  const fitOptions: FitOptions = { ...spec };
  const details: Record<string, unknown> = {};
  let cancelled = false;
  const train = (name: 'kan' | 'mlp', model: DifferentiableModel): void => {
    const result = fit(model, state.data, state.data.task, name === 'kan' ? fitOptions : { ...fitOptions, updateGrid: false }, {
      seed: state.recipe.seed + index,
      signal: options.signal,
      onProgress: (p) => options.events?.onProgress?.(index, name, p),
      ...(options.now ? { now: options.now } : {}),
    });
    details[`${name}Seconds`] = result.seconds;
    if (result.status === 'cancelled') cancelled = true;
  };
  if (models.includes('kan')) train('kan', options.trainable ? options.trainable(state.kan) : state.kan);
  if (!cancelled && state.mlp && models.includes('mlp')) {
    const mlp = state.mlp;
    mlp.useMatmul(options.mlpMatmul ?? null);
    try {
      train('mlp', mlp);
    } finally {
      // Only for the fit: the backend may be disposed of before the model's next use.
      mlp.useMatmul(null);
    }
  }
  return { details, cancelled };
}

export function modelMetrics(model: DifferentiableModel, data: PreparedData): ModelMetrics {
  const tr = evaluateBatch(model, data.train, data.task);
  const te = data.test.n > 0 ? evaluateBatch(model, data.test, data.task) : { loss: Number.NaN, metric: Number.NaN };
  const base = { params: model.parameterCount(), trainLoss: tr.loss, testLoss: te.loss };
  return data.task === 'regression'
    ? { ...base, trainRmse: tr.metric, testRmse: te.metric }
    : { ...base, trainAccuracy: tr.metric, testAccuracy: te.metric };
}

/** The machine-readable summary printed by `kanbench run --json`. */
export function summarizeRun(result: RunResult): Record<string, unknown> {
  const { state, stages } = result;
  const pick = (m: ModelMetrics): Record<string, number> => {
    const out: Record<string, number> = { params: m.params };
    for (const key of ['trainRmse', 'testRmse', 'trainAccuracy', 'testAccuracy'] as const) if (m[key] !== undefined) out[key] = m[key]!;
    return out;
  };
  // The last stage was measured on the final models (nothing changes them after it); evaluate only when no step ran.
  const last = stages.at(-1);
  const kan = last ? last.kan : modelMetrics(state.kan, state.data);
  const mlp = last ? last.mlp : state.mlp ? modelMetrics(state.mlp, state.data) : null;
  const summary: Record<string, unknown> = {
    status: result.status,
    data: describePreparedData(state.data),
    kan: pick(kan),
    mlp: mlp ? pick(mlp) : null,
    stages: stages.map((s) => ({ step: s.step, seconds: s.seconds, ...pick(s.kan), ...(s.mlp ? { mlp: pick(s.mlp) } : {}), ...s.details })),
  };
  return { ...summary, ...interpretabilityHandlers.summarize(state), ...(state.sweep ? { sweep: state.sweep } : {}) };
}
