/**
 * The discovery benchmark: each equation of bench/data/feynman.ts is sampled, run through a pipeline of recipe steps
 * in-process, and the final formula is judged against the truth by SymPy on fresh points (discovery-judge.py).
 * Prints one row per equation and returns the totals. Options: --pipeline discover (default)|baseline, --only ID,ID, --limit N,
 * --noise R (Gaussian noise of standard deviation R times the RMS of the training targets, as SRBench adds it; on the
 * training and validation rows only, so the judge still compares with the law).
 */
import { fileURLToPath } from 'node:url';
import { initialState, runSteps } from '../app/recipe/runner';
import { parseRecipe } from '../app/recipe/schema';
import type { FormulaReport } from '../app/recipe/interpretability-steps';
import { DISCOVERY_EQUATIONS, type DiscoveryEquation } from './data/feynman';
import { DiscoveryJudge, type JudgeReply } from './discovery-judge';

type Figures = Record<string, number | string>;

const SEED = 0;
const TRAIN_ROWS = 1000;
const TEST_ROWS = 1000;
const JUDGE_POINTS = 4000;
/** The judge's points come from their own stream, not the training data's. */
const JUDGE_SEED = 1;

/**
 * baseline: issue 10's fixed pipeline on a [nVars, 5, 1] KAN with grid 3, k 3 (the recipe defaults), constants at
 * full precision. discover: the discover step with its defaults, on the same KAN shape.
 * Steps stay unchecked here: parseRecipe checks them per equation. discover is the default: it is what the benchmark
 * measures; baseline is the figure it is compared with.
 */
const PIPELINES: Record<string, readonly unknown[]> = {
  baseline: [
    { fit: { opt: 'lbfgs', steps: 100, lamb: 0.001, lambEntropy: 2 } },
    { prune: {} },
    { fit: { opt: 'lbfgs', steps: 100 } },
    { refine: { grid: 10 } },
    { fit: { opt: 'lbfgs', steps: 100 } },
    { autoSymbolic: {} },
    { fit: { opt: 'lbfgs', steps: 100 } },
    { formula: { digits: 17 } },
  ],
  discover: [{ discover: {} }],
};

interface Options {
  pipeline: string;
  only: string[] | null;
  limit: number | null;
  /** Noise relative to the RMS of the training targets (0: exact rows). */
  noise: number;
}

interface Row {
  equation: DiscoveryEquation;
  found: string | null;
  seconds: number;
  verdict: JudgeReply | null;
  /** Why there is no verdict or no number: the run failed, gave no formula, or the judge could not evaluate it. */
  failure: string | null;
}

/** The recipe run for one equation, before parseRecipe checks it; noise is the absolute standard deviation. */
function recipeFor(equation: DiscoveryEquation, steps: readonly unknown[], noise = 0): Record<string, unknown> {
  const vars = equation.variables.length;
  return {
    seed: SEED,
    data: { formula: equation.formula, vars, range: equation.ranges, train: TRAIN_ROWS, test: TEST_ROWS, noise },
    kan: { width: [vars, 5, 1], grid: 3, k: 3 },
    steps,
  };
}

const noFile = (): never => {
  throw new Error('the discovery benchmark uses formula data only');
};

/** The standard deviation of noise `relative` to the RMS of the equation's exact training targets. */
function absoluteNoise(equation: DiscoveryEquation, relative: number): number {
  if (relative === 0) return 0;
  const { y, n } = initialState(parseRecipe(recipeFor(equation, [])), noFile).data.train;
  let ss = 0;
  for (let s = 0; s < n; s++) ss += y[s]! ** 2;
  return relative * Math.sqrt(ss / Math.max(1, n));
}

function parseOptions(options: ReadonlyMap<string, string>): Options {
  const known = new Set(['pipeline', 'only', 'limit', 'noise']);
  const unknown = [...options.keys()].filter((key) => !known.has(key));
  if (unknown.length > 0) throw new Error(`unknown option ${unknown.map((k) => `--${k}`).join(', ')}; discovery takes --pipeline, --only, --limit and --noise`);
  const pipeline = options.get('pipeline') ?? 'discover';
  if (!(pipeline in PIPELINES)) throw new Error(`unknown pipeline "${pipeline}"; use one of ${Object.keys(PIPELINES).join(', ')}`);
  const only = options.has('only') ? options.get('only')!.split(',').map((id) => id.trim()).filter((id) => id.length > 0) : null;
  const missing = (only ?? []).filter((id) => !DISCOVERY_EQUATIONS.some((e) => e.id === id));
  if (missing.length > 0) throw new Error(`no equation ${missing.join(', ')}; the ids are ${DISCOVERY_EQUATIONS.map((e) => e.id).join(', ')}`);
  const limitText = options.get('limit');
  const limit = limitText === undefined ? null : Number(limitText);
  if (limit !== null && !(Number.isInteger(limit) && limit >= 1)) throw new Error(`--limit takes a whole number of equations, at least 1, not "${limitText}"`);
  const noiseText = options.get('noise');
  const noise = noiseText === undefined ? 0 : Number(noiseText);
  if (!(Number.isFinite(noise) && noise >= 0)) throw new Error(`--noise takes a noise level relative to the targets' RMS, at least 0 (0.01 for 1%), not "${noiseText}"`);
  return { pipeline, only, limit, noise };
}

