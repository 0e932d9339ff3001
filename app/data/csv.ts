/** CSV import: text to raw cells (papaparse), a preview, and the selected columns to a numeric table with user-facing errors. */

import Papa from 'papaparse';
import { DataError, listForMessage, quoteForMessage } from './errors';
import type { NumericTable } from './table';

export interface CsvParseOptions {
  /** Largest accepted text, counted in UTF-16 characters (bytes for ASCII files); default 200 MB. */
  maxBytes?: number;
  /** Field delimiter; detected from the first lines when absent. */
  delimiter?: string;
}

export interface ParsedCsv {
  columns: string[];
  rows: number;
  /** [rows][columns], raw text, blank lines removed. */
  cells: string[][];
  /** 1-based line in the file where each row starts (the header is line 1); without it rows are assumed to follow the header line by line. */
  lines?: number[];
}

export interface ColumnSelection {
  inputs: string[];
  target: string[];
  task: 'regression' | 'classification';
  /** Missing cells become NaN (class labels too) instead of an error, for the caller to drop or impute. */
  keepMissing?: boolean;
}

export interface CsvTable {
  /** Columns: inputs, then targets. */
  table: NumericTable;
  inputs: string[];
  targets: string[];
  /** Classification only: the sorted distinct labels; the target column holds indices into this list. */
  classes?: string[];
}

export const DEFAULT_MAX_CSV_BYTES = 200 * 1024 * 1024;
/** More classes than this almost always means a continuous column was picked as a class label. */
export const MAX_CLASSES = 1000;

// The fraction hangs on its point, so a run of digits has one way to match: linear time even on a 1 MB cell that ends in a letter.
const NUMBER_PATTERN = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const MISSING_MARKERS = new Set(['', 'na', 'n/a', '#n/a', 'nan', 'null', 'none', '?']);
const LINE_BREAK = /\r\n|\r|\n/g;

/** Empty cells and the usual markers of a missing value (NA, NaN, null, ?), in any case. */
export function isMissingCell(raw: string): boolean {
  return MISSING_MARKERS.has(raw.trim().toLowerCase());
}

/** The number in a cell, or null when the cell is not a finite number. */
export function parseNumberCell(raw: string): number | null {
  const text = raw.trim();
  if (!NUMBER_PATTERN.test(text)) return null;
  const value = Number(text);
  return Number.isFinite(value) ? value : null;
}

function lineBreakCount(text: string): number {
  LINE_BREAK.lastIndex = 0;
  let count = 0;
  while (LINE_BREAK.exec(text) !== null) count++;
  return count;
}

function isBlankRecord(record: string[]): boolean {
  for (const field of record) if (field.trim() !== '') return false;
  return true;
}

