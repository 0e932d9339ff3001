/**
 * Symbolic operations of the API: ranked candidate functions for one edge (with their fitted curves), the library, and
 * the formula of a stored step with its exports (LaTeX, a LaTeX document, text, a SymPy script, a JavaScript module).
 */
import { ConstantNode, OperatorNode, type MathNode } from 'mathjs';

import { ApiError } from '../../app/api/validate';
import { readDiscovery, type Discovery, type ParsedRequestOf, type ResponseOf } from '../../app/api/contract';
import { column } from '../../app/kan/edges';
import {
  BUILTIN_LIBRARY,
  buildFormulas,
  buildLibrary,
  customFunction,
  evaluateFormula,
  instantiate,
  latexDocument,
  rawInputs,
  roundConstants,
  safeIdentifiers,
  suggestSymbolic,
  toJavaScript,
  toLatex,
  toPython,
  toText,
  type LibraryFunction,
} from '../../app/symbolic';
import { symbolicMath } from '../../app/symbolic/math';
import { badRequest, conflict } from './errors';
import { checkEdge, linspace, nodeRange } from './model';
import type { InspectedModel, ModelStates } from './model-states';

type FormulaResponse = ResponseOf<'formula.get'>;

/** Points of the curves a suggestion is drawn with, as many as model.edge draws by default. */
const SUGGESTION_CURVE_POINTS = 200;
const SUGGESTION_DIGITS = 4;

export class SymbolicService {
  private readonly formulas = new Map<string, FormulaResponse & { outputNames: string[] }>();

  constructor(private readonly states: ModelStates) {}

  suggest(request: ParsedRequestOf<'symbolic.suggest'>): ResponseOf<'symbolic.suggest'> {
    const model = this.states.get(request.runId, request.step);
    const { kan } = model.state;
    checkEdge(kan, request);
    let lib: LibraryFunction[];
    try {
      lib = buildLibrary(request.lib, customLibrary(model));
    } catch (error) {
      badRequest((error as Error).message, 'lib');
    }
    const edge = { layer: request.layer, input: request.input, output: request.output };
    const suggestions = suggestSymbolic(kan, edge, model.sample, { lib, topK: request.topK });
    const layer = kan.layers[request.layer]!;
    const [lo, hi] = nodeRange(column(model.acts[request.layer]!, model.sample.n, layer.nIn, request.input));
    const curveX = Array.from(linspace(lo, hi, SUGGESTION_CURVE_POINTS));
    return {
      curveX,
      candidates: suggestions.map((s) => {
        const node = roundConstants(fittedNode(s.fn, s.a, s.b, s.c, s.d), SUGGESTION_DIGITS);
        return {
          name: s.name, r2: s.r2, complexity: s.complexity, score: s.score,
          params: { a: s.a, b: s.b, c: s.c, d: s.d },
          formula: toText(node), latex: toLatex(node),
          curve: curveX.map((x) => s.c * s.fn.f(s.a * x + s.b) + s.d),
        };
      }),
    };
  }

  library(): ResponseOf<'symbolic.library'> {
    const math = symbolicMath();
    return BUILTIN_LIBRARY.map((fn) => ({ name: fn.name, complexity: fn.complexity, latex: toLatex(math.parse(fn.expression)) }));
  }

  /** One formula per output; numeric edges still in the model appear as phi_l_i_j(...) and make a formula non-evaluable. */
  formula(request: ParsedRequestOf<'formula.get'>): FormulaResponse {
    const { outputNames: _names, ...response } = this.build(request.runId, request.step, request.digits, request.paretoRows);
    return response;
  }

  exportFormula(request: ParsedRequestOf<'formula.export'>): ResponseOf<'formula.export'> {
    const built = this.build(request.runId, request.step, request.digits, request.paretoRows);
    const names = safeIdentifiers(built.outputNames);
    const evaluable = built.numericEdges.length === 0;
    if (!evaluable && (request.format === 'python' || request.format === 'js')) {
      conflict(`the model still has numeric edges (${built.numericEdges.slice(0, 10).join(', ')}), which ${request.format === 'python' ? 'SymPy' : 'JavaScript'} cannot evaluate; make them symbolic or prune them first, or export LaTeX or text.`);
    }
    const variables = this.states.get(request.runId, request.step).state.data.inputNames;
    const ids = safeIdentifiers(variables);
    switch (request.format) {
      case 'latex':
        return {
          content: `${built.outputs.map((o, k) => `${names[k]} = ${o.latex}`).join(' \\\\\n')}\n`,
          filename: 'formula.tex', mime: 'application/x-tex',
        };
      case 'latex-document':
        return {
          content: latexDocument(built.outputs.map((o, k) => ({ name: built.outputNames[k]!, latex: o.latex, testRmse: o.testRmse }))),
          filename: 'formula-document.tex', mime: 'application/x-tex',
        };
      case 'text':
        return { content: `${built.outputs.map((o, k) => `${names[k]} = ${o.text}`).join('\n')}\n`, filename: 'formula.txt', mime: 'text/plain' };
      case 'python':
        return {
          content: [
            '# Formula exported by KAN Workbench.',
            'import sympy as sp',
            '',
            `${ids.join(', ')}${ids.length === 1 ? ',' : ''} = sp.symbols('${ids.join(' ')}')`,
            `_symbols = {${ids.map((id) => `'${id}': ${id}`).join(', ')}}`,
            ...built.outputs.map((o, k) => `${names[k]} = sp.sympify(${JSON.stringify(o.python)}, locals=_symbols)`),
            '',
          ].join('\n'),
          filename: 'formula.py', mime: 'text/x-python',
        };
      case 'js':
        return {
          content: [
            '// Formula exported by KAN Workbench.',
            ...built.outputs.map((o, k) => `export function ${names[k]}(${ids.join(', ')}) {\n  ${o.js}\n}`),
            '',
          ].join('\n'),
          filename: 'formula.js', mime: 'text/javascript',
        };
    }
  }

