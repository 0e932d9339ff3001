/**
 * Formula datasets: a user's expression in x1..xn is checked, compiled once (plain arithmetic by formula-arithmetic.ts,
 * anything else with mathjs, both with mathjs's numbers), and sampled on seeded uniform inputs.
 */

import {
  all,
  create,
  factory,
  isConstantNode,
  isFunctionNode,
  isOperatorNode,
  isParenthesisNode,
  isSymbolNode,
  type EvalFunction,
  type MathJsInstance,
  type MathNode,
} from 'mathjs';
import { Rng } from '../util/rng';
import { DataError } from './errors';
import { NeedsMathjs, parseArithmetic, type ArithmeticFormula } from './formula-arithmetic';
import type { NumericTable } from './table';

export interface FormulaSpec {
  formula: string;
  vars: number;
  /** One [lo, hi) for every variable, or one per variable (x1 first). */
  range: [number, number] | [number, number][];
  train: number;
  test: number;
  seed: number;
  /** Standard deviation of Gaussian noise added to the training targets only; default 0. */
  noise?: number;
}

export interface CompiledFormula {
  /** The formula as the user wrote it, trimmed. */
  expression: string;
  vars: number;
  /** x: [n][vars] row-major -> [n]; a point where the formula is undefined gives NaN. */
  evaluate(x: Float64Array, n: number): Float64Array;
}

export const MAX_FORMULA_VARS = 100;
export const MAX_FORMULA_ROWS = 5_000_000;

/** [min, max] argument counts; these are the only functions a formula may call. */
const FUNCTION_ARITY: ReadonlyMap<string, readonly [number, number]> = new Map<string, readonly [number, number]>([
  ...['sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh'].map(
    (name) => [name, [1, 1]] as const,
  ),
  ...['exp', 'log10', 'log2', 'sqrt', 'abs', 'sign'].map((name) => [name, [1, 1]] as const),
  ['log', [1, 2]],
  ['pow', [2, 2]],
  ['min', [1, Number.POSITIVE_INFINITY]],
  ['max', [1, Number.POSITIVE_INFINITY]],
]);

/** Spellings from papers and from pykan's symbolic library, mapped to the mathjs names. */
const FUNCTION_ALIASES: ReadonlyMap<string, keyof MathJsInstance> = new Map<string, keyof MathJsInstance>([
  ['arcsin', 'asin'], ['arccos', 'acos'], ['arctan', 'atan'],
  ['arcsinh', 'asinh'], ['arccosh', 'acosh'], ['arctanh', 'atanh'],
  ['ln', 'log'],
]);

const CONSTANTS = new Set(['pi', 'e']);
const OPERATOR_FUNCTIONS = new Set(['add', 'subtract', 'multiply', 'divide', 'pow', 'unaryMinus', 'unaryPlus']);
const VARIABLE_PATTERN = /^x([1-9]\d*)$/;

let formulaMath: MathJsInstance | null = null;

/**
 * A private mathjs instance: `predictable` makes sqrt(-1), log(-1) and friends return NaN instead of a
 * complex number, so every result is a plain number and undefined points surface as non-finite. The aliases are
 * factories, so that mathjs creates a function (tens of milliseconds each) only when a formula calls it.
 */
function mathInstance(): MathJsInstance {
  if (formulaMath === null) {
    const math = create(all!, { predictable: true });
    math.import([...FUNCTION_ALIASES].map(([alias, name]) => factory(alias, [name], (dependencies) => dependencies[name])));
    formulaMath = math;
  }
  return formulaMath;
}

function variableList(vars: number): string {
  return vars === 1 ? 'x1' : vars === 2 ? 'x1, x2' : `x1..x${vars}`;
}

function allowedSymbolsText(vars: number): string {
  const variables = variableList(vars);
  const functions = [...FUNCTION_ARITY.keys(), ...FUNCTION_ALIASES.keys()].join(', ');
  return `variables ${variables}, constants pi and e, functions ${functions}`;
}

/** 1-based position of the first whole-word occurrence of name, for pointing at unknown symbols. */
function symbolPosition(expression: string, name: string): number | undefined {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`(^|[^A-Za-z0-9_])${escaped}(?![A-Za-z0-9_])`).exec(expression);
  return match ? match.index + match[1]!.length + 1 : undefined;
}

