/**
 * The training loop shared by KANs and MLPs: an optimiser over the flat parameter vector, the KAN's grid-update schedule,
 * per-step progress with train/validation/test metrics, cancellation, early stopping on the validation loss, and a
 * guard that ends a diverging fit (a loss not finite, or far above its best) on the best parameters seen. A KAN ends
 * with its training domain recorded (kan/domain.ts).
 */
import { Adam } from './optim/adam';
import { Lbfgs } from './optim/lbfgs';
import { accuracy, predictionLoss, rmse } from './loss';
import type { Batch, DifferentiableModel, Task } from './types';
import { Kan, type KanRegularization } from '../kan/model';
import { MultKan } from '../kan/mult';
import { recordDomains } from '../kan/domain';
import { DEFAULT_GRID_MARGIN, updateGridFromSamples } from '../kan/grid';
import { Rng } from '../util/rng';
import { DEFAULT_PATIENCE } from './selection-rules';

/** pykan runs L-BFGS with every tolerance at 1e-32: each step does its full maxIter iterations, never stopping early. */
const PYKAN_LBFGS_TOLERANCES = { toleranceGrad: 1e-32, toleranceChange: 1e-32, toleranceCurvature: 1e-32 };

export interface FitOptions {
  opt: 'lbfgs' | 'adam';
  /** Optimiser steps. An L-BFGS step runs up to maxIter iterations, like one optimizer.step() in pykan. */
  steps: number;
  /** Learning rate: L-BFGS step scale (default 1), Adam's lr (default 1e-3). */
  lr?: number;
  /** Mini-batch size; omitted or <= 0 means full batch. */
  batch?: number;
  /** L-BFGS iterations per step (default 20). */
  maxIter?: number;
  /** Regularisation (KAN only): lamb * (lambL1 * L1 + lambEntropy * entropy + lambCoef * |coef| + lambCoefDiff * |diff coef|). */
  lamb?: number;
  lambL1?: number;
  lambEntropy?: number;
  lambCoef?: number;
  lambCoefDiff?: number;
  /** KAN grid update schedule, as pykan's fit(): every stopGridUpdateStep / gridUpdateNum steps, in [start, stop). */
  updateGrid?: boolean;
  gridUpdateNum?: number;
  startGridUpdateStep?: number;
  stopGridUpdateStep?: number;
  gridEps?: number;
  /** Grid update margin beyond the activations' range, as a fraction of it (default DEFAULT_GRID_MARGIN). */
  gridMargin?: number;
  /**
   * Stop when the validation loss has not improved for `patience` checks, and end on the parameters of its best check
   * (default false; needs FitData.validation). A check comes every ceil(steps / CHECKS_PER_FIT) steps and at the last.
   */
  earlyStopping?: boolean;
  /** Checks without improvement before early stopping ends the fit (default DEFAULT_PATIENCE). */
  patience?: number;
}

export interface FitProgress {
  step: number;
  steps: number;
  /**
   * Prediction loss (MSE or cross-entropy, without regularisation) after the step, on the whole training set; in a
   * mini-batch fit on the step's batch instead (see sampled).
   */
  trainLoss: number;
  /** On the whole test set; in a mini-batch fit on a random sample of the test set as large as the batch. */
  testLoss: number;
  /** On the validation set (NaN without one), measured as the test loss is, and on all of it at a check (see checked). */
  valLoss: number;
  /** Regression: RMSE (in the units given by metricScale); classification: accuracy. Measured as the losses are. */
  trainMetric: number;
  testMetric: number;
  valMetric: number;
  /**
   * True when the figures above come from the step's batch and a test sample (mini-batch fits, every step but the
   * last), as pykan reports them: evaluating whole large sets after every step would cost more than training.
   */
  sampled: boolean;
  /** True when this step was a model-selection check: its validation figures are on the whole validation set. */
  checked: boolean;
  /** Objective minus prediction loss: the regulariser's value. */
  regularization: number;
  seconds: number;
}

export interface FitHooks {
  onProgress?: (p: FitProgress) => void;
  /** Checked between steps and between L-BFGS iterations; an AbortSignal fits. */
  signal?: { readonly aborted: boolean };
  /** Multiplies RMSE metrics, e.g. the target's standard deviation to report raw units. */
  metricScale?: number;
  /** Seed for mini-batch sampling. */
  seed?: number;
  now?: () => number;
}

