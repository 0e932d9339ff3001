/**
 * Reading a sweep step's report (app/recipe/sweep-step.ts) for the workbench: the latest sweep of a run, each family's
 * points and front as [parameters, error] pairs, and the axis name that says which error, on which rows, in which units.
 */
import { type SweepMetrics, type SweepPoint, type SweepReport, sweepErrorOf } from '../../../app/recipe/sweep-step';
import type { StepLike } from './step-metrics';

export type SweepSide = 'val' | 'test';
export type { SweepPoint, SweepReport };

/** The report of the run's last sweep step, or null when it has none. */
export function latestSweep(steps: readonly (StepLike & { kind: string })[]): SweepReport | null {
  for (let i = steps.length - 1; i >= 0; i--) {
    const details = steps[i]!.metrics.details as { sweep?: SweepReport } | undefined;
    if (steps[i]!.kind === 'sweep' && details?.sweep) return details.sweep;
  }
  return null;
}

/** The spread a point's repeats give on the chosen rows: of RMSE, or of accuracy where there is no RMSE. */
function sideSpread(m: SweepMetrics, side: SweepSide): number | undefined {
  return (side === 'val' ? m.valRmse : m.testRmse) ?? (side === 'val' ? m.valAccuracy : m.testAccuracy);
}

/** Error where smaller is better, on the chosen rows: RMSE, or 1 - accuracy; null when not measured. */
export function sweepError(point: SweepPoint, side: SweepSide): number | null {
  const value = sweepErrorOf(point.metrics, side);
  return Number.isFinite(value) ? value : null;
}

/**
 * The standard deviation of sweepError over the point's initialisations (1 - accuracy spreads as accuracy does); null
 * when it was trained once.
 */
export function sweepSpread(point: SweepPoint, side: SweepSide): number | null {
  const sd = point.spread ? sideSpread(point.spread, side) : undefined;
  return sd !== undefined && Number.isFinite(sd) ? sd : null;
}

/** "validation RMSE (progression, in its units)" or "test error rate (1 − accuracy)". */
export function sweepAxisName(report: SweepReport, side: SweepSide): string {
  const rows = side === 'val' ? 'validation' : 'test';
  return report.task === 'regression' ? `${rows} RMSE (${report.target}, in its units)` : `${rows} error rate (1 − accuracy)`;
}

export interface SweepSeries {
  /** [parameters, error, label] per point, label naming the shape (and grid). */
  points: [number, number, string][];
  /** The family's Pareto front (chosen by validation error) at the chosen side's error, by parameters ascending. */
  front: [number, number][];
}

export function sweepLabel(point: Pick<SweepPoint, 'family' | 'shape' | 'grid'>): string {
  return `${point.family.toUpperCase()} [${point.shape.join(', ')}]${point.grid !== undefined ? ` G=${point.grid}` : ''}`;
}

/** Points and front of one family; points without a positive error are left out (the axis is logarithmic). */
export function sweepSeries(report: SweepReport, family: SweepPoint['family'], side: SweepSide): SweepSeries {
  const plotted = (p: SweepPoint): [number, number] | null => {
    const error = sweepError(p, side);
    return error !== null && error > 0 && p.params > 0 ? [p.params, error] : null;
  };
  const points = report.points.filter((p) => p.family === family).flatMap((p) => {
    const xy = plotted(p);
    return xy ? [[xy[0], xy[1], sweepLabel(p)] as [number, number, string]] : [];
  });
  const front = report.fronts[family].flatMap((p) => {
    const xy = plotted(p);
    return xy ? [xy] : [];
  });
  return { points, front };
}
