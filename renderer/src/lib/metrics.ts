/**
 * Reading a run's figures: the flat summary the store keeps per run (kanParams, kanTestRmse, mlpTestAccuracy, ...; see
 * main/training/execute.ts summaryOf) and loss curves laid end to end across a run's fit steps.
 */
export type ModelKind = 'kan' | 'mlp';
type Summary = Record<string, number | string | null>;

export function summaryNumber(summary: Summary, key: string): number | null {
  const value = summary[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function modelFigure(summary: Summary, model: ModelKind, figure: 'Params' | 'TrainRmse' | 'TestRmse' | 'TrainAccuracy' | 'TestAccuracy' | 'TrainLoss' | 'TestLoss'): number | null {
  return summaryNumber(summary, `${model}${figure}`);
}

/** A model the run's last step reports as trained by no fit: it has a size but no figures. */
export function notTrained(summary: Summary, model: ModelKind): boolean {
  return summary[`${model}Status`] === 'not trained';
}

/** Test error where smaller is better: RMSE for regression, 1 - accuracy for classification. */
export function testError(summary: Summary, model: ModelKind): { value: number; label: 'test RMSE' | 'test error rate' } | null {
  const rmse = modelFigure(summary, model, 'TestRmse');
  if (rmse !== null) return { value: rmse, label: 'test RMSE' };
  const accuracy = modelFigure(summary, model, 'TestAccuracy');
  if (accuracy !== null) return { value: 1 - accuracy, label: 'test error rate' };
  return null;
}

export interface LossPoint {
  stepIdx: number;
  model: ModelKind;
  iter: number;
  trainLoss: number | null;
  testLoss: number | null;
  /** Null or absent without validation rows, and in runs stored before validation splits. */
  valLoss?: number | null;
}

export interface LossSeries {
  kanTrain: [number, number][];
  kanVal: [number, number][];
  kanTest: [number, number][];
  mlpTrain: [number, number][];
  mlpVal: [number, number][];
  mlpTest: [number, number][];
  /** Where each step's iterations start on the shared axis, per model: x = start + iteration. */
  stepStart: Record<ModelKind, Record<number, number>>;
}

function plottable(loss: number | null | undefined): loss is number {
  return typeof loss === 'number' && loss > 0 && Number.isFinite(loss);
}

/**
 * Points as [iteration, loss] with iterations counted across steps (a second fit continues where the first ended).
 * Non-positive and missing losses are left out: the chart's axis is logarithmic.
 */
export function lossSeries(points: readonly LossPoint[]): LossSeries {
  const series: LossSeries = { kanTrain: [], kanVal: [], kanTest: [], mlpTrain: [], mlpVal: [], mlpTest: [], stepStart: { kan: {}, mlp: {} } };
  for (const model of ['kan', 'mlp'] as const) {
    const mine = points.filter((p) => p.model === model).sort((a, b) => a.stepIdx - b.stepIdx || a.iter - b.iter);
    let offset = 0;
    let currentStep = -1;
    let lastIterOfStep = 0;
    for (const p of mine) {
      if (p.stepIdx !== currentStep) {
        if (currentStep !== -1) offset += lastIterOfStep;
        currentStep = p.stepIdx;
        lastIterOfStep = 0;
        series.stepStart[model][p.stepIdx] = offset;
      }
      lastIterOfStep = Math.max(lastIterOfStep, p.iter);
      const x = offset + p.iter;
      if (plottable(p.trainLoss)) series[`${model}Train`].push([x, p.trainLoss]);
      if (plottable(p.valLoss)) series[`${model}Val`].push([x, p.valLoss]);
      if (plottable(p.testLoss)) series[`${model}Test`].push([x, p.testLoss]);
    }
  }
  return series;
}