function discover(equation: DiscoveryEquation, steps: readonly unknown[], noise: number): { found: string | null; failure: string | null } {
  try {
    const state = initialState(parseRecipe(recipeFor(equation, steps, absoluteNoise(equation, noise))), noFile);
    runSteps(state);
    const report: FormulaReport | undefined = Array.isArray(state.formula) ? state.formula[0] : (state.formula ?? undefined);
    return report ? { found: report.python, failure: null } : { found: null, failure: 'the pipeline gave no formula' };
  } catch (error) {
    return { found: null, failure: error instanceof Error ? error.message : String(error) };
  }
}

const COLUMNS: [string, number][] = [['id', 10], ['truth', 34], ['found', 44], ['nRMSE', 9], ['verdict', 7], ['nodes', 7], ['s', 6]];

function clip(text: string, width: number): string {
  return text.length <= width ? text.padEnd(width) : `${text.slice(0, width - 1)}~`;
}

function printRow(cells: string[]): void {
  console.log(cells.map((cell, q) => clip(cell, COLUMNS[q]![1])).join(' '));
}

function verdictText(row: Row): string {
  if (row.verdict?.law) return 'law';
  if (row.verdict?.exact) return 'exact';
  if (row.verdict?.close) return 'close';
  return row.verdict?.nrmse === null || row.verdict === null ? 'failed' : '-';
}

function rowCells(row: Row): string[] {
  const nrmse = row.verdict?.nrmse;
  return [
    row.equation.id,
    row.equation.formula,
    row.failure !== null ? `(${row.failure})` : (row.found ?? ''),
    nrmse === null || nrmse === undefined ? '-' : nrmse.toExponential(1),
    verdictText(row),
    `${row.verdict?.complexity ?? '-'}/${row.verdict?.truthComplexity ?? '-'}`,
    row.seconds.toFixed(1),
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function percent(count: number, total: number): string {
  return `${((100 * count) / total).toFixed(0)}% (${count} of ${total})`;
}

export async function run(options: ReadonlyMap<string, string> = new Map()): Promise<Figures> {
  let parsed: Options;
  try {
    parsed = parseOptions(options);
  } catch (error) {
    console.error(`discovery: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(2);
  }
  const { pipeline, only, limit, noise } = parsed;
  const chosen = DISCOVERY_EQUATIONS.filter((e) => only === null || only.includes(e.id)).slice(0, limit ?? undefined);
  // The bench is bundled into dist/bench/index.js; the judge script stays in the source tree.
  const judge = DiscoveryJudge.start(fileURLToPath(new URL('../../bench/discovery-judge.py', import.meta.url)));
  const noisy = noise > 0 ? `, noise ${noise} x the targets' RMS on the training rows` : '';
  console.log(`\ndiscovery: pipeline ${pipeline}, ${chosen.length} equations, KAN [nVars, 5, 1] grid 3, ${TRAIN_ROWS} train rows${noisy}, seed ${SEED}; judged by SymPy on ${JUDGE_POINTS} fresh points`);
  console.log('verdict: law = exact and equal to the truth once its decimals are the simple numbers they stand for (50-digit check); exact = nRMSE < 1e-6; close = nRMSE < 1e-2 (nRMSE = RMSE / std of the truth); nodes = found/truth SymPy tree nodes');
  printRow(COLUMNS.map(([name]) => name));
  const rows: Row[] = [];
  try {
    for (const equation of chosen) {
      const t0 = performance.now();
      const { found, failure } = discover(equation, PIPELINES[pipeline]!, noise);
      const row: Row = { equation, found, seconds: (performance.now() - t0) / 1000, verdict: null, failure };
      if (found !== null) {
        try {
          row.verdict = await judge.judge({
            id: equation.id, truth: equation.formula, found, variables: equation.variables.map((_, v) => `x${v + 1}`),
            ranges: equation.ranges, points: JUDGE_POINTS, seed: JUDGE_SEED,
          });
          row.failure = row.verdict.error;
        } catch (error) {
          row.failure = `not judged: ${error instanceof Error ? error.message : String(error)}`;
        }
      }
      rows.push(row);
      printRow(rowCells(row));
    }
  } finally {
    await judge.close();
  }
  const failed = rows.filter((r) => r.failure !== null);
  if (failed.length > 0) console.log(`\nwhy rows have no number:\n${failed.map((r) => `  ${r.equation.id}: ${r.failure!.slice(0, 300)}`).join('\n')}`);
  const total = rows.length;
  return {
    pipeline,
    noise,
    equations: total,
    exact: percent(rows.filter((r) => r.verdict?.exact).length, total),
    'the law (exact, and equal to the truth as a formula)': percent(rows.filter((r) => r.verdict?.law).length, total),
    close: percent(rows.filter((r) => r.verdict?.close).length, total),
    'no number (failed run, no formula, or not evaluable)': rows.filter((r) => typeof r.verdict?.nrmse !== 'number').length,
    'median seconds per equation': total > 0 ? median(rows.map((r) => r.seconds)) : Number.NaN,
    'total seconds': rows.reduce((sum, r) => sum + r.seconds, 0),
  };
}
