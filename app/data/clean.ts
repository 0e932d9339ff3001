/**
 * Cleaning a numeric table before training: constant and duplicate columns found all at once, and missing cells (NaN)
 * either dropped with their rows or filled with the mean of the training rows.
 */

import { DataError } from './errors';
import { selectRows, type NumericTable } from './table';

export interface RedundantColumns {
  /** Columns with one value in every row that is not missing (an empty column counts as constant). */
  constant: string[];
  /** Columns equal in every row, missing cells included, to an earlier column: sameAs, which is kept. */
  duplicate: { column: string; sameAs: string }[];
}

const sameCell = (a: number, b: number): boolean => a === b || (a !== a && b !== b);

/** Constant and duplicate columns among the listed ones, in table order; one pass over the data per column. */
export function findRedundantColumns(table: NumericTable, columnIndices: readonly number[]): RedundantColumns {
  const width = table.columns.length;
  const { rows, data } = table;
  const constant: string[] = [];
  const varying: number[] = [];
  for (const c of columnIndices) {
    let first = Number.NaN;
    let isConstant = true;
    for (let r = 0; r < rows && isConstant; r++) {
      const value = data[r * width + c]!;
      if (value !== value) continue;
      if (first !== first) first = value;
      else if (value !== first) isConstant = false;
    }
    if (isConstant) constant.push(table.columns[c]!);
    else varying.push(c);
  }

  // Columns are grouped by a hash of their values, so only columns that probably match are compared cell by cell.
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);
  const byHash = new Map<number, number[]>();
  const duplicate: RedundantColumns['duplicate'] = [];
  for (const c of varying) {
    let hash = 0x811c9dc5;
    for (let r = 0; r < rows; r++) {
      const value = data[r * width + c]!;
      bits[0] = value !== value ? Number.NaN : value === 0 ? 0 : value;
      hash = Math.imul(hash ^ words[0]!, 0x01000193);
      hash = Math.imul(hash ^ words[1]!, 0x01000193);
    }
    const candidates = byHash.get(hash) ?? [];
    const original = candidates.find((earlier) => {
      for (let r = 0; r < rows; r++) if (!sameCell(data[r * width + earlier]!, data[r * width + c]!)) return false;
      return true;
    });
    if (original === undefined) byHash.set(hash, [...candidates, c]);
    else duplicate.push({ column: table.columns[c]!, sameAs: table.columns[original]! });
  }
  return { constant, duplicate };
}

/** A copy of the table without the named columns. */
export function withoutColumns(table: NumericTable, names: ReadonlySet<string>): NumericTable {
  const kept = table.columns.flatMap((name, c) => (names.has(name) ? [] : [c]));
  const width = table.columns.length;
  const data = new Float64Array(table.rows * kept.length);
  for (let r = 0; r < table.rows; r++) for (let k = 0; k < kept.length; k++) data[r * kept.length + k] = table.data[r * width + kept[k]!]!;
  return { columns: kept.map((c) => table.columns[c]!), rows: table.rows, data };
}

/** Missing cells (NaN) per listed column, only for columns that have some. */
export function countMissing(table: NumericTable, columnIndices: readonly number[]): Record<string, number> {
  const width = table.columns.length;
  const counts: Record<string, number> = {};
  for (const c of columnIndices) {
    let missing = 0;
    for (let r = 0; r < table.rows; r++) if (Number.isNaN(table.data[r * width + c]!)) missing++;
    if (missing > 0) counts[table.columns[c]!] = missing;
  }
  return counts;
}

/** The table without the rows that miss a value in any of the listed columns, and how many rows went. */
export function dropRowsWithMissing(table: NumericTable, columnIndices: readonly number[]): { table: NumericTable; rowsDropped: number } {
  const width = table.columns.length;
  const kept: number[] = [];
  for (let r = 0; r < table.rows; r++) if (columnIndices.every((c) => !Number.isNaN(table.data[r * width + c]!))) kept.push(r);
  if (kept.length === table.rows) return { table, rowsDropped: 0 };
  return { table: selectRows(table, kept), rowsDropped: table.rows - kept.length };
}

/** mean[k] fills the missing cells of columns[k]; fitted on training rows only, so the test rows never shape it. */
export interface MeanImputer {
  columns: string[];
  mean: number[];
}

export function fitMeanImputer(train: NumericTable, columnIndices: readonly number[]): MeanImputer {
  const width = train.columns.length;
  const columns: string[] = [];
  const mean: number[] = [];
  for (const c of columnIndices) {
    let sum = 0;
    let count = 0;
    for (let r = 0; r < train.rows; r++) {
      const value = train.data[r * width + c]!;
      if (!Number.isNaN(value)) {
        sum += value;
        count++;
      }
    }
    if (count === 0) {
      const column = train.columns[c]!;
      throw new DataError('bad_table', `Column "${column}" has no values in the training rows, so there is nothing to impute from. Ignore the column or fill it in.`, { column });
    }
    columns.push(train.columns[c]!);
    mean.push(sum / count);
  }
  return { columns, mean };
}

/** A copy of the table with the imputer's columns filled, and how many cells were filled per column (only those with some). */
export function applyMeanImputer(table: NumericTable, imputer: MeanImputer): { table: NumericTable; filled: Record<string, number> } {
  const width = table.columns.length;
  const data = table.data.slice();
  const filled: Record<string, number> = {};
  imputer.columns.forEach((name, k) => {
    const c = table.columns.indexOf(name);
    let count = 0;
    for (let r = 0; r < table.rows; r++) {
      if (Number.isNaN(data[r * width + c]!)) {
        data[r * width + c] = imputer.mean[k]!;
        count++;
      }
    }
    if (count > 0) filled[name] = count;
  });
  return { table: { columns: table.columns.slice(), rows: table.rows, data }, filled };
}