export interface FitResult {
  history: FitProgress[];
  /**
   * 'done'; 'cancelled' (params are those of the last finished step); 'diverged': the loss stopped being finite or grew
   * past DIVERGENCE_FACTOR times its best, the fit stopped there and the best parameters were restored (see divergence).
   */
  status: 'done' | 'cancelled' | 'diverged';
  /** Why the fit diverged, for the user; null otherwise. */
  divergence: string | null;
  /** Early stopping ran out of patience before the last step. */
  stoppedEarly: boolean;
  /**
   * The step whose parameters the model holds at the end when they were chosen (early stopping or divergence restored
   * them; 0 is the parameters the fit started from); null when the model simply holds its last step's parameters.
   */
  bestStep: number | null;
  seconds: number;
}

/** A loss more than this many times its best (and above where the fit started) is divergence, not noise. */
export const DIVERGENCE_FACTOR = 1e3;
/** Early stopping checks the validation loss about this many times per fit (every step of a shorter fit). */
export const CHECKS_PER_FIT = 100;
export { DEFAULT_PATIENCE };

export interface FitData {
  train: Batch;
  test: Batch;
  /** Rows for model selection (early stopping, the best parameters on divergence); absent or empty: none. */
  validation?: Batch;
}

export function validateFitOptions(o: FitOptions): void {
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new Error(`fit.steps must be a non-negative integer; got ${o.steps}`);
  if (o.lr !== undefined && !(o.lr > 0)) throw new Error(`fit.lr must be positive; got ${o.lr}`);
  if (o.maxIter !== undefined && !(Number.isInteger(o.maxIter) && o.maxIter >= 1)) throw new Error(`fit.maxIter must be a positive integer; got ${o.maxIter}`);
  if (o.patience !== undefined && !(Number.isInteger(o.patience) && o.patience >= 1)) throw new Error(`fit.patience must be a positive integer number of checks; got ${o.patience}`);
}

export function fit(model: DifferentiableModel, data: FitData, task: Task, options: FitOptions, hooks: FitHooks = {}): FitResult {
  validateFitOptions(options);
  const now = hooks.now ?? (() => performance.now());
  const t0 = now();
  const isKan = isKanModel(model);
  let previousRegularization: KanRegularization | null = null;
  if (isKan) {
    previousRegularization = model.regularization;
    model.regularization = {
      lamb: options.lamb ?? 0,
      lambL1: options.lambL1 ?? 1,
      lambEntropy: options.lambEntropy ?? 2,
      lambCoef: options.lambCoef ?? 0,
      lambCoefDiff: options.lambCoefDiff ?? 0,
    };
  }
  try {
    return runLoop(model, data, task, options, hooks, now, t0, isKan);
  } finally {
    if (isKan && previousRegularization) (model as Kan | MultKan).regularization = previousRegularization;
  }
}

/** What a model computes with: its parameters and, for a KAN, its grids (a grid update moves them). */
interface ModelState {
  params: Float64Array;
  knots: Float64Array[];
}

function captureState(model: DifferentiableModel): ModelState {
  return { params: model.params.slice(), knots: model instanceof Kan ? model.layers.map((l) => l.knots.slice()) : [] };
}

function restoreModelState(model: DifferentiableModel, state: ModelState): void {
  model.params.set(state.params);
  if (model instanceof Kan) model.layers.forEach((layer, l) => layer.knots.set(state.knots[l]!));
}

