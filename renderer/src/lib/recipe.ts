/** Turns the setup form and the chosen data into a recipe (app/recipe/schema.ts) for runs.create. */
import { SWEEP_REPEATS_DEFAULT, type RecipeInput, recipeIssues } from '../../../app/recipe/schema';
import { DEFAULT_PATIENCE } from '../../../app/train/selection-rules';

export { DEFAULT_PATIENCE };

export type Task = 'regression' | 'classification';
export type Optimizer = 'lbfgs' | 'adam';
export type MlpActivation = 'silu' | 'tanh' | 'relu';
/** Rows with a missing input are dropped, or the cell gets the training rows' mean (the recipe's data.missing). */
export type MissingHandling = 'drop' | 'impute';

export type DataChoice =
  | { kind: 'formula'; formula: string; vars: number; range: [number, number] | [number, number][]; train: number; test: number; noise: number }
  | { kind: 'csv'; datasetId: string; inputs: string[]; target: string[]; task: Task; missing: MissingHandling; testFraction: number; standardize: boolean };

export interface SetupForm {
  name: string;
  /** KAN hidden layer widths; inputs and outputs come from the data. */
  hidden: number[];
  /** Outputs for classification (the number of classes); regression uses one output per target. */
  classes: number;
  grid: number;
  k: number;
  optimizer: Optimizer;
  steps: number;
  /** null: the optimiser's default (L-BFGS 1, Adam 1e-2). */
  lr: number | null;
  /** Rows per optimiser step (mini-batch); null: the whole training set every step. */
  batch: number | null;
  lamb: number;
  mu1: number;
  mu2: number;
  updateGrid: boolean;
  gridUpdateNum: number;
  /** Grid extension: after the first fit, refine to each of these grids and fit again. */
  gridSchedule: number[];
  /** Validation rows as a fraction of the training rows (the recipe's data.validationFraction); 0: none. */
  validationFraction: number;
  /** null: the data's default (earlyStoppingDefault); a boolean once the user has chosen. */
  earlyStopping: boolean | null;
  /** Checks without improvement before a fit stops; null: the engine's default (DEFAULT_PATIENCE). */
  patience: number | null;
  mlp: { enabled: boolean; hiddenLayers: number; hiddenWidth: number; activation: MlpActivation };
  seed: number;
  backend: string;
  /** The sweep's initialisations per model (its recipe's sweep.repeats): each size trained from this many seeds. */
  sweepRepeats: number;
}

export function defaultSetupForm(): SetupForm {
  return {
    name: '',
    hidden: [5],
    classes: 3,
    grid: 3,
    k: 3,
    optimizer: 'lbfgs',
    steps: 50,
    lr: null,
    batch: null,
    lamb: 0.001,
    mu1: 1,
    mu2: 2,
    updateGrid: true,
    gridUpdateNum: 10,
    gridSchedule: [],
    validationFraction: 0.2,
    earlyStopping: null,
    patience: null,
    mlp: { enabled: true, hiddenLayers: 2, hiddenWidth: 16, activation: 'silu' },
    seed: 0,
    backend: 'auto',
    sweepRepeats: SWEEP_REPEATS_DEFAULT,
  };
}

/**
 * As the engine decides for a recipe that leaves fit.earlyStopping out (app/recipe/runner.ts earlyStoppingDefault): on
 * for measured (CSV) data, off for a noise-free formula dataset, where every step helps.
 */
export function earlyStoppingDefault(data: DataChoice | null): boolean {
  return data?.kind !== 'formula';
}

/** Whether the fits of the recipe the form builds stop early. */
export function earlyStoppingOf(data: DataChoice | null, form: SetupForm): boolean {
  return form.earlyStopping ?? earlyStoppingDefault(data);
}

export function inputCount(data: DataChoice): number {
  return data.kind === 'formula' ? data.vars : data.inputs.length;
}

export function outputCount(data: DataChoice, form: SetupForm): number {
  if (data.kind === 'formula') return 1;
  return data.task === 'classification' ? form.classes : data.target.length;
}

export function kanWidth(data: DataChoice, form: SetupForm): number[] {
  return [inputCount(data), ...form.hidden, outputCount(data, form)];
}

export function mlpWidth(data: DataChoice, form: SetupForm): number[] {
  return [inputCount(data), ...Array.from({ length: form.mlp.hiddenLayers }, () => form.mlp.hiddenWidth), outputCount(data, form)];
}

/** "5, 10 20" -> [5, 10, 20]; throws with a message saying what to type. */
export function parseGridSchedule(text: string): number[] {
  const parts = text.split(/[\s,;]+/).filter((p) => p.length > 0);
  return parts.map((part) => {
    const value = Number(part);
    if (!Number.isInteger(value) || value < 1) throw new Error(`grid extension "${part}" is not a positive whole number; list grid sizes like "5, 10, 20"`);
    return value;
  });
}

