/**
 * The simple models a KAN and an MLP must beat to mean anything: the mean and ridge regression for regression, the
 * majority class and L2 multinomial logistic regression for classification. Each is fitted on the training split, its
 * one strength chosen by the validation split, and scored on train, validation and test.
 */
import { classificationMetrics, regressionMetrics, type ClassificationMetrics, type RegressionMetrics, type SplitMetrics } from './metrics';
import { Lbfgs } from './optim/lbfgs';
import type { Batch, Task } from './types';

export interface BaselineScores<M extends SplitMetrics> {
  params: number;
  train: M;
  validation: M | null;
  test: M | null;
}

export interface RegressionBaselines {
  mean: BaselineScores<RegressionMetrics>;
  /** sklearn's Ridge objective |y - Xw - b|^2 + alpha |w|^2 (intercept not penalised); alpha chosen on validation. */
  ridge: BaselineScores<RegressionMetrics> & { alpha: number; trainRows: number };
}

export interface ClassificationBaselines {
  majority: BaselineScores<ClassificationMetrics>;
  /** sklearn's multinomial LogisticRegression objective: sum of log-losses + |W|^2 / (2C); C chosen on validation. */
  logistic: BaselineScores<ClassificationMetrics> & { C: number; trainRows: number };
}

export type Baselines = RegressionBaselines | ClassificationBaselines;

export interface BaselineData {
  task: Task;
  nIn: number;
  /** Targets (regression) or classes (classification). */
  nOut: number;
  train: Batch;
  validation: Batch;
  test: Batch;
}

/** Ridge strengths tried: inputs are standardised, so a decade grid around 1 covers "none" to "almost only the mean". */
export const RIDGE_ALPHAS: readonly number[] = [1e-6, 1e-4, 1e-3, 1e-2, 1e-1, 1, 10, 100, 1e3, 1e4];
/** Inverse L2 strengths tried for logistic regression, strongest regularisation first (each fit starts from the last). */
export const LOGISTIC_CS: readonly number[] = [1e-2, 1e-1, 1, 10, 100];
/**
 * The linear baselines fit on an even-stride sample of the training rows when the table is large, so that they take
 * seconds beside a training run: ridge on at most RIDGE_WORK / nIn^2 rows (its Gram matrix costs rows * nIn^2),
 * logistic regression on at most LOGISTIC_WORK / weights rows (one pass costs rows * weights, and a fit takes
 * hundreds). The rows used are reported as trainRows; the scores are on the whole splits.
 */
export const RIDGE_WORK = 1e9;
export const LOGISTIC_WORK = 2e6;

export function computeBaselines(data: BaselineData): Baselines {
  return data.task === 'regression' ? regressionBaselines(data) : classificationBaselines(data);
}

function scored<M extends SplitMetrics>(data: BaselineData, params: number, predict: (b: Batch) => Float64Array, metrics: (pred: Float64Array, b: Batch) => M): BaselineScores<M> {
  const on = (b: Batch): M | null => (b.n > 0 ? metrics(predict(b), b) : null);
  return { params, train: metrics(predict(data.train), data.train), validation: on(data.validation), test: on(data.test) };
}

function regressionBaselines(data: BaselineData): RegressionBaselines {
  const { nIn, nOut, train } = data;
  const regression = (pred: Float64Array, b: Batch): RegressionMetrics => regressionMetrics(pred, b.y, b.n, nOut);
  const mean = new Float64Array(nOut);
  for (let s = 0; s < train.n; s++) for (let j = 0; j < nOut; j++) mean[j]! += train.y[s * nOut + j]! / train.n;
  const constant = (b: Batch): Float64Array => {
    const out = new Float64Array(b.n * nOut);
    for (let s = 0; s < b.n; s++) out.set(mean, s * nOut);
    return out;
  };
  const alphas = data.validation.n > 0 ? RIDGE_ALPHAS : [1];
  const rows = strideSample(train, nIn, nOut, Math.max(nIn + 1, Math.floor(RIDGE_WORK / (nIn * nIn))));
  let best: { alpha: number; model: LinearModel; loss: number } | null = null;
  for (const alpha of alphas) {
    const model = fitRidge(rows, nIn, nOut, alpha);
    const loss = data.validation.n > 0 ? regressionMetrics(predictLinear(model, data.validation), data.validation.y, data.validation.n, nOut).rmse : 0;
    if (!best || loss < best.loss) best = { alpha, model, loss };
  }
  const ridge = best!;
  return {
    mean: scored(data, nOut, constant, regression),
    ridge: { ...scored(data, (nIn + 1) * nOut, (b) => predictLinear(ridge.model, b), regression), alpha: ridge.alpha, trainRows: rows.n },
  };
}

