/**
 * `kanbench run RECIPE.json`: runs a recipe headless with a progress bar and a summary beside the baselines (or one
 * JSON object with --json), and records the run in the experiment store (its CSV stored as a dataset, every step with
 * its snapshots) unless --no-store. A run with a diverged stage is recorded as failed and exits 1.
 */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import type { ModelReport, StageResult } from '../../app/recipe/run-core';
import { parseRecipe, type Recipe } from '../../app/recipe/schema';
import type { SweepMetrics, SweepReport } from '../../app/recipe/sweep-step';
import { type BudgetComparison, SIGNIFICANCE, compareAtBudgets } from '../../app/recipe/sweep-verdict';
import type { ExperimentStore } from '../store';
import { DataFileError, readDataFile } from '../services/data-file';
import { resolveStoreLocation } from '../services/paths';
import { datasetRef, formulaDataHash } from '../training/dataset-ref';
import { APP_VERSION } from '../version';
import { UsageError } from './errors';
import { ProgressBar, formatNumber } from './progress';
import { writeSplit } from './write-split';

const USAGE = 'usage: kanbench run RECIPE.json [--json] [--no-store] [--db PATH] [--backend auto|reference|NAME] [--max-memory MB] [--write-split DIR] [--quiet]';

export async function runCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      'no-store': { type: 'boolean', default: false },
      db: { type: 'string' },
      backend: { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'max-memory': { type: 'string' },
      'write-split': { type: 'string' },
    },
  });
  const file = positionals[0];
  if (!file || positionals.length > 1) throw new UsageError(USAGE);
  const recipe = parseRecipe(readJson(file));
  // The science core loads only once the recipe is known to be good: it takes a second to start.
  const [{ summarizeRunWith }, { divergenceOf, executeRun, restoreState }, { resolveTrainingBackend }, { dataNotice }, { csvShapeOf }, { admissionRefusal, runMemoryLimit }, library] = await Promise.all([
    import('../../app/recipe/run-core'), import('../training/execute'), import('../training/backend'), import('../../app/recipe/data'),
    import('../../app/recipe/memory'), import('../services/admission'),
    import('../../app/recipe/step-library').then((m) => m.loadStepLibrary(recipe.steps, { resumed: false })),
  ]);
  const baseDir = path.dirname(path.resolve(file));
  // Read once: the data preparation and the stored dataset use the same text.
  const texts = new Map<string, string>();
  const readCsv = (ref: string): string => {
    const where = path.resolve(baseDir, ref);
    let text = texts.get(where);
    if (text === undefined) {
      text = readCsvFile(where);
      texts.set(where, text);
    }
    return text;
  };
  const bar = new ProgressBar(process.stderr, !values.quiet);
  const steps = recipe.steps;

  const location = resolveStoreLocation({ db: values.db });
  // Before the models are built: building them is where a run too large for the machine would start taking its memory.
  const data = 'csv' in recipe.data ? csvShapeOf(readCsv(recipe.data.csv)) : { rows: recipe.data.train + recipe.data.test, columns: recipe.data.vars + 1, csv: false };
  const refusal = admissionRefusal(recipe, data, runMemoryLimit(maxMemoryOf(values['max-memory']), os.freemem(), 'raise it with --max-memory MB'));
  if (refusal) throw new UsageError(refusal);
  const state = restoreState(recipe, readCsv, null);
  // Even with --quiet or --json: columns or rows left out change what the results mean.
  const notice = dataNotice(state.data);
  if (notice) process.stderr.write(`warning: ${notice}\n`);
  if (values['write-split'] !== undefined) {
    const files = writeSplit(state.data, path.resolve(values['write-split']));
    if (!values.quiet && !values.json) bar.log(`split written: ${files.join(', ')}`);
  }
  // --backend overrides the recipe; decisions are remembered beside the default store.
  const backend = await resolveTrainingBackend(state, values.backend ?? recipe.backend, location.settingsFile ? path.dirname(location.settingsFile) : null);
  if (!values.quiet && !values.json) bar.log(`backend: ${backend.reason}`);
  // The store (better-sqlite3's native addon) loads only for a run that is recorded.
  const store = values['no-store'] ? null : (await import('../store')).openStore(location.dbPath);
  try {
    const runId = store ? createStoredRun(store, recipe, file, readCsv, state.data.csv ?? null, backend.name) : null;
    let result;
    try {
      result = executeRun({
        recipe,
        library,
        readCsv,
        state,
        trainable: backend.trainable,
        mlpMatmul: backend.mlpMatmul,
        from: 0,
        restore: null,
        progressIntervalMs: 50,
        curveBatchMs: 500,
        onProgress: (p) => {
          const what = steps[p.stepIdx] && 'sweep' in steps[p.stepIdx]! ? `sweep ${p.model} model ${p.step}/${p.steps}` : `fit ${p.model} ${p.step}/${p.steps}`;
          bar.update((p.stepIdx + p.step / Math.max(1, p.steps)) / steps.length, `step ${p.stepIdx + 1}/${steps.length} ${what} train ${formatNumber(p.trainMetric ?? Number.NaN)} test ${formatNumber(p.testMetric ?? Number.NaN)}`);
        },
        onCurves: (points) => {
          if (store && runId) saving(store, 'training curves', () => store.appendCurvePoints(runId, points));
        },
        onStep: (step, summary, stage) => {
          if (store && runId) {
            saving(store, `step ${step.idx + 1}`, () => store.transaction(() => {
              store.recordStep(runId, step);
              store.setRunSummary(runId, { ...summary, backend: backend.reason });
            }));
          }
          bar.log(describeStage(stage, steps.length));
        },
      });
    } catch (error) {
      if (store && runId) recordFailure(store, runId, error);
      throw error;
    }
    const diverged = divergenceOf(result);
    if (store && runId) store.setRunStatus(runId, diverged ? 'failed' : result.status, diverged ? { error: `training diverged: ${diverged}` } : {});
    const summary = summarizeRunWith(result, library);
    if (values.json) process.stdout.write(`${JSON.stringify(runId ? { ...summary, runId } : summary)}\n`);
    else process.stdout.write(humanSummary(summary) + (runId ? `run ${runId} saved in ${store!.path}${diverged ? ' as failed' : ''}\n` : ''));
    if (diverged) process.stderr.write(`kanbench: training diverged: ${diverged}\n`);
    return diverged ? 1 : 0;
  } finally {
    store?.close();
  }
}

