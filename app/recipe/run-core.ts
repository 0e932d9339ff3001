/**
 * Runs a recipe's steps in order on a KAN (and optional MLP baseline), reporting progress and one stage result per step,
 * each with train/validation/test figures, the baselines of the split, and an honest state (not trained, diverged).
 * Pure and synchronous: the CLI runs it directly, the app runs it in a worker thread; both persist what onStepEnd hands
 * them. A run can also resume from any stored state (branching), since a step only needs the state before it.
 * The steps beyond fit, refine and updateGrid come from a StepLibrary (step-library.ts), so that a process loads the
 * symbolic engine only for the recipes that use it; runner.ts is this runner with every step loaded.
 */
import { Kan } from '../kan/model';
import { recordDomains } from '../kan/domain';
import { refineGrid, updateGridFromSamples } from '../kan/grid';
import { type DenseMatmul, Mlp } from '../mlp';
import { computeBaselines, type Baselines } from '../train/baselines';
import { fit, type FitOptions, type FitProgress } from '../train/fit';
import { predictionLoss } from '../train/loss';
import { splitMetrics, type SplitMetrics } from '../train/metrics';
import { OVERFIT_GAP_OF_BASELINE, OVERFIT_LOSS_RATIO, OVERFIT_RULE } from '../train/selection-rules';
import { Rng } from '../util/rng';
import type { Batch, DifferentiableModel } from '../train/types';
import { describePreparedData, fitInputWidth, prepareData, type CsvReader, type PreparedData } from './data';
import type { InterpretabilityState } from './interpretability-steps';
import type { SweepReport } from './sweep-step';
import type { FitStep, Recipe, RecipeStep } from './schema';
import type { StepLibrary } from './step-library';

export interface ModelMetrics {
  status: 'trained';
  params: number;
  trainLoss: number;
  /** NaN without validation rows (or test rows, for testLoss). */
  valLoss: number;
  testLoss: number;
  /** Regression, in the target's units. */
  trainRmse?: number;
  valRmse?: number;
  testRmse?: number;
  /** Classification. */
  trainAccuracy?: number;
  valAccuracy?: number;
  testAccuracy?: number;
  /** The task's full metrics per split (RMSE, MAE, R^2; or accuracy, log-loss, macro-F1). */
  scores: { train: SplitMetrics; validation: SplitMetrics | null; test: SplitMetrics | null };
  /** See isOverfit. */
  overfit: boolean;
}

/** A model no fit has trained yet: its figures would describe its random initialisation, so there are none. */
export interface UntrainedModel {
  status: 'not trained';
  params: number;
}

export type ModelReport = ModelMetrics | UntrainedModel;

export interface RunState extends InterpretabilityState {
  recipe: Recipe;
  data: PreparedData;
  kan: Kan;
  mlp: Mlp | null;
  /** Whether a fit step has trained each model (the steps before a resumed run's first count). */
  trained: { kan: boolean; mlp: boolean };
  /** Computed once per state, on the first stage that reports them. */
  baselines: Baselines | null;
  /** The last sweep step's points and fronts. */
  sweep?: SweepReport;
}

export interface StageResult {
  index: number;
  step: string;
  seconds: number;
  kan: ModelReport;
  mlp: ModelReport | null;
  /** Why a fit of this stage diverged (its model was left on its best parameters); null when none did. */
  diverged: string | null;
  /** The trivial and linear models of the run's split, for scale (the same in every stage of a run; null in stages stored before them). */
  baselines: Baselines | null;
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

/** RunOptions with the code of the recipe's steps beyond fit, refine and updateGrid (see loadStepLibrary). */
export interface CoreRunOptions extends RunOptions {
  library: StepLibrary;
}

/**
 * A run with a diverged stage goes on with its later steps on the restored best parameters and ends 'done'; its
 * stages say which diverged (StageResult.diverged), and the CLI and the store report the run as failed.
 */
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
  return { recipe, data, kan, mlp, formula: null, trained: { kan: false, mlp: false }, baselines: null };
}

