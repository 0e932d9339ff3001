/**
 * The recipe step `discover`: formula discovery (app/discover) for every regression target of the run, with the chosen
 * formula reported as the formula step reports one, the Pareto front of alternatives beside it, and the KAN of the
 * chosen formula (fine-tuned) becoming the run's KAN when it came from one.
 */
import { discoverFormula, type DiscoveredFormula } from '../discover/discover';
import { column } from '../kan/edges';
import { buildLibrary, customFunction } from '../symbolic/library';
import { rawInputs, safeIdentifiers } from '../symbolic/formula';
import { toJavaScript, toLatex, toPython, toText, latexDocument } from '../symbolic/export';
import { evaluateExpr } from '../symbolic/algebra/expr';
import type { FitData } from '../symbolic/algebra/constants';
import { toMathNode } from '../symbolic/algebra/mathnode';
import { exprRmse } from '../discover/polish';
import { fit } from '../train/fit';
import type { Batch } from '../train/types';
import { selectionSplit } from './data';
import type { FormulaReport } from './interpretability-steps';
import type { RunOptions, RunState } from './run-core';
import { RecipeError, type RecipeStep } from './schema';

type DiscoverSpec = Extract<RecipeStep, { discover: unknown }>['discover'];

/** Share of the training rows held out to choose between formulas when the recipe asks for no validation rows. */
const VALIDATION_SHARE = 0.2;
/** L-BFGS steps that fine-tune the chosen formula's symbolic KAN before it becomes the run's KAN. */
const KAN_FINE_TUNE_STEPS = 20;

/** One formula of the Pareto front, as reported. */
export interface ParetoRow {
  text: string;
  latex: string;
  python: string;
  complexity: number;
  trainRmse: number;
  valRmse: number;
  /** RMSE on the training and validation rows with each free constant charged (discover/select.ts): what ranks the front. */
  selectionRmse: number | null;
  testRmse: number | null;
  source: string;
  edges: Record<string, string>;
  chosen: boolean;
}

export interface DiscoveryReport {
  /** Per output (one entry per target), the front by complexity ascending. */
  fronts: ParetoRow[][];
  seconds: number;
  tried: number;
  timedOut: boolean;
}

/**
 * Runs the step; null when a cancel arrived during the search, which is then abandoned with the run as it was (a partial
 * front would be chosen from whatever the search had reached, not what the step promises).
 */