/** A store write that fails (a full disk, say) stops the run with a message that says what could not be saved, and where. */
function saving(store: ExperimentStore, what: string, write: () => void): void {
  try {
    write();
  } catch (error) {
    throw new Error(`could not save ${what} of the run in ${store.path}: ${error instanceof Error ? error.message : String(error)}; free some space or choose another store with --db`);
  }
}

/**
 * Marks the run failed with the reason. When even that write fails, the reason still reaches the user, and the run is
 * marked interrupted the next time any command opens the store (its writer, this process, will be gone).
 */
function recordFailure(store: ExperimentStore, runId: string, error: unknown): void {
  const reason = error instanceof Error ? error.message : String(error);
  try {
    store.setRunStatus(runId, 'failed', { error: reason });
  } catch (statusError) {
    process.stderr.write(`kanbench: could not mark run ${runId} as failed (${statusError instanceof Error ? statusError.message : String(statusError)}); the next command that opens the store marks it interrupted\n`);
  }
}

/** The run as the app will see it: a CSV becomes a stored dataset, so the run can be reopened and re-run without the file. */
function createStoredRun(
  store: ExperimentStore,
  recipe: Recipe,
  recipeFile: string,
  readCsv: (ref: string) => string,
  parsed: { columns: string[]; rows: number } | null,
  backend: string,
): string {
  let stored: Recipe = recipe;
  let datasetId: string | null = null;
  let datasetHash: string;
  if ('csv' in recipe.data) {
    if (!parsed) throw new Error('internal: a CSV recipe whose data was prepared without its CSV');
    const text = readCsv(recipe.data.csv);
    const dataset = store.putDataset({
      name: path.basename(recipe.data.csv), kind: 'csv', spec: { source: 'csv', file: recipe.data.csv },
      columns: parsed.columns, rows: parsed.rows, bytes: new TextEncoder().encode(text),
    });
    datasetId = dataset.id;
    datasetHash = dataset.hash;
    stored = { ...recipe, data: { ...recipe.data, csv: datasetRef(dataset.id) } };
  } else {
    datasetHash = formulaDataHash(recipe);
  }
  const run = store.createRun({
    name: recipe.name ?? path.basename(recipeFile, path.extname(recipeFile)),
    datasetId, datasetHash, recipe: stored, seed: recipe.seed, backend, appVersion: APP_VERSION,
  });
  store.setRunStatus(run.id, 'running');
  return run.id;
}

function readCsvFile(file: string): string {
  try {
    return readDataFile(file);
  } catch (error) {
    if (error instanceof DataFileError) throw new UsageError(error.message);
    throw error;
  }
}

function maxMemoryOf(flag: string | undefined): number | null {
  if (flag === undefined) return null;
  const megabytes = Number(flag);
  if (!Number.isInteger(megabytes) || megabytes < 64) throw new UsageError(`--max-memory takes a whole number of megabytes, at least 64; got "${flag.slice(0, 40)}".`);
  return megabytes;
}