  private build(runId: string, step: number | undefined, digits: number, paretoRows: readonly number[] | undefined): FormulaResponse & { outputNames: string[] } {
    const model = this.states.get(runId, step);
    const discovery = readDiscovery((model.step.metrics as { details?: unknown } | null)?.details);
    if (discovery) return discovered(model, discovery.fronts, paretoRows);
    if (paretoRows) badRequest(`step ${model.step.idx} is a ${model.step.kind} step, which has no Pareto front; choose rows of a discover step.`, 'paretoRows');
    const key = `${model.run.id}:${model.step.idx}:${model.step.finishedAt}:${digits}`;
    const cached = this.formulas.get(key);
    if (cached) return cached;
    const { state } = model;
    const { data, kan } = state;
    const formulas = buildFormulas(kan, {
      inputNames: data.inputNames, standardizer: data.standardizer, digits, simplify: true, numericEdges: 'mark',
      custom: customLibrary(model), samples: model.sample,
    });
    const regression = data.task === 'regression';
    const test = data.test;
    const raw = test.n > 0 ? rawInputs(test.x, test.n, data.inputNames, data.standardizer) : new Float64Array(0);
    const outputs = formulas.map((f) => ({
      outputIdx: f.output,
      text: toText(f.node), latex: toLatex(f.node), python: toPython(f.node), js: toJavaScript(f.node),
      testRmse: regression && test.n > 0 && f.numericEdges.length === 0 ? rmse(evaluateFormula(f, raw, test.n), test.y, data.nOut, f.output) : null,
    }));
    const modelTestRmse = regression && test.n > 0 ? rmseAll(kan.forward(test.x, test.n), test.y) : null;
    const built = {
      outputs, modelTestRmse, numericEdges: [...new Set(formulas.flatMap((f) => f.numericEdges))],
      outputNames: data.classes ?? data.targetNames,
    };
    if (this.formulas.size >= 16) this.formulas.delete(this.formulas.keys().next().value!);
    this.formulas.set(key, built);
    return built;
  }
}

/**
 * A discover step's formulas: per output the row asked for, else the chosen one. They are the step's own (polished and
 * rounded by it), not a composition of the network, which after discovery is only the fine-tuned KAN behind the formula.
 */
function discovered(model: InspectedModel, fronts: Discovery['fronts'], paretoRows: readonly number[] | undefined): FormulaResponse & { outputNames: string[] } {
  if (paretoRows && paretoRows.length !== fronts.length) badRequest(`paretoRows names ${paretoRows.length} rows, and this step has ${fronts.length} front${fronts.length === 1 ? '' : 's'} (one per output); give one row per output.`, 'paretoRows');
  const outputs = fronts.map((front, k) => {
    const wanted = paretoRows?.[k];
    if (wanted !== undefined && wanted >= front.length) badRequest(`paretoRows[${k}] is ${wanted}, and output ${k}'s front has rows 0..${front.length - 1}.`, `paretoRows.${k}`);
    const row = wanted !== undefined ? front[wanted]! : front.find((r) => r.chosen) ?? front[0]!;
    return { outputIdx: k, text: row.text, latex: row.latex, python: row.python, js: row.js, testRmse: row.testRmse };
  });
  const { kan, data } = model.state;
  const test = data.test;
  const modelTestRmse = test.n > 0 ? rmseAll(kan.forward(test.x, test.n), test.y) : null;
  return { outputs, modelTestRmse, numericEdges: [], outputNames: data.targetNames };
}

/** c * f(a*x + b) + d as a formula tree in x. */
function fittedNode(fn: LibraryFunction, a: number, b: number, c: number, d: number): MathNode {
  const arg = symbolicMath().parse(`${a} * x + ${b}`);
  return new OperatorNode('+', 'add', [new OperatorNode('*', 'multiply', [new ConstantNode(c), instantiate(fn, arg)]), new ConstantNode(d)]);
}

function customLibrary(model: InspectedModel): LibraryFunction[] {
  try {
    return (model.state.recipe.customFunctions ?? []).map(customFunction);
  } catch (error) {
    throw new ApiError({ code: 'invalid', message: (error as Error).message });
  }
}

/** RMSE of pred [n] against column k of y [n][nOut]; null when undefined somewhere (an argument outside a domain). */
function rmse(pred: Float64Array, y: Float64Array, nOut: number, k: number): number | null {
  let sum = 0;
  for (let s = 0; s < pred.length; s++) sum += (pred[s]! - y[s * nOut + k]!) ** 2;
  const value = Math.sqrt(sum / pred.length);
  return Number.isFinite(value) ? value : null;
}

function rmseAll(pred: Float64Array, y: Float64Array): number | null {
  let sum = 0;
  for (let q = 0; q < pred.length; q++) sum += (pred[q]! - y[q]!) ** 2;
  const value = Math.sqrt(sum / pred.length);
  return Number.isFinite(value) ? value : null;
}