/** The form's name for each recipe field it fills, so that a problem the recipe schema finds reads as a form problem. */
const FIELD_LABELS: [RegExp, string][] = [
  [/^name$/, 'The run name'],
  [/^seed$/, 'The seed'],
  [/^backend$/, 'The backend'],
  [/^data\.testFraction$/, 'The test fraction'],
  [/^data\.validationFraction$/, 'The validation split'],
  [/^data\./, 'The data'],
  [/^kan\.width/, 'The KAN layers'],
  [/^kan\.grid$/, 'The grid'],
  [/^kan\.k$/, 'The spline order k'],
  [/^mlp\.width/, 'The MLP layers'],
  [/^steps\[\d+\]\.refine\.grid$/, 'Grid extension'],
  [/^steps\[\d+\]\.fit\.steps$/, 'Training steps'],
  [/^steps\[\d+\]\.fit\.lr$/, 'The learning rate'],
  [/^steps\[\d+\]\.fit\.batch$/, 'The batch size'],
  [/^steps\[\d+\]\.fit\.lamb$/, 'lambda'],
  [/^steps\[\d+\]\.fit\.lambL1$/, 'mu1'],
  [/^steps\[\d+\]\.fit\.lambEntropy$/, 'mu2'],
  [/^steps\[\d+\]\.fit\.gridUpdateNum$/, 'Grid updates'],
  [/^steps\[\d+\]\.fit\.earlyStopping$/, 'Early stopping'],
  [/^steps\[\d+\]\.fit\.patience$/, 'Patience'],
  [/^steps\[\d+\]\.sweep\.repeats$/, 'Sweep initialisations'],
];

function labelOf(path: string): string {
  return FIELD_LABELS.find(([pattern]) => pattern.test(path))?.[1] ?? path;
}

/**
 * Problems the user can fix in the form, each a full sentence; empty when the recipe can be built. What the form
 * itself must settle comes first (data chosen, column roles, grid schedule, classes); every rule of the recipe is the
 * recipe schema's, the one the app and the CLI check, reported under the form's name for the field.
 */
export function setupProblems(data: DataChoice | null, form: SetupForm): string[] {
  if (!data) return ['Choose a dataset on the Data page first (or add a built-in sample).'];
  const problems: string[] = [];
  if (data.kind === 'csv') {
    if (data.inputs.length === 0) problems.push('Mark at least one column as an input on the Data page.');
    if (data.target.length === 0) problems.push('Mark a column as the target on the Data page.');
    if (data.task === 'classification' && data.target.length > 1) problems.push('Classification needs exactly one target column (the class label).');
    if (data.task === 'classification' && (!Number.isInteger(form.classes) || form.classes < 2)) problems.push('Classification needs at least two classes (KAN outputs).');
  }
  if (form.gridSchedule.some((g, i) => g <= (i === 0 ? form.grid : form.gridSchedule[i - 1]!))) problems.push('Grid extension must list growing grid sizes, each larger than the one before (and than the starting grid).');
  if (problems.length > 0) return problems;
  // The sweep's recipe shares every field with the training one but its step's: only those are checked twice.
  const sweepIssues = recipeIssues(buildSweepRecipe(data, form)).filter((issue) => /^steps\[\d+\]\.sweep\./.test(issue.path));
  const sentences = [...recipeIssues(buildRecipe(data, form)), ...sweepIssues].map((issue) => `${labelOf(issue.path)}: ${issue.message}`);
  // The form repeats one fit after each grid extension: one sentence per problem, not per step.
  return [...new Set(sentences)];
}

export function buildRecipe(data: DataChoice, form: SetupForm): RecipeInput {
  const fit = {
    opt: form.optimizer,
    steps: form.steps,
    ...(form.lr !== null ? { lr: form.lr } : {}),
    ...(form.batch !== null ? { batch: form.batch } : {}),
    lamb: form.lamb,
    lambL1: form.mu1,
    lambEntropy: form.mu2,
    updateGrid: form.updateGrid,
    ...(form.updateGrid ? { gridUpdateNum: form.gridUpdateNum } : {}),
    earlyStopping: earlyStoppingOf(data, form),
    ...(earlyStoppingOf(data, form) && form.patience !== null ? { patience: form.patience } : {}),
  };
  const steps: RecipeInput['steps'] = [{ fit }];
  for (const grid of form.gridSchedule) steps.push({ refine: { grid } }, { fit: { ...fit } });
  const recipeData: RecipeInput['data'] = data.kind === 'formula'
    ? { formula: data.formula, vars: data.vars, range: data.range, train: data.train, test: data.test, noise: data.noise, validationFraction: form.validationFraction }
    : { csv: `dataset:${data.datasetId}`, inputs: data.inputs, target: data.target, task: data.task, missing: data.missing, testFraction: data.testFraction, validationFraction: form.validationFraction, standardize: data.standardize };
  return {
    ...(form.name.trim() ? { name: form.name.trim() } : {}),
    seed: form.seed,
    data: recipeData,
    kan: { width: kanWidth(data, form), grid: form.grid, k: form.k },
    ...(form.mlp.enabled ? { mlp: { width: mlpWidth(data, form), activation: form.mlp.activation } } : {}),
    steps,
    backend: form.backend,
  };
}

/**
 * The setup's data and models with one sweep step in place of the training steps: KANs and MLPs over a range of sizes
 * (the sweep's defaults), trained with the form's optimiser, steps and learning rate, each from the form's number of
 * initialisations.
 */
export function buildSweepRecipe(data: DataChoice, form: SetupForm): RecipeInput {
  const recipe = buildRecipe(data, form);
  const sweep = { opt: form.optimizer, steps: form.steps, ...(form.lr !== null ? { lr: form.lr } : {}), ...(form.sweepRepeats !== SWEEP_REPEATS_DEFAULT ? { repeats: form.sweepRepeats } : {}) };
  return { ...recipe, name: form.name.trim() ? `${form.name.trim()} sweep` : 'sweep', steps: [{ sweep }] };
}
