/**
 * The recipe: one JSON description of an experiment (data, models, ordered steps) shared by the CLI, the app and the
 * store. Validated with zod, structure and meaning at once (shapes, step references, library names, custom functions),
 * so a recipe that parses can train; unknown keys are rejected, and every error names the path of the bad field.
 */
import * as z from 'zod';

import { isDataError } from '../data/errors';
import { parseFormula } from '../data/formula';
import { BUILTIN_NAMES, FORMULA_FUNCTIONS, type LibraryFunction, customFunction, resolveSymbolicFunction } from '../symbolic/library';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const range = z.tuple([finite, finite]).refine(([lo, hi]) => lo < hi, 'range must be [lo, hi] with lo < hi');
const posInt = z.number().int().min(1);

export const formulaDataSchema = z.strictObject({
  formula: z.string().min(1).max(10_000),
  vars: posInt.max(100),
  range: z.union([range, z.array(range).min(1)]).default([-1, 1]),
  train: posInt.max(5_000_000).default(1000),
  test: z.number().int().min(0).max(5_000_000).default(1000),
  noise: finite.min(0).default(0),
  /**
   * Validation rows as a fraction of the training rows, for model selection (early stopping). A formula dataset draws
   * them afresh from the formula, so its training rows stay as they are; 0: no validation set.
   */
  validationFraction: finite.min(0).lt(1).default(0.2),
});

export const csvDataSchema = z.strictObject({
  /** A path (CLI: relative to the recipe file) or, in the app, a stored dataset id prefixed "dataset:". */
  csv: z.string().min(1),
  inputs: z.array(z.string().min(1)).min(1).optional(),
  target: z.array(z.string().min(1)).min(1),
  /** Omitted: inferred from the target (text labels or at most 20 distinct whole numbers: classification), and the run says why. */
  task: z.enum(['regression', 'classification']).optional(),
  /**
   * Ignore input columns that are constant or repeat an earlier column, found all at once and named in one notice.
   * kan.width[0] may then count the input columns before or after they are taken off.
   */
  dropConstant: z.boolean().default(true),
  /**
   * Missing cells (empty, NA, NaN, null, ?) in the inputs: 'drop' their rows (the default: no value is invented), or
   * 'impute' them with the mean of the training rows. Rows missing the target are dropped either way.
   */
  missing: z.enum(['drop', 'impute']).default('drop'),
  testFraction: finite.gt(0).lt(1).default(0.2),
  /** Validation rows carved from the training rows (stratified for classification), as a fraction of them; 0: none. */
  validationFraction: finite.min(0).lt(1).default(0.2),
  /** Standardise inputs (mean 0, std 1); statistics are kept so formulas map back to raw units. */
  standardize: z.boolean().default(true),
});

export const kanSchema = z.strictObject({
  width: z.array(posInt.max(100_000)).min(2),
  grid: posInt.max(10_000).default(3),
  k: posInt.max(10).default(3),
  gridRange: z.union([range, z.array(range)]).optional(),
  base: z.enum(['silu', 'identity', 'zero']).default('silu'),
  noiseScale: finite.min(0).optional(),
  scaleBaseMu: finite.optional(),
  scaleBaseSigma: finite.optional(),
});

export const mlpSchema = z.strictObject({
  width: z.array(posInt.max(100_000)).min(2),
  activation: z.enum(['silu', 'tanh', 'relu']).default('silu'),
  weightDecay: finite.min(0).optional(),
});

