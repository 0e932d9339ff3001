/** Reading one step's metrics (runs.get steps[i].metrics): the error measure and parameter count of each model. */
export interface ModelStepMetrics {
  /** 'not trained' comes with params only (no fit has trained the model); absent in runs stored before it existed. */
  status?: 'trained' | 'not trained';
  params: number;
  trainLoss?: number | null;
  valLoss?: number | null;
  testLoss?: number | null;
  trainRmse?: number | null;
  valRmse?: number | null;
  testRmse?: number | null;
  trainAccuracy?: number | null;
  valAccuracy?: number | null;
  testAccuracy?: number | null;
  /** The task's full figures per split (runs stored before validation splits have none). */
  scores?: { train: SplitScores; validation: SplitScores | null; test: SplitScores | null };
  /** Validation loss far above the training loss (app/recipe/runner.ts isOverfit). */
  overfit?: boolean;
}

/** One split's figures: RMSE, MAE, R^2 (regression, in the target's units) or accuracy, log-loss, macro-F1. */
export interface SplitScores {
  rmse?: number | null;
  mae?: number | null;
  r2?: number | null;
  accuracy?: number | null;
  logLoss?: number | null;
  macroF1?: number | null;
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

export function validationFigure(m: ModelStepMetrics | null): number | null {
  if (!m) return null;
  return (metricKind(m) === 'accuracy' ? m.valAccuracy : m.valRmse) ?? null;
}

export function testFigure(m: ModelStepMetrics | null): number | null {
  if (!m) return null;
  return (metricKind(m) === 'accuracy' ? m.testAccuracy : m.testRmse) ?? null;
}

/** A model no fit has trained has no figures to show, only its size. */
export function isNotTrained(m: ModelStepMetrics | null): boolean {
  return m?.status === 'not trained';
}