function runLoop(model: DifferentiableModel, data: FitData, task: Task, options: FitOptions, hooks: FitHooks, now: () => number, t0: number, isKan: boolean): FitResult {
  const { train, test } = data;
  const validation = data.validation && data.validation.n > 0 ? data.validation : undefined;
  const dim = model.params.length;
  const grad = new Float64Array(dim);
  const rng = new Rng(hooks.seed ?? 0);
  const batchSize = batchRows(options.batch, train.n);
  const miniBatch = batchSize < train.n;
  // Test samples come from a stream of their own, so that reporting does not change which batches training sees.
  const testRng = new Rng((hooks.seed ?? 0) + 0x9e3779b1);
  const metricScale = hooks.metricScale ?? 1;
  const history: FitProgress[] = [];
  const gridUpdateNum = options.gridUpdateNum ?? 10;
  const stopGrid = options.stopGridUpdateStep ?? 50;
  const startGrid = options.startGridUpdateStep ?? -1;
  const gridFreq = Math.max(1, Math.floor(stopGrid / gridUpdateNum));
  const updateGrid = isKan && (options.updateGrid ?? true);
  const lbfgs = options.opt === 'lbfgs' ? new Lbfgs(dim, { lr: options.lr ?? 1, maxIter: options.maxIter ?? 20, historySize: 10, ...PYKAN_LBFGS_TOLERANCES }) : null;
  const adam = options.opt === 'adam' ? new Adam(dim, { lr: options.lr ?? 1e-3 }) : null;
  const earlyStopping = options.earlyStopping === true && validation !== undefined;
  const patience = options.patience ?? DEFAULT_PATIENCE;
  const checkEvery = Math.max(1, Math.ceil(options.steps / CHECKS_PER_FIT));
  let lastRegularization = 0;
  const aborted = (): boolean => hooks.signal?.aborted === true;

  // Model selection ranks states by validation loss; without validation rows, by training loss (for divergence).
  const selectionLoss = (p: Pick<FitProgress, 'trainLoss' | 'valLoss'>): number => (validation ? p.valLoss : p.trainLoss);
  const start = options.steps > 0 ? evaluate(model, { train, test: EMPTY_BATCH, validation }, task, metricScale) : null;
  let best = { state: captureState(model), loss: start ? selectionLoss(start) : Number.NaN, step: 0 };
  let bestTrainLoss = start?.trainLoss ?? Number.NaN;
  let checksSinceBest = 0;
  // Whether the KAN's domains were recorded from the whole training set with its current parameters.
  let domainsCurrent = start !== null;
  const finish = (status: FitResult['status'], divergence: string | null, stoppedEarly: boolean): FitResult => {
    const restore = status === 'diverged' || (earlyStopping && status === 'done' && best.step !== history.length);
    if (restore) restoreModelState(model, best.state);
    if (isKan && (restore || !domainsCurrent)) recordDomains(model as Kan | MultKan, train.x, train.n);
    return { history, status, divergence, stoppedEarly, bestStep: restore ? best.step : null, seconds: (now() - t0) / 1000 };
  };
  const diverged = (step: number, detail: string): FitResult =>
    // Iterations, not "steps": a message about a fit sits inside one about the recipe step, which names that step.
    finish('diverged', `diverged at iteration ${step + 1} of ${options.steps}: ${detail}; the parameters ${best.step === 0 ? 'this fit started from' : `after iteration ${best.step}`} (best ${validation ? 'validation' : 'training'} loss) were restored. Try a smaller learning rate, a smaller lambda, or standardised data`, false);

  for (let step = 0; step < options.steps; step++) {
    if (aborted()) return finish('cancelled', null, false);
    const batch = batchSize === train.n ? train : sampleBatch(train, batchSize, model.nIn, task === 'regression' ? model.nOut : 1, rng);
    const gridStep = updateGrid && step % gridFreq === 0 && step < stopGrid && step >= startGrid;
    if (gridStep) {
      const gridEps = options.gridEps ?? 0.02;
      const gridMargin = options.gridMargin ?? DEFAULT_GRID_MARGIN;
      if (model instanceof MultKan) model.updateGrid(batch.x, batch.n, gridEps, gridMargin);
      else updateGridFromSamples(model as Kan, batch.x, batch.n, gridEps, gridMargin);
      lbfgs?.reset();
    }
    if (lbfgs) {
      // Full-batch steps between grid updates minimise one function, so a step may start from where the last one ended.
      const sameObjective = batch === train && !gridStep && step > 0;
      lbfgs.step(model.params, (p, g) => {
        if (p !== model.params) model.params.set(p);
        const { objective, loss } = model.lossAndGrad(batch, task, g);
        lastRegularization = objective - loss;
        return objective;
      }, { sameObjective });
    } else if (adam) {
      const { objective, loss } = model.lossAndGrad(batch, task, grad);
      if (!Number.isFinite(objective)) return diverged(step, `the objective is ${objective}`);
      lastRegularization = objective - loss;
      adam.step(model.params, grad);
    }
    domainsCurrent = false;
    const bad = firstNonFinite(model.params);
    if (bad >= 0) return diverged(step, `parameter ${bad} became ${model.params[bad]}`);
    const last = step === options.steps - 1;
    const checked = last || (step + 1) % checkEvery === 0;
    const sampled = miniBatch && !last;
    const progress = sampled
      ? evaluateSampled(model, batch, test, validation, batchSize, task, metricScale, testRng)
      : evaluate(model, { train, test, validation }, task, metricScale);
    domainsCurrent = !sampled;
    if (sampled && checked && validation) {
      // Validation is measured on the model as trained on all its rows, not on this step's batch.
      if (isKan) recordDomains(model as Kan | MultKan, train.x, train.n);
      domainsCurrent = true;
      const full = evaluateBatch(model, validation, task, metricScale);
      progress.valLoss = full.loss;
      progress.valMetric = full.metric;
    }
    if (!Number.isFinite(progress.trainLoss)) return diverged(step, `the training loss is ${progress.trainLoss}`);
    if (progress.trainLoss > DIVERGENCE_FACTOR * bestTrainLoss && progress.trainLoss > start!.trainLoss) {
      return diverged(step, `the training loss ${progress.trainLoss.toPrecision(3)} is more than ${DIVERGENCE_FACTOR} times its best, ${bestTrainLoss.toPrecision(3)}`);
    }
    bestTrainLoss = Math.min(bestTrainLoss, progress.trainLoss);
    const entry: FitProgress = { step: step + 1, steps: options.steps, ...progress, sampled, checked, regularization: lastRegularization, seconds: (now() - t0) / 1000 };
    history.push(entry);
    hooks.onProgress?.(entry);
    if (!checked) continue;
    // A state whose selection loss is not finite never becomes the best, unless the best so far is not finite either.
    if (selectionLoss(progress) < best.loss || !Number.isFinite(best.loss)) {
      best = { state: captureState(model), loss: selectionLoss(progress), step: step + 1 };
      checksSinceBest = 0;
    } else if (++checksSinceBest >= patience && earlyStopping && !last) {
      return finish('done', null, true);
    }
  }
  return finish('done', null, false);
}

