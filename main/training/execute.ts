/**
 * Runs a recipe from a given step and turns what the runner reports into store records: progress (rate-limited), curve
 * points (in batches), and one step record with snapshots per finished step. The worker thread runs it for the app;
 * the CLI runs it in-process. No store access here: callers persist what the callbacks hand them.
 */
import type { Kan } from '../../app/kan/model';
import { type DenseMatmul, Mlp } from '../../app/mlp';
import type { DifferentiableModel } from '../../app/train/types';
import type { CsvReader } from '../../app/recipe/data';
import { initialState, runStepsWith, type ModelReport, type RunResult, type RunState, type StageResult } from '../../app/recipe/run-core';
import type { StepLibrary } from '../../app/recipe/step-library';
import type { BaselineScores, Baselines } from '../../app/train/baselines';
import type { SplitMetrics } from '../../app/train/metrics';
import type { Recipe } from '../../app/recipe/schema';
import { deserializeKan, serializeKan } from '../../app/kan/serialize';
import type { FormulaReport } from '../../app/recipe/interpretability-steps';
import type { CurvePoint, FormulaInput, ModelKind, NewStep, RunSummary } from '../store';
import type { ProgressMessage } from './protocol';

export interface ModelSnapshot {
  kan: Uint8Array;
  mlp: Uint8Array | null;
}

export interface ExecuteOptions {
  recipe: Recipe;
  /** The code of the recipe's steps beyond fit, refine and updateGrid: loadStepLibrary(recipe.steps, ...). */
  library: StepLibrary;
  readCsv: CsvReader;
  /** Index of the first recipe step to run; the steps before it are already recorded. */
  from: number;
  /** The models after step from - 1; null starts from freshly initialised models. */
  restore: RestorePoint | null;
  signal?: { readonly aborted: boolean };
  /** The state to run on, when the caller already built it (to choose a backend); default restoreState(...). */
  state?: RunState;
  /** See RunOptions.trainable and RunOptions.mlpMatmul. */
  trainable?: (kan: Kan) => DifferentiableModel;
  mlpMatmul?: DenseMatmul | null;
  progressIntervalMs: number;
  curveBatchMs: number;
  /** Milliseconds since the epoch, for step timestamps and the rate limits. */
  clock?: () => number;
  onStepStart?: (stepIdx: number, kind: string) => void;
  onProgress?: (progress: ProgressMessage) => void;
  onCurves?: (points: CurvePoint[]) => void;
  onStep?: (step: NewStep, summary: RunSummary, stage: StageResult) => void;
}

/** Finds a snapshot's symbolic functions by name: app/symbolic/library's symbolicResolver of the recipe's own functions. */
export type SymbolicResolver = Parameters<typeof deserializeKan>[1];

/** Stored models to continue from, and how to find their symbolic functions. */
export interface RestorePoint {
  models: ModelSnapshot;
  resolveSymbolic: SymbolicResolver;
}

/**
 * Builds the state a run continues from: the data prepared from the recipe, and the stored models if there are any.
 * Only a restore needs resolveSymbolic, so a fresh run does not load the symbolic library.
 */
export function restoreState(recipe: Recipe, readCsv: CsvReader, restore: RestorePoint | null): RunState {
  const state = initialState(recipe, readCsv);
  if (restore) {
    const { models, resolveSymbolic } = restore;
    // Snapshots name their symbolic functions; the recipe's own functions resolve alongside the library. The MLP's width
    // comes from state.recipe, whose input width follows the columns kept.
    state.kan = deserializeKan(models.kan, resolveSymbolic);
    if (state.recipe.mlp && models.mlp) state.mlp = Mlp.fromParams(state.recipe.mlp, float64View(models.mlp));
  }
  return state;
}

/** Why a run's stages diverged, one sentence per stage, or null when none did: such a run is not a success. */
export function divergenceOf(result: RunResult): string | null {
  const reasons = result.stages.filter((s) => s.diverged !== null).map((s) => `step ${s.index + 1} (${s.step}): ${s.diverged}`);
  return reasons.length > 0 ? reasons.join('; ') : null;
}

export function executeRun(options: ExecuteOptions): RunResult {
  const clock = options.clock ?? Date.now;
  const state = options.state ?? restoreState(options.recipe, options.readCsv, options.restore);
  let stepStartedAt = clock();
  let pendingProgress: ProgressMessage | null = null;
  let lastProgressAt = -Infinity;
  let curveBuffer: CurvePoint[] = [];
  let lastCurveFlush = clock();

  const sendProgress = (): void => {
    if (pendingProgress === null) return;
    options.onProgress?.(pendingProgress);
    pendingProgress = null;
    lastProgressAt = clock();
  };
  const flushCurves = (): void => {
    if (curveBuffer.length > 0) options.onCurves?.(curveBuffer);
    curveBuffer = [];
    lastCurveFlush = clock();
  };

  return runStepsWith(
    state,
    {
      library: options.library,
      signal: options.signal,
      ...(options.trainable ? { trainable: options.trainable } : {}),
      ...(options.mlpMatmul ? { mlpMatmul: options.mlpMatmul } : {}),
      events: {
        onStepStart: (index, step) => {
          stepStartedAt = clock();
          options.onStepStart?.(index, Object.keys(step)[0]!);
        },
        onProgress: (index, model, p) => {
          const point: CurvePoint = {
            stepIdx: index, model, iter: p.step,
            trainLoss: p.trainLoss, testLoss: p.testLoss, trainMetric: p.trainMetric, testMetric: p.testMetric,
            valLoss: finiteOrNull(p.valLoss), valMetric: finiteOrNull(p.valMetric),
          };
          // A sweep's progress counts finished models, not iterations of the run's models: it is no loss curve.
          if (!('sweep' in (state.recipe.steps[index] ?? {}))) curveBuffer.push(point);
          pendingProgress = {
            type: 'progress', stepIdx: index, model, step: p.step, steps: p.steps,
            trainLoss: finiteOrNull(p.trainLoss), testLoss: finiteOrNull(p.testLoss),
            trainMetric: finiteOrNull(p.trainMetric), testMetric: finiteOrNull(p.testMetric),
            valLoss: finiteOrNull(p.valLoss), valMetric: finiteOrNull(p.valMetric), seconds: p.seconds,
            at: performance.timeOrigin + performance.now(),
          };
          const now = clock();
          // The last iteration of a fit always goes out, so a progress bar ends full.
          if (p.step === p.steps || now - lastProgressAt >= options.progressIntervalMs) sendProgress();
          if (now - lastCurveFlush >= options.curveBatchMs) flushCurves();
        },
        onStepEnd: (stage, endState) => {
          sendProgress();
          flushCurves();
          const step = stepRecordOf(stage, endState, stepStartedAt, clock());
          options.onStep?.(step, summaryOf(stage, stage.index + 1), stage);
        },
      },
    },
    options.from,
  );
}

