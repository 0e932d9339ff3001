/**
 * What a CSV's columns hold, found in one pass at import so the user hears of every problem at once: missing cells,
 * constant and duplicate columns, and the task each column suggests when it is the target.
 */

import { findRedundantColumns, type RedundantColumns } from './clean';
import { MAX_CLASSES, isMissingCell, parseNumberCell, type ParsedCsv } from './csv';
import type { NumericTable } from './table';

export type InferredTaskName = 'regression' | 'classification';

/** A target with at most this many distinct integer values is taken for class labels (digits 0-9, ratings 1-5, yes/no as 0/1). */
export const MAX_INFERRED_CLASSES = 20;

export interface TargetSummary {
  /** Every cell that is not missing is a number. */
  numeric: boolean;
  /** Numeric and every number is whole. */
  integer: boolean;
  /** Distinct values (missing cells not counted), counted up to MAX_CLASSES + 1. */
  distinct: number;
}

export interface InferredTask {
  task: InferredTaskName;
  /** Why, for the user: "10 distinct integer labels". */
  reason: string;
}

export interface CsvProfile extends RedundantColumns {
  /** Missing cells per column, only for columns that have some. */
  missing: Record<string, number>;
  /** The task each column would give as the only target. */
  tasks: Record<string, InferredTask>;
}

export function summarizeTarget(parsed: ParsedCsv, column: number): TargetSummary {
  return readColumn(parsed, column).summary;
}

/** One pass over a column: its numbers (NaN where missing; null once a cell holds text), its summary and its missing count. */
function readColumn(parsed: ParsedCsv, column: number): { values: Float64Array | null; summary: TargetSummary; missing: number } {
  let values: Float64Array | null = new Float64Array(parsed.rows);
  let integer = true;
  let missing = 0;
  const distinct = new Set<string | number>();
  parsed.cells.forEach((record, r) => {
    const raw = record[column] ?? '';
    if (isMissingCell(raw)) {
      missing++;
      if (values) values[r] = Number.NaN;
      return;
    }
    const value = parseNumberCell(raw);
    if (value === null) values = null;
    else if (values) {
      values[r] = value;
      if (!Number.isInteger(value)) integer = false;
    }
    if (distinct.size <= MAX_CLASSES) distinct.add(value === null ? raw.trim() : value);
  });
  const numeric = values !== null;
  return { values, summary: { numeric, integer: numeric && integer, distinct: distinct.size }, missing };
}

/** Text labels, or few distinct whole numbers, are classes; anything else, or several targets, is regression. */
export function inferTask(targets: readonly TargetSummary[]): InferredTask {
  if (targets.length !== 1) return { task: 'regression', reason: `${targets.length} target columns` };
  const { numeric, integer, distinct } = targets[0]!;
  const count = distinct > MAX_CLASSES ? `more than ${MAX_CLASSES}` : String(distinct);
  if (!numeric) return { task: 'classification', reason: `${count} distinct text labels` };
  if (!integer) return { task: 'regression', reason: 'non-integer values' };
  if (distinct < 2) return { task: 'regression', reason: 'a single value' };
  if (distinct <= MAX_INFERRED_CLASSES) return { task: 'classification', reason: `${distinct} distinct integer labels` };
  return { task: 'regression', reason: `more than ${MAX_INFERRED_CLASSES} distinct integer values` };
}

export function profileCsv(parsed: ParsedCsv): CsvProfile {
  const read = parsed.columns.map((_, c) => readColumn(parsed, c));
  const numericColumns = parsed.columns.flatMap((_, c) => (read[c]!.values ? [c] : []));
  const width = numericColumns.length;
  const data = new Float64Array(parsed.rows * width); // [rows][numeric columns], NaN where missing
  numericColumns.forEach((c, k) => {
    const values = read[c]!.values!;
    for (let r = 0; r < parsed.rows; r++) data[r * width + k] = values[r]!;
  });
  const table: NumericTable = { columns: numericColumns.map((c) => parsed.columns[c]!), rows: parsed.rows, data };
  const redundant = findRedundantColumns(table, numericColumns.map((_, k) => k));
  const missing = Object.fromEntries(parsed.columns.flatMap((name, c) => (read[c]!.missing > 0 ? [[name, read[c]!.missing]] : [])));
  const tasks = Object.fromEntries(parsed.columns.map((name, c) => [name, inferTask([read[c]!.summary])]));
  return { ...redundant, missing, tasks };
}
