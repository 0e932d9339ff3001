/** The in-memory dataset: named numeric columns over one flat row-major buffer. */

import { DataError, listForMessage, quoteForMessage } from './errors';

/** data: [rows][columns.length], row-major. */
export interface NumericTable {
  columns: string[];
  rows: number;
  data: Float64Array;
}

/** Copies the listed rows of a table, in the order given, into a new table. */
export function selectRows(table: NumericTable, rowIndices: ArrayLike<number>): NumericTable {
  const width = table.columns.length;
  const data = new Float64Array(rowIndices.length * width);
  for (let r = 0; r < rowIndices.length; r++) {
    const from = rowIndices[r]! * width;
    data.set(table.data.subarray(from, from + width), r * width);
  }
  return { columns: table.columns.slice(), rows: rowIndices.length, data };
}

/** Index of a named column; a missing name is a user error because names come from recipes and stored runs. */
export function columnIndex(table: NumericTable, name: string): number {
  const index = table.columns.indexOf(name);
  if (index < 0) {
    throw new DataError(
      'csv_missing_column',
      `Column "${quoteForMessage(name)}" is not in the table (available: ${listForMessage(table.columns)}). Pick one of the available columns.`,
      { column: name, available: table.columns.slice() },
    );
  }
  return index;
}