function classificationBaselines(data: BaselineData): ClassificationBaselines {
  const { nIn, nOut: nClasses, train } = data;
  const classification = (scores: Float64Array, b: Batch): ClassificationMetrics => classificationMetrics(scores, b.y, b.n, nClasses);
  const counts = new Float64Array(nClasses);
  for (let s = 0; s < train.n; s++) counts[train.y[s]!]! += 1;
  const logPrior = counts.map((c) => Math.log(c / train.n));
  const prior = (b: Batch): Float64Array => {
    const out = new Float64Array(b.n * nClasses);
    for (let s = 0; s < b.n; s++) out.set(logPrior, s * nClasses);
    return out;
  };
  const rows = strideSample(train, nIn, 1, Math.max(nClasses, Math.floor(LOGISTIC_WORK / ((nIn + 1) * nClasses))));
  const cs = data.validation.n > 0 ? LOGISTIC_CS : [1];
  let start: Float64Array = new Float64Array((nIn + 1) * nClasses);
  let best: { C: number; model: LinearModel; loss: number } | null = null;
  for (const C of cs) {
    const model = fitLogistic(rows, nIn, nClasses, C, start);
    start = model.weights;
    const loss = data.validation.n > 0 ? classificationMetrics(predictLinear(model, data.validation), data.validation.y, data.validation.n, nClasses).logLoss : 0;
    if (!best || loss < best.loss) best = { C, model, loss };
  }
  const logistic = best!;
  return {
    majority: scored(data, nClasses - 1, prior, classification),
    logistic: { ...scored(data, (nIn + 1) * nClasses, (b) => predictLinear(logistic.model, b), classification), C: logistic.C, trainRows: rows.n },
  };
}

/** weights [nIn + 1][nOut]: row nIn is the intercept. */
export interface LinearModel {
  nIn: number;
  nOut: number;
  weights: Float64Array;
}

export function predictLinear(model: LinearModel, batch: Batch): Float64Array {
  const { nIn, nOut, weights } = model;
  const out = new Float64Array(batch.n * nOut);
  for (let s = 0; s < batch.n; s++) {
    for (let j = 0; j < nOut; j++) {
      let sum = weights[nIn * nOut + j]!;
      for (let i = 0; i < nIn; i++) sum += batch.x[s * nIn + i]! * weights[i * nOut + j]!;
      out[s * nOut + j] = sum;
    }
  }
  return out;
}

/** Ridge by its normal equations on centred data, so the intercept is the unpenalised mean offset. */
export function fitRidge(train: Batch, nIn: number, nOut: number, alpha: number): LinearModel {
  const { x, y, n } = train;
  const xMean = new Float64Array(nIn);
  const yMean = new Float64Array(nOut);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < nIn; i++) xMean[i]! += x[s * nIn + i]! / n;
    for (let j = 0; j < nOut; j++) yMean[j]! += y[s * nOut + j]! / n;
  }
  const gram = new Float64Array(nIn * nIn); // [nIn][nIn] Xc^T Xc + alpha I
  const rhs = new Float64Array(nIn * nOut); // [nIn][nOut] Xc^T yc
  const row = new Float64Array(nIn);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < nIn; i++) row[i] = x[s * nIn + i]! - xMean[i]!;
    for (let i = 0; i < nIn; i++) {
      const xi = row[i]!;
      if (xi === 0) continue;
      for (let k = 0; k <= i; k++) gram[i * nIn + k]! += xi * row[k]!;
      for (let j = 0; j < nOut; j++) rhs[i * nOut + j]! += xi * (y[s * nOut + j]! - yMean[j]!);
    }
  }
  for (let i = 0; i < nIn; i++) gram[i * nIn + i]! += alpha;
  solveSymmetricPositive(gram, nIn, rhs, nOut);
  const weights = new Float64Array((nIn + 1) * nOut);
  weights.set(rhs);
  for (let j = 0; j < nOut; j++) {
    let offset = yMean[j]!;
    for (let i = 0; i < nIn; i++) offset -= xMean[i]! * rhs[i * nOut + j]!;
    weights[nIn * nOut + j] = offset;
  }
  return { nIn, nOut, weights };
}

