import { describe, expect, it } from 'vitest';
import { DataError, splitTrainTest, type NumericTable } from '../../../app/data';

function dataError(action: () => unknown): DataError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

/** Column 0 is the row id, column 1 is id squared, column 2 a class index from classOf. */
function idTable(rows: number, classOf: (id: number) => number = () => 0): NumericTable {
  const data = new Float64Array(rows * 3);
  for (let r = 0; r < rows; r++) data.set([r, r * r, classOf(r)], r * 3);
  return { columns: ['id', 'square', 'class'], rows, data };
}

const ids = (table: NumericTable): number[] => Array.from({ length: table.rows }, (_, r) => table.data[r * 3]!);

describe('splitTrainTest', () => {
  it('splits into disjoint sides that cover every row, keeping whole rows together', () => {
    const table = idTable(103);
    const { train, test } = splitTrainTest(table, 0.2, 5);
    expect(test.rows).toBe(21);
    expect(train.rows).toBe(82);
    expect(train.columns).toEqual(table.columns);
    const all = [...ids(train), ...ids(test)].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 103 }, (_, i) => i));
    for (const side of [train, test]) for (let r = 0; r < side.rows; r++) expect(side.data[r * 3 + 1]).toBe(side.data[r * 3]! ** 2);
  });

  it('shuffles with the seed: same seed same split, another seed another split', () => {
    const table = idTable(200);
    const a = splitTrainTest(table, 0.25, 1);
    const b = splitTrainTest(table, 0.25, 1);
    const c = splitTrainTest(table, 0.25, 2);
    expect(ids(b.test)).toEqual(ids(a.test));
    expect(ids(c.test)).not.toEqual(ids(a.test));
    expect(ids(a.test)).not.toEqual([...ids(a.test)].sort((x, y) => x - y));
  });

  it('keeps at least one row on each side', () => {
    expect(splitTrainTest(idTable(2), 0.01, 0).test.rows).toBe(1);
    expect(splitTrainTest(idTable(2), 0.99, 0).train.rows).toBe(1);
    expect(splitTrainTest(idTable(10), 0.99, 0).train.rows).toBe(1);
  });

  it('rejects fractions outside (0, 1) and tables under two rows', () => {
    for (const fraction of [0, 1, -0.1, 1.5, Number.NaN]) {
      const error = dataError(() => splitTrainTest(idTable(10), fraction, 0));
      expect(error.code).toBe('bad_split');
      expect(error.message).toContain('between 0 and 1');
    }
    const tiny = dataError(() => splitTrainTest(idTable(1), 0.5, 0));
    expect(tiny.code).toBe('bad_split');
    expect(tiny.message).toContain('1 row');
  });

  it('keeps class proportions when stratified', () => {
    // 50 / 30 / 20 rows of classes 0 / 1 / 2.
    const table = idTable(100, (id) => (id < 50 ? 0 : id < 80 ? 1 : 2));
    const { train, test } = splitTrainTest(table, 0.2, 3, { stratified: true });
    const count = (side: NumericTable, label: number) => {
      let n = 0;
      for (let r = 0; r < side.rows; r++) if (side.data[r * 3 + 2] === label) n++;
      return n;
    };
    expect([0, 1, 2].map((label) => count(test, label))).toEqual([10, 6, 4]);
    expect([0, 1, 2].map((label) => count(train, label))).toEqual([40, 24, 16]);
    expect([...ids(train), ...ids(test)].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
  });

  it('hits the asked test size exactly when class shares do not round evenly', () => {
    const table = idTable(10, (id) => id % 3);
    const { test } = splitTrainTest(table, 0.5, 9, { stratified: true, classColumn: 2 });
    expect(test.rows).toBe(5);
    const labels = ids(test).map((id) => id % 3).sort();
    // Class sizes 4/3/3 at 50 %: 2 + 1.5 + 1.5 -> 2 + 2 + 1 by largest remainder, ties to the lower class.
    expect(labels).toEqual([0, 0, 1, 1, 2]);
  });

  it('refuses to stratify on a column that does not hold class indices', () => {
    const error = dataError(() => splitTrainTest(idTable(10, (id) => id / 2), 0.3, 0, { stratified: true }));
    expect(error.code).toBe('bad_split');
    expect(error.message).toContain('"class"');
    expect(error.details?.row).toBe(2);
  });
});