function syntaxError(expression: string, error: unknown): DataError {
  const raw = error instanceof Error ? error.message : String(error);
  const charProperty = (error as { char?: unknown }).char;
  const position = typeof charProperty === 'number' ? charProperty : Number(/\(char (\d+)\)/.exec(raw)?.[1] ?? Number.NaN);
  const reason = raw.replace(/\s*\(char \d+\)\s*$/, '');
  const reasonText = reason.charAt(0).toLowerCase() + reason.slice(1);
  if (!Number.isFinite(position)) {
    return new DataError('formula_syntax', `The formula "${expression}" does not parse: ${reasonText}. Check its operators and brackets.`, {
      reason,
    });
  }
  const there = expression.slice(position - 1, position + 9);
  const where = there.length > 0 ? `at character ${position} ("${there}")` : `at the end (character ${position})`;
  return new DataError(
    'formula_syntax',
    `The formula does not parse ${where}: ${reasonText}. Check the operators and brackets there.`,
    { position, text: there, reason },
  );
}

interface FormulaCheck {
  usedVariables: Set<number>;
  unknown: string[];
}

/** Walks the parse tree and rejects anything beyond arithmetic, the allowed functions, x1..xn, pi and e. */
function checkNode(node: MathNode, expression: string, vars: number, check: FormulaCheck): void {
  if (isParenthesisNode(node)) {
    checkNode(node.content, expression, vars, check);
    return;
  }
  if (isConstantNode(node)) {
    if (typeof node.value !== 'number') {
      throw new DataError('formula_unsupported', `The formula contains ${node.toString()}, which is not a number. Use only numbers, ${variableList(vars)}, pi and e.`, {
        text: node.toString(),
      });
    }
    return;
  }
  if (isSymbolNode(node)) {
    const name = node.name;
    const variable = VARIABLE_PATTERN.exec(name);
    if (variable) {
      const index = Number(variable[1]);
      if (index > vars) {
        if (!check.unknown.includes(name)) check.unknown.push(name);
      } else {
        check.usedVariables.add(index - 1);
      }
      return;
    }
    if (CONSTANTS.has(name)) return;
    if (FUNCTION_ARITY.has(name) || FUNCTION_ALIASES.has(name)) {
      throw new DataError('formula_syntax', `"${name}" is a function and needs an argument, as in ${name}(x1). Add the brackets and argument.`, {
        text: name,
        position: symbolPosition(expression, name) ?? 0,
      });
    }
    if (!check.unknown.includes(name)) check.unknown.push(name);
    return;
  }
  if (isOperatorNode(node)) {
    if (!OPERATOR_FUNCTIONS.has(node.fn)) {
      throw new DataError(
        'formula_unsupported',
        `The operator "${node.op}" in "${node.toString()}" is not supported. Use only + - * / ^ and the listed functions.`,
        { operator: node.op, text: node.toString() },
      );
    }
    for (const arg of node.args) checkNode(arg, expression, vars, check);
    return;
  }
  if (isFunctionNode(node)) {
    const fn = node.fn as MathNode;
    if (!isSymbolNode(fn)) {
      throw new DataError('formula_unsupported', `"${node.toString()}" calls something that is not a function name. Call one of the listed functions by name.`, {
        text: node.toString(),
      });
    }
    const name = fn.name;
    const arity = FUNCTION_ARITY.get(FUNCTION_ALIASES.get(name) ?? name);
    if (arity === undefined) {
      if (!check.unknown.includes(name)) check.unknown.push(name);
    } else if (node.args.length < arity[0] || node.args.length > arity[1]) {
      const expected = arity[0] === arity[1] ? `${arity[0]}` : arity[1] === Number.POSITIVE_INFINITY ? `at least ${arity[0]}` : `${arity[0]} or ${arity[1]}`;
      throw new DataError(
        'formula_arity',
        `${name} takes ${expected} argument${expected === '1' ? '' : 's'} but "${node.toString()}" gives it ${node.args.length}. Fix the arguments of ${name}.`,
        { function: name, found: node.args.length, text: node.toString() },
      );
    }
    for (const arg of node.args) checkNode(arg, expression, vars, check);
    return;
  }
  throw new DataError(
    'formula_unsupported',
    `"${node.toString()}" (${node.type}) is not allowed in a formula. Use only numbers, ${variableList(vars)}, pi, e, + - * / ^ and the listed functions.`,
    { text: node.toString(), nodeType: node.type },
  );
}

