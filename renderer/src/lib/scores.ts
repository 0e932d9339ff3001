/**
 * The honest reading of one step of a run: the KAN, the MLP and the baselines trained on the same split, each with its
 * size and its train/validation/test figures under the metrics' names, and the flags (not trained, overfit, stopped
 * early, diverged) the views show instead of, or beside, the numbers.
 */
import { formatNumber } from './format';
import type { LossSeries } from './metrics';
import type { ModelStepMetrics, SplitScores, StepLike } from './step-metrics';
import { stepModel } from './step-metrics';

export type ScoreTask = 'regression' | 'classification';
export type ScoreKey = keyof SplitScores;
export type Split = 'train' | 'validation' | 'test';
export const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

export interface ScoreColumn {
  key: ScoreKey;
  label: string;
  /** What the figure means and its unit, for the header's tooltip. */
  title: string;
  higherIsBetter: boolean;
}

export interface ScoreRow {
  key: 'kan' | 'mlp' | 'mean' | 'ridge' | 'majority' | 'logistic';
  label: string;
  baseline: boolean;
  params: number;
  /** 'not trained': no fit trained the model, so it has no figures (only its size). */
  status: 'trained' | 'not trained';
  overfit: boolean;
  scores: Record<Split, SplitScores | null>;
  /** The baseline's chosen strength ("alpha 0.1", "C 10"). */
  note: string | null;
}

interface BaselineScoresLike {
  params: number;
  train: SplitScores;
  validation: SplitScores | null;
  test: SplitScores | null;
  alpha?: number;
  C?: number;
}

const BASELINE_LABELS: Record<string, string> = {
  mean: 'mean (predicts the training mean)',
  ridge: 'ridge regression',
  majority: 'majority class',
  logistic: 'logistic regression',
};

/** The step's baselines: mean and ridge, or majority and logistic; null in steps stored before them. */
export function stepBaselines(step: StepLike | undefined): Record<string, BaselineScoresLike> | null {
  const baselines = step?.metrics.baselines;
  return baselines && typeof baselines === 'object' ? (baselines as Record<string, BaselineScoresLike>) : null;
}

/** The task as the step's figures tell it: baselines name it; older steps hold RMSE or accuracy. */
export function stepTask(step: StepLike | undefined): ScoreTask {
  const baselines = stepBaselines(step);
  if (baselines) return 'majority' in baselines ? 'classification' : 'regression';
  const kan = stepModel(step, 'kan');
  const hasAccuracy = (m: ModelStepMetrics | null): boolean => typeof m?.testAccuracy === 'number' || typeof m?.trainAccuracy === 'number' || typeof m?.scores?.train.accuracy === 'number';
  return hasAccuracy(kan) || hasAccuracy(stepModel(step, 'mlp')) ? 'classification' : 'regression';
}

/** The columns a task is read by: RMSE in the target's units and R^2, or accuracy and macro-F1. */
export function scoreColumns(task: ScoreTask, target: string | null): ScoreColumn[] {
  if (task === 'regression') {
    return [
      { key: 'rmse', label: target ? `RMSE (${target})` : 'RMSE', title: `Root mean squared error, in the target's units${target ? ` (${target})` : ''}; lower is better`, higherIsBetter: false },
      { key: 'r2', label: 'R²', title: 'Coefficient of determination: 1 is a perfect fit, 0 is no better than predicting the mean, below 0 worse', higherIsBetter: true },
    ];
  }
  return [
    { key: 'accuracy', label: 'Accuracy', title: 'Fraction of rows whose class is predicted right; higher is better', higherIsBetter: true },
    { key: 'macroF1', label: 'Macro-F1', title: "Mean over classes of each class's F1 (precision and recall together), every class weighing the same; higher is better", higherIsBetter: true },
  ];
}

/** A model's per-split figures; steps stored before validation splits carry only the headline RMSE or accuracy. */
function modelScores(m: ModelStepMetrics): Record<Split, SplitScores | null> {
  if (m.scores) return { train: m.scores.train, validation: m.scores.validation, test: m.scores.test };
  const headline = (rmse: number | null | undefined, accuracy: number | null | undefined): SplitScores | null =>
    typeof rmse === 'number' ? { rmse } : typeof accuracy === 'number' ? { accuracy } : null;
  return { train: headline(m.trainRmse, m.trainAccuracy), validation: headline(m.valRmse, m.valAccuracy), test: headline(m.testRmse, m.testAccuracy) };
}

