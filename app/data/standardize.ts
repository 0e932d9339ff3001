/** Per-column standardisation (x - mean) / std, with statistics kept as plain JSON so a stored run can map formulas back to raw units. */

import { DataError } from './errors';
import { columnIndex, type NumericTable } from './table';

/** mean[k] and std[k] belong to columns[k]; columns are matched by name when applied. */
export interface Standardizer {
  columns: string[];
  mean: number[];
  std: number[];
}

/**
 * Population statistics of the listed columns. A column whose spread is zero, or only rounding noise
 * relative to its mean, gets std 1 so that standardising it cannot divide by zero.
 */
export function fitStandardizer(table: NumericTable, columnIndices: number[]): Standardizer {
  const width = table.columns.length;
  if (table.rows === 0) {
    throw new DataError('bad_table', 'The table has no rows, so there are no statistics to standardise with. Load data first.');
  }
  const columns: string[] = [];
  const mean: number[] = [];
  const std: number[] = [];
  for (const c of columnIndices) {
    if (!Number.isInteger(c) || c < 0 || c >= width) {
      throw new DataError('bad_table', `Column index ${c} is outside the table's ${width} columns. Choose columns 0..${width - 1}.`, { column: c });
    }
    let sum = 0;
    for (let r = 0; r < table.rows; r++) sum += table.data[r * width + c]!;
    const m = sum / table.rows;
    let squares = 0;
    for (let r = 0; r < table.rows; r++) {
      const d = table.data[r * width + c]! - m;
      squares += d * d;
    }
    const s = Math.sqrt(squares / table.rows);
    columns.push(table.columns[c]!);
    mean.push(m);
    std.push(s > 1e-12 * Math.abs(m) && s > 0 ? s : 1);
  }
  return { columns, mean, std };
}

/** A new table with the standardiser's columns standardised and every other column copied unchanged. */
export function applyStandardizer(table: NumericTable, s: Standardizer): NumericTable {
  const width = table.columns.length;
  const data = table.data.slice();
  s.columns.forEach((name, k) => {
    const c = columnIndex(table, name);
    const m = s.mean[k]!;
    const inverseStd = 1 / s.std[k]!;
    for (let r = 0; r < table.rows; r++) data[r * width + c] = (data[r * width + c]! - m) * inverseStd;
  });
  return { columns: table.columns.slice(), rows: table.rows, data };
}

/** The mean and std that standardise the named column: raw = mean + std * standardised; {0, 1} where it is not standardised. */
export function columnScale(s: Standardizer | null, name: string): { mean: number; std: number } {
  const k = s ? s.columns.indexOf(name) : -1;
  return k < 0 ? { mean: 0, std: 1 } : { mean: s!.mean[k]!, std: s!.std[k]! };
}

/** Standardised values of one column back to raw units; column is a position in s.columns or a column name. */
export function invertStandardizer(values: ArrayLike<number>, s: Standardizer, column: number | string): Float64Array {
  const k = typeof column === 'number' ? column : s.columns.indexOf(column);
  if (!Number.isInteger(k) || k < 0 || k >= s.columns.length) {
    throw new DataError(
      'bad_table',
      `Column ${typeof column === 'number' ? column : `"${column}"`} is not one of the standardised columns (${s.columns.join(', ')}). Choose one of those.`,
      { column: String(column), available: s.columns.slice() },
    );
  }
  const m = s.mean[k]!;
  const sd = s.std[k]!;
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i]! * sd + m;
  return out;
}
