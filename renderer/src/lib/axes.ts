/**
 * Axis titles that carry the quantity and its unit (a loss in the target's units squared, an error in the target's
 * units), and the choice between a log and a linear axis: log where the values span decades, linear otherwise.
 */

/** Values whose largest is at least this many times their smallest span decades: a linear axis flattens the small ones. */
const DECADES_RATIO = 100;

/** The run's target names from its recipe (regression columns, or the class column); formula data predicts y. */
export function targetNames(recipe: unknown): string[] {
  const data = (recipe as { data?: { target?: unknown; formula?: unknown } } | null)?.data;
  if (Array.isArray(data?.target)) return data.target.map(String);
  return typeof data?.formula === 'string' ? ['y'] : [];
}

/** "(progression)" for one target, "(target units)" for several, empty when unknown. */
function unitOf(targets: readonly string[], power: '' | '²'): string {
  if (targets.length === 1) return ` (${targets[0]}${power})`;
  return targets.length > 1 ? ` (target units${power})` : '';
}

/** The training loss: MSE in the target's units squared, or cross-entropy in nats. */
export function lossAxisName(task: 'regression' | 'classification', targets: readonly string[], split = ''): string {
  const prefix = split ? `${split} loss` : 'loss';
  return task === 'classification' ? `${prefix}: cross-entropy (nats)` : `${prefix}: MSE${unitOf(targets, '²')}`;
}

/** A test figure: RMSE in the target's units, or accuracy as a fraction of rows. */
export function metricAxisName(metric: 'RMSE' | 'accuracy', targets: readonly string[], split = 'test'): string {
  return metric === 'accuracy' ? `${split} accuracy (fraction of rows)` : `${split} RMSE${unitOf(targets, '')}`;
}

/** Whether positive values span enough decades that a log axis reads better; non-positive values rule a log axis out. */
export function spansDecades(values: Iterable<number | null | undefined>): boolean {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    if (v <= 0) return false;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return hi >= lo && hi / lo >= DECADES_RATIO;
}

/** The option with its value axis (yAxis) log or linear; a linear axis of positive figures starts at its data. */
export function withYScale<T extends object>(option: T, log: boolean): T {
  const axis = (option as { yAxis?: unknown }).yAxis;
  if (!axis || typeof axis !== 'object' || Array.isArray(axis)) return option;
  const { min, ...rest } = axis as Record<string, unknown>;
  const yAxis = log ? { ...rest, type: 'log' } : { ...rest, type: 'value', ...(min !== undefined ? { min } : { scale: true }) };
  return { ...option, yAxis };
}
