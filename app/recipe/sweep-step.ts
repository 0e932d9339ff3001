/**
 * The recipe step `sweep`: the parameter-efficiency sweep. KANs over a range of hidden widths and grids and MLPs over a
 * range of widths and depths are trained on the same rows, with the same optimiser, budget and early stopping (as a fit
 * step's), each from the recipe's seed (or from `repeats` seeds, its figures then their means and standard deviations);
 * every point is measured on train, validation and test rows, and each family's Pareto front (parameters vs validation
 * error) is reported. The run's own models are left as they are.
 */
import { Kan } from '../kan/model';
import { Mlp } from '../mlp';
import { evaluateBatch, fit, type FitOptions, type FitProgress } from '../train/fit';
import type { Batch, DifferentiableModel, Task } from '../train/types';
import { paretoFrontBy } from '../util/pareto';
import { Rng } from '../util/rng';
import { type PreparedData, selectionSplit } from './data';
import { earlyStoppingDefault, type ModelMetrics, type RunOptions, type RunState } from './run-core';
import type { RecipeStep } from './schema';

type SweepSpec = Extract<RecipeStep, { sweep: unknown }>['sweep'];
export type SweepFamily = 'kan' | 'mlp';

/** Share of the training rows held out for choosing when the data brings no validation split of its own. */
export const SWEEP_VALIDATION_SHARE = 0.2;
/** KAN grids swept when the step names none. */
export const DEFAULT_SWEEP_GRIDS = [3, 5, 10];
/** MLP hidden widths swept when the step names none: one and two hidden layers of each (about two decades of parameters). */
export const DEFAULT_SWEEP_MLP_WIDTHS = [4, 16, 64, 256];
/** Two hidden layers of 256 cost more than the rest of the sweep together; the two-layer range stops below it. */
const MAX_TWO_LAYER_DEFAULT_WIDTH = 64;

/** A point's figures, named as a run's model metrics name them. */
export type SweepMetrics = Pick<ModelMetrics, 'trainRmse' | 'valRmse' | 'testRmse' | 'trainAccuracy' | 'valAccuracy' | 'testAccuracy'>;

export interface SweepPoint {
  family: SweepFamily;
  /** Nodes per layer, inputs first. */
  shape: number[];
  /** KAN only: grid intervals. */
  grid?: number;
  params: number;
  metrics: SweepMetrics;
  seconds: number;
  /** Set when training diverged; metrics are those of the best parameters, which the fit restored. */
  diverged?: string;
  /** Early stopping ended the fit before its last step (the parameters are those of the best validation loss). */
  stoppedEarly?: boolean;
  /** With repeats: each initialisation's figures (metrics are their means) and their sample standard deviations. */
  runs?: SweepMetrics[];
  spread?: SweepMetrics;
}

export interface SweepReport {
  task: Task;
  /** What the fronts are ranked by, and the name the axes carry ("validation RMSE of y"). */
  errorMetric: 'rmse' | 'error rate';
  target: string;
  points: SweepPoint[];
  /** Per family, the points no other point of the family beats on both parameters and validation error, by parameters ascending. */
  fronts: Record<SweepFamily, SweepPoint[]>;
  /** repeats: initialisations per model (absent in sweeps stored before repeats existed, which trained one). */
  budget: { opt: 'lbfgs' | 'adam'; steps: number; lr?: number; earlyStopping: boolean; repeats?: number };
  /** Rows each point was fitted on, chose by and tested on; where the validation rows came from. */
  rows: { fit: number; validation: number; test: number; validationFrom: 'data.validation' | 'carved from training rows' };
}

interface SweepSplit {
  fit: Batch;
  validation: Batch;
  test: Batch;
  validationFrom: SweepReport['rows']['validationFrom'];
}

interface PlannedPoint {
  family: SweepFamily;
  shape: number[];
  grid?: number;
}

