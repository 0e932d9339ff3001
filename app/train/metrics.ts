/**
 * The figures a scientist reads a model by, computed from predictions on one split: RMSE, MAE and R^2 for regression
 * (in the target's own units), accuracy, log-loss and macro-F1 for classification. Pure functions over flat arrays.
 */
import { rmse, softmaxCrossEntropy } from './loss';
import type { Task } from './types';

export interface RegressionMetrics {
  rmse: number;
  mae: number;
  /** 1 - SS_res / SS_tot about this split's own mean (as sklearn's r2_score), averaged over outputs; NaN for a constant target. */
  r2: number;
}

export interface ClassificationMetrics {
  accuracy: number;
  /** Mean -log p(true class) under the softmax of the scores. */
  logLoss: number;
  /** Unweighted mean over classes (those in the labels or the predictions) of each class's F1; a class never predicted scores 0. */
  macroF1: number;
}

export type SplitMetrics = RegressionMetrics | ClassificationMetrics;

/** pred and y are [n][nOut]. */
export function regressionMetrics(pred: Float64Array, y: Float64Array, n: number, nOut: number): RegressionMetrics {
  let absSum = 0;
  for (let i = 0; i < n * nOut; i++) absSum += Math.abs(pred[i]! - y[i]!);
  let r2Sum = 0;
  for (let j = 0; j < nOut; j++) {
    let mean = 0;
    for (let s = 0; s < n; s++) mean += y[s * nOut + j]!;
    mean /= n;
    let residual = 0;
    let total = 0;
    for (let s = 0; s < n; s++) {
      const target = y[s * nOut + j]!;
      residual += (target - pred[s * nOut + j]!) ** 2;
      total += (target - mean) ** 2;
    }
    r2Sum += total > 0 ? 1 - residual / total : Number.NaN;
  }
  return { rmse: rmse(pred.subarray(0, n * nOut), y.subarray(0, n * nOut)), mae: absSum / (n * nOut), r2: r2Sum / nOut };
}

/** scores [n][nClasses] (logits, or log-probabilities), labels [n] class indices stored as floats. */
export function classificationMetrics(scores: Float64Array, labels: Float64Array, n: number, nClasses: number): ClassificationMetrics {
  const truePositive = new Float64Array(nClasses);
  const predicted = new Float64Array(nClasses);
  const actual = new Float64Array(nClasses);
  let correct = 0;
  for (let s = 0; s < n; s++) {
    let best = 0;
    for (let c = 1; c < nClasses; c++) if (scores[s * nClasses + c]! > scores[s * nClasses + best]!) best = c;
    const label = labels[s]!;
    predicted[best]! += 1;
    actual[label]! += 1;
    if (best === label) {
      correct++;
      truePositive[best]! += 1;
    }
  }
  let f1Sum = 0;
  let classesSeen = 0;
  for (let c = 0; c < nClasses; c++) {
    if (predicted[c] === 0 && actual[c] === 0) continue;
    classesSeen++;
    f1Sum += (2 * truePositive[c]!) / (predicted[c]! + actual[c]!);
  }
  return {
    accuracy: n === 0 ? Number.NaN : correct / n,
    logLoss: softmaxCrossEntropy(scores, labels, n, nClasses, null),
    macroF1: classesSeen === 0 ? Number.NaN : f1Sum / classesSeen,
  };
}

/** The task's metrics for predictions pred [n][nOut] against a batch's y (see Batch). */
export function splitMetrics(task: Task, pred: Float64Array, y: Float64Array, n: number, nOut: number): SplitMetrics {
  return task === 'regression' ? regressionMetrics(pred, y, n, nOut) : classificationMetrics(pred, y, n, nOut);
}