/** Parses CSV text with a header row; throws DataError for empty, malformed or ragged files. */
export function parseCsvText(text: string, options: CsvParseOptions = {}): ParsedCsv {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_CSV_BYTES;
  if (text.length > maxBytes) {
    throw new DataError(
      'too_large',
      `The file is ${formatSize(text.length)}, more than the ${formatSize(maxBytes)} limit. Use a smaller file or a sample of its rows.`,
      { size: text.length, limit: maxBytes },
    );
  }
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') {
    throw new DataError('csv_empty', 'The file is empty. Choose a CSV file with a header row and at least one data row.');
  }
  // A NUL is never CSV text: the file is binary, or UTF-16 (every other byte of its ASCII is 0) read as UTF-8.
  const nul = body.indexOf('\u0000');
  if (nul >= 0) {
    throw new DataError('csv_binary', `The file holds NUL characters (the first at character ${nul + 1}), so it is binary or UTF-16 text, not a CSV as read. Save it as UTF-8 CSV text.`, { at: nul + 1 });
  }
  // Detection runs on a few non-blank lines; the full parse keeps blank lines so that line numbers stay true.
  const delimiter =
    options.delimiter ?? Papa.parse<string[]>(body, { preview: 20, skipEmptyLines: 'greedy', delimiter: '' }).meta.delimiter;
  const parsed = Papa.parse<string[]>(body, { delimiter, skipEmptyLines: false });

  const records = parsed.data;
  const recordLines = new Array<number>(records.length);
  const mayHoldLineBreaks = body.includes('"');
  let line = 1;
  for (let r = 0; r < records.length; r++) {
    recordLines[r] = line;
    line += 1;
    if (mayHoldLineBreaks) for (const field of records[r]!) if (field.length > 0) line += lineBreakCount(field);
  }

  const quoteError = parsed.errors.find((error) => error.type === 'Quotes');
  if (quoteError) {
    const quoteLine = recordLines[quoteError.row ?? 0] ?? 1;
    throw new DataError(
      'csv_quotes',
      `Row ${quoteLine} has a badly quoted field (${quoteError.message.toLowerCase()}). Close the quotes in that row, or double a quote that belongs inside a field ("").`,
      { row: quoteLine, reason: quoteError.code },
    );
  }

  let headerIndex = 0;
  while (headerIndex < records.length && isBlankRecord(records[headerIndex]!)) headerIndex++;
  const header = records[headerIndex];
  if (header === undefined) {
    throw new DataError('csv_empty', 'The file is empty. Choose a CSV file with a header row and at least one data row.');
  }
  const columns = header.map((name) => name.trim());
  checkHeader(columns, recordLines[headerIndex]!);

  const cells: string[][] = [];
  const lines: number[] = [];
  for (let r = headerIndex + 1; r < records.length; r++) {
    const record = records[r]!;
    if (isBlankRecord(record)) continue;
    if (record.length !== columns.length) {
      const row = recordLines[r]!;
      throw new DataError(
        'csv_ragged',
        `Row ${row} has ${record.length} field${record.length === 1 ? '' : 's'} but the header has ${columns.length}. Make every row have one value per column (check for stray delimiters or unquoted ${describeDelimiter(delimiter)}s).`,
        { row, expected: columns.length, found: record.length },
      );
    }
    cells.push(record);
    lines.push(recordLines[r]!);
  }
  if (cells.length === 0) {
    throw new DataError('csv_empty', 'The file has a header row but no data rows. Add at least one row of data below the header.', {
      columns: columns.slice(),
    });
  }
  return { columns, rows: cells.length, cells, lines };
}

function checkHeader(columns: string[], headerLine: number): void {
  const emptyAt = columns.findIndex((name) => name === '');
  if (emptyAt >= 0) {
    throw new DataError(
      'csv_bad_header',
      `Column ${emptyAt + 1} of the header (row ${headerLine}) has no name. Give every column a name in the first row.`,
      { column: emptyAt + 1, row: headerLine },
    );
  }
  const seen = new Set<string>();
  for (const name of columns) {
    if (seen.has(name)) {
      throw new DataError('csv_bad_header', `The header names the column "${quoteForMessage(name)}" twice. Give every column a different name.`, {
        column: name,
        row: headerLine,
      });
    }
    seen.add(name);
  }
}

function describeDelimiter(delimiter: string): string {
  if (delimiter === ',') return 'comma';
  if (delimiter === ';') return 'semicolon';
  if (delimiter === '\t') return 'tab';
  return `"${delimiter}"`;
}

function formatSize(characters: number): string {
  return characters >= 1024 * 1024 ? `${(characters / (1024 * 1024)).toFixed(1)} MB` : `${characters} bytes`;
}

/** Characters of a file that a preview reads: enough for the first rows and a profile, and a 200 MB file costs no more than a small one. */
export const PREVIEW_MAX_CHARS = 1024 * 1024;

/**
 * The start of a CSV text for a preview: whole lines, at most maxChars. `cut` says the text is already the start of a
 * larger file (a client sent only its first part), so its last line may be incomplete and is left out too. partial says
 * whether any of the file was left out.
 */
export function previewSlice(text: string, maxChars = PREVIEW_MAX_CHARS, cut = false): { text: string; partial: boolean } {
  if (text.length <= maxChars && !cut) return { text, partial: false };
  const head = text.slice(0, maxChars);
  const lastBreak = Math.max(head.lastIndexOf('\n'), head.lastIndexOf('\r'));
  return { text: lastBreak > 0 ? head.slice(0, lastBreak + 1) : head, partial: true };
}

/** The first rows for display, and which columns hold a number in every row that is not missing (candidates for inputs and regression targets). */
export function previewCsv(parsed: ParsedCsv, maxRows: number): { columns: string[]; rows: string[][]; numericColumns: string[] } {
  const numeric = parsed.columns.map(() => true);
  for (const record of parsed.cells) {
    for (let c = 0; c < numeric.length; c++) {
      const raw = record[c] ?? '';
      if (numeric[c] && parseNumberCell(raw) === null && !isMissingCell(raw)) numeric[c] = false;
    }
  }
  return {
    columns: parsed.columns.slice(),
    rows: parsed.cells.slice(0, Math.max(0, maxRows)).map((record) => record.slice()),
    numericColumns: parsed.columns.filter((_, c) => numeric[c]),
  };
}