/** The store record of a finished step: the step's own settings, metrics, and snapshots of both models. */
export function stepRecordOf(stage: StageResult, state: RunState, startedAt: number, finishedAt: number): NewStep {
  const recipeStep = state.recipe.steps[stage.index] as Record<string, unknown> | undefined;
  const snapshots: { model: ModelKind; bytes: Uint8Array }[] = [{ model: 'kan', bytes: serializeKan(state.kan) }];
  if (state.mlp) snapshots.push({ model: 'mlp', bytes: new Uint8Array(state.mlp.params.slice().buffer) });
  return {
    idx: stage.index,
    kind: stage.step,
    params: recipeStep?.[stage.step] ?? {},
    metrics: { kan: stage.kan, mlp: stage.mlp, details: stage.details, diverged: stage.diverged, baselines: stage.baselines },
    seconds: stage.seconds,
    startedAt,
    finishedAt,
    snapshots,
    formulas: formulaReports(stage).map((report, outputIdx): FormulaInput => ({
      outputIdx, text: report.text, latex: report.latex, python: report.python, js: report.js, testRmse: report.testRmse,
    })),
  };
}

/** The formulas a formula step reported, one per output (none for other steps). */
function formulaReports(stage: StageResult): FormulaReport[] {
  const formula = stage.details.formula as FormulaReport | FormulaReport[] | undefined;
  return formula === undefined ? [] : Array.isArray(formula) ? formula : [formula];
}

/** The flat figures a run list shows and sorts by, taken from the latest step. */
export function summaryOf(stage: StageResult, stepCount: number): RunSummary {
  const summary: RunSummary = { steps: stepCount, lastStep: stage.step };
  const put = (prefix: 'kan' | 'mlp', report: ModelReport): void => {
    summary[`${prefix}Params`] = report.params;
    // Stored runs from before validation and honest states have neither status nor validation figures.
    if (report.status === 'not trained') {
      summary[`${prefix}Status`] = report.status;
      return;
    }
    const keys = ['trainLoss', 'valLoss', 'testLoss', 'trainRmse', 'valRmse', 'testRmse', 'trainAccuracy', 'valAccuracy', 'testAccuracy'] as const;
    for (const key of keys) if (report[key] !== undefined) summary[`${prefix}${key[0]!.toUpperCase()}${key.slice(1)}`] = finiteOrNull(report[key]);
    if (report.scores?.test) for (const [key, value] of Object.entries(report.scores.test)) summary[`${prefix}Test${key[0]!.toUpperCase()}${key.slice(1)}`] = finiteOrNull(value);
    if (report.overfit !== undefined) summary[`${prefix}Overfit`] = report.overfit ? 1 : 0;
  };
  put('kan', stage.kan);
  if (stage.mlp) put('mlp', stage.mlp);
  if (stage.baselines) putBaselines(summary, stage.baselines);
  if (stage.diverged) summary.diverged = stage.diverged.slice(0, 2000);
  const formulas = formulaReports(stage);
  if (formulas.length > 0) summary.formula = formulas.map((f) => (formulas.length > 1 ? `${f.output} = ${f.text}` : f.text)).join('; ').slice(0, 2000);
  return summary;
}

/** baselineMeanTestRmse, baselineRidgeTestR2, baselineLogisticTestAccuracy, ...: each baseline's test figures. */
function putBaselines(summary: RunSummary, baselines: Baselines): void {
  for (const [name, scores] of Object.entries(baselines) as [string, BaselineScores<SplitMetrics>][]) {
    const prefix = `baseline${name[0]!.toUpperCase()}${name.slice(1)}`;
    summary[`${prefix}Params`] = scores.params;
    if (scores.test) for (const [key, value] of Object.entries(scores.test)) summary[`${prefix}Test${key[0]!.toUpperCase()}${key.slice(1)}`] = finiteOrNull(value);
  }
}

/** An MLP snapshot's bytes as Float64 parameters (copied: stored bytes need not be 8-byte aligned). */
export function float64View(bytes: Uint8Array): Float64Array {
  if (bytes.byteLength % 8 !== 0) throw new Error(`MLP snapshot has ${bytes.byteLength} bytes, not a whole number of Float64 parameters`);
  const out = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

export function finiteOrNull(value: number | undefined): number | null {
  return value !== undefined && Number.isFinite(value) ? value : null;
}
