/**
 * `kanbench run --write-split DIR`: the rows a run trains, validates and tests on, written as train.csv, validation.csv
 * (when the run has validation rows) and test.csv, so that another tool (pykan, scikit-learn) can be run on exactly the
 * same rows. Inputs are as the run reads them before standardising (dropped columns left out, imputed cells filled), then
 * the target columns; a class is written as its label in the CSV.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { PreparedData } from '../../app/recipe/data';
import type { NumericTable } from '../../app/data/table';
import { UsageError } from './errors';

/** Writes the split; returns the files written. */
export function writeSplit(data: PreparedData, dir: string): string[] {
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new UsageError(`--write-split: cannot create the folder ${dir} (${(error as NodeJS.ErrnoException).code ?? String(error)}); choose a writable folder`);
  }
  const { train, validation, test } = data.rawTables;
  const parts: [string, NumericTable][] = [['train', train], ...(validation.rows > 0 ? [['validation', validation] as [string, NumericTable]] : []), ['test', test]];
  return parts.map(([name, table]) => {
    const file = path.join(dir, `${name}.csv`);
    fs.writeFileSync(file, tableCsv(table, data));
    return file;
  });
}

function tableCsv(table: NumericTable, data: PreparedData): string {
  const width = table.columns.length;
  const labels = data.classes;
  // A classification's one target column holds class indices; its label is what the CSV said.
  const targetColumn = labels !== null ? width - 1 : -1;
  const lines = [table.columns.map(quoted).join(',')];
  for (let row = 0; row < table.rows; row++) {
    const cells: string[] = [];
    for (let c = 0; c < width; c++) {
      const value = table.data[row * width + c]!;
      cells.push(c === targetColumn ? quoted(labels![value]!) : String(value));
    }
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** A CSV cell: as it is, or in double quotes (quotes doubled) when it holds a comma, a quote or a line break. */
function quoted(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
