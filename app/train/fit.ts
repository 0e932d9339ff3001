/**
 * The training loop shared by KANs and MLPs: an optimiser over the flat parameter vector, the KAN's grid-update schedule,
 * per-step progress with train/test metrics, cancellation, and a guard that stops on NaN/Inf keeping the last good
 * parameters.
 */
import { Adam } from './optim/adam';
import { Lbfgs } from './optim/lbfgs';
import { accuracy, predictionLoss, rmse } from './loss';
import type { Batch, DifferentiableModel, Task } from './types';
import { Kan, type KanRegularization } from '../kan/model';
import { MultKan } from '../kan/mult';
import { DEFAULT_GRID_MARGIN, updateGridFromSamples } from '../kan/grid';
import { Rng } from '../util/rng';

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
  /** Regression: RMSE (in the units given by metricScale); classification: accuracy. Measured as the losses are. */
  trainMetric: number;
  testMetric: number;
  /**
   * True when the figures above come from the step's batch and a test sample (mini-batch fits, every step but the
   * last), as pykan reports them: evaluating whole large sets after every step would cost more than training.
   */
  sampled: boolean;
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
  /** 'done', 'cancelled' (params are those of the last finished step). */
  status: 'done' | 'cancelled';
  seconds: number;
}

/** Thrown when the objective or the parameters become NaN/Inf; the model keeps the last good parameters. */
export class NonFiniteError extends Error {
  constructor(readonly step: number, detail: string) {
    super(`Training diverged at step ${step}: ${detail}. The parameters of the last good step were kept; try a smaller learning rate, a smaller lambda, or standardised data.`);
    this.name = 'NonFiniteError';
  }
}

export interface FitData {
  train: Batch;
  test: Batch;
}

export function validateFitOptions(o: FitOptions): void {
  if (!Number.isInteger(o.steps) || o.steps < 0) throw new Error(`fit.steps must be a non-negative integer; got ${o.steps}`);
  if (o.lr !== undefined && !(o.lr > 0)) throw new Error(`fit.lr must be positive; got ${o.lr}`);
  if (o.maxIter !== undefined && !(Number.isInteger(o.maxIter) && o.maxIter >= 1)) throw new Error(`fit.maxIter must be a positive integer; got ${o.maxIter}`);
}