/** Rows a step of a fit with this batch option takes from a training set of n: the batch, or all n (none, <= 0, >= n). */
export function batchRows(batch: number | undefined, n: number): number {
  return batch !== undefined && batch > 0 && batch < n ? batch : n;
}

type SplitFigures = Pick<FitProgress, 'trainLoss' | 'testLoss' | 'valLoss' | 'trainMetric' | 'testMetric' | 'valMetric'>;

/**
 * Train, validation and test loss and metric of a model on a data split (NaN for an empty or absent part). A KAN is
 * measured as it predicts once trained on data.train: its training domain is recorded from those rows first (and stays).
 */
export function evaluate(model: DifferentiableModel, data: FitData, task: Task, metricScale = 1): SplitFigures {
  const on = (batch: Batch | undefined): { loss: number; metric: number } =>
    batch && batch.n > 0 ? evaluateBatch(model, batch, task, metricScale) : { loss: Number.NaN, metric: Number.NaN };
  const tr = isKanModel(model) && data.train.n > 0 ? evaluateRecordingDomains(model, data.train, task, metricScale) : on(data.train);
  const va = on(data.validation);
  const te = on(data.test);
  return { trainLoss: tr.loss, testLoss: te.loss, valLoss: va.loss, trainMetric: tr.metric, testMetric: te.metric, valMetric: va.metric };
}

/** Loss and metric on the step's batch and on test and validation samples of at most `size` rows (all rows when fewer). */
function evaluateSampled(model: DifferentiableModel, batch: Batch, test: Batch, validation: Batch | undefined, size: number, task: Task, metricScale: number, rng: Rng): SplitFigures {
  const yWidth = task === 'regression' ? model.nOut : 1;
  const sample = (b: Batch): Batch => (b.n <= size ? b : sampleBatch(b, size, model.nIn, yWidth, rng));
  return evaluate(model, { train: batch, test: sample(test), validation: validation ? sample(validation) : undefined }, task, metricScale);
}

const EMPTY_BATCH: Batch = { x: new Float64Array(0), y: new Float64Array(0), n: 0 };

export function evaluateBatch(model: DifferentiableModel, batch: Batch, task: Task, metricScale = 1): { loss: number; metric: number } {
  return figuresOf(model.forward(batch.x, batch.n), model.nOut, batch, task, metricScale);
}

/** A KAN's figures on its training rows, from the one pass that also records its domains from them. */
function evaluateRecordingDomains(model: Kan | MultKan, train: Batch, task: Task, metricScale: number): { loss: number; metric: number } {
  const acts = recordDomains(model, train.x, train.n);
  return figuresOf(acts[acts.length - 1]!, model.nOut, train, task, metricScale);
}

function figuresOf(pred: Float64Array, nOut: number, batch: Batch, task: Task, metricScale: number): { loss: number; metric: number } {
  const loss = predictionLoss(task, pred, batch.y, batch.n, nOut, null);
  const metric = task === 'regression' ? rmse(pred, batch.y) * metricScale : accuracy(pred, batch.y, batch.n, nOut);
  return { loss, metric };
}

function isKanModel(model: DifferentiableModel): model is Kan | MultKan {
  return model instanceof Kan || model instanceof MultKan;
}

function sampleBatch(train: Batch, size: number, nIn: number, yWidth: number, rng: Rng): Batch {
  const x = new Float64Array(size * nIn);
  const y = new Float64Array(size * yWidth);
  // The first `size` entries of a fresh permutation: a uniform sample without replacement.
  const order = rng.permutation(train.n);
  for (let q = 0; q < size; q++) {
    const s = order[q]!;
    x.set(train.x.subarray(s * nIn, (s + 1) * nIn), q * nIn);
    y.set(train.y.subarray(s * yWidth, (s + 1) * yWidth), q * yWidth);
  }
  return { x, y, n: size };
}

function firstNonFinite(v: Float64Array): number {
  for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) return i;
  return -1;
}