function unknownSymbolError(expression: string, vars: number, unknown: string[]): DataError {
  const beyond = unknown.filter((name) => VARIABLE_PATTERN.test(name));
  const first = unknown[0]!;
  const position = symbolPosition(expression, first);
  const listed = unknown.map((name) => `"${name}"`).join(', ');
  const hint =
    beyond.length === unknown.length
      ? `The formula has ${vars} variable${vars === 1 ? '' : 's'}; raise the number of variables or remove ${beyond.join(', ')}.`
      : `Allowed are ${allowedSymbolsText(vars)}; write products with * (x1*x2).`;
  return new DataError('formula_unknown_symbol', `The formula uses unknown ${unknown.length === 1 ? 'symbol' : 'symbols'} ${listed}. ${hint}`, {
    symbols: unknown.slice(),
    ...(position === undefined ? {} : { position }),
  });
}

/**
 * Deepest a formula's tree may be: mathjs compiles and evaluates it by recursion, several stack frames per level, and
 * a sum of a few thousand terms read left to right is that many levels deep. Long sums and products are regrouped into
 * balanced trees first (log2 of their length deep), so only genuinely deep nesting meets this limit.
 */
export const MAX_FORMULA_DEPTH = 200;

function tooDeepError(what: string): DataError {
  return new DataError(
    'formula_unsupported',
    `The formula ${what}; at most ${MAX_FORMULA_DEPTH} levels can be evaluated. Write it with fewer nested brackets, powers or signs (long sums and products are fine).`,
    { limit: MAX_FORMULA_DEPTH },
  );
}

function maxBracketDepth(expression: string): number {
  let depth = 0;
  let deepest = 0;
  for (const char of expression) {
    if (char === '(' || char === '[') deepest = Math.max(deepest, ++depth);
    else if (char === ')' || char === ']') depth--;
  }
  return deepest;
}

/** Depth of a tree, walked without recursion (the tree may be deeper than the stack allows). */
function depthOf(root: MathNode): number {
  let deepest = 0;
  const pending: [MathNode, number][] = [[root, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    deepest = Math.max(deepest, depth);
    node.forEach((child) => pending.push([child, depth + 1]));
  }
  return deepest;
}

const ADDITIVE = { same: 'add', inverse: 'subtract', sameOp: '+', inverseOp: '-' } as const;
const MULTIPLICATIVE = { same: 'multiply', inverse: 'divide', sameOp: '*', inverseOp: '/' } as const;

/**
 * The same formula with every chain a + b - c + ... (and a * b / c * ...) regrouped as (balanced sum of the added
 * terms) - (balanced sum of the subtracted ones): equal in value up to rounding, and log2(terms) deep instead of one
 * level per term. The chain is walked down its left spine in a loop, so its own length costs no stack.
 */
function balanceChains(math: MathJsInstance, node: MathNode): MathNode {
  if (isOperatorNode(node) && node.args.length === 2) {
    const family = node.fn === 'add' || node.fn === 'subtract' ? ADDITIVE : node.fn === 'multiply' || node.fn === 'divide' ? MULTIPLICATIVE : null;
    if (family) {
      const kept: MathNode[] = [];
      const inverted: MathNode[] = [];
      let current: MathNode = node;
      while (isOperatorNode(current) && current.args.length === 2 && (current.fn === family.same || current.fn === family.inverse)) {
        (current.fn === family.inverse ? inverted : kept).push(current.args[1]!);
        current = current.args[0]!;
      }
      kept.push(current);
      const combine = (terms: MathNode[]): MathNode => {
        let level = terms.reverse().map((term) => balanceChains(math, term));
        while (level.length > 1) {
          const next: MathNode[] = [];
          for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? new math.OperatorNode(family.sameOp, family.same, [level[i]!, level[i + 1]!]) : level[i]!);
          level = next;
        }
        return level[0]!;
      };
      const whole = combine(kept);
      return inverted.length === 0 ? whole : new math.OperatorNode(family.inverseOp, family.inverse, [whole, new math.ParenthesisNode(combine(inverted))]);
    }
    return new math.OperatorNode(node.op, node.fn, node.args.map((arg) => balanceChains(math, arg)));
  }
  if (isOperatorNode(node)) return new math.OperatorNode(node.op, node.fn, node.args.map((arg) => balanceChains(math, arg)));
  if (isFunctionNode(node)) return new math.FunctionNode(node.fn, node.args.map((arg) => balanceChains(math, arg)));
  if (isParenthesisNode(node)) return new math.ParenthesisNode(balanceChains(math, node.content));
  return node;
}