export function discoverStep(state: RunState, spec: DiscoverSpec, index: number, options: RunOptions): Record<string, unknown> | null {
  const { data } = state;
  if (data.task !== 'regression') {
    throw new RecipeError(`recipe field steps[${index}].discover: discovery finds regression formulas, and this run is ${data.task}; use autoSymbolic and formula for per-class formulas`, `steps[${index}].discover`);
  }
  const now = options.now ?? (() => performance.now());
  const t0 = now();
  const custom = (state.recipe.customFunctions ?? []).map(customFunction);
  const lib = buildLibrary(spec.lib, custom);
  const { fit: fitSet, validation: validationSet } = selectionSplit(data, state.recipe.seed + index, VALIDATION_SHARE);
  const variables = safeIdentifiers(data.inputNames);
  const rawTest = columnsOf(rawInputs(data.test.x, data.test.n, data.inputNames, data.standardizer), data.test.n, data.nIn);
  const reports: FormulaReport[] = [];
  const fronts: ParetoRow[][] = [];
  let tried = 0;
  let timedOut = false;
  let chosenKan = null;
  for (let k = 0; k < data.nOut; k++) {
    const train = selectOutput(fitSet, data.nOut, k);
    const validation = selectOutput(validationSet, data.nOut, k);
    const raw = (b: Batch): FitData => ({ columns: columnsOf(rawInputs(b.x, b.n, data.inputNames, data.standardizer), b.n, data.nIn), y: b.y, n: b.n });
    const result = discoverFormula(
      { inputNames: data.inputNames, standardizer: data.standardizer, train, validation, rawTrain: raw(train), rawValidation: raw(validation) },
      {
        lib, tolerance: spec.tolerance, timeBudget: spec.timeBudget / data.nOut, seeds: spec.seeds, hidden: spec.hidden ?? defaultHidden(state),
        grid: state.recipe.kan.grid, k: state.recipe.kan.k, seed: state.recipe.seed + index, maxVariants: spec.maxVariants,
      },
      { now, signal: options.signal },
    );
    if (options.signal?.aborted) return null;
    tried += result.tried;
    timedOut ||= result.timedOut;
    const testY = data.test.n > 0 ? column(data.test.y, data.test.n, data.nOut, k) : null;
    const testRmseOf = (f: DiscoveredFormula): number | null => (testY ? finiteOrNull(exprRmse(f.expr, { columns: rawTest, y: testY, n: data.test.n })) : null);
    fronts.push(result.front.map((f) => ({ ...exportsOf(f, variables, spec.digits), complexity: f.complexity, trainRmse: f.trainRmse, valRmse: f.valRmse, selectionRmse: f.selectionRmse ?? null, testRmse: testRmseOf(f), source: f.source, edges: f.edges, chosen: f === result.chosen })));
    const chosen = result.chosen;
    if (data.nOut === 1 && chosen.kan) chosenKan = chosen.kan;
    const testPred = testY ? evaluateExpr(chosen.expr, rawTest, data.test.n) : null;
    const undefinedTestPoints = testPred ? testPred.reduce((count, v) => count + (Number.isFinite(v) ? 0 : 1), 0) : 0;
    reports.push({
      output: data.targetNames[k] ?? `output ${k}`,
      ...exportsOf(chosen, variables, spec.digits),
      variables: Object.fromEntries(variables.map((id, i) => [id, data.inputNames[i]!])),
      digits: spec.digits,
      testRmse: undefinedTestPoints > 0 ? null : testRmseOf(chosen),
      testRmseFullPrecision: testRmseOf(chosen),
      modelTestRmse: null,
      undefinedTestPoints,
      numericEdges: [],
    });
  }
  if (chosenKan) {
    fit(chosenKan, { train: data.train, test: data.test }, 'regression', { opt: 'lbfgs', steps: KAN_FINE_TUNE_STEPS, updateGrid: false }, { seed: state.recipe.seed + index, signal: options.signal });
    state.kan = chosenKan;
    state.trained.kan = true;
    state.symbolicFits = {};
  }
  state.formula = reports.length === 1 ? reports[0]! : reports;
  const discovery: DiscoveryReport = { fronts, seconds: (now() - t0) / 1000, tried, timedOut };
  state.discovery = discovery;
  return {
    formula: state.formula,
    pareto: fronts.length === 1 ? fronts[0] : fronts,
    tried,
    timedOut,
    latexDocument: latexDocument(reports.map((r) => ({ name: r.output, latex: r.latex, testRmse: r.testRmse }))),
  };
}

/** text and latex with constants at `digits` significant digits; python and js with every digit, as the formula is. */
function exportsOf(f: DiscoveredFormula, variables: readonly string[], digits: number): { text: string; latex: string; python: string; js: string } {
  const display = toMathNode(f.expr, variables, digits);
  const exact = toMathNode(f.expr, variables);
  return { text: toText(display), latex: toLatex(display), python: toPython(exact), js: toJavaScript(exact) };
}

/** The sum KAN's hidden width: the recipe KAN's first hidden layer, else 2n + 1 (Kolmogorov–Arnold), at most 9. */
function defaultHidden(state: RunState): number {
  const width = state.recipe.kan.width;
  return width.length > 2 ? width[1]! : Math.min(9, 2 * width[0]! + 1);
}

/** Target column k of a batch with nOut target columns. */
function selectOutput(batch: Batch, nOut: number, k: number): Batch {
  return { x: batch.x, y: column(batch.y, batch.n, nOut, k), n: batch.n };
}

function columnsOf(x: Float64Array, n: number, nIn: number): Float64Array[] {
  return Array.from({ length: nIn }, (_, i) => column(x, n, nIn, i));
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