/** KAN, MLP (when the run has one), then the baselines, as the comparison table lists them. */
export function scoreRows(step: StepLike | undefined): ScoreRow[] {
  const rows: ScoreRow[] = [];
  for (const key of ['kan', 'mlp'] as const) {
    const m = stepModel(step, key);
    if (!m) continue;
    const notTrained = m.status === 'not trained';
    rows.push({
      key, label: key.toUpperCase(), baseline: false, params: m.params, status: notTrained ? 'not trained' : 'trained',
      overfit: !notTrained && m.overfit === true,
      scores: notTrained ? { train: null, validation: null, test: null } : modelScores(m),
      note: null,
    });
  }
  for (const [key, b] of Object.entries(stepBaselines(step) ?? {})) {
    if (!(key in BASELINE_LABELS)) continue;
    const note = typeof b.alpha === 'number' ? `alpha ${formatNumber(b.alpha, 2)}` : typeof b.C === 'number' ? `C ${formatNumber(b.C, 2)}` : null;
    rows.push({ key: key as ScoreRow['key'], label: BASELINE_LABELS[key]!, baseline: true, params: b.params, status: 'trained', overfit: false, scores: { train: b.train, validation: b.validation, test: b.test }, note });
  }
  return rows;
}

/** The row with the best test figure in a column (ties: the fewer parameters); null when no row has one. */
export function bestOnTest(rows: readonly ScoreRow[], column: ScoreColumn): ScoreRow['key'] | null {
  let best: ScoreRow | null = null;
  let bestValue = 0;
  for (const row of rows) {
    const value = row.scores.test?.[column.key];
    if (typeof value !== 'number' || !Number.isFinite(value)) continue;
    const better = best === null || (column.higherIsBetter ? value > bestValue : value < bestValue) || (value === bestValue && row.params < best.params);
    if (better) {
      best = row;
      bestValue = value;
    }
  }
  return best?.key ?? null;
}

export interface FitOutcome {
  stoppedEarly: boolean;
  /** The iteration (within its step) whose parameters the model kept; null when it kept its last. */
  bestStep: number | null;
  status: string;
}

/** What a fit step's fit of `model` ended with (details.kanFit / details.mlpFit); null for other steps and older runs. */
export function fitOutcome(step: StepLike | undefined, model: 'kan' | 'mlp'): FitOutcome | null {
  const details = step?.metrics.details as Record<string, unknown> | undefined;
  const fit = details?.[`${model}Fit`] as { stoppedEarly?: unknown; bestStep?: unknown; status?: unknown } | undefined;
  if (!fit || typeof fit !== 'object') return null;
  return { stoppedEarly: fit.stoppedEarly === true, bestStep: typeof fit.bestStep === 'number' ? fit.bestStep : null, status: typeof fit.status === 'string' ? fit.status : 'done' };
}

export interface EarlyStopMark {
  model: 'kan' | 'mlp';
  stepIdx: number;
  /** False when the fit ran all its steps but still ended on an earlier, better one. */
  stoppedEarly: boolean;
  /** The kept iteration within its step, and where it lies on the chart ([x on the shared axis, validation loss]). */
  bestStep: number;
  point: [number, number];
}

/**
 * The points to mark on the loss chart where early stopping chose the parameters (the fit stopped early, or ran to its
 * end and went back to its best check): the iteration kept, at its validation loss (its training loss when no
 * validation point was recorded there). A diverged fit's restored parameters are told by the DIVERGED notice instead.
 */
export function earlyStopMarks(steps: readonly (StepLike & { idx: number })[], series: LossSeries): EarlyStopMark[] {
  const marks: EarlyStopMark[] = [];
  for (const step of steps) {
    for (const model of ['kan', 'mlp'] as const) {
      const outcome = fitOutcome(step, model);
      const start = series.stepStart[model][step.idx];
      if (!outcome || outcome.bestStep === null || outcome.status !== 'done' || start === undefined) continue;
      const x = start + outcome.bestStep;
      const at = (points: [number, number][]): number | undefined => points.find((p) => p[0] === x)?.[1];
      const y = at(series[`${model}Val`]) ?? at(series[`${model}Train`]);
      if (y !== undefined) marks.push({ model, stepIdx: step.idx, stoppedEarly: outcome.stoppedEarly, bestStep: outcome.bestStep, point: [x, y] });
    }
  }
  return marks;
}

/** Steps whose fit diverged, with the stored reason. */
export function divergedSteps(steps: readonly (StepLike & { idx: number })[]): { idx: number; reason: string }[] {
  return steps.flatMap((s) => (typeof s.metrics.diverged === 'string' && s.metrics.diverged.length > 0 ? [{ idx: s.idx, reason: s.metrics.diverged }] : []));
}

/** The target column a recipe names (the unit of its RMSE); null for a formula dataset's y. */
export function recipeTarget(recipe: unknown): string | null {
  const target = (recipe as { data?: { target?: unknown } } | null)?.data?.target;
  return Array.isArray(target) && target.length === 1 && typeof target[0] === 'string' ? target[0] : null;
}
