/**
 * Recipe steps of the interpretability toolkit: prune, fixSymbolic, unfixSymbolic, autoSymbolic and formula, run on a
 * RunState, and the part of the run summary they own (the formula and the per-edge symbolic choices).
 * Edges are sampled on the training inputs; formulas are evaluated on the test inputs in raw units.
 */
import { attribute } from '../kan/attribution';
import type { Kan } from '../kan/model';
import { edgeName, nodeName, parseEdgeName, parseNodeName, prune, pruneEdges, pruneNodes } from '../kan/prune';
import { autoSymbolic, edgeLabel, fixSymbolic, unfixSymbolic } from '../symbolic/suggest';
import { type LibraryFunction, buildLibrary, customFunction } from '../symbolic/library';
import { buildFormulas, evaluateFormula, rawInputs } from '../symbolic/formula';
import { column } from '../kan/edges';
import { latexDocument, toJavaScript, toLatex, toPython, toText } from '../symbolic/export';
import type { RunState } from './run-core';
import type { RecipeStep } from './schema';
import type { DiscoveryReport } from './discover-step';

/** One output's formula as the run reports it. */
export interface FormulaReport {
  /** Target column (regression) or class (classification) the formula computes. */
  output: string;
  text: string;
  latex: string;
  /** An expression SymPy's sympify reads, in the variables below. */
  python: string;
  /** A JavaScript function body; its parameters are the variables below, in input order. */
  js: string;
  /** Identifier used in the formula -> dataset column name. */
  variables: Record<string, string>;
  digits: number;
  /** Regression: RMSE of this (rounded) formula on the test set, raw units; null when it cannot be evaluated there. */
  testRmse: number | null;
  /** The same with every digit of the constants kept: what the symbolic model itself achieves. */
  testRmseFullPrecision: number | null;
  /** The model's own test RMSE on this output, for comparison. */
  modelTestRmse: number | null;
  /** Classification: accuracy of the argmax of the formulas on the test set. */
  testAccuracy?: number | null;
  /** Test points where the formula is undefined (an argument outside its function's domain). */
  undefinedTestPoints: number;
  /** Numeric edges written as phi_l_i_j(...): the formula is then not evaluable. */
  numericEdges: string[];
}

export interface SymbolicChoice {
  edge: string;
  fn: string;
  a: number;
  b: number;
  c: number;
  d: number;
  /** R^2 of the fit when the edge was fixed (absent once pruning renumbered the nodes). */
  r2?: number;
}

export interface InterpretabilityState {
  /** The last formula or discover step's result: one report, or one per output. */
  formula: FormulaReport | FormulaReport[] | null;
  /** The last discover step's Pareto fronts. */
  discovery?: DiscoveryReport | null;
  /** R^2 of each edge's symbolic fit, by edge name, as fixed in this run. */
  symbolicFits?: Record<string, { fn: string; r2: number }>;
}

export const interpretabilityHandlers = {
  apply(state: RunState, step: RecipeStep): Record<string, unknown> {
    if ('prune' in step) return pruneStep(state, step.prune);
    if ('fixSymbolic' in step) {
      const { layer, input, output, fn: name, fitParams } = step.fixSymbolic;
      const [fn] = buildLibrary([name], customLibrary(state));
      const edge = { layer, input, output };
      const fit = fixSymbolic(state.kan, edge, fn!, state.data.train, { fitParams });
      const p = edgeParams(state.kan, layer, input, output);
      if (fit) recordFit(state, edgeLabel(edge), fn!.name, fit.r2);
      return { edge: edgeLabel(edge), fn: fn!.name, ...(fit ? { r2: fit.r2 } : {}), ...p };
    }
    if ('unfixSymbolic' in step) {
      const edge = step.unfixSymbolic;
      unfixSymbolic(state.kan, edge);
      if (state.symbolicFits) delete state.symbolicFits[edgeLabel(edge)];
      return { edge: edgeLabel(edge) };
    }
    if ('autoSymbolic' in step) {
      const { lib, r2Threshold, weightSimple, fallback } = step.autoSymbolic;
      const report = autoSymbolic(state.kan, state.data.train, { lib: buildLibrary(lib, customLibrary(state)), r2Threshold, weightSimple, fallback });
      for (const e of report) if (e.fn) recordFit(state, edgeLabel(e), e.fn, e.r2);
      return {
        edges: report.map((e) => ({ edge: edgeLabel(e), fn: e.fn, r2: e.r2, ...(e.best ? { best: e.best } : {}), ...(e.polynomial ? { polynomial: true } : {}) })),
        numeric: report.filter((e) => !e.fn).map((e) => edgeLabel(e)),
        polynomial: report.filter((e) => e.polynomial).map((e) => edgeLabel(e)),
      };
    }
    if ('formula' in step) {
      const reports = formulaReports(state, step.formula);
      state.formula = reports.length === 1 ? reports[0]! : reports;
      return {
        formula: state.formula,
        latexDocument: latexDocument(reports.map((r) => ({ name: r.output, latex: r.latex, testRmse: r.testRmse }))),
      };
    }
    throw new Error(`the recipe step "${Object.keys(step)[0]}" has no handler`);
  },

  summarize(state: RunState): Record<string, unknown> {
    const fronts = state.discovery?.fronts;
    return { ...(state.formula ? { formula: state.formula } : {}), ...(fronts ? { pareto: fronts.length === 1 ? fronts[0] : fronts } : {}), symbolic: symbolicChoices(state) };
  },
};