export function sweepStep(state: RunState, spec: SweepSpec, index: number, options: RunOptions): { details: Record<string, unknown>; cancelled: boolean } {
  const { data, recipe } = state;
  const now = options.now ?? (() => performance.now());
  const split = sweepSplit(data, recipe.seed + index);
  const plan = planSweep(spec, data.nIn, data.nOut);
  const earlyStopping = spec.earlyStopping ?? earlyStoppingDefault(recipe);
  const fitOptions: FitOptions = { opt: spec.opt, steps: spec.steps, ...(spec.lr !== undefined ? { lr: spec.lr } : {}), earlyStopping };
  const points: SweepPoint[] = [];
  let cancelled = false;
  for (const planned of plan) {
    if (options.signal?.aborted) {
      cancelled = true;
      break;
    }
    const t0 = now();
    const runs: Measured[] = [];
    let params = 0;
    let diverged: string | undefined;
    let stoppedEarly = false;
    for (let r = 0; r < spec.repeats; r++) {
      const model = buildModel(planned, state, r);
      const result = fit(model, { train: split.fit, test: split.test, validation: split.validation }, data.task, planned.family === 'kan' ? fitOptions : { ...fitOptions, updateGrid: false }, {
        seed: recipe.seed + index + r * REPEAT_SEED_STRIDE, signal: options.signal, ...(options.now ? { now: options.now } : {}),
      });
      if (result.status === 'cancelled') {
        cancelled = true;
        break;
      }
      if (result.status === 'diverged') diverged ??= result.divergence ?? 'diverged';
      stoppedEarly ||= result.stoppedEarly === true;
      params = model.parameterCount();
      runs.push(measure(model, split, data.task));
    }
    if (cancelled) break;
    const seconds = (now() - t0) / 1000;
    const metrics = meanMetrics(runs.map((m) => m.metrics));
    points.push({
      family: planned.family, shape: planned.shape, ...(planned.grid !== undefined ? { grid: planned.grid } : {}),
      params, metrics, seconds, ...(diverged ? { diverged } : {}), ...(stoppedEarly ? { stoppedEarly: true } : {}),
      ...(runs.length > 1 ? { runs: runs.map((m) => m.metrics), spread: spreadOf(runs.map((m) => m.metrics), metrics) } : {}),
    });
    options.events?.onProgress?.(index, planned.family, progressOf(runs[runs.length - 1]!, points.length, plan.length, seconds));
  }
  const report: SweepReport = {
    task: data.task,
    errorMetric: data.task === 'regression' ? 'rmse' : 'error rate',
    target: data.targetNames.join(', '),
    points,
    fronts: { kan: sweepFront(points.filter((p) => p.family === 'kan')), mlp: sweepFront(points.filter((p) => p.family === 'mlp')) },
    budget: { opt: spec.opt, steps: spec.steps, ...(spec.lr !== undefined ? { lr: spec.lr } : {}), earlyStopping, repeats: spec.repeats },
    rows: { fit: split.fit.n, validation: split.validation.n, test: split.test.n, validationFrom: split.validationFrom },
  };
  state.sweep = report;
  return { details: { sweep: report }, cancelled };
}

/** The models a sweep trains, KANs first, each family by growing size. */
export function planSweep(spec: SweepSpec, nIn: number, nOut: number): PlannedPoint[] {
  const kanHidden = spec.kan.widths ?? defaultKanHidden(nIn).map((h) => [h]);
  const grids = spec.kan.grids ?? DEFAULT_SWEEP_GRIDS;
  const mlpHidden = spec.mlp.widths ?? [
    ...DEFAULT_SWEEP_MLP_WIDTHS.map((w) => [w]),
    ...DEFAULT_SWEEP_MLP_WIDTHS.filter((w) => w <= MAX_TWO_LAYER_DEFAULT_WIDTH).map((w) => [w, w]),
  ];
  const kan = kanHidden.flatMap((hidden) => grids.map((grid): PlannedPoint => ({ family: 'kan', shape: [nIn, ...hidden, nOut], grid })));
  const mlp = mlpHidden.map((hidden): PlannedPoint => ({ family: 'mlp', shape: [nIn, ...hidden, nOut] }));
  return [...kan, ...mlp];
}

/** One hidden node, as many as inputs, and the Kolmogorov–Arnold 2n + 1 (at most 21), without repeats. */
export function defaultKanHidden(nIn: number): number[] {
  return [...new Set([1, nIn, Math.min(21, 2 * nIn + 1)])].sort((a, b) => a - b);
}

