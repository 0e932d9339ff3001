/**
 * Turns a recipe's data block into train/validation/test batches: formula datasets are generated, CSVs parsed, cleaned,
 * split and standardised.
 */
import type { Batch, Task } from '../train/types';
import {
  applyMeanImputer, applyStandardizer, countMissing, csvToTable, dropRowsWithMissing, findRedundantColumns, fitMeanImputer, fitStandardizer,
  inferTask, listForMessage, makeFormulaDataset, parseCsvText, splitTrainTest, summarizeTarget, withoutColumns,
  type NumericTable, type RedundantColumns, type Standardizer,
} from '../data';
import { Rng } from '../util/rng';
import { RecipeError, type CsvData, type Recipe } from './schema';

/** What happened to missing cells of a CSV's selected columns. */
export interface MissingReport {
  handling: CsvData['missing'];
  /** Missing cells per kept column (inputs and target), only for columns that have some. */
  cells: Record<string, number>;
  /** Rows taken out: those missing the target, and with handling 'drop' those missing an input. */
  rowsDropped: number;
  /** handling 'impute': cells filled with the training rows' mean, per input column (train and test together). */
  imputed: Record<string, number>;
}

export interface PreparedData {
  task: Task;
  /** Why this task, when the recipe left it out ("10 distinct integer labels"); null when the recipe named it. */
  taskInferredFrom: string | null;
  /** Input columns taken off before training (data.dropConstant); empty lists when none were. */
  dropped: RedundantColumns;
  /** CSV data: missing cells and what was done with them; null for formula data. */
  missing: MissingReport | null;
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
      task: 'regression', taskInferredFrom: null, dropped: { constant: [], duplicate: [] }, missing: null, inputNames, targetNames: ['y'], classes: null,
      train: toBatch(ds.train, data.vars, 1), validation: toBatch(validation, data.vars, 1), test: toBatch(ds.test, data.vars, 1),
      nIn: data.vars, nOut: 1, standardizer: null, rawTables: { train: ds.train, validation, test: ds.test },
    };
  }
  const parsed = parseCsvText(readCsv(data.csv));
  const candidates = data.inputs ?? parsed.columns.filter((c) => !data.target.includes(c));
  const inferred = data.task === undefined ? inferTask(data.target.map((name) => summarizeTarget(parsed, parsed.columns.indexOf(name)))) : null;
  const task = data.task ?? inferred!.task;
  const read = csvToTable(parsed, { inputs: candidates, target: data.target, task, keepMissing: true });
  const { table, inputs, dropped, missing } = cleanTable(read.table, candidates.length, data);
  const targets = read.targets;
  const classes = read.classes;
  const stratified = task === 'classification';
  const outer = splitTrainTest(table, data.testFraction, recipe.seed, { stratified });
  const sides = data.validationFraction > 0
    ? renameSplit(splitTrainTest(outer.train, data.validationFraction, recipe.seed + VALIDATION_SEED_OFFSET, { stratified }), outer.test)
    : { train: outer.train, validation: emptyTable(table.columns), test: outer.test };
  const split = data.missing === 'impute' ? imputeFromTraining(sides, inputs, missing) : sides;
  const nIn = inputs.length;
  let standardizer: Standardizer | null = null;
  let { train, validation, test } = split;
  if (data.standardize) {
    standardizer = fitStandardizer(split.train, inputs.map((_, i) => i));
    train = applyStandardizer(split.train, standardizer);
    validation = applyStandardizer(split.validation, standardizer);
    test = applyStandardizer(split.test, standardizer);
  }
  const nOut = task === 'classification' ? classes!.length : targets.length;
  const kanOut = recipe.kan.width[recipe.kan.width.length - 1]!;
  if (kanOut !== nOut) {
    const what = task === 'classification' ? `${nOut} classes (${classes!.slice(0, 5).join(', ')}${nOut > 5 ? ', ...' : ''})` : `${nOut} target column${nOut > 1 ? 's' : ''}`;
    const why = inferred ? ` (task ${task}, inferred from ${inferred.reason}; set data.task to choose)` : '';
    throw new RecipeError(`recipe field kan.width: the KAN has ${kanOut} outputs but the data has ${what}${why}; set the last width to ${nOut}`, 'kan.width');
  }
  checkInputWidth(recipe.kan.width[0]!, candidates, inputs);
  const yWidth = task === 'classification' ? 1 : targets.length;
  return {
    task, taskInferredFrom: inferred?.reason ?? null, dropped, missing, inputNames: inputs, targetNames: targets, classes: classes ?? null,
    train: toBatch(train, nIn, yWidth), validation: toBatch(validation, nIn, yWidth), test: toBatch(test, nIn, yWidth),
    nIn, nOut, standardizer, rawTables: split,
    csv: { columns: parsed.columns, rows: parsed.rows },
  };
}