type PruneSpec = Extract<RecipeStep, { prune: unknown }>['prune'];
type FormulaSpec = Extract<RecipeStep, { formula: unknown }>['formula'];

/**
 * Named edges are masked first (numbered as before this step), then named nodes removed; thresholds apply when no names
 * are given or when they are given explicitly alongside names.
 */
function pruneStep(state: RunState, spec: PruneSpec): Record<string, unknown> {
  const { x, n } = state.data.train;
  const before = state.kan;
  const inputScores = attribute(before, x, n).node[0]!;
  const named = (spec.nodes?.length ?? 0) + (spec.edges?.length ?? 0) > 0;
  let kan = before;
  const removedNodes: string[] = [];
  const maskedEdges: string[] = [];
  let kept: number[][] = before.width.map((w) => Array.from({ length: w }, (_, i) => i));
  if (spec.edges?.length) {
    kan = pruneEdges(kan, spec.edges.map(parseEdgeName));
    maskedEdges.push(...spec.edges);
  }
  if (spec.nodes?.length) {
    const result = pruneNodes(kan, spec.nodes.map(parseNodeName));
    kan = result.kan;
    kept = result.keptNodes;
    removedNodes.push(...spec.nodes);
  }
  if (!named || spec.nodeThreshold !== undefined || spec.edgeThreshold !== undefined) {
    const result = prune(kan, x, n, { nodeThreshold: spec.nodeThreshold, edgeThreshold: spec.edgeThreshold });
    const original = (l: number, i: number): number => kept[l]![i]!;
    removedNodes.push(...result.removedNodes.map((r) => nodeName({ layer: r.layer, index: original(r.layer, r.index) })));
    maskedEdges.push(...result.maskedEdges.map((r) => edgeName({ layer: r.layer, input: original(r.layer, r.input), output: original(r.layer + 1, r.output) })));
    kept = result.keptNodes.map((nodes, l) => nodes.map((i) => original(l, i)));
    kan = result.kan;
  }
  state.kan = kan;
  // Node numbers changed: recorded fits no longer name the right edges.
  if (removedNodes.length > 0) state.symbolicFits = {};
  return {
    removedNodes,
    maskedEdges,
    keptNodes: kept,
    width: kan.width,
    inputScores: Object.fromEntries(state.data.inputNames.map((name, i) => [name, inputScores[i]!])),
  };
}

