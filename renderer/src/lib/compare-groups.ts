/**
 * Grouping runs so that Compare puts side by side only what is comparable: runs on the same data (its hash) with the
 * same task; and the names of each task's metric and loss, so no column or axis holds one under the other's name.
 */
type Summary = Record<string, number | string | null>;
export type RunTask = 'regression' | 'classification';

/**
 * The run's task, read from the figures it recorded (RMSE or accuracy) for its models or, when they never trained (a
 * sweep-only run), for its baselines; null before any step recorded one.
 */
export function runTask(summary: Summary): RunTask | null {
  const recorded = (suffix: string): boolean => Object.entries(summary).some(([key, value]) => key.endsWith(suffix) && typeof value === 'number');
  if (recorded('TestRmse') || recorded('TrainRmse')) return 'regression';
  if (recorded('TestAccuracy') || recorded('TrainAccuracy')) return 'classification';
  return null;
}

export interface RunGroup<T> {
  /** datasetHash and task together. */
  key: string;
  datasetHash: string;
  task: RunTask | null;
  runs: T[];
}

/** Runs grouped by data and task, groups in the order of their first run, runs in their given order. */
export function groupRuns<T extends { datasetHash: string; summary: Summary }>(runs: readonly T[]): RunGroup<T>[] {
  const groups = new Map<string, RunGroup<T>>();
  for (const run of runs) {
    const task = runTask(run.summary);
    const key = `${run.datasetHash}|${task ?? 'untrained'}`;
    const group = groups.get(key) ?? { key, datasetHash: run.datasetHash, task, runs: [] };
    group.runs.push(run);
    groups.set(key, group);
  }
  return [...groups.values()];
}

/** The metric a task's runs are compared by: its name in column heads and axes, and which way is better. */
export function taskMetric(task: RunTask | null): { name: 'RMSE' | 'accuracy'; higherIsBetter: boolean } {
  return task === 'classification' ? { name: 'accuracy', higherIsBetter: true } : { name: 'RMSE', higherIsBetter: false };
}

/** The prediction loss a task trains on (app/train/loss.ts): mean squared error, or cross-entropy. */
export function taskLoss(task: RunTask | null): 'MSE' | 'cross-entropy' {
  return task === 'classification' ? 'cross-entropy' : 'MSE';
}

/** A short name for a run's data, from its recipe: the formula, or the CSV's stored dataset name when known. */
export function dataLabel(recipe: unknown, datasetNames: Readonly<Record<string, string>>): string {
  const data = (recipe as { data?: { formula?: unknown; csv?: unknown; target?: unknown } } | null)?.data;
  if (typeof data?.formula === 'string') return `formula ${data.formula}`;
  if (typeof data?.csv === 'string') {
    const id = data.csv.startsWith('dataset:') ? data.csv.slice('dataset:'.length) : data.csv;
    const target = Array.isArray(data.target) ? ` → ${data.target.join(', ')}` : '';
    return `${datasetNames[id] ?? data.csv}${target}`;
  }
  return 'unknown data';
}

/**
 * A run whose only step is a sweep: the sweep trains models of its own, and the run's KAN and MLP figures are those of
 * untrained models, no result to compare.
 */
export function onlySweeps(summary: Summary): boolean {
  return summary.lastStep === 'sweep' && summary.steps === 1;
}