/**
 * Solves A X = B in place (B [p][m] becomes X) by Cholesky; A [p][p] holds its lower triangle. A zero pivot (a constant
 * input with alpha 0) would make A singular; the smallest alpha tried is positive so it never is.
 */
function solveSymmetricPositive(a: Float64Array, p: number, b: Float64Array, m: number): void {
  for (let j = 0; j < p; j++) {
    let diag = a[j * p + j]!;
    for (let k = 0; k < j; k++) diag -= a[j * p + k]! ** 2;
    const root = Math.sqrt(Math.max(diag, Number.MIN_VALUE));
    a[j * p + j] = root;
    for (let i = j + 1; i < p; i++) {
      let sum = a[i * p + j]!;
      for (let k = 0; k < j; k++) sum -= a[i * p + k]! * a[j * p + k]!;
      a[i * p + j] = sum / root;
    }
  }
  for (let c = 0; c < m; c++) {
    for (let i = 0; i < p; i++) {
      let sum = b[i * m + c]!;
      for (let k = 0; k < i; k++) sum -= a[i * p + k]! * b[k * m + c]!;
      b[i * m + c] = sum / a[i * p + i]!;
    }
    for (let i = p - 1; i >= 0; i--) {
      let sum = b[i * m + c]!;
      for (let k = i + 1; k < p; k++) sum -= a[k * p + i]! * b[k * m + c]!;
      b[i * m + c] = sum / a[i * p + i]!;
    }
  }
}

/** Multinomial logistic regression by L-BFGS (to convergence or 100 iterations), from start (weights [nIn + 1][nClasses]). */
export function fitLogistic(train: Batch, nIn: number, nClasses: number, C: number, start: Float64Array): LinearModel {
  const { x, y, n } = train;
  const weights = start.slice();
  const model: LinearModel = { nIn, nOut: nClasses, weights };
  const probabilities = new Float64Array(nClasses);
  const objective = (w: Float64Array, grad: Float64Array): number => {
    if (w !== weights) weights.set(w);
    grad.fill(0);
    let value = 0;
    for (let i = 0; i < nIn * nClasses; i++) {
      value += (w[i]! * w[i]!) / (2 * C);
      grad[i] = w[i]! / C;
    }
    for (let s = 0; s < n; s++) {
      let max = -Infinity;
      for (let c = 0; c < nClasses; c++) {
        let z = w[nIn * nClasses + c]!;
        for (let i = 0; i < nIn; i++) z += x[s * nIn + i]! * w[i * nClasses + c]!;
        probabilities[c] = z;
        max = Math.max(max, z);
      }
      let total = 0;
      for (let c = 0; c < nClasses; c++) total += (probabilities[c] = Math.exp(probabilities[c]! - max));
      const label = y[s]!;
      value += Math.log(total) - Math.log(probabilities[label]!);
      for (let c = 0; c < nClasses; c++) {
        const d = probabilities[c]! / total - (c === label ? 1 : 0);
        grad[nIn * nClasses + c]! += d;
        for (let i = 0; i < nIn; i++) grad[i * nClasses + c]! += x[s * nIn + i]! * d;
      }
    }
    return value;
  };
  const optimiser = new Lbfgs(weights.length, { maxIter: 100, historySize: 10, toleranceGrad: 1e-9 * Math.max(1, n), toleranceChange: 1e-14 });
  optimiser.step(weights, objective);
  return model;
}

/** At most `limit` rows taken at an even stride, so the sample spans the (shuffled) table without drawing numbers. */
function strideSample(batch: Batch, nIn: number, yWidth: number, limit: number): Batch {
  if (batch.n <= limit) return batch;
  const x = new Float64Array(limit * nIn);
  const y = new Float64Array(limit * yWidth);
  for (let q = 0; q < limit; q++) {
    const s = Math.floor((q * batch.n) / limit);
    x.set(batch.x.subarray(s * nIn, (s + 1) * nIn), q * nIn);
    y.set(batch.y.subarray(s * yWidth, (s + 1) * yWidth), q * yWidth);
  }
  return { x, y, n: limit };
}