function fileLine(parsed: ParsedCsv, row: number): number {
  return parsed.lines?.[row] ?? row + 2;
}

/**
 * Largest magnitude a numeric cell may have. Training squares values and sums the squares over rows (losses,
 * variances, least squares): 1e150 squared is 1e300, which leaves room for 1e8 rows under Float64's 1.8e308.
 */
export const MAX_CELL_MAGNITUDE = 1e150;

function checkMagnitudes(parsed: ParsedCsv, data: Float64Array, width: number, numericWidth: number, columns: readonly string[]): void {
  for (let r = 0; r < parsed.rows; r++) {
    for (let c = 0; c < numericWidth; c++) {
      const value = data[r * width + c]!;
      if (Math.abs(value) > MAX_CELL_MAGNITUDE) {
        throw new DataError(
          'csv_out_of_range',
          `Row ${fileLine(parsed, r)}, column "${columns[c]}": ${value} is too large in magnitude; training squares values, and beyond ${MAX_CELL_MAGNITUDE} its squares would overflow. Rescale the column (for example, divide it by a power of ten) so its values stay within ±${MAX_CELL_MAGNITUDE}.`,
          { row: fileLine(parsed, r), column: columns[c]!, value: String(value), limit: MAX_CELL_MAGNITUDE },
        );
      }
    }
  }
}

function cellError(parsed: ParsedCsv, row: number, column: string, raw: string): DataError {
  const line = fileLine(parsed, row);
  // A cell or a name is quoted only by its start: a 1 MB cell, or a line of a file that is not a CSV, is never printed whole.
  const trimmed = raw.trim();
  const value = quoteForMessage(trimmed);
  const shownColumn = quoteForMessage(column);
  const details = { row: line, column, value: quoteForMessage(raw) };
  if (trimmed === '') {
    return new DataError(
      'csv_missing_value',
      `Row ${line}, column "${shownColumn}" is empty; every selected column needs a number in every row. Fill the cell in or delete the row.`,
      details,
    );
  }
  if (MISSING_MARKERS.has(trimmed.toLowerCase())) {
    return new DataError(
      'csv_missing_value',
      `Row ${line}, column "${shownColumn}": "${value}" marks a missing value, which is not a number. Fill the cell in or delete the row.`,
      details,
    );
  }
  if (/^[+-]?\d+,\d+$/.test(trimmed)) {
    return new DataError(
      'csv_non_numeric',
      `Row ${line}, column "${shownColumn}": "${value}" is not a number because it uses a decimal comma. Write decimals with a point (${value.replace(',', '.')}).`,
      details,
    );
  }
  if (NUMBER_PATTERN.test(trimmed)) {
    return new DataError(
      'csv_non_numeric',
      `Row ${line}, column "${shownColumn}": "${value}" is too large to be a finite number. Rescale the column.`,
      details,
    );
  }
  return new DataError(
    'csv_non_numeric',
    `Row ${line}, column "${shownColumn}": "${value}" is not a number. Fix the cell or mark the column as ignored.`,
    details,
  );
}

function checkSelection(parsed: ParsedCsv, selection: ColumnSelection): void {
  const { inputs, target, task } = selection;
  if (inputs.length === 0) {
    throw new DataError('csv_bad_selection', 'No input columns are selected. Select at least one column as an input.');
  }
  if (target.length === 0) {
    throw new DataError('csv_bad_selection', 'No target column is selected. Select the column to predict as the target.');
  }
  const selected = [...inputs, ...target];
  const available = parsed.columns;
  for (const name of selected) {
    if (!available.includes(name)) {
      throw new DataError(
        'csv_missing_column',
        `Column "${quoteForMessage(name)}" is not in the file (available: ${listForMessage(available)}). Pick one of the available columns.`,
        { column: name, available: available.slice() },
      );
    }
  }
  for (const name of target) {
    if (inputs.includes(name)) {
      throw new DataError(
        'csv_target_in_inputs',
        `Column "${quoteForMessage(name)}" is selected both as an input and as a target. Remove it from the inputs or from the targets.`,
        { column: name },
      );
    }
  }
  const seen = new Set<string>();
  for (const name of selected) {
    if (seen.has(name)) {
      throw new DataError('csv_bad_selection', `Column "${quoteForMessage(name)}" is selected twice. Select each column once.`, { column: name });
    }
    seen.add(name);
  }
  if (task === 'classification' && target.length !== 1) {
    throw new DataError(
      'csv_classification_targets',
      `Classification needs exactly one target column holding the class labels, but ${target.length} are selected (${listForMessage(target)}). Keep only the label column as the target.`,
      { targets: target.slice() },
    );
  }
}