/** The models a fit step trains: by default the KAN and, when the recipe has one, the MLP. */
function fittedModels(spec: FitStep): ('kan' | 'mlp')[] {
  return spec.models ?? ['kan', 'mlp'];
}

/** Runs recipe.steps[from..] on state (mutated in place). */
export function runStepsWith(state: RunState, options: CoreRunOptions, from = 0): RunResult {
  const now = options.now ?? (() => performance.now());
  const stages: StageResult[] = [];
  const steps = state.recipe.steps;
  for (const step of steps.slice(0, from)) if ('fit' in step) for (const model of fittedModels(step.fit)) state.trained[model] = true;
  for (let index = from; index < steps.length; index++) {
    if (options.signal?.aborted) return { status: 'cancelled', stages, state };
    const step = steps[index]!;
    options.events?.onStepStart?.(index, step);
    const t0 = now();
    const outcome = applyStep(state, step, index, options);
    // A step abandoned on cancel left the state as it was: it is not recorded.
    if (outcome.details === null) return { status: 'cancelled', stages, state };
    const seconds = (now() - t0) / 1000;
    // Every other step that changes the KAN (prune, refine, symbolic edges) moves its hidden activations: the domain
    // follows. A fit step recorded it already, in its last pass over the training rows.
    if (state.trained.kan && !('fit' in step)) recordDomains(state.kan, state.data.train.x, state.data.train.n);
    state.baselines ??= computeBaselines(state.data);
    const stage: StageResult = {
      index,
      step: stepKind(step),
      seconds,
      kan: modelReport(state.kan, state.data, state.trained.kan, state.baselines),
      mlp: state.mlp ? modelReport(state.mlp, state.data, state.trained.mlp, state.baselines) : null,
      diverged: outcome.diverged,
      baselines: state.baselines,
      details: outcome.details,
    };
    stages.push(stage);
    options.events?.onStepEnd?.(stage, state);
    if (outcome.cancelled) return { status: 'cancelled', stages, state };
  }
  return { status: 'done', stages, state };
}

interface StepOutcome {
  /** What the step reports; null when it was abandoned on cancel, leaving the state as it was. */
  details: Record<string, unknown> | null;
  cancelled: boolean;
  diverged: string | null;
}

function applyStep(state: RunState, step: RecipeStep, index: number, options: CoreRunOptions): StepOutcome {
  if ('fit' in step) return fitStep(state, step.fit, index, options);
  if ('refine' in step) {
    const { kan, maxDeviation } = refineGrid(state.kan, step.refine.grid, state.data.train.x, state.data.train.n);
    state.kan = kan;
    return { details: { grid: step.refine.grid, maxDeviation }, cancelled: false, diverged: null };
  }
  if ('updateGrid' in step) {
    updateGridFromSamples(state.kan, state.data.train.x, state.data.train.n, step.updateGrid.gridEps, step.updateGrid.gridMargin);
    return { details: {}, cancelled: false, diverged: null };
  }
  const { library } = options;
  if ('sweep' in step) return { ...loaded(library.sweep, step)(state, step.sweep, index, options), diverged: null };
  if ('discover' in step) return { details: loaded(library.discover, step)(state, step.discover, index, options), cancelled: options.signal?.aborted === true, diverged: null };
  return { details: loaded(library.interpretability, step).apply(state, step), cancelled: false, diverged: null };
}

function loaded<T>(code: T | null, step: RecipeStep): T {
  if (code === null) throw new Error(`internal: the code of the recipe step "${stepKind(step)}" was not loaded (loadStepLibrary was given other steps)`);
  return code;
}

/**
 * Early stopping defaults on for measured data and off for a formula dataset: noise-free rows fitted to machine
 * precision gain from every step, and a validation curve at 1e-20 is all rounding.
 */
