import { describe, expect, it } from 'vitest';

import { classificationMetrics, regressionMetrics } from '../../../app/train/metrics';

describe('metrics', () => {
  it('regression: RMSE, MAE and R^2 by hand', () => {
    const y = Float64Array.from([1, 2, 3, 4]);
    const pred = Float64Array.from([1.5, 2, 2, 4]);
    const m = regressionMetrics(pred, y, 4, 1);
    // Residuals -0.5, 0, 1, 0: SS_res 1.25, |r| sum 1.5; mean 2.5, SS_tot 5.
    expect(m.rmse).toBeCloseTo(Math.sqrt(1.25 / 4), 15);
    expect(m.mae).toBeCloseTo(1.5 / 4, 15);
    expect(m.r2).toBeCloseTo(1 - 1.25 / 5, 15);
  });

  it('regression: R^2 averages over outputs, and is NaN for a constant target', () => {
    // Two outputs [n][2]: the first predicted perfectly (R^2 1), the second by its mean (R^2 0).
    const y = Float64Array.from([0, 1, 1, 3, 2, 5]);
    const pred = Float64Array.from([0, 3, 1, 3, 2, 3]);
    expect(regressionMetrics(pred, y, 3, 2).r2).toBeCloseTo(0.5, 15);
    expect(regressionMetrics(Float64Array.from([1, 2]), Float64Array.from([7, 7]), 2, 1).r2).toBeNaN();
  });

  it('classification: accuracy, log-loss and macro-F1 by hand', () => {
    // Scores as log-probabilities, so the softmax gives the probabilities back exactly.
    const p = [
      [0.7, 0.2, 0.1], // label 0, predicted 0
      [0.1, 0.6, 0.3], // label 1, predicted 1
      [0.5, 0.4, 0.1], // label 1, predicted 0
      [0.2, 0.3, 0.5], // label 2, predicted 2
    ];
    const labels = Float64Array.from([0, 1, 1, 2]);
    const m = classificationMetrics(Float64Array.from(p.flat().map(Math.log)), labels, 4, 3);
    expect(m.accuracy).toBe(0.75);
    expect(m.logLoss).toBeCloseTo(-(Math.log(0.7) + Math.log(0.6) + Math.log(0.4) + Math.log(0.5)) / 4, 12);
    // Class 0: TP 1, predicted 2, actual 1 -> F1 2/3; class 1: TP 1, predicted 1, actual 2 -> 2/3; class 2: 1.
    expect(m.macroF1).toBeCloseTo((2 / 3 + 2 / 3 + 1) / 3, 12);
  });

  it('classification: a class never predicted scores F1 0; a class absent from both is left out', () => {
    // Four classes declared; class 3 appears nowhere; class 1 is never predicted.
    const scores = Float64Array.from([5, 0, 0, 0, 5, 0, 0, 0, 0, 0, 5, 0]);
    const m = classificationMetrics(scores, Float64Array.from([0, 1, 2]), 3, 4);
    // Class 0: TP 1, predicted 2, actual 1 -> 2/3; class 1: 0; class 2: 1.
    expect(m.macroF1).toBeCloseTo((2 / 3 + 0 + 1) / 3, 12);
  });
});