export const fitStepSchema = z.strictObject({
  opt: z.enum(['lbfgs', 'adam']).default('lbfgs'),
  steps: z.number().int().min(0).max(1_000_000),
  lr: finite.gt(0).optional(),
  /** Rows per optimiser step, drawn at random each step; -1 (pykan's convention) or more than the rows: all of them. */
  batch: z.number().int().refine((b) => b === -1 || b >= 1, 'must be a number of rows, at least 1, or -1 for the whole training set').optional(),
  maxIter: posInt.max(1000).optional(),
  lamb: finite.min(0).default(0),
  lambL1: finite.min(0).optional(),
  lambEntropy: finite.min(0).optional(),
  lambCoef: finite.min(0).optional(),
  lambCoefDiff: finite.min(0).optional(),
  updateGrid: z.boolean().optional(),
  gridUpdateNum: posInt.optional(),
  startGridUpdateStep: z.number().int().optional(),
  stopGridUpdateStep: z.number().int().min(0).optional(),
  gridEps: finite.min(0).max(1).optional(),
  gridMargin: finite.min(0).max(1).optional(),
  /**
   * End on the parameters with the best validation loss, stopping once it has not improved for `patience` checks (a
   * check every ceil(steps / 100) steps). Default: on for CSV data, as scikit-learn and Keras users expect; off for
   * formula data, which is noise-free and fitted to machine precision, where every step helps.
   */
  earlyStopping: z.boolean().optional(),
  /** Checks without improvement before early stopping ends the fit; default 10 (app/train/fit.ts DEFAULT_PATIENCE). */
  patience: posInt.max(1_000_000).optional(),
  /** Which models this fit trains; by default the KAN and, when the recipe has one, the MLP. */
  models: z.array(z.enum(['kan', 'mlp'])).min(1).optional(),
});

/**
 * Without nodes/edges: prune by attribution thresholds (defaults 1e-2 and 3e-2, as pykan). With names: those are pruned,
 * and thresholds apply too only when given.
 */
export const pruneStepSchema = z.strictObject({
  nodeThreshold: finite.min(0).optional(),
  edgeThreshold: finite.min(0).optional(),
  /** Specific nodes ("layer.index", hidden layers only) or edges ("layer.in.out") to prune by name. */
  nodes: z.array(z.string().regex(/^\d+\.\d+$/, 'a node is named "layer.index", e.g. "1.3"')).optional(),
  edges: z.array(z.string().regex(/^\d+\.\d+\.\d+$/, 'an edge is named "layer.in.out", e.g. "0.1.2"')).optional(),
});

export const fixSymbolicStepSchema = z.strictObject({
  layer: z.number().int().min(0),
  input: z.number().int().min(0),
  output: z.number().int().min(0),
  fn: z.string().min(1),
  /** Fit (a, b, c, d) to the edge's activations (default); false keeps a = c = 1, b = d = 0. */
  fitParams: z.boolean().default(true),
});

export const autoSymbolicStepSchema = z.strictObject({
  lib: z.array(z.string().min(1)).min(1).optional(),
  /** An edge whose best candidate fits worse than this R^2 stays numeric. */
  r2Threshold: finite.min(-1).max(1).default(0.9),
  /** Trade-off between fit and simplicity in the ranking score (0 = fit only). */
  weightSimple: finite.min(0).max(1).default(0.8),
  /** What an edge with no library function reaching r2Threshold becomes: the best low-degree polynomial, or numeric. */
  fallback: z.enum(['polynomial', 'numeric']).default('polynomial'),
});

export const formulaStepSchema = z.strictObject({
  /** Significant digits of the constants. */
  digits: posInt.max(17).default(4),
  simplify: z.boolean().default(true),
  /** Numeric edges left: written as phi_l_i_j(...) in the formula ('mark'), or an error naming them. */
  numericEdges: z.enum(['mark', 'error']).default('mark'),
});

/** Formula discovery with defaults for an unknown formula (see app/discover). */
export const discoverStepSchema = z.strictObject({
  /** Library functions edges may become; default every built-in and custom one. */
  lib: z.array(z.string().min(1)).min(1).optional(),
  /**
   * A formula is as accurate as the best when its error on every row (discover/select.ts) is at most (1 + tolerance)
   * times the best one's; the choice also asks that the rows cannot tell it from the best.
   */
  tolerance: finite.min(0).max(100).default(0.2),
  /** Seconds of search; no new KAN is trained after this. */
  timeBudget: finite.gt(0).max(86_400).default(30),
  /** Restarts from other seeds (each trains the KANs again) while no exact formula is found. */
  seeds: posInt.max(50).default(2),
  /** Hidden width of the sum KAN before pruning; default the recipe KAN's first hidden width, else 2n + 1 (at most 9). */
  hidden: posInt.max(64).optional(),
  /** Symbolic variants (runner-up functions per edge) composed per trained KAN. */
  maxVariants: posInt.max(200).default(12),
  /** Significant digits of constants in the text and LaTeX forms (python and js keep every digit). */
  digits: posInt.max(17).default(4),
});