export function earlyStoppingDefault(recipe: Recipe): boolean {
  return !('formula' in recipe.data);
}

function fitStep(state: RunState, spec: FitStep, index: number, options: RunOptions): StepOutcome {
  const models = fittedModels(spec);
  const { earlyStopping, ...rest } = spec;
  const fitOptions: FitOptions = { ...rest, earlyStopping: earlyStopping ?? earlyStoppingDefault(state.recipe) };
  const details: Record<string, unknown> = {};
  let cancelled = false;
  const divergences: string[] = [];
  const train = (name: 'kan' | 'mlp', model: DifferentiableModel): void => {
    const result = fit(model, state.data, state.data.task, name === 'kan' ? fitOptions : { ...fitOptions, updateGrid: false }, {
      seed: state.recipe.seed + index,
      signal: options.signal,
      onProgress: (p) => options.events?.onProgress?.(index, name, p),
      ...(options.now ? { now: options.now } : {}),
    });
    details[`${name}Seconds`] = result.seconds;
    details[`${name}Fit`] = { status: result.status, stepsRun: result.history.length, stoppedEarly: result.stoppedEarly, bestStep: result.bestStep };
    // A fit cancelled before its first step left the model as it was.
    if (result.history.length > 0 || result.status === 'diverged') state.trained[name] = true;
    if (result.status === 'cancelled') cancelled = true;
    if (result.divergence) divergences.push(`${name === 'kan' ? 'KAN' : 'MLP'} ${result.divergence}`);
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
  return { details, cancelled, diverged: divergences.length > 0 ? divergences.join('; ') : null };
}

/** The figures of a model that must have been trained (a caller that knows the recipe fitted it). */
export function trainedMetrics(report: ModelReport): ModelMetrics {
  if (report.status === 'not trained') throw new Error('the model was not trained: no fit step trained it before this stage');
  return report;
}

/** A trained model's figures, or only its size when no fit has trained it. */
export function modelReport(model: DifferentiableModel, data: PreparedData, trained: boolean, baselines: Baselines): ModelReport {
  return trained ? modelMetrics(model, data, baselines) : { status: 'not trained', params: model.parameterCount() };
}

export function modelMetrics(model: DifferentiableModel, data: PreparedData, baselines: Baselines): ModelMetrics {
  const on = (batch: Batch): { loss: number; scores: SplitMetrics } | null => {
    if (batch.n === 0) return null;
    const pred = model.forward(batch.x, batch.n);
    return { loss: predictionLoss(data.task, pred, batch.y, batch.n, model.nOut, null), scores: splitMetrics(data.task, pred, batch.y, batch.n, model.nOut) };
  };
  const train = on(data.train)!;
  const validation = on(data.validation);
  const test = on(data.test);
  const headline = (m: SplitMetrics | undefined): number => (m === undefined ? Number.NaN : 'rmse' in m ? m.rmse : m.accuracy);
  const figures = { train: headline(train.scores), val: headline(validation?.scores), test: headline(test?.scores) };
  const metrics: ModelMetrics = {
    status: 'trained',
    params: model.parameterCount(),
    trainLoss: train.loss,
    valLoss: validation?.loss ?? Number.NaN,
    testLoss: test?.loss ?? Number.NaN,
    ...(data.task === 'regression'
      ? { trainRmse: figures.train, valRmse: figures.val, testRmse: figures.test }
      : { trainAccuracy: figures.train, valAccuracy: figures.val, testAccuracy: figures.test }),
    scores: { train: train.scores, validation: validation?.scores ?? null, test: test?.scores ?? null },
    overfit: false,
  };
  metrics.overfit = isOverfit(metrics, baselines);
  return metrics;
}

export { OVERFIT_GAP_OF_BASELINE, OVERFIT_LOSS_RATIO, OVERFIT_RULE };

/**
 * Overfitting: the validation loss is more than OVERFIT_LOSS_RATIO times the training loss, and the gap is more than
 * OVERFIT_GAP_OF_BASELINE of the trivial predictor's validation loss (the mean's MSE, the majority class's log-loss),
 * so that a gap between two tiny losses (a formula fitted to 1e-20, a classifier sure of nearly every row) is not called
 * overfitting.
 */
export function isOverfit(metrics: Pick<ModelMetrics, 'trainLoss' | 'valLoss'>, baselines: Baselines): boolean {
  const trivial = trivialValidationLoss(baselines);
  const { trainLoss, valLoss } = metrics;
  return Number.isFinite(valLoss) && Number.isFinite(trivial) && valLoss > OVERFIT_LOSS_RATIO * trainLoss && valLoss - trainLoss > OVERFIT_GAP_OF_BASELINE * trivial;
}

function trivialValidationLoss(baselines: Baselines): number {
  if ('mean' in baselines) return baselines.mean.validation ? baselines.mean.validation.rmse ** 2 : Number.NaN;
  return baselines.majority.validation ? baselines.majority.validation.logLoss : Number.NaN;
}

/** The figures of a model a summary shows: size, headline metrics per split, and the flags. */
export function pickFigures(m: ModelReport): Record<string, number | string | boolean> {
  if (m.status === 'not trained') return { status: m.status, params: m.params };
  const out: Record<string, number | string | boolean> = { status: m.status, params: m.params };
  const keys = ['trainRmse', 'valRmse', 'testRmse', 'trainAccuracy', 'valAccuracy', 'testAccuracy'] as const;
  for (const key of keys) if (m[key] !== undefined) out[key] = m[key]!;
  const test = m.scores.test;
  if (test) for (const [key, value] of Object.entries(test)) out[`test${key[0]!.toUpperCase()}${key.slice(1)}`] = value;
  out.overfit = m.overfit;
  return out;
}

/**
 * The machine-readable summary printed by `kanbench run --json`. Without the interpretability code loaded the run had
 * no step that could make an edge symbolic (loadStepLibrary loads it for those, and for every resumed run).
 */
export function summarizeRunWith(result: RunResult, library: StepLibrary): Record<string, unknown> {
  const { state, stages } = result;
  // The last stage was measured on the final models (nothing changes them after it); evaluate only when no step ran.
  const last = stages.at(-1);
  state.baselines ??= computeBaselines(state.data);
  const kan = last ? last.kan : modelReport(state.kan, state.data, state.trained.kan, state.baselines);
  const mlp = last ? last.mlp : state.mlp ? modelReport(state.mlp, state.data, state.trained.mlp, state.baselines) : null;
  const diverged = stages.filter((s) => s.diverged !== null).map((s) => ({ step: s.index, reason: s.diverged! }));
  const overfit = [kan, mlp].some((m) => m?.status === 'trained' && m.overfit);
  const summary: Record<string, unknown> = {
    status: result.status,
    data: describePreparedData(state.data),
    ...(diverged.length > 0 ? { diverged } : {}),
    overfit,
    ...(overfit ? { overfitRule: OVERFIT_RULE } : {}),
    kan: pickFigures(kan),
    mlp: mlp ? pickFigures(mlp) : null,
    baselines: state.baselines,
    rows: { train: state.data.train.n, validation: state.data.validation.n, test: state.data.test.n },
    stages: stages.map((s) => ({
      step: s.step, seconds: s.seconds, ...pickFigures(s.kan), ...(s.mlp ? { mlp: pickFigures(s.mlp) } : {}),
      ...(s.diverged ? { diverged: s.diverged } : {}), ...s.details,
    })),
  };
  const interpretability = library.interpretability ? library.interpretability.summarize(state) : { symbolic: [] };
  return { ...summary, ...interpretability, ...(state.sweep ? { sweep: state.sweep } : {}) };
}
