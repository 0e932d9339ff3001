/** Reading one step's metrics (runs.get steps[i].metrics): the error measure and parameter count of each model. */
export interface ModelStepMetrics {
  /** 'not trained' comes with params only (no fit has trained the model); absent in runs stored before it existed. */
  status?: 'trained' | 'not trained';
  params: number;
  trainLoss?: number | null;
  testLoss?: number | null;
  trainRmse?: number | null;
  testRmse?: number | null;
  trainAccuracy?: number | null;
  testAccuracy?: number | null;
}

export interface StepLike {
  metrics: { kan?: ModelStepMetrics; mlp?: ModelStepMetrics | null; [key: string]: unknown };
}

export function stepModel(step: StepLike | undefined, model: 'kan' | 'mlp'): ModelStepMetrics | null {
  const m = step?.metrics[model];
  return m && typeof m === 'object' ? (m as ModelStepMetrics) : null;
}

/** "RMSE" for regression runs, "accuracy" for classification, read from whichever the metrics hold. */
export function metricKind(m: ModelStepMetrics | null): 'rmse' | 'accuracy' {
  return m && (m.testAccuracy !== undefined && m.testAccuracy !== null || m.trainAccuracy !== undefined && m.trainAccuracy !== null) ? 'accuracy' : 'rmse';
}

export function trainFigure(m: ModelStepMetrics | null): number | null {
  if (!m) return null;
  return (metricKind(m) === 'accuracy' ? m.trainAccuracy : m.trainRmse) ?? null;
}

export function testFigure(m: ModelStepMetrics | null): number | null {
  if (!m) return null;
  return (metricKind(m) === 'accuracy' ? m.testAccuracy : m.testRmse) ?? null;
}