/** A sweep trains each model once unless asked for more initialisations (sweep.repeats). */
export const SWEEP_REPEATS_DEFAULT = 1;

const hiddenWidths = z.array(z.array(posInt.max(4096)).max(8)).min(1);

/**
 * The parameter-efficiency sweep (app/recipe/sweep-step.ts). Widths are the hidden layers between the data's inputs and
 * outputs: [[5], [10, 10]] trains [nIn, 5, nOut] and [nIn, 10, 10, nOut]. Every model gets the same optimiser and steps.
 */
export const sweepStepSchema = z.strictObject({
  /** Default hidden widths 1, nIn and 2 nIn + 1 (at most 21), each with grids 3, 5 and 10; k and base as the recipe's KAN. */
  kan: z.strictObject({ widths: hiddenWidths.optional(), grids: z.array(posInt.max(1000)).min(1).optional() }).default({}),
  /** Default one hidden layer of 4, 16, 64, 256 and two of 4, 16, 64; activation as the recipe's MLP (default silu). */
  mlp: z.strictObject({ widths: hiddenWidths.optional() }).default({}),
  opt: z.enum(['lbfgs', 'adam']).default('lbfgs'),
  steps: z.number().int().min(1).max(100_000).default(50),
  lr: finite.gt(0).optional(),
  /** As fit.earlyStopping, with its default (on for CSV data, off for formula data) and its patience. */
  earlyStopping: z.boolean().optional(),
  /**
   * Initialisations per model: each is trained from this many seeds on the same rows, its figures are their means (with
   * their standard deviations), and the fronts rank the mean validation error. One run per model says nothing of how
   * far another initialisation would move it.
   */
  repeats: posInt.max(20).default(SWEEP_REPEATS_DEFAULT),
});

export const customFunctionSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a function name is letters, digits and _'),
  expr: z.string().min(1).max(1000),
  complexity: finite.min(0).max(100),
});

export const stepSchema = z.union([
  z.strictObject({ fit: fitStepSchema }),
  z.strictObject({ refine: z.strictObject({ grid: posInt.max(10_000) }) }),
  z.strictObject({ updateGrid: z.strictObject({ gridEps: finite.min(0).max(1).default(0.02), gridMargin: finite.min(0).max(1).default(0.03) }) }),
  z.strictObject({ prune: pruneStepSchema }),
  z.strictObject({ fixSymbolic: fixSymbolicStepSchema }),
  z.strictObject({ unfixSymbolic: z.strictObject({ layer: z.number().int().min(0), input: z.number().int().min(0), output: z.number().int().min(0) }) }),
  z.strictObject({ autoSymbolic: autoSymbolicStepSchema }),
  z.strictObject({ formula: formulaStepSchema }),
  z.strictObject({ discover: discoverStepSchema }),
  z.strictObject({ sweep: sweepStepSchema }),
]);

const recipeFields = z.strictObject({
  name: z.string().max(200).optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(0),
  data: z.union([formulaDataSchema, csvDataSchema]),
  kan: kanSchema,
  mlp: mlpSchema.optional(),
  steps: z.array(stepSchema).max(10_000),
  /** Compute backend: 'auto' measures and picks; or a named backend. */
  backend: z.string().min(1).default('auto'),
  customFunctions: z.array(customFunctionSchema).optional(),
});

export const recipeSchema = recipeFields.superRefine((recipe, ctx) => checkRecipe(recipe, (path, message) => ctx.addIssue({ code: 'custom', path, message })));

export type Recipe = z.output<typeof recipeSchema>;
export type RecipeInput = z.input<typeof recipeSchema>;
export type RecipeStep = z.output<typeof stepSchema>;
export type FitStep = z.output<typeof fitStepSchema>;
export type FormulaData = z.output<typeof formulaDataSchema>;
export type CsvData = z.output<typeof csvDataSchema>;