/** Sorted distinct labels: numerically when every label is a number (so 2 comes before 10), otherwise by code point. */
function classLabels(parsed: ParsedCsv, columnIndex: number, column: string, keepMissing: boolean): { classes: string[]; labelOf: (raw: string) => string } {
  let allNumeric = true;
  for (let r = 0; r < parsed.rows; r++) {
    const raw = parsed.cells[r]![columnIndex]!;
    if (isMissingCell(raw)) {
      if (keepMissing) continue;
      throw cellError(parsed, r, column, raw);
    }
    if (allNumeric && parseNumberCell(raw) === null) allNumeric = false;
  }
  // Numeric labels are canonicalised so that "1" and "1.0" are one class.
  const labelOf = allNumeric ? (raw: string) => String(parseNumberCell(raw)) : (raw: string) => raw.trim();
  const distinct = new Set<string>();
  for (let r = 0; r < parsed.rows; r++) {
    const raw = parsed.cells[r]![columnIndex]!;
    if (!isMissingCell(raw)) distinct.add(labelOf(raw));
  }
  const classes = [...distinct].sort(allNumeric ? (a, b) => Number(a) - Number(b) : (a, b) => (a < b ? -1 : a > b ? 1 : 0));
  if (classes.length < 2) {
    throw new DataError(
      'csv_too_few_classes',
      `The target column "${quoteForMessage(column)}" has only one class (${quoteForMessage(classes[0] ?? '')}); classification needs at least two. Pick a column with several labels or use regression.`,
      { column, classes },
    );
  }
  if (classes.length > MAX_CLASSES) {
    throw new DataError(
      'csv_too_many_classes',
      `The target column "${quoteForMessage(column)}" has ${classes.length} distinct labels, more than the ${MAX_CLASSES} a classifier accepts. If it holds measurements, choose regression instead.`,
      { column, classes: classes.length, limit: MAX_CLASSES },
    );
  }
  return { classes, labelOf };
}

/**
 * Turns the selected columns into a numeric table (inputs, then targets); every cell used must be a finite number, except
 * class labels, and except missing cells when selection.keepMissing is set (they become NaN).
 */
export function csvToTable(parsed: ParsedCsv, selection: ColumnSelection): CsvTable {
  checkSelection(parsed, selection);
  const inputs = selection.inputs.slice();
  const targets = selection.target.slice();
  const classification = selection.task === 'classification';
  const keepMissing = selection.keepMissing ?? false;
  const columns = [...inputs, ...targets];
  const sourceIndex = columns.map((name) => parsed.columns.indexOf(name));
  const width = columns.length;
  // Class labels are text; only the numeric columns are read cell by cell below.
  const numericWidth = classification ? inputs.length : width;

  const rows = parsed.rows;
  const data = new Float64Array(rows * width); // [rows][inputs..., targets...]
  for (let r = 0; r < rows; r++) {
    const record = parsed.cells[r]!;
    for (let c = 0; c < numericWidth; c++) {
      const raw = record[sourceIndex[c]!] ?? '';
      const value = parseNumberCell(raw);
      if (value !== null) data[r * width + c] = value;
      else if (keepMissing && isMissingCell(raw)) data[r * width + c] = Number.NaN;
      else throw cellError(parsed, r, columns[c]!, raw);
    }
  }
  checkMagnitudes(parsed, data, width, numericWidth, columns);

  let classes: string[] | undefined;
  if (classification) {
    const targetIndex = sourceIndex[width - 1]!;
    const labels = classLabels(parsed, targetIndex, targets[0]!, keepMissing);
    classes = labels.classes;
    const classIndex = new Map(classes.map((label, index) => [label, index]));
    for (let r = 0; r < rows; r++) {
      const raw = parsed.cells[r]![targetIndex]!;
      data[r * width + width - 1] = isMissingCell(raw) ? Number.NaN : classIndex.get(labels.labelOf(raw))!;
    }
  }

  const table: NumericTable = { columns, rows, data };
  return classes === undefined ? { table, inputs, targets } : { table, inputs, targets, classes };
}