/**
 * Constant and duplicate inputs go first (data.dropConstant), so that a mostly empty column that is dropped takes no rows
 * with it; then rows missing the target, and with missing 'drop' rows missing a kept input.
 */
function cleanTable(table: NumericTable, inputCount: number, data: CsvData): { table: NumericTable; inputs: string[]; dropped: RedundantColumns; missing: MissingReport } {
  const targetIndices = table.columns.map((_, c) => c).slice(inputCount);
  const inputIndices = table.columns.map((_, c) => c).slice(0, inputCount);
  const dropped = data.dropConstant ? findRedundantColumns(table, inputIndices) : { constant: [], duplicate: [] };
  const kept = withoutColumns(table, new Set([...dropped.constant, ...dropped.duplicate.map((d) => d.column)]));
  const inputs = kept.columns.slice(0, kept.columns.length - targetIndices.length);
  if (inputs.length === 0) {
    throw new RecipeError(`recipe field data.inputs: every input column is constant or a duplicate (${listForMessage(dropped.constant)}); choose columns that vary, or set data.dropConstant to false`, 'data.inputs');
  }
  const cells = countMissing(kept, kept.columns.map((_, c) => c));
  const keptTargets = targetIndices.map((_, j) => inputs.length + j);
  const checked = data.missing === 'drop' ? kept.columns.map((_, c) => c) : keptTargets;
  const { table: rows, rowsDropped } = dropRowsWithMissing(kept, checked);
  if (rows.rows < 2) {
    const worst = Object.entries(cells).sort((a, b) => b[1] - a[1])[0];
    throw new RecipeError(
      `recipe field data.missing: only ${rows.rows} of ${table.rows} rows have every selected value${worst ? ` ("${worst[0]}" misses ${worst[1]})` : ''}; set data.missing to "impute", or leave the emptiest columns out of data.inputs`,
      'data.missing',
    );
  }
  return { table: rows, inputs, dropped, missing: { handling: data.missing, cells, rowsDropped, imputed: {} } };
}

/**
 * Fills missing inputs on every side (train, test, and any other) with means of the training side only, so no held-out
 * value shapes them; counts go into report.imputed.
 */
function imputeFromTraining<Sides extends { train: NumericTable } & Record<string, NumericTable>>(sides: Sides, inputs: readonly string[], report: MissingReport): Sides {
  const imputer = fitMeanImputer(sides.train, inputs.map((_, i) => i));
  const fill = (side: NumericTable): NumericTable => {
    const { table, filled } = applyMeanImputer(side, imputer);
    for (const [name, count] of Object.entries(filled)) report.imputed[name] = (report.imputed[name] ?? 0) + count;
    return table;
  };
  return Object.fromEntries(Object.entries(sides).map(([side, table]) => [side, fill(table)])) as Sides;
}

/** kan.width[0] may count the input columns before or after constant and duplicate ones are taken off: the user may not know how many go. */
function checkInputWidth(width0: number, candidates: readonly string[], kept: readonly string[]): void {
  if (width0 === kept.length || width0 === candidates.length) return;
  const taken = candidates.length - kept.length;
  const choice = taken > 0 ? `${candidates.length} (all input columns) or ${kept.length} (after taking off ${taken} constant or duplicate)` : String(kept.length);
  throw new RecipeError(
    `recipe field kan.width: the KAN has ${width0} inputs but the CSV gives ${candidates.length} input columns (${listForMessage(candidates)}); set kan.width[0] to ${choice}`,
    'kan.width',
  );
}

/** The recipe with the models' input width set to the kept columns, so that a width counted before dropping builds the right models. */
export function fitInputWidth(recipe: Recipe, nIn: number): Recipe {
  if (recipe.kan.width[0] === nIn) return recipe;
  const kan = { ...recipe.kan, width: [nIn, ...recipe.kan.width.slice(1)] };
  return recipe.mlp ? { ...recipe, kan, mlp: { ...recipe.mlp, width: [nIn, ...recipe.mlp.width.slice(1)] } } : { ...recipe, kan };
}