export class RecipeError extends Error {
  constructor(message: string, readonly path: string) {
    super(message);
    this.name = 'RecipeError';
  }
}

/** Validates and fills defaults; throws RecipeError naming the first bad field's path ("steps[0].fit.steps"). */
export function parseRecipe(input: unknown): Recipe {
  const result = recipeSchema.safeParse(input);
  if (result.success) return result.data;
  const [first] = describeIssues(result.error);
  throw new RecipeError(`recipe${first!.path ? ` field ${first!.path}` : ''}: ${first!.message}`, first!.path);
}

export interface RecipeIssue {
  /** The bad field, as "steps[0].fit.steps"; empty for the recipe as a whole. */
  path: string;
  message: string;
}

/** Every problem of a recipe (none when it parses), each with its field's path: what a form shows beside its fields. */
export function recipeIssues(input: unknown): RecipeIssue[] {
  const result = recipeSchema.safeParse(input);
  return result.success ? [] : describeIssues(result.error);
}

function describeIssues(error: z.ZodError): RecipeIssue[] {
  return error.issues.map((raw) => {
    const { path, message } = explainIssue(raw);
    return { path: formatPath(path), message };
  });
}

/** A zod issue in a reader's words, at the field it concerns: what every boundary (recipe file, API request) reports. */
export function explainIssue(raw: z.core.$ZodIssue): { path: PropertyKey[]; message: string } {
  const { issue, path } = mostSpecificIssue(raw, []);
  return { path, message: describeIssue(issue) };
}

/**
 * For a union (a step, the data block) zod reports every branch's failure; the branch that got furthest into the input
 * (longest path) is the one the user meant, so its issue is reported.
 */
function mostSpecificIssue(issue: z.core.$ZodIssue, prefix: PropertyKey[]): { issue: z.core.$ZodIssue; path: PropertyKey[] } {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) return { issue, path };
  let best: { issue: z.core.$ZodIssue; path: PropertyKey[] } | null = null;
  for (const branch of issue.errors) {
    // A branch that rejects a key at its own top level is the wrong form entirely ({"train": ...} is no step).
    if (branch.some((inner) => inner.code === 'unrecognized_keys' && inner.path.length === 0)) continue;
    for (const inner of branch) {
      const candidate = mostSpecificIssue(inner, path);
      if (!best || candidate.path.length > best.path.length) best = candidate;
    }
  }
  return best ?? { issue, path };
}

type ReportIssue = (path: PropertyKey[], message: string) => void;

/** Checks that need several fields at once: shapes, early stopping, custom functions, library names, step references. */
function checkRecipe(recipe: z.output<typeof recipeFields>, report: ReportIssue): void {
  if (recipe.data.validationFraction === 0) {
    recipe.steps.forEach((step, index) => {
      if ('fit' in step && step.fit.earlyStopping === true) {
        report(['steps', index, 'fit', 'earlyStopping'], 'early stopping needs validation rows, but data.validationFraction is 0; set it above 0 (e.g. 0.2) or turn early stopping off');
      }
    });
  }
  checkShapes(recipe, report);
  if ('formula' in recipe.data) checkFormulaData(recipe.data, report);
  const custom = compileCustomFunctions(recipe.customFunctions ?? [], report);
  checkSteps(recipe.steps, recipe.kan.width, custom, report);
}

/** A formula dataset's expression compiled as its data generation would, so a formula that cannot be read stores no run. */
function checkFormulaData(data: FormulaData, report: ReportIssue): void {
  if (Array.isArray(data.range[0]) && data.range.length !== data.vars) {
    report(['data', 'range'], `${data.range.length} ranges are given for ${data.vars} variables; give one [lo, hi] for all of them or exactly one per variable`);
  }
  try {
    parseFormula(data.formula, data.vars);
  } catch (error) {
    if (!isDataError(error)) throw error;
    report(['data', 'formula'], error.message);
  }
}