export function fit(model: DifferentiableModel, data: FitData, task: Task, options: FitOptions, hooks: FitHooks = {}): FitResult {
  validateFitOptions(options);
  const now = hooks.now ?? (() => performance.now());
  const t0 = now();
  const isKan = model instanceof Kan || model instanceof MultKan;
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

function runLoop(model: DifferentiableModel, data: FitData, task: Task, options: FitOptions, hooks: FitHooks, now: () => number, t0: number, isKan: boolean): FitResult {
  const { train, test } = data;
  const dim = model.params.length;
  const grad = new Float64Array(dim);
  const rng = new Rng(hooks.seed ?? 0);
  const batchSize = batchRows(options.batch, train.n);
  const miniBatch = batchSize < train.n;
  // Test samples come from a stream of their own, so that reporting does not change which batches training sees.
  const testRng = new Rng((hooks.seed ?? 0) + 0x9e3779b1);
  const history: FitProgress[] = [];
  const gridUpdateNum = options.gridUpdateNum ?? 10;
  const stopGrid = options.stopGridUpdateStep ?? 50;
  const startGrid = options.startGridUpdateStep ?? -1;
  const gridFreq = Math.max(1, Math.floor(stopGrid / gridUpdateNum));
  const updateGrid = isKan && (options.updateGrid ?? true);
  const lbfgs = options.opt === 'lbfgs' ? new Lbfgs(dim, { lr: options.lr ?? 1, maxIter: options.maxIter ?? 20, historySize: 10, ...PYKAN_LBFGS_TOLERANCES }) : null;
  const adam = options.opt === 'adam' ? new Adam(dim, { lr: options.lr ?? 1e-3 }) : null;
  let lastGood = model.params.slice();
  let lastRegularization = 0;
  const aborted = (): boolean => hooks.signal?.aborted === true;

  for (let step = 0; step < options.steps; step++) {
    if (aborted()) return { history, status: 'cancelled', seconds: (now() - t0) / 1000 };
    const batch = batchSize === train.n ? train : sampleBatch(train, batchSize, model.nIn, task === 'regression' ? model.nOut : 1, rng);
    if (updateGrid && step % gridFreq === 0 && step < stopGrid && step >= startGrid) {
      const gridEps = options.gridEps ?? 0.02;
      const gridMargin = options.gridMargin ?? DEFAULT_GRID_MARGIN;
      if (model instanceof MultKan) model.updateGrid(batch.x, batch.n, gridEps, gridMargin);
      else updateGridFromSamples(model as Kan, batch.x, batch.n, gridEps, gridMargin);
      lbfgs?.reset();
    }
    if (lbfgs) {
      lbfgs.step(model.params, (p, g) => {
        if (p !== model.params) model.params.set(p);
        const { objective, loss } = model.lossAndGrad(batch, task, g);
        lastRegularization = objective - loss;
        return objective;
      });
    } else if (adam) {
      const { objective, loss } = model.lossAndGrad(batch, task, grad);
      if (!Number.isFinite(objective)) {
        model.params.set(lastGood);
        throw new NonFiniteError(step, `the objective is ${objective}`);
      }
      lastRegularization = objective - loss;
      adam.step(model.params, grad);
    }
    const bad = firstNonFinite(model.params);
    if (bad >= 0) {
      model.params.set(lastGood);
      throw new NonFiniteError(step, `parameter ${bad} became ${model.params[bad]}`);
    }
    const sampled = miniBatch && step < options.steps - 1;
    const progress = sampled
      ? evaluateSampled(model, batch, test, batchSize, task, hooks.metricScale ?? 1, testRng)
      : evaluate(model, data, task, hooks.metricScale ?? 1);
    if (!Number.isFinite(progress.trainLoss)) {
      model.params.set(lastGood);
      throw new NonFiniteError(step, `the training loss is ${progress.trainLoss}`);
    }
    lastGood = model.params.slice();
    const entry: FitProgress = { step: step + 1, steps: options.steps, ...progress, sampled, regularization: lastRegularization, seconds: (now() - t0) / 1000 };
    history.push(entry);
    hooks.onProgress?.(entry);
  }
  return { history, status: 'done', seconds: (now() - t0) / 1000 };
}

/** Rows a step of a fit with this batch option takes from a training set of n: the batch, or all n (none, <= 0, >= n). */
export function batchRows(batch: number | undefined, n: number): number {
  return batch !== undefined && batch > 0 && batch < n ? batch : n;
}

/** Train and test loss and metric of a model on a data split. */
export function evaluate(model: DifferentiableModel, data: FitData, task: Task, metricScale = 1): Pick<FitProgress, 'trainLoss' | 'testLoss' | 'trainMetric' | 'testMetric'> {
  const tr = evaluateBatch(model, data.train, task, metricScale);
  const te = data.test.n > 0 ? evaluateBatch(model, data.test, task, metricScale) : { loss: Number.NaN, metric: Number.NaN };
  return { trainLoss: tr.loss, testLoss: te.loss, trainMetric: tr.metric, testMetric: te.metric };
}

/** Loss and metric on the step's batch and on a test sample of at most `size` rows (the whole test set when smaller). */
function evaluateSampled(model: DifferentiableModel, batch: Batch, test: Batch, size: number, task: Task, metricScale: number, rng: Rng): Pick<FitProgress, 'trainLoss' | 'testLoss' | 'trainMetric' | 'testMetric'> {
  const sample = test.n <= size ? test : sampleBatch(test, size, model.nIn, task === 'regression' ? model.nOut : 1, rng);
  return evaluate(model, { train: batch, test: sample }, task, metricScale);
}

export function evaluateBatch(model: DifferentiableModel, batch: Batch, task: Task, metricScale = 1): { loss: number; metric: number } {
  const pred = model.forward(batch.x, batch.n);
  const loss = predictionLoss(task, pred, batch.y, batch.n, model.nOut, null);
  const metric = task === 'regression' ? rmse(pred, batch.y) * metricScale : accuracy(pred, batch.y, batch.n, model.nOut);
  return { loss, metric };
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