/** Parses and checks a formula in x1..x{vars} and compiles it once; throws DataError on anything it cannot evaluate. */
export function parseFormula(expr: string, vars: number): CompiledFormula {
  checkVariableCount(vars);
  const expression = expr.trim();
  if (expression.length === 0) {
    throw new DataError('formula_syntax', 'The formula is empty. Write an expression in x1..xn, for example sin(x1) + x2^2.');
  }
  const bracketDepth = maxBracketDepth(expression);
  if (bracketDepth > MAX_FORMULA_DEPTH) throw tooDeepError(`nests brackets ${bracketDepth} deep`);
  const arithmetic = parseArithmetic(expression, vars, MAX_FORMULA_DEPTH);
  return arithmetic !== null ? arithmeticFormula(expression, vars, arithmetic) : mathjsFormula(expression, vars);
}

/** A formula formula-arithmetic.ts reads: evaluated without mathjs, unless a row needs mathjs's value of a power. */
function arithmeticFormula(expression: string, vars: number, arithmetic: ArithmeticFormula): CompiledFormula {
  return {
    expression,
    vars,
    evaluate(x: Float64Array, n: number): Float64Array {
      checkInputLength(x, n, vars);
      const out = new Float64Array(n);
      try {
        for (let row = 0; row < n; row++) out[row] = arithmetic.evaluate(x, row * vars);
      } catch (error) {
        if (!(error instanceof NeedsMathjs)) throw error;
        return mathjsFormula(expression, vars).evaluate(x, n);
      }
      return out;
    },
  };
}

/** Parses, checks and compiles a formula with mathjs (expression trimmed, its brackets no deeper than allowed). */
function mathjsFormula(expression: string, vars: number): CompiledFormula {
  const math = mathInstance();
  let tree: MathNode;
  try {
    tree = math.parse(expression);
  } catch (error) {
    // mathjs parses powers, signs and brackets by recursion: a long enough chain of them exhausts the stack.
    if (error instanceof RangeError) throw tooDeepError('chains powers or signs too deeply to read');
    throw syntaxError(expression, error);
  }
  if (depthOf(tree) > MAX_FORMULA_DEPTH) {
    try {
      tree = balanceChains(math, tree);
    } catch (error) {
      // Regrouping recurses through what is not a sum or product chain; that nesting is too deep either way.
      if (error instanceof RangeError) throw tooDeepError('nests powers, signs or functions too deeply');
      throw error;
    }
    const depth = depthOf(tree);
    if (depth > MAX_FORMULA_DEPTH) throw tooDeepError(`nests operations ${depth} deep`);
  }
  const check: FormulaCheck = { usedVariables: new Set(), unknown: [] };
  checkNode(tree, expression, vars, check);
  if (check.unknown.length > 0) throw unknownSymbolError(expression, vars, check.unknown);

  const compiled: EvalFunction = tree.compile();
  const used = [...check.usedVariables].sort((a, b) => a - b);
  const usedNames = used.map((index) => `x${index + 1}`);
  return {
    expression,
    vars,
    evaluate(x: Float64Array, n: number): Float64Array {
      checkInputLength(x, n, vars);
      const out = new Float64Array(n);
      // One scope reused for every row: mathjs reads a Map directly, without wrapping it per call.
      const scope = new Map<string, number>();
      for (const name of usedNames) scope.set(name, 0);
      for (let row = 0; row < n; row++) {
        const base = row * vars;
        for (let u = 0; u < used.length; u++) scope.set(usedNames[u]!, x[base + used[u]!]!);
        const value: unknown = compiled.evaluate(scope);
        out[row] = typeof value === 'number' ? value : Number.NaN;
      }
      return out;
    },
  };
}

function checkInputLength(x: Float64Array, n: number, vars: number): void {
  if (x.length < n * vars) {
    throw new DataError('bad_table', `The input holds ${x.length} numbers but ${n} rows of ${vars} variables need ${n * vars}. Pass [n][vars] inputs.`);
  }
}

function checkVariableCount(vars: number): void {
  if (!Number.isInteger(vars) || vars < 1 || vars > MAX_FORMULA_VARS) {
    throw new DataError('bad_spec', `The number of variables must be a whole number from 1 to ${MAX_FORMULA_VARS}, not ${vars}. Set it in that range.`, {
      vars,
    });
  }
}