/** Fit, validation and test rows: the data's validation split when it has one, else a seeded 20% of the training rows. */
export function sweepSplit(data: PreparedData, seed: number): SweepSplit {
  const { fit, validation, carved } = selectionSplit(data, seed, SWEEP_VALIDATION_SHARE);
  return { fit, validation, test: data.test, validationFrom: carved ? 'carved from training rows' : 'data.validation' };
}

/** Error on the validation or test rows, smaller is better: RMSE, or 1 - accuracy; NaN where it was not measured. */
export function sweepErrorOf(m: SweepMetrics, side: 'val' | 'test'): number {
  const rmse = side === 'val' ? m.valRmse : m.testRmse;
  const accuracy = side === 'val' ? m.valAccuracy : m.testAccuracy;
  return rmse ?? (accuracy !== undefined ? 1 - accuracy : Number.NaN);
}

/** The point's validation error, smaller is better (sweepErrorOf). */
export function validationError(point: SweepPoint): number {
  return sweepErrorOf(point.metrics, 'val');
}

/** Points no other point beats on both parameters and validation error, by parameters ascending (ties: the lower error). */
export function sweepFront(points: readonly SweepPoint[]): SweepPoint[] {
  return paretoFrontBy(points, (p) => p.params, validationError);
}

/** Seeds of a point's repeats lie this far apart, so no repeat draws what another model's first run drew. */
const REPEAT_SEED_STRIDE = 7919;

function buildModel(planned: PlannedPoint, state: RunState, repeat: number): DifferentiableModel {
  const { recipe } = state;
  // The first repeat has the run's own models' seeds (initialState), so a point with the recipe's shape starts where
  // the run does.
  const seed = recipe.seed + repeat * REPEAT_SEED_STRIDE;
  if (planned.family === 'kan') return Kan.create({ ...recipe.kan, width: planned.shape, grid: planned.grid ?? recipe.kan.grid }, new Rng(seed));
  return Mlp.create({ activation: 'silu', ...recipe.mlp, width: planned.shape }, new Rng(seed + 1));
}

const METRIC_KEYS = ['trainRmse', 'valRmse', 'testRmse', 'trainAccuracy', 'valAccuracy', 'testAccuracy'] as const;

/** Each figure's mean over the runs (the figures a run has; a non-finite one makes the mean so). */
function meanMetrics(runs: readonly SweepMetrics[]): SweepMetrics {
  const out: SweepMetrics = {};
  for (const key of METRIC_KEYS) {
    if (runs[0]?.[key] !== undefined) out[key] = runs.reduce((a, m) => a + m[key]!, 0) / runs.length;
  }
  return out;
}

/** Each figure's sample standard deviation over the runs, about their mean. */
function spreadOf(runs: readonly SweepMetrics[], mean: SweepMetrics): SweepMetrics {
  const out: SweepMetrics = {};
  for (const key of METRIC_KEYS) {
    if (mean[key] !== undefined) out[key] = Math.sqrt(runs.reduce((a, m) => a + (m[key]! - mean[key]!) ** 2, 0) / (runs.length - 1));
  }
  return out;
}

interface Measured {
  metrics: SweepMetrics;
  train: { loss: number; metric: number };
  val: { loss: number; metric: number };
  test: { loss: number; metric: number };
}

function measure(model: DifferentiableModel, split: SweepSplit, task: Task): Measured {
  const on = (batch: Batch): { loss: number; metric: number } => (batch.n > 0 ? evaluateBatch(model, batch, task) : { loss: Number.NaN, metric: Number.NaN });
  const [train, val, test] = [on(split.fit), on(split.validation), on(split.test)];
  const metrics = task === 'regression'
    ? { trainRmse: train.metric, valRmse: val.metric, testRmse: test.metric }
    : { trainAccuracy: train.metric, valAccuracy: val.metric, testAccuracy: test.metric };
  return { metrics, train, val, test };
}

/** A finished point as a progress event: step counts the points done, the figures are the point's own, on whole sets. */
function progressOf(measured: Measured, done: number, total: number, seconds: number): FitProgress {
  const { train, val, test } = measured;
  return {
    step: done, steps: total, trainLoss: train.loss, valLoss: val.loss, testLoss: test.loss, trainMetric: train.metric, valMetric: val.metric, testMetric: test.metric,
    sampled: false, checked: true, regularization: 0, seconds,
  };
}