/** One line on what preparing the data took away or filled in, for the user to read before results; null when nothing was. */
export function dataNotice(data: PreparedData): string | null {
  const parts: string[] = [];
  const { constant, duplicate } = data.dropped;
  if (constant.length > 0) parts.push(`ignored ${constant.length} constant input column${constant.length > 1 ? 's' : ''} (${listForMessage(constant)})`);
  if (duplicate.length > 0) parts.push(`ignored ${duplicate.length} duplicate input column${duplicate.length > 1 ? 's' : ''} (${listForMessage(duplicate.map((d) => `${d.column} = ${d.sameAs}`))})`);
  if (parts.length > 0) parts[parts.length - 1] += `; ${data.nIn} inputs remain (set data.dropConstant to false to keep every column)`;
  const missing = data.missing;
  const why = missing && missing.handling === 'impute' ? Object.fromEntries(Object.entries(missing.cells).filter(([name]) => data.targetNames.includes(name))) : missing?.cells ?? {};
  if (missing && missing.rowsDropped > 0) parts.push(`dropped ${missing.rowsDropped} row${missing.rowsDropped > 1 ? 's' : ''} with missing values (${listCounts(why)})${missing.handling === 'drop' ? '; set data.missing to "impute" to keep rows missing only inputs' : ''}`);
  const imputed = missing ? Object.values(missing.imputed).reduce((sum, n) => sum + n, 0) : 0;
  if (missing && imputed > 0) parts.push(`filled ${imputed} missing input cell${imputed > 1 ? 's' : ''} with training-row means (${listCounts(missing.imputed)})`);
  return parts.length > 0 ? parts.join('; ') : null;
}

/** The data part of a run's summary: task (and why), inputs kept, and what cleaning did. */
export function describePreparedData(data: PreparedData): Record<string, unknown> {
  return {
    task: data.task,
    ...(data.taskInferredFrom !== null ? { taskInferredFrom: data.taskInferredFrom } : {}),
    inputs: data.nIn,
    dropped: data.dropped,
    ...(data.missing ? { missing: data.missing } : {}),
  };
}

function listCounts(counts: Record<string, number>): string {
  return listForMessage(Object.entries(counts).map(([name, n]) => `${name}: ${n}`));
}

/** Keeps the validation rows' seeded stream apart from the test split's, so changing one fraction leaves the other's rows. */
const VALIDATION_SEED_OFFSET = 0x5bd1e995;

function renameSplit(inner: { train: NumericTable; test: NumericTable }, test: NumericTable): { train: NumericTable; validation: NumericTable; test: NumericTable } {
  return { train: inner.train, validation: inner.test, test };
}

function emptyTable(columns: string[]): NumericTable {
  return { columns, rows: 0, data: new Float64Array(0) };
}

/**
 * The rows models are fitted on and chosen with: the data's training and validation splits, or (when the recipe asked
 * for no validation rows) the training rows with a seeded share of them held out (carved: true).
 */
export function selectionSplit(data: PreparedData, seed: number, share: number): { fit: Batch; validation: Batch; carved: boolean } {
  if (data.validation.n > 0) return { fit: data.train, validation: data.validation, carved: false };
  const { n } = data.train;
  if (n < 2) throw new RecipeError(`recipe field data: choosing between models needs at least 2 training rows to hold some out; the data has ${n}`, 'data');
  const yWidth = data.train.y.length / n;
  const order = new Rng(seed).permutation(n);
  const count = Math.min(n - 1, Math.max(1, Math.round(n * share)));
  return { fit: takeRows(data.train, order.slice(count).sort(), data.nIn, yWidth), validation: takeRows(data.train, order.slice(0, count).sort(), data.nIn, yWidth), carved: true };
}

/** The listed rows of a batch with nIn inputs and yWidth target values per row. */
function takeRows(batch: Batch, rows: Int32Array, nIn: number, yWidth: number): Batch {
  const x = new Float64Array(rows.length * nIn);
  const y = new Float64Array(rows.length * yWidth);
  rows.forEach((s, q) => {
    x.set(batch.x.subarray(s * nIn, (s + 1) * nIn), q * nIn);
    y.set(batch.y.subarray(s * yWidth, (s + 1) * yWidth), q * yWidth);
  });
  return { x, y, n: rows.length };
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
