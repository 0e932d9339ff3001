/**
 * A discover step's Pareto front as the Formula view shows it: the table's row order (the chosen formula first), the
 * edges a row's formula names, and the complexity-vs-error plot with the chosen and the selected rows marked.
 */
import type { z } from 'zod';
import type { paretoRow } from '../../../app/api/contract';
import type { ChartOption } from './charts';
import { formatNumber } from './format';

export type ParetoRow = z.output<typeof paretoRow>;

export interface ChartColors {
  text: string;
  muted: string;
  front: string;
  sym: string;
}

/** Indices into the front (sorted by complexity), the chosen row first and the others as they come. */
export function tableOrder(front: readonly ParetoRow[]): number[] {
  const order = front.map((_, i) => i);
  return [...order.filter((i) => front[i]!.chosen), ...order.filter((i) => !front[i]!.chosen)];
}

/** Index of the row discovery chose (the first row if none is marked). */
export function chosenIndex(front: readonly ParetoRow[]): number {
  const i = front.findIndex((r) => r.chosen);
  return i < 0 ? 0 : i;
}

/** The network edges ("layer.input.output") a row's formula came from. */
export function rowEdges(row: ParetoRow | undefined): Set<string> {
  return new Set(Object.keys(row?.edges ?? {}));
}

/**
 * Where an exact fit (RMSE 0) is drawn on the log axis: the power of ten a decade or more under the smallest positive
 * error (1e-16 if none is positive), so it stays on the plot below every inexact one, on a tick labelled "0 (exact)".
 */
export function logFloor(values: readonly (number | null)[]): number {
  const positive = values.filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  return positive.length > 0 ? 10 ** (Math.floor(Math.log10(Math.min(...positive))) - 1) : 1e-16;
}

interface PointData {
  value: [number, number];
  row: number;
  rmse: number | null;
}

/**
 * The error a row's front was ranked by: the selection RMSE (every row, free constants charged; discover/select.ts), or
 * the validation RMSE in runs stored before fronts were ranked so.
 */
export function rankingError(row: ParetoRow): number | null {
  return row.selectionRmse ?? row.valRmse;
}

/** Complexity (x) vs the ranking error (y, log); the front as a staircase, the chosen row ringed, the selected one filled. */
export function paretoChartOption(front: readonly ParetoRow[], selected: number, targetName: string, colors: ChartColors): ChartOption {
  const errors = front.map(rankingError);
  const bySelection = front.some((r) => r.selectionRmse != null);
  const floor = logFloor(errors);
  const anyExact = errors.some((e) => e === 0);
  const points = front.flatMap((r, row): PointData[] => {
    const e = errors[row]!;
    return e === null || !Number.isFinite(e) ? [] : [{ value: [r.complexity, Math.max(e, floor)], row, rmse: e }];
  });
  const errorName = bySelection ? 'RMSE on all rows, free constants charged' : 'validation RMSE';
  const chosen = chosenIndex(front);
  const mark = (row: number): PointData[] => points.filter((p) => p.row === row);
  const tooltip = (p: { data?: PointData }): string => {
    const d = p.data;
    if (!d) return '';
    const r = front[d.row]!;
    const validation = bySelection ? ` · validation RMSE ${formatNumber(r.valRmse)}` : '';
    return `complexity ${r.complexity} · ${errorName} ${formatNumber(d.rmse)}${d.rmse === 0 ? ' (exact)' : ''}${validation}<br/>${escapeHtml(r.text)}`;
  };
  return {
    animation: false,
    grid: { left: 78, right: 18, top: 16, bottom: 70 },
    legend: { bottom: 0 },
    tooltip: { trigger: 'item', formatter: tooltip },
    xAxis: { type: 'value', name: 'complexity (formula size)', nameLocation: 'middle', nameGap: 26, minInterval: 1 },
    yAxis: {
      type: 'log', name: `${errorName} (units of ${targetName})`, nameLocation: 'middle', nameGap: 64,
      // With an exact fit the axis starts at its floor, whose tick says what sits there.
      ...(anyExact ? { min: floor } : {}),
      axisLabel: { formatter: (v: number) => (anyExact && Math.abs(v / floor - 1) < 1e-9 ? '0 (exact)' : formatNumber(v, 2)) },
    },
    series: [
      { name: 'Pareto front', type: 'line', step: 'end', data: points, symbol: 'circle', symbolSize: 8, lineStyle: { color: colors.front, width: 2 }, itemStyle: { color: colors.front } },
      { name: 'chosen', type: 'scatter', data: mark(chosen), symbol: 'circle', symbolSize: 20, itemStyle: { color: 'transparent', borderColor: colors.sym, borderWidth: 3 }, z: 3 },
      { name: 'shown', type: 'scatter', data: mark(selected), symbol: 'diamond', symbolSize: 12, itemStyle: { color: colors.text }, z: 4 },
    ],
  };
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}
