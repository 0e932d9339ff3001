/**
 * Turns a recipe's data block into train/validation/test batches: formula datasets are generated, CSVs parsed, split
 * and standardised.
 */
import type { Batch, Task } from '../train/types';
import { applyStandardizer, csvToTable, fitStandardizer, makeFormulaDataset, parseCsvText, splitTrainTest, type NumericTable, type Standardizer } from '../data';
import { RecipeError, type Recipe } from './schema';

export interface PreparedData {
  task: Task;
  inputNames: string[];
  targetNames: string[];
  /** Classification: labels in index order; the model has one output per class. */
  classes: string[] | null;
  train: Batch;
  /** Rows for model selection (early stopping, baselines' strengths); n = 0 when data.validationFraction is 0. */
  validation: Batch;
  test: Batch;
  nIn: number;
  /** Model outputs: number of targets (regression) or of classes. */
  nOut: number;
  /** Input standardisation fitted on the training rows, or null when the inputs are used as they are. */
  standardizer: Standardizer | null;
  /** The raw rows of each split (inputs then targets), for hashing and storing the dataset. */
  rawTables: { train: NumericTable; validation: NumericTable; test: NumericTable };
  /** A CSV's columns and data rows as parsed (all of them, used or not), so storing the file needs no second parse. */
  csv?: { columns: string[]; rows: number };
}

/** Reads a CSV named in a recipe: the CLI resolves file paths, the app looks up stored datasets. */
export type CsvReader = (ref: string) => string;

export function prepareData(recipe: Recipe, readCsv: CsvReader): PreparedData {
  const data = recipe.data;
  if ('formula' in data) {
    const ds = makeFormulaDataset({ formula: data.formula, vars: data.vars, range: data.range, train: data.train, test: data.test, seed: recipe.seed, noise: data.noise });
    const inputNames = ds.columns.slice(0, data.vars);
    // Fresh rows from a stream of their own: the training and test rows are those of the same recipe without validation.
    const validationRows = Math.round(data.train * data.validationFraction);
    const validation = validationRows > 0
      ? makeFormulaDataset({ formula: data.formula, vars: data.vars, range: data.range, train: validationRows, test: 0, seed: recipe.seed + VALIDATION_SEED_OFFSET, noise: data.noise }).train
      : emptyTable(ds.columns);
    return {
      task: 'regression', inputNames, targetNames: ['y'], classes: null,
      train: toBatch(ds.train, data.vars, 1), validation: toBatch(validation, data.vars, 1), test: toBatch(ds.test, data.vars, 1),
      nIn: data.vars, nOut: 1, standardizer: null, rawTables: { train: ds.train, validation, test: ds.test },
    };
  }
  const parsed = parseCsvText(readCsv(data.csv));
  const inputs = data.inputs ?? parsed.columns.filter((c) => !data.target.includes(c));
  const { table, targets, classes } = csvToTable(parsed, { inputs, target: data.target, task: data.task });
  const stratified = data.task === 'classification';
  const outer = splitTrainTest(table, data.testFraction, recipe.seed, { stratified });
  const split = data.validationFraction > 0
    ? renameSplit(splitTrainTest(outer.train, data.validationFraction, recipe.seed + VALIDATION_SEED_OFFSET, { stratified }), outer.test)
    : { train: outer.train, validation: emptyTable(table.columns), test: outer.test };
  const nIn = inputs.length;
  let standardizer: Standardizer | null = null;
  let { train, validation, test } = split;
  if (data.standardize) {
    standardizer = fitStandardizer(split.train, inputs.map((_, i) => i));
    train = applyStandardizer(split.train, standardizer);
    validation = applyStandardizer(split.validation, standardizer);
    test = applyStandardizer(split.test, standardizer);
  }
  const nOut = data.task === 'classification' ? classes!.length : targets.length;
  const kanOut = recipe.kan.width[recipe.kan.width.length - 1]!;
  if (kanOut !== nOut) {
    const what = data.task === 'classification' ? `${nOut} classes (${classes!.slice(0, 5).join(', ')}${nOut > 5 ? ', ...' : ''})` : `${nOut} target column${nOut > 1 ? 's' : ''}`;
    throw new RecipeError(`recipe field kan.width: the KAN has ${kanOut} outputs but the data has ${what}; set the last width to ${nOut}`, 'kan.width');
  }
  if (recipe.kan.width[0] !== nIn) {
    throw new RecipeError(`recipe field kan.width: the KAN has ${recipe.kan.width[0]} inputs but the CSV gives ${nIn} input columns (${inputs.join(', ')}); set kan.width[0] to ${nIn}`, 'kan.width');
  }
  const yWidth = data.task === 'classification' ? 1 : targets.length;
  return {
    task: data.task, inputNames: inputs, targetNames: targets, classes: classes ?? null,
    train: toBatch(train, nIn, yWidth), validation: toBatch(validation, nIn, yWidth), test: toBatch(test, nIn, yWidth),
    nIn, nOut, standardizer, rawTables: split,
    csv: { columns: parsed.columns, rows: parsed.rows },
  };
}

/** Keeps the validation rows' seeded stream apart from the test split's, so changing one fraction leaves the other's rows. */
const VALIDATION_SEED_OFFSET = 0x5bd1e995;

function renameSplit(inner: { train: NumericTable; test: NumericTable }, test: NumericTable): { train: NumericTable; validation: NumericTable; test: NumericTable } {
  return { train: inner.train, validation: inner.test, test };
}

function emptyTable(columns: string[]): NumericTable {
  return { columns, rows: 0, data: new Float64Array(0) };
}

/** Splits a table whose columns are inputs then targets into x [n][nIn] and y [n][yWidth]. */
export function toBatch(table: NumericTable, nIn: number, yWidth: number): Batch {
  const n = table.rows;
  const width = table.columns.length;
  const x = new Float64Array(n * nIn);
  const y = new Float64Array(n * yWidth);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < nIn; i++) x[s * nIn + i] = table.data[s * width + i]!;
    for (let j = 0; j < yWidth; j++) y[s * yWidth + j] = table.data[s * width + nIn + j]!;
  }
  return { x, y, n };
}