/** A recipe is a few kilobytes; this bounds what a wrong path (a log, a disk image) can make the CLI read. */
const MAX_RECIPE_BYTES = 10 * 1024 * 1024;

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readDataFile(file, MAX_RECIPE_BYTES, { noun: 'recipe', wanted: 'a recipe (JSON) file' });
  } catch (error) {
    if (error instanceof DataFileError) throw new UsageError(error.message);
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    // V8 quotes the text around the fault; the message gives only its place or kind, so a wrong path never prints a file's contents.
    const detail = (err as Error).message;
    const position = /position (\d+)/.exec(detail);
    const where = position ? ` at ${placeOf(text, Number(position[1]))}` : /end of JSON input/.test(detail) ? ' (it ends too early)' : ' (a character where JSON does not allow one)';
    throw new UsageError(`recipe ${file} is not valid JSON${where}. Check the recipe's syntax, or the path if this is not a recipe.`);
  }
}

function placeOf(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

export function describeStage(stage: StageResult, total: number): string {
  const sweep = stage.details.sweep as SweepReport | undefined;
  if (sweep) return `step ${stage.index + 1}/${total} sweep: ${stage.seconds.toFixed(2)} s, ${sweep.points.length} models trained`;
  const figure = (m: ModelReport): string => {
    if (m.status === 'not trained') return 'not trained';
    return m.testRmse !== undefined ? `test RMSE ${formatNumber(m.testRmse)}` : `test accuracy ${formatNumber(m.testAccuracy)}`;
  };
  const mlp = stage.mlp ? `; MLP ${figure(stage.mlp)}` : '';
  const diverged = stage.diverged ? `; DIVERGED: ${stage.diverged}` : '';
  return `step ${stage.index + 1}/${total} ${stage.step}: ${stage.seconds.toFixed(2)} s, KAN ${stage.kan.params} params, ${figure(stage.kan)}${mlp}${diverged}`;
}

type Figures = Record<string, number | string | boolean>;

/** The models and baselines side by side on train/validation/test, flagged where they overfit or never trained. */
function humanSummary(summary: Record<string, unknown>): string {
  const lines: string[] = [];
  const data = summary.data as { task: string; taskInferredFrom?: string };
  lines.push(`task: ${data.task}${data.taskInferredFrom ? ` (inferred: ${data.taskInferredFrom}; set data.task to change it)` : ''}`);
  const kan = summary.kan as Figures;
  const mlp = summary.mlp as Figures | null;
  const baselines = summary.baselines as Record<string, Record<string, unknown>>;
  const regression = 'mean' in baselines;
  const headline = regression ? 'rmse' : 'accuracy';
  const scoresOf = (b: Record<string, unknown>, split: string): number | undefined =>
    (b[split] as Record<string, number> | null)?.[headline];
  const cell = (value: unknown): string => (typeof value === 'number' ? formatNumber(value) : '-').padStart(10);
  const extra = regression ? ['testR2', 'r2'] : ['testMacroF1', 'macroF1'];
  lines.push(`model       params  ${regression ? 'train RMSE   val RMSE  test RMSE    test R2' : ' train acc    val acc   test acc  test F1'}`);
  const modelRow = (name: string, m: Figures): string => {
    const head = `${name.padEnd(9)} ${String(m.params).padStart(8)}`;
    if (m.status === 'not trained') return `${head}  not trained`;
    const [train, val, test] = regression ? [m.trainRmse, m.valRmse, m.testRmse] : [m.trainAccuracy, m.valAccuracy, m.testAccuracy];
    return `${head}  ${cell(train)} ${cell(val)} ${cell(test)} ${cell(m[extra[0]!])}${m.overfit ? '  OVERFIT' : ''}`;
  };
  lines.push(modelRow('KAN', kan));
  if (mlp) lines.push(modelRow('MLP', mlp));
  for (const [name, b] of Object.entries(baselines)) {
    const test = b.test as Record<string, number> | null;
    lines.push(`${name.padEnd(9)} ${String(b.params).padStart(8)}  ${cell(scoresOf(b, 'train'))} ${cell(scoresOf(b, 'validation'))} ${cell(scoresOf(b, 'test'))} ${cell(test?.[extra[1]!])}`);
  }
  if (summary.overfit === true) lines.push(`OVERFIT: ${String(summary.overfitRule)}; try early stopping, fewer parameters or regularisation`);
  for (const d of (summary.diverged as { step: number; reason: string }[] | undefined) ?? []) lines.push(`DIVERGED in step ${d.step + 1}: ${d.reason}`);
  // One formula per output; a list of them (named by output) when there are several.
  const formula = summary.formula as { text: string; output?: string } | { text: string; output?: string }[] | undefined;
  const formulas = formula === undefined ? [] : Array.isArray(formula) ? formula : [formula];
  for (const f of formulas) lines.push(formulas.length > 1 ? `formula ${f.output ?? ''}: ${f.text}` : `formula: ${f.text}`);
  const sweep = summary.sweep as SweepReport | undefined;
  if (sweep) lines.push(...sweepTables(sweep));
  return `${lines.join('\n')}\n`;
}

/**
 * Each family's Pareto front as a small table: shape, grid, parameters, train/validation/test error, seconds; with
 * repeats, the means over the initialisations and, after them, the standard deviations of validation and test.
 */
export function sweepTables(sweep: SweepReport): string[] {
  const rmse = sweep.task === 'regression';
  const side = (m: SweepMetrics, which: 'train' | 'val' | 'test'): number | undefined => (rmse ? m[`${which}Rmse`] : m[`${which}Accuracy`]);
  const figure = (m: SweepMetrics, which: 'train' | 'val' | 'test'): string => formatNumber(side(m, which)).padStart(10);
  const { rows, budget } = sweep;
  const repeats = budget.repeats ?? 1;
  const means = repeats > 1 ? `; figures are means of ${repeats} initialisations each, sd their standard deviations` : '';
  const lines = [
    `sweep: ${sweep.points.length} models, ${budget.steps} ${budget.opt === 'lbfgs' ? 'L-BFGS' : 'Adam'} steps each${budget.earlyStopping ? ' (early stopping)' : ''} on ${rows.fit} rows; fronts by validation ${rmse ? 'RMSE' : 'accuracy'} on ${rows.validation} rows (${rows.validationFrom}), test on ${rows.test}${means}`,
  ];
  for (const family of ['kan', 'mlp'] as const) {
    const front = sweep.fronts[family];
    lines.push(`${family.toUpperCase()} front (${front.length} of ${sweep.points.filter((p) => p.family === family).length})`);
    const spreadHeader = repeats > 1 ? '     val sd    test sd' : '';
    lines.push(`  ${'shape'.padEnd(16)} ${'grid'.padStart(4)} ${'params'.padStart(8)} ${rmse ? 'train RMSE   val RMSE  test RMSE' : ' train acc    val acc   test acc'}${spreadHeader}  seconds`);
    for (const p of front) {
      const spread = p.spread ? ` ${figure(p.spread, 'val')} ${figure(p.spread, 'test')}` : repeats > 1 ? ' '.repeat(22) : '';
      lines.push(`  ${JSON.stringify(p.shape).padEnd(16)} ${String(p.grid ?? '').padStart(4)} ${String(p.params).padStart(8)} ${figure(p.metrics, 'train')} ${figure(p.metrics, 'val')} ${figure(p.metrics, 'test')}${spread} ${p.seconds.toFixed(2).padStart(8)}`);
    }
  }
  return [...lines, ...verdictTable(sweep)];
}

/** KAN against MLP at each budget where a front steps down (sweep-verdict.ts): the models validation chose, their test errors, the p-value. */
function verdictTable(sweep: SweepReport): string[] {
  const comparisons = compareAtBudgets(sweep);
  if (comparisons.length === 0) return [];
  const error = sweep.task === 'regression' ? 'test RMSE' : 'test error';
  const model = (side: BudgetComparison['kan']): string => `${JSON.stringify(side.shape)}${side.grid !== undefined ? ` G${side.grid}` : ''}`;
  const repeats = sweep.budget.repeats ?? 1;
  const lines = [
    `KAN vs MLP at equal parameter budgets (each the model of lowest validation error within the budget; test errors compared over initialisations, permutation test, p < ${SIGNIFICANCE} shown as better)`,
    `  ${'budget'.padStart(8)}  ${'KAN'.padEnd(18)} ${'params'.padStart(7)} ${error.padStart(10)}  ${'MLP'.padEnd(18)} ${'params'.padStart(7)} ${error.padStart(10)} ${'p'.padStart(7)}  better`,
  ];
  for (const c of comparisons) {
    const verdict = c.p === null ? '-' : c.better === null ? 'no difference shown' : c.better.toUpperCase();
    lines.push(`  ${String(c.budget).padStart(8)}  ${model(c.kan).padEnd(18)} ${String(c.kan.params).padStart(7)} ${formatNumber(c.kan.test).padStart(10)}  ${model(c.mlp).padEnd(18)} ${String(c.mlp.params).padStart(7)} ${formatNumber(c.mlp.test).padStart(10)} ${(c.p === null ? '-' : c.p.toPrecision(2)).padStart(7)}  ${verdict}`);
  }
  if (repeats < 4) lines.push(`  p needs at least 4 initialisations per model to fall under ${SIGNIFICANCE} (this sweep trained ${repeats}): set sweep.repeats`);
  return lines;
}
