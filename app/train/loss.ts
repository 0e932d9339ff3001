/** Prediction losses and metrics: MSE for regression, softmax cross-entropy for classification. Pure functions over flat arrays. */
import type { Task } from './types';

/**
 * Loss of predictions pred [n][nOut] against y (see Batch), mean over the batch.
 * MSE is the mean over all n*nOut entries (as torch.mean). If gradPred is given, d(loss)/d(pred) is written there.
 */
export function predictionLoss(task: Task, pred: Float64Array, y: Float64Array, n: number, nOut: number, gradPred: Float64Array | null): number {
  return task === 'regression' ? meanSquaredError(pred, y, n * nOut, gradPred) : softmaxCrossEntropy(pred, y, n, nOut, gradPred);
}

export function meanSquaredError(pred: Float64Array, y: Float64Array, count: number, gradPred: Float64Array | null): number {
  let sum = 0;
  const scale = 2 / count;
  for (let i = 0; i < count; i++) {
    const d = pred[i]! - y[i]!;
    sum += d * d;
    if (gradPred) gradPred[i] = scale * d;
  }
  return sum / count;
}

/** Mean over samples of -log softmax(pred)[label]; labels are class indices stored as floats in y [n]. */
export function softmaxCrossEntropy(pred: Float64Array, labels: Float64Array, n: number, nOut: number, gradPred: Float64Array | null): number {
  let total = 0;
  for (let s = 0; s < n; s++) {
    const row = s * nOut;
    let max = -Infinity;
    for (let c = 0; c < nOut; c++) max = Math.max(max, pred[row + c]!);
    let z = 0;
    for (let c = 0; c < nOut; c++) z += Math.exp(pred[row + c]! - max);
    const label = labels[s]!;
    const logZ = Math.log(z) + max;
    total += logZ - pred[row + label]!;
    if (gradPred) {
      for (let c = 0; c < nOut; c++) {
        const p = Math.exp(pred[row + c]! - logZ);
        gradPred[row + c] = (p - (c === label ? 1 : 0)) / n;
      }
    }
  }
  return total / n;
}

export function rmse(pred: Float64Array, y: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i]! - y[i]!;
    sum += d * d;
  }
  return Math.sqrt(sum / pred.length);
}

/** Fraction of samples whose arg-max prediction equals the label. */
export function accuracy(pred: Float64Array, labels: Float64Array, n: number, nOut: number): number {
  let correct = 0;
  for (let s = 0; s < n; s++) {
    let best = 0;
    for (let c = 1; c < nOut; c++) if (pred[s * nOut + c]! > pred[s * nOut + best]!) best = c;
    if (best === labels[s]) correct++;
  }
  return n === 0 ? 0 : correct / n;
}
