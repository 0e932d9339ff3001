/** The one error type of app/data: every mistake a user can make with a dataset, as a code, a message and the facts behind it. */

export type DataErrorCode =
  | 'csv_empty'
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
