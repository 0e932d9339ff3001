/**
 * Admission control: the peak memory a recipe's run will take, estimated before it starts from its shapes alone
 * (parameters, optimiser state, basis caches, activations, data), and the refusal, with the estimate and what to shrink,
 * of a run that cannot fit. Figures are upper bounds of the arrays the engine allocates, in bytes, not measurements.
 */
import { MAX_KEPT_EDGE_OUTPUTS } from '../kan/layer';
import type { Recipe } from './schema';
import { DEFAULT_SWEEP_GRIDS, defaultKanHidden } from './sweep-step';

/** The data a run reads, by shape: a formula dataset's rows are in its recipe, a CSV's are known once it is stored or read. */
export interface DataShape {
  rows: number;
  columns: number;
  /** A CSV's text is parsed in the run's worker; its cells cost more than their numbers. */
  csv: boolean;
}

export interface MemoryEstimate {
  /** Bytes, the sum of the parts. */
  total: number;
  parts: {
    /** The KAN's and MLP's parameters, masks and knot vectors. */
    parameters: number;
    /** L-BFGS history (or Adam moments), gradients and the best parameters kept for early stopping. */
    optimiser: number;
    /** Per layer and row: B-spline values and derivatives, base activations, layer outputs and their gradients. */
    caches: number;
    /** The dataset as parsed, split and standardised. */
    data: number;
  };
}

/**
 * A CSV's shape without parsing it, for an estimate before the parse: line breaks count the rows (a quoted field with a
 * line break counts twice, which only errs on the safe side), the header's commonest delimiter the columns.
 */
export function csvShapeOf(text: string): DataShape {
  let rows = 0;
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) rows++;
  const headerEnd = text.search(/\r|\n/);
  const header = headerEnd === -1 ? text : text.slice(0, headerEnd);
  const columns = 1 + Math.max(...[',', ';', '\t', '|'].map((delimiter) => header.split(delimiter).length - 1));
  return { rows: Math.max(rows, 1), columns, csv: true };
}

const FLOAT = 8;
/** L-BFGS keeps this many (s, y) pairs (app/train/optim/lbfgs.ts), each two parameter vectors. */
const LBFGS_HISTORY = 10;
/** Parameter-sized vectors besides an optimiser's history: gradient, direction, line-search point, best parameters. */
const WORKING_VECTORS = 6;
/** Per parameter of an edge beyond its G + k coefficients: w_b, w_s, (a, b, c, d), the two masks. */
const EDGE_EXTRAS = 8;
/** A parsed CSV cell: a short string and its slot in the row array. */
const CSV_CELL_BYTES = 56;
/** Copies of the numeric table alive at once while the data is prepared: read, cleaned, split, standardised. */
const TABLE_COPIES = 4;

function largestGrid(recipe: Recipe): number {
  let grid = recipe.kan.grid;
  for (const step of recipe.steps) if ('refine' in step) grid = Math.max(grid, step.refine.grid);
  return grid;
}

function usesLbfgs(recipe: Recipe): boolean {
  const fits = recipe.steps.filter((step) => 'fit' in step);
  return fits.length === 0 || fits.some((step) => 'fit' in step && step.fit.opt === 'lbfgs');
}

/** Rows that go through the network at once: a fit's batch when every fit sets one, else the training rows (metrics use them all). */
function rowsAtOnce(recipe: Recipe, trainRows: number): number {
  const batches = recipe.steps.flatMap((step) => ('fit' in step ? [step.fit.batch ?? -1] : []));
  if (batches.length === 0 || batches.some((batch) => batch === -1 || batch >= trainRows)) return trainRows;
  return Math.max(...batches);
}

function trainingRows(recipe: Recipe, data: DataShape): number {
  if ('formula' in recipe.data) return recipe.data.train;
  return Math.ceil(data.rows * (1 - recipe.data.testFraction));
}

/** A KAN's parameters (counted in floats) and its caches for `rows` rows at once (bytes). */
function kanCost(width: readonly number[], grid: number, k: number, rows: number): { parameters: number; caches: number } {
  let parameters = 0;
  let caches = 0;
  for (let l = 0; l + 1 < width.length; l++) {
    const nIn = width[l]!;
    const nOut = width[l + 1]!;
    parameters += nIn * nOut * (grid + k + EDGE_EXTRAS) + nIn * (grid + 4 * k + 1);
    // Values and derivatives of the k + 1 non-zero bases, their row and order indices, base and its derivative, the input.
    caches += rows * nIn * (2 * (k + 1) + 5) * FLOAT + rows * nOut * 2 * FLOAT;
    // The edge outputs the forward pass keeps for the regulariser's backward pass, up to its cap.
    caches += Math.min(rows * nIn * nOut, MAX_KEPT_EDGE_OUTPUTS) * FLOAT;
  }
  return { parameters, caches };
}