function formulaReports(state: RunState, spec: FormulaSpec): FormulaReport[] {
  const { data, kan } = state;
  const custom = customLibrary(state);
  const common = { inputNames: data.inputNames, standardizer: data.standardizer, numericEdges: spec.numericEdges, custom, samples: data.train };
  const formulas = buildFormulas(kan, { ...common, digits: spec.digits, simplify: spec.simplify });
  const evaluable = formulas.every((f) => f.numericEdges.length === 0);
  const exact = evaluable ? buildFormulas(kan, { ...common, digits: Infinity, simplify: false }) : null;
  const test = data.test;
  const raw = rawInputs(test.x, test.n, data.inputNames, data.standardizer);
  const modelPred = test.n > 0 ? kan.forward(test.x, test.n) : new Float64Array(0);
  const outputNames = data.task === 'classification' ? data.classes! : data.targetNames;
  const predictions = formulas.map((f) => (f.numericEdges.length === 0 && test.n > 0 ? evaluateFormula(f, raw, test.n) : null));
  const accuracy = data.task === 'classification' && predictions.every((p) => p !== null) ? argmaxAccuracy(predictions as Float64Array[], test.y, test.n) : null;
  return formulas.map((f, k) => {
    const pred = predictions[k]!;
    const undefinedTestPoints = pred ? pred.reduce((count, v) => count + (Number.isFinite(v) ? 0 : 1), 0) : 0;
    const regression = data.task === 'regression';
    const rmseOf = (p: Float64Array | null): number | null => (regression && p && test.n > 0 ? columnRmse(p, test.y, test.n, data.nOut, k) : null);
    const variables = Object.fromEntries(f.variables.map((id, i) => [id, data.inputNames[i]!]));
    return {
      output: outputNames[k] ?? `output ${k}`,
      text: toText(f.node),
      latex: toLatex(f.node),
      python: toPython(f.node),
      js: toJavaScript(f.node),
      variables,
      digits: spec.digits,
      testRmse: undefinedTestPoints > 0 ? null : rmseOf(pred),
      testRmseFullPrecision: exact && test.n > 0 ? rmseOf(evaluateFormula(exact[k]!, raw, test.n)) : null,
      modelTestRmse: rmseOf(test.n > 0 ? column(modelPred, test.n, data.nOut, k) : null),
      ...(data.task === 'classification' ? { testAccuracy: accuracy } : {}),
      undefinedTestPoints,
      numericEdges: f.numericEdges,
    };
  });
}

/** RMSE of pred [n] against target column k of y [n][nOut]; null when not finite. */
function columnRmse(pred: Float64Array, y: Float64Array, n: number, nOut: number, k: number): number | null {
  let sum = 0;
  for (let s = 0; s < n; s++) sum += (pred[s]! - y[s * nOut + k]!) ** 2;
  const value = Math.sqrt(sum / n);
  return Number.isFinite(value) ? value : null;
}

function argmaxAccuracy(outputs: Float64Array[], labels: Float64Array, n: number): number | null {
  let correct = 0;
  for (let s = 0; s < n; s++) {
    let best = 0;
    for (let k = 1; k < outputs.length; k++) if (outputs[k]![s]! > outputs[best]![s]!) best = k;
    if (!outputs.every((o) => Number.isFinite(o[s]!))) return null;
    if (best === labels[s]) correct++;
  }
  return correct / n;
}

function symbolicChoices(state: RunState): SymbolicChoice[] {
  const choices: SymbolicChoice[] = [];
  state.kan.layers.forEach((layer, l) => {
    for (let e = 0; e < layer.nIn * layer.nOut; e++) {
      const fn = layer.symFns[e];
      if (layer.symMask[e] === 0 || !fn) continue;
      const i = Math.floor(e / layer.nOut);
      const j = e % layer.nOut;
      const edge = `${l}.${i}.${j}`;
      const recorded = state.symbolicFits?.[edge];
      choices.push({ edge, fn: fn.name, ...edgeParams(state.kan, l, i, j), ...(recorded && recorded.fn === fn.name ? { r2: recorded.r2 } : {}) });
    }
  });
  return choices;
}

function edgeParams(kan: Kan, l: number, i: number, j: number): { a: number; b: number; c: number; d: number } {
  const layer = kan.layers[l]!;
  const p = layer.symOffset + 4 * (i * layer.nOut + j);
  return { a: kan.params[p]!, b: kan.params[p + 1]!, c: kan.params[p + 2]!, d: kan.params[p + 3]! };
}

function recordFit(state: RunState, edge: string, fn: string, r2: number): void {
  state.symbolicFits = { ...(state.symbolicFits ?? {}), [edge]: { fn, r2 } };
}

/** The recipe's custom functions, compiled (errors name the function and what is wrong with it). */
function customLibrary(state: RunState): LibraryFunction[] {
  return (state.recipe.customFunctions ?? []).map(customFunction);
}

