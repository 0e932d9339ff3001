/** Seeded train/test splits of a numeric table, optionally stratified by a class-index column. */

import { Rng } from '../util/rng';
import { DataError } from './errors';
import { selectRows, type NumericTable } from './table';

export interface SplitOptions {
  /** Keep each class's share the same on both sides (classification). */
  stratified?: boolean;
  /** Column holding class indices 0..K-1 when stratified; default the last column. */
  classColumn?: number;
}

/** Splits rows into train and test; both sides keep a seeded shuffled order and hold at least one row. */
export function splitTrainTest(
  table: NumericTable,
  testFraction: number,
  seed: number,
  options: SplitOptions = {},
): { train: NumericTable; test: NumericTable } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new DataError('bad_split', `The test fraction must be between 0 and 1 (exclusive), not ${testFraction}. Use for example 0.2.`, {
      testFraction: String(testFraction),
    });
  }
  if (table.rows < 2) {
    throw new DataError('bad_split', `The table has ${table.rows} row${table.rows === 1 ? '' : 's'}; a split needs at least 2. Add more data.`, {
      rows: table.rows,
    });
  }
  const testCount = Math.min(table.rows - 1, Math.max(1, Math.round(table.rows * testFraction)));
  const rng = new Rng(seed);
  const { trainRows, testRows } = options.stratified
    ? stratifiedRows(table, testCount, rng, options.classColumn ?? table.columns.length - 1)
    : randomRows(table.rows, testCount, rng);
  return { train: selectRows(table, trainRows), test: selectRows(table, testRows) };
}

function randomRows(rows: number, testCount: number, rng: Rng): { trainRows: Int32Array; testRows: Int32Array } {
  const order = rng.permutation(rows);
  return { testRows: order.slice(0, testCount), trainRows: order.slice(testCount) };
}

/**
 * Each class gives round-ish `share * size` rows to test; the shares are apportioned by largest remainder so the
 * total is exactly testCount, then both sides are shuffled so classes are interleaved.
 */
function stratifiedRows(table: NumericTable, testCount: number, rng: Rng, classColumn: number): { trainRows: Int32Array; testRows: Int32Array } {
  const width = table.columns.length;
  if (!Number.isInteger(classColumn) || classColumn < 0 || classColumn >= width) {
    throw new DataError('bad_split', `Class column ${classColumn} does not exist in a table of ${width} columns. Name the column that holds the class labels.`, {
      classColumn,
    });
  }
  const members = new Map<number, number[]>();
  for (let r = 0; r < table.rows; r++) {
    const label = table.data[r * width + classColumn]!;
    if (!Number.isInteger(label) || label < 0) {
      throw new DataError(
        'bad_split',
        `A stratified split needs class indices in column "${table.columns[classColumn]}", but row ${r + 1} holds ${label}. Split without stratification or pick the class column.`,
        { column: table.columns[classColumn]!, row: r + 1, value: label },
      );
    }
    const rows = members.get(label);
    if (rows) rows.push(r);
    else members.set(label, [r]);
  }
  const classes = [...members.keys()].sort((a, b) => a - b).map((label) => members.get(label)!);
  const fraction = testCount / table.rows;
  const quotas = classes.map((rows) => Math.floor(rows.length * fraction));
  let remaining = testCount - quotas.reduce((sum, quota) => sum + quota, 0);
  const byRemainder = classes
    .map((rows, k) => ({ k, remainder: rows.length * fraction - quotas[k]! }))
    .sort((a, b) => b.remainder - a.remainder || a.k - b.k);
  for (const { k } of byRemainder) {
    if (remaining === 0) break;
    if (quotas[k]! < classes[k]!.length) {
      quotas[k]! += 1;
      remaining--;
    }
  }

  const testRows: number[] = [];
  const trainRows: number[] = [];
  classes.forEach((rows, k) => {
    rng.shuffle(rows);
    const quota = quotas[k]!;
    for (let i = 0; i < rows.length; i++) (i < quota ? testRows : trainRows).push(rows[i]!);
  });
  rng.shuffle(testRows);
  rng.shuffle(trainRows);
  return { trainRows: Int32Array.from(trainRows), testRows: Int32Array.from(testRows) };
}