/** One [lo, hi) per variable; a single pair is shared by all. */
function variableRanges(range: FormulaSpec['range'], vars: number): [number, number][] {
  const perVariable = Array.isArray(range[0]);
  const ranges = perVariable ? (range as [number, number][]) : Array.from({ length: vars }, () => range as [number, number]);
  if (ranges.length !== vars) {
    throw new DataError('bad_range', `${ranges.length} ranges were given for ${vars} variables. Give one range for all variables or exactly one per variable.`, {
      ranges: ranges.length,
      vars,
    });
  }
  ranges.forEach((pair, index) => {
    const [lo, hi] = pair;
    if (!Array.isArray(pair) || pair.length !== 2 || !Number.isFinite(lo) || !Number.isFinite(hi) || !(lo < hi)) {
      throw new DataError(
        'bad_range',
        `The range of x${index + 1} is [${String(lo)}, ${String(hi)}]; it needs two finite numbers with low < high. Fix that range.`,
        { variable: `x${index + 1}`, lo: String(lo), hi: String(hi) },
      );
    }
  });
  return ranges;
}

function checkCount(name: 'train' | 'test', value: number, minimum: number): void {
  if (!Number.isInteger(value) || value < minimum) {
    throw new DataError('bad_spec', `The number of ${name} rows must be a whole number of at least ${minimum}, not ${value}. Change it.`, {
      [name]: value,
    });
  }
}

/** Samples a formula on seeded uniform inputs: train rows first, then test rows, from one Rng stream. */
export function makeFormulaDataset(spec: FormulaSpec): { columns: string[]; train: NumericTable; test: NumericTable } {
  const { vars, train, test, seed } = spec;
  const noise = spec.noise ?? 0;
  checkVariableCount(vars);
  checkCount('train', train, 1);
  checkCount('test', test, 0);
  if (train + test > MAX_FORMULA_ROWS) {
    throw new DataError(
      'too_large',
      `${train + test} rows were asked for but at most ${MAX_FORMULA_ROWS} can be generated. Lower the train or test count.`,
      { rows: train + test, limit: MAX_FORMULA_ROWS },
    );
  }
  if (!Number.isFinite(noise) || noise < 0) {
    throw new DataError('bad_spec', `The noise level must be a finite number of at least 0, not ${noise}. Set it to 0 for exact targets.`, { noise: String(noise) });
  }
  if (!Number.isFinite(seed)) {
    throw new DataError('bad_spec', `The seed must be a finite number, not ${seed}. Use any whole number.`, { seed: String(seed) });
  }
  const ranges = variableRanges(spec.range, vars);
  const formula = parseFormula(spec.formula, vars);

  const total = train + test;
  const rng = new Rng(seed);
  const x = new Float64Array(total * vars); // [total][vars]
  for (let row = 0; row < total; row++) {
    for (let v = 0; v < vars; v++) {
      const [lo, hi] = ranges[v]!;
      x[row * vars + v] = rng.range(lo, hi);
    }
  }
  const y = formula.evaluate(x, total);
  for (let row = 0; row < total; row++) {
    const value = y[row]!;
    if (!Number.isFinite(value)) {
      const point = Array.from(x.subarray(row * vars, (row + 1) * vars));
      const at = point.map((coordinate, v) => `x${v + 1} = ${formatNumber(coordinate)}`).join(', ');
      throw new DataError(
        'formula_non_finite',
        `The formula gives ${String(value)} at ${at}. Narrow the input ranges so that the formula is defined everywhere in them.`,
        { row, point, value: String(value) },
      );
    }
  }
  // Noise is drawn after all inputs so that adding noise leaves the input points unchanged.
  if (noise > 0) for (let row = 0; row < train; row++) y[row] = y[row]! + noise * rng.normal();

  const columns = [...Array.from({ length: vars }, (_, v) => `x${v + 1}`), 'y'];
  const toTable = (first: number, count: number): NumericTable => {
    const width = vars + 1;
    const data = new Float64Array(count * width);
    for (let r = 0; r < count; r++) {
      const source = first + r;
      data.set(x.subarray(source * vars, (source + 1) * vars), r * width);
      data[r * width + vars] = y[source]!;
    }
    return { columns: columns.slice(), rows: count, data };
  };
  return { columns, train: toTable(0, train), test: toTable(train, test) };
}

function formatNumber(value: number): string {
  return Number(value.toPrecision(6)).toString();
}
