import { describe, expect, it } from 'vitest';
import { DataError, applyStandardizer, fitStandardizer, invertStandardizer, type NumericTable } from '../../../app/data';

function dataError(action: () => unknown): DataError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

/** Columns a = 1..4, c = 0.1 constant, b = 10 * a + 5. */
const table: NumericTable = {
  columns: ['a', 'c', 'b'],
  rows: 4,
  data: Float64Array.from([1, 0.1, 15, 2, 0.1, 25, 3, 0.1, 35, 4, 0.1, 45]),
};

describe('standardisation', () => {
  it('fits population mean and standard deviation per column', () => {
    const s = fitStandardizer(table, [0, 2]);
    expect(s.columns).toEqual(['a', 'b']);
    expect(s.mean).toEqual([2.5, 30]);
    expect(s.std[0]).toBeCloseTo(Math.sqrt(1.25), 14);
    expect(s.std[1]).toBeCloseTo(10 * Math.sqrt(1.25), 12);
  });

  it('gives a constant column std 1, even when its mean carries rounding error', () => {
    const s = fitStandardizer(table, [1]);
    expect(s.std).toEqual([1]);
    expect(s.mean[0]).toBeCloseTo(0.1, 15);
    const zeros: NumericTable = { columns: ['z'], rows: 3, data: new Float64Array(3) };
    expect(fitStandardizer(zeros, [0]).std).toEqual([1]);
  });

  it('standardises to mean 0 and std 1 in a new table, leaving other columns alone', () => {
    const s = fitStandardizer(table, [0, 2]);
    const out = applyStandardizer(table, s);
    expect(out.data).not.toBe(table.data);
    expect(table.data[0]).toBe(1);
    for (const c of [0, 2]) {
      const column = [0, 1, 2, 3].map((r) => out.data[r * 3 + c]!);
      const mean = column.reduce((x, y) => x + y) / 4;
      const variance = column.reduce((x, y) => x + (y - mean) ** 2, 0) / 4;
      expect(mean).toBeCloseTo(0, 14);
      expect(variance).toBeCloseTo(1, 14);
    }
    expect([0, 1, 2, 3].map((r) => out.data[r * 3 + 1])).toEqual([0.1, 0.1, 0.1, 0.1]);
  });

  it('round-trips through JSON and inverts back to raw units, by position or by name', () => {
    const s = JSON.parse(JSON.stringify(fitStandardizer(table, [0, 2])));
    const out = applyStandardizer(table, s);
    const standardB = [0, 1, 2, 3].map((r) => out.data[r * 3 + 2]!);
    const rawB = invertStandardizer(standardB, s, 'b');
    expect(Array.from(rawB).map((v) => Number(v.toFixed(10)))).toEqual([15, 25, 35, 45]);
    const rawA = invertStandardizer(Float64Array.from([0, 1]), s, 0);
    expect(rawA[0]).toBe(2.5);
    expect(rawA[1]).toBeCloseTo(2.5 + Math.sqrt(1.25), 14);
  });

  it('applies train statistics to another table by column name', () => {
    const s = fitStandardizer(table, [2]);
    const other: NumericTable = { columns: ['b', 'a'], rows: 1, data: Float64Array.from([30 + 10 * Math.sqrt(1.25), 7]) };
    const out = applyStandardizer(other, s);
    expect(out.data[0]).toBeCloseTo(1, 14);
    expect(out.data[1]).toBe(7);
  });

  it('names missing columns and bad indices', () => {
    const s = fitStandardizer(table, [0]);
    const missing = dataError(() => applyStandardizer({ columns: ['x'], rows: 1, data: new Float64Array(1) }, s));
    expect(missing.code).toBe('csv_missing_column');
    expect(missing.message).toContain('"a"');
    expect(dataError(() => fitStandardizer(table, [3])).code).toBe('bad_table');
    expect(dataError(() => fitStandardizer({ columns: ['a'], rows: 0, data: new Float64Array(0) }, [0])).code).toBe('bad_table');
    expect(dataError(() => invertStandardizer([1], s, 'b')).message).toContain('"b"');
    expect(dataError(() => invertStandardizer([1], s, 1)).code).toBe('bad_table');
  });
});