/** Widths must match the data (a CSV's dropped columns are known only once it is read, so width[0] may count them). */
function checkShapes(recipe: Pick<Recipe, 'data' | 'kan' | 'mlp'>, report: ReportIssue): void {
  const nIn = 'formula' in recipe.data ? recipe.data.vars : recipe.data.inputs?.length;
  const mayDrop = 'csv' in recipe.data && recipe.data.dropConstant;
  if (nIn !== undefined && mayDrop && recipe.kan.width[0]! > nIn) {
    report(['kan', 'width'], `the KAN has ${recipe.kan.width[0]} inputs but data.inputs lists ${nIn} columns; set kan.width[0] to ${nIn} (constant and duplicate columns among them are taken off when the data is read)`);
  }
  if (nIn !== undefined && !mayDrop && recipe.kan.width[0] !== nIn) {
    report(['kan', 'width'], `the KAN has ${recipe.kan.width[0]} inputs but the data has ${nIn} input variables; set kan.width[0] to ${nIn}`);
  }
  if (recipe.mlp && recipe.mlp.width[0] !== recipe.kan.width[0]) {
    report(['mlp', 'width'], `the MLP has ${recipe.mlp.width[0]} inputs but the KAN has ${recipe.kan.width[0]}; they train on the same data`);
  }
  if (recipe.mlp && recipe.mlp.width[recipe.mlp.width.length - 1] !== recipe.kan.width[recipe.kan.width.length - 1]) {
    report(['mlp', 'width'], 'the MLP and the KAN must have the same number of outputs');
  }
}

/**
 * Names a custom function may not take: built-in library names and math.js functions (a formula would call the wrong
 * one), the variable and constants of an expression, and the properties every object has (a lookup by name would find
 * them).
 */
function reservedReason(name: string): string | null {
  if (resolveSymbolicFunction(name)) return 'is a built-in library function';
  if (FORMULA_FUNCTIONS.has(name)) return 'is a math function formulas use';
  if (['x', 'pi', 'e'].includes(name)) return 'is the variable or a constant of an expression';
  if (name in Object.prototype) return 'is a property name of every object';
  return null;
}

/** Compiles each custom function as a run would, so a bad one is refused before anything trains. */
function compileCustomFunctions(specs: readonly z.output<typeof customFunctionSchema>[], report: ReportIssue): LibraryFunction[] {
  const compiled: LibraryFunction[] = [];
  const seen = new Set<string>();
  specs.forEach((spec, index) => {
    const reserved = reservedReason(spec.name);
    if (reserved) return report(['customFunctions', index, 'name'], `"${spec.name}" ${reserved}; choose another name`);
    if (seen.has(spec.name)) return report(['customFunctions', index, 'name'], `"${spec.name}" is defined twice; give each custom function its own name`);
    seen.add(spec.name);
    try {
      compiled.push(customFunction(spec));
    } catch (error) {
      report(['customFunctions', index, 'expr'], (error as Error).message);
    }
  });
  return compiled;
}

/**
 * Library names must resolve, and edges and nodes named by a step must exist in the recipe's KAN. Pruning only removes
 * nodes, so the recipe's widths bound every later shape; a discover step replaces the KAN with one of its own shape, so
 * references after it are checked when they run.
 */
function checkSteps(steps: readonly RecipeStep[], width: readonly number[], custom: readonly LibraryFunction[], report: ReportIssue): void {
  const known = (): string => `the library has ${[...BUILTIN_NAMES, ...custom.map((f) => f.name)].join(', ')}; add others under customFunctions`;
  const checkName = (name: string, path: PropertyKey[]): void => {
    if (!resolveSymbolicFunction(name, custom)) report(path, `unknown symbolic function "${name.slice(0, 60)}"; ${known()}`);
  };
  let shapeKnown = true;
  steps.forEach((step, index) => {
    if ('fixSymbolic' in step) checkName(step.fixSymbolic.fn, ['steps', index, 'fixSymbolic', 'fn']);
    if ('autoSymbolic' in step) step.autoSymbolic.lib?.forEach((name, j) => checkName(name, ['steps', index, 'autoSymbolic', 'lib', j]));
    if ('discover' in step) step.discover.lib?.forEach((name, j) => checkName(name, ['steps', index, 'discover', 'lib', j]));
    if (shapeKnown) {
      if ('fixSymbolic' in step) checkEdge(step.fixSymbolic, width, ['steps', index, 'fixSymbolic'], report);
      if ('unfixSymbolic' in step) checkEdge(step.unfixSymbolic, width, ['steps', index, 'unfixSymbolic'], report);
      if ('prune' in step) {
        step.prune.nodes?.forEach((name, j) => checkNodeName(name, width, ['steps', index, 'prune', 'nodes', j], report));
        step.prune.edges?.forEach((name, j) => {
          const [layer, input, output] = name.split('.').map(Number) as [number, number, number];
          checkEdge({ layer, input, output }, width, ['steps', index, 'prune', 'edges', j], report);
        });
      }
    }
    if ('discover' in step) shapeKnown = false;
  });
}

