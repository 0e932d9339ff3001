/** The public face of app/data: dataset creation (formulas, CSV), profiling and cleaning, splits and standardisation. */

export { DataError, isDataError, listForMessage, quoteForMessage, type DataErrorCode, type DataErrorDetails } from './errors';
export { columnIndex, selectRows, type NumericTable } from './table';
export { MAX_FORMULA_ROWS, MAX_FORMULA_VARS, makeFormulaDataset, parseFormula, type CompiledFormula, type FormulaSpec } from './formula';
export {
  DEFAULT_MAX_CSV_BYTES,
  PREVIEW_MAX_CHARS,
  MAX_CLASSES,
  csvToTable,
  isMissingCell,
  parseCsvText,
  parseNumberCell,
  previewCsv,
  previewSlice,
  type ColumnSelection,
  type CsvParseOptions,
  type CsvTable,
  type ParsedCsv,
} from './csv';
export {
  applyMeanImputer,
  countMissing,
  dropRowsWithMissing,
  findRedundantColumns,
  fitMeanImputer,
  withoutColumns,
  type MeanImputer,
  type RedundantColumns,
} from './clean';
export { MAX_INFERRED_CLASSES, inferTask, profileCsv, summarizeTarget, type CsvProfile, type InferredTask, type InferredTaskName, type TargetSummary } from './profile';
export { splitTrainTest, type SplitOptions } from './split';
export { applyStandardizer, fitStandardizer, invertStandardizer, type Standardizer } from './standardize';
export { irisCsv } from './samples/iris';
