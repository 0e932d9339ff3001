/** The one error type of app/data: every mistake a user can make with a dataset, as a code, a message and the facts behind it. */

export type DataErrorCode =
  | 'csv_empty'
  | 'csv_binary'
  | 'csv_bad_header'
  | 'csv_quotes'
  | 'csv_ragged'
  | 'csv_missing_column'
  | 'csv_bad_selection'
  | 'csv_target_in_inputs'
  | 'csv_non_numeric'
  | 'csv_out_of_range'
  | 'csv_missing_value'
  | 'csv_classification_targets'
  | 'csv_too_few_classes'
  | 'csv_too_many_classes'
  | 'formula_syntax'
  | 'formula_unsupported'
  | 'formula_unknown_symbol'
  | 'formula_arity'
  | 'formula_non_finite'
  | 'bad_spec'
  | 'bad_range'
  | 'bad_split'
  | 'bad_table'
  | 'too_large';

/** Plain JSON values only, so an error can cross IPC or be stored with a run. */
export type DataErrorDetails = Record<string, string | number | boolean | string[] | number[]>;

export class DataError extends Error {
  readonly code: DataErrorCode;
  readonly details: DataErrorDetails | undefined;

  constructor(code: DataErrorCode, message: string, details?: DataErrorDetails) {
    super(message);
    this.name = 'DataError';
    this.code = code;
    this.details = details;
  }
}

export function isDataError(value: unknown): value is DataError {
  return value instanceof DataError;
}

/** Longest piece of a file (a cell, a column name) quoted in a message: enough to find it, never a whole line of a file. */
export const MAX_QUOTED_CHARACTERS = 40;
/** Most names listed in a message; the rest are counted. */
export const MAX_LISTED_NAMES = 12;

/** A value from a file, cut for a message: a 1 MB cell is shown by its start and its length, not printed whole. */
export function quoteForMessage(value: string, max = MAX_QUOTED_CHARACTERS): string {
  const clean = value.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length <= max ? clean : `${clean.slice(0, max)}… (${value.length} characters)`;
}

/** Names for a message: each cut, at most MAX_LISTED_NAMES of them, then how many more. */
export function listForMessage(names: readonly string[]): string {
  const shown = names.slice(0, MAX_LISTED_NAMES).map((name) => quoteForMessage(name)).join(', ');
  return names.length > MAX_LISTED_NAMES ? `${shown} and ${names.length - MAX_LISTED_NAMES} more` : shown;
}
