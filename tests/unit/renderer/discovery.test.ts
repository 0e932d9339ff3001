// The Formula view's reading of a discover step: fronts parsed from stored details, row order, edges, and the plot.
import { describe, expect, it } from 'vitest';
import { readDiscovery } from '../../../app/api/contract';
import { COLORS } from '../../../renderer/src/lib/charts';
import { chosenIndex, logFloor, paretoChartOption, rankingError, rowEdges, tableOrder, type ParetoRow } from '../../../renderer/src/lib/discovery';

function row(complexity: number, valRmse: number | null, chosen = false, edges: Record<string, string> = {}): ParetoRow {
  return { text: `f${complexity}`, latex: `f_{${complexity}}`, python: `f${complexity}`, js: `return ${complexity};`, complexity, trainRmse: valRmse, valRmse, testRmse: valRmse, source: 'sum [2,1,1]', edges, chosen };
}

const front = [row(1, 1.4), row(5, 1.0), row(9, 0, true, { '0.0.0': 'sin', '0.1.0': 'x^2' }), row(13, 0)];

describe('discover step details', () => {
  it('reads one front or one per output, and nothing from other steps', () => {
    expect(readDiscovery({ pareto: front, tried: 9, timedOut: true })).toEqual({ fronts: [front], tried: 9, timedOut: true });
    expect(readDiscovery({ pareto: [front, front.slice(0, 2)], tried: 9, timedOut: false })?.fronts.map((f) => f.length)).toEqual([4, 2]);
    expect(readDiscovery({ formula: { text: 'x' } })).toBeNull();
    expect(readDiscovery(undefined)).toBeNull();
  });
});

describe('the front as a table', () => {
  it('puts the chosen row first and keeps the others by complexity', () => {
    expect(tableOrder(front)).toEqual([2, 0, 1, 3]);
    expect(chosenIndex(front)).toBe(2);
    expect(chosenIndex([row(1, 1), row(2, 0.5)])).toBe(0);
  });

  it('names the edges a row came from', () => {
    expect([...rowEdges(front[2])]).toEqual(['0.0.0', '0.1.0']);
    expect(rowEdges(front[0]).size).toBe(0);
  });
});

describe('the front as a plot', () => {
  it('draws exact fits a decade under the smallest error, on a power of ten', () => {
    expect(logFloor([1.4, 0.03, 0])).toBeCloseTo(1e-3, 15);
    expect(logFloor([0, null])).toBe(1e-16);
  });

  it('labels both axes with what they measure and marks the chosen and the shown rows', () => {
    const option = paretoChartOption(front, 1, 'y', COLORS.light) as {
      xAxis: { name: string }; yAxis: { name: string; type: string; min?: number; axisLabel: { formatter: (v: number) => string } };
      series: { name: string; data: { value: [number, number]; row: number }[] }[];
    };
    expect(option.xAxis.name).toMatch(/complexity/);
    expect(option.yAxis.type).toBe('log');
    expect(option.yAxis.name).toBe('validation RMSE (units of y)');
    expect(option.yAxis.min).toBeCloseTo(0.1, 15);
    expect(option.yAxis.axisLabel.formatter(0.1)).toBe('0 (exact)');
    expect(option.yAxis.axisLabel.formatter(1)).toBe('1');
    const series = Object.fromEntries(option.series.map((s) => [s.name, s.data]));
    expect(series['Pareto front']!.map((p) => p.value)).toEqual([[1, 1.4], [5, 1.0], [9, 0.1], [13, 0.1]]);
    expect(series.chosen!.map((p) => p.row)).toEqual([2]);
    expect(series.shown!.map((p) => p.row)).toEqual([1]);
  });

  it('plots the error the front was ranked by: the selection RMSE where the run has it, not the validation RMSE', () => {
    // The law (complexity 9) fits all rows best although an approximation (5) was luckier on the validation rows.
    const ranked = [row(1, 1.4), row(5, 0.0094), row(9, 0.0092, true)].map((r, q) => ({ ...r, selectionRmse: [1.3, 0.0103, 0.0099][q]! }));
    const option = paretoChartOption(ranked, 0, 'y', COLORS.light) as { yAxis: { name: string }; series: { name: string; data: { value: [number, number] }[] }[] };
    expect(option.yAxis.name).toBe('RMSE on all rows, free constants charged (units of y)');
    expect(option.series[0]!.data.map((p) => p.value)).toEqual([[1, 1.3], [5, 0.0103], [9, 0.0099]]);
    expect(rankingError(ranked[1]!)).toBe(0.0103);
    expect(rankingError(front[1]!)).toBe(front[1]!.valRmse);
  });
});