function describeWidth(width: readonly number[]): string {
  return `the KAN [${width.join(', ')}]`;
}

function checkEdge(edge: { layer: number; input: number; output: number }, width: readonly number[], path: PropertyKey[], report: ReportIssue): void {
  const layers = width.length - 1;
  if (edge.layer >= layers) return report([...path, 'layer'], `${describeWidth(width)} has edge layers 0 to ${layers - 1}; layer ${edge.layer} does not exist`);
  if (edge.input >= width[edge.layer]!) return report([...path, 'input'], `layer ${edge.layer} of ${describeWidth(width)} has inputs 0 to ${width[edge.layer]! - 1}; input ${edge.input} does not exist`);
  if (edge.output >= width[edge.layer + 1]!) report([...path, 'output'], `layer ${edge.layer} of ${describeWidth(width)} has outputs 0 to ${width[edge.layer + 1]! - 1}; output ${edge.output} does not exist`);
}

function checkNodeName(name: string, width: readonly number[], path: PropertyKey[], report: ReportIssue): void {
  const [layer, index] = name.split('.').map(Number) as [number, number];
  if (width.length < 3) return report(path, `${describeWidth(width)} has no hidden layer, so it has no node to prune; remove "${name}"`);
  if (layer < 1 || layer > width.length - 2) return report(path, `node "${name}": only hidden nodes can be pruned, in layers 1 to ${width.length - 2} of ${describeWidth(width)}`);
  if (index >= width[layer]!) report(path, `node "${name}": layer ${layer} of ${describeWidth(width)} has nodes 0 to ${width[layer]! - 1}`);
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out ? '.' : ''}${String(p)}`;
  return out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k.slice(0, 60)}"`).join(', ')}; remove or correct ${issue.keys.length > 1 ? 'them' : 'it'}`;
  if (issue.code === 'invalid_union') return 'does not match any allowed form (a step is one of {"fit"}, {"refine"}, {"updateGrid"}, {"prune"}, {"fixSymbolic"}, {"unfixSymbolic"}, {"autoSymbolic"}, {"formula"}, {"discover"}, {"sweep"}; data is {"formula", "vars", ...} or {"csv", "target", ...})';
  // zod's own wording ("Too small: expected number to be >=1") is for programmers; a recipe's author reads these.
  if (issue.code === 'too_small') return describeBound(issue.origin, issue.inclusive === false ? 'more than' : 'at least', issue.minimum);
  if (issue.code === 'too_big') return describeBound(issue.origin, issue.inclusive === false ? 'less than' : 'at most', issue.maximum);
  if (issue.code === 'invalid_type') {
    if (issue.expected === 'int') return 'must be a whole number';
    if (issue.expected === 'nonoptional') return 'is missing; give it a value';
    return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}${(issue as { received?: unknown }).received === 'NaN' ? ', not NaN' : ''}`;
  }
  if (issue.code === 'invalid_value') return `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')}`;
  return issue.message;
}

function describeBound(origin: string, relation: string, bound: number | bigint): string {
  if (origin === 'array') return `needs ${relation} ${bound} ${bound === 1 ? 'entry' : 'entries'}`;
  if (origin === 'string') return `needs ${relation} ${bound} character${bound === 1 ? '' : 's'}`;
  return `must be ${relation} ${bound}`;
}