/** The KANs a sweep step trains, one at a time: its hidden widths between the recipe's inputs and outputs, at each grid. */
function sweepKans(recipe: Recipe): { width: number[]; grid: number }[] {
  const nIn = recipe.kan.width[0]!;
  const nOut = recipe.kan.width[recipe.kan.width.length - 1]!;
  return recipe.steps.flatMap((step) => {
    if (!('sweep' in step)) return [];
    const widths = step.sweep.kan.widths ?? defaultKanHidden(nIn).map((hidden) => [hidden]);
    const grids = step.sweep.kan.grids ?? DEFAULT_SWEEP_GRIDS;
    return widths.flatMap((hidden) => grids.map((grid) => ({ width: [nIn, ...hidden, nOut], grid })));
  });
}

export function estimateRunMemory(recipe: Recipe, data: DataShape): MemoryEstimate {
  const k = recipe.kan.k;
  const rows = rowsAtOnce(recipe, trainingRows(recipe, data));
  const main = kanCost(recipe.kan.width, largestGrid(recipe), k, rows);
  const swept = sweepKans(recipe).map(({ width, grid }) => kanCost(width, grid, k, rows));
  const largestSwept = swept.reduce((a, b) => (b.parameters > a.parameters ? b : a), { parameters: 0, caches: 0 });
  let mlpParameters = 0;
  let caches = Math.max(main.caches, largestSwept.caches);
  const mlpWidth = recipe.mlp?.width ?? [];
  for (let l = 0; l + 1 < mlpWidth.length; l++) {
    mlpParameters += mlpWidth[l]! * mlpWidth[l + 1]! + mlpWidth[l + 1]!;
    caches += rows * mlpWidth[l + 1]! * 3 * FLOAT;
  }
  const vectors = (usesLbfgs(recipe) ? 2 * LBFGS_HISTORY : 2) + WORKING_VECTORS;
  // Models train one after the other: the largest one's optimiser state is the peak.
  const optimiser = Math.max(main.parameters, largestSwept.parameters, mlpParameters) * vectors * FLOAT;
  const parameters = (main.parameters + largestSwept.parameters + mlpParameters) * FLOAT;
  const dataBytes = data.rows * data.columns * (TABLE_COPIES * FLOAT + (data.csv ? CSV_CELL_BYTES : 0));
  const parts = { parameters, optimiser, caches, data: dataBytes };
  return { total: parameters + optimiser + caches + dataBytes, parts };
}

/** What to make smaller, for the part of the estimate that dominates. */
function advice(recipe: Recipe, estimate: MemoryEstimate): string {
  const { parts } = estimate;
  const largest = (Object.keys(parts) as (keyof MemoryEstimate['parts'])[]).reduce((a, b) => (parts[a] >= parts[b] ? a : b));
  const width = `kan.width [${recipe.kan.width.join(', ')}]`;
  if (largest === 'data') return 'use fewer rows (a sample of the data) or fewer columns';
  if (largest === 'caches') return `set a smaller fit.batch (rows per step), use fewer rows, or narrow ${width}`;
  const shrink = `narrow ${width} or lower the grid (${largestGrid(recipe)})`;
  return largest === 'optimiser' && usesLbfgs(recipe) ? `${shrink}, or train with opt "adam", which keeps 2 vectors per parameter instead of ${2 * LBFGS_HISTORY}` : shrink;
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  return `${Math.max(1, Math.round(bytes / 1024 ** 2))} MB`;
}

/**
 * Null when the run fits under limitBytes; otherwise why not, with the estimate by part and what to shrink. limitSource
 * says where the limit comes from and how to raise it.
 */
export function admissionProblem(recipe: Recipe, estimate: MemoryEstimate, limitBytes: number, limitSource: string): string | null {
  if (estimate.total <= limitBytes) return null;
  const { parameters, optimiser, caches, data } = estimate.parts;
  return (
    `this run would need about ${formatBytes(estimate.total)} of memory (parameters ${formatBytes(parameters)}, optimiser state ${formatBytes(optimiser)}, ` +
    `basis caches and activations ${formatBytes(caches)}, data ${formatBytes(data)}), more than the ${formatBytes(limitBytes)} allowed (${limitSource}). ` +
    `To fit, ${advice(recipe, estimate)}.`
  );
}
