/**
 * The plain arithmetic of most formula datasets (numbers, x1..xn, pi, e, + - * / ^, brackets and the listed functions),
 * parsed and evaluated without building math.js, with math.js's number semantics (its `predictable` mode) operation for
 * operation, so the values are the same bits. Building math.js's parser and functions takes a tenth of a second and
 * more than the rest of a small run's start; formula.ts hands everything this file declines to math.js.
 *
 * Declined (null): anything beyond that grammar or that math.js would reject or read differently (implicit
 * multiplication, other number notations, unknown symbols, wrong argument counts, min and max, trees deeper than math.js
 * evaluates without regrouping). At evaluation, a negative number to a non-integer power is declined too: math.js then
 * looks for an odd-denominator fraction in the exponent, which only it can do the same way.
 */

/** Thrown by an evaluator where only math.js gives the right value (see the header); formula.ts catches it. */
export class NeedsMathjs extends Error {
  constructor() {
    super('this formula needs math.js to evaluate');
    this.name = 'NeedsMathjs';
  }
}

/** Value of the formula at one row: x [n][vars] row-major, the row starting at base. */
export type RowEvaluator = (x: Float64Array, base: number) => number;

export interface ArithmeticFormula {
  evaluate: RowEvaluator;
  /** Variables the formula reads, 0-based, increasing. */
  used: number[];
}

/** math.js's isInteger for numbers. */
function isInteger(value: number): boolean {
  return Number.isFinite(value) && value === Math.round(value);
}

/** math.js's pow of two numbers with `predictable` (function/arithmetic/pow.js and powNumber). */
function mathjsPower(x: number, y: number): number {
  if (x < 0 && !isInteger(y)) throw new NeedsMathjs();
  if ((x * x < 1 && y === Infinity) || (x * x > 1 && y === -Infinity)) return 0;
  return Math.pow(x, y);
}

type Unary = (v: number) => number;

/** math.js's number implementation of each function a formula may call (predictable: NaN where it would go complex). */
const UNARY: ReadonlyMap<string, Unary> = new Map<string, Unary>([
  ['sin', Math.sin], ['cos', Math.cos], ['tan', Math.tan],
  ['asin', Math.asin], ['acos', Math.acos], ['atan', Math.atan],
  ['sinh', Math.sinh], ['cosh', Math.cosh], ['tanh', Math.tanh],
  ['asinh', Math.asinh], ['acosh', Math.acosh], ['atanh', Math.atanh],
  ['exp', Math.exp], ['log10', Math.log10], ['log2', Math.log2], ['sqrt', Math.sqrt], ['abs', Math.abs], ['sign', Math.sign],
  ['log', Math.log],
  ['arcsin', Math.asin], ['arccos', Math.acos], ['arctan', Math.atan],
  ['arcsinh', Math.asinh], ['arccosh', Math.acosh], ['arctanh', Math.atanh],
  ['ln', Math.log],
]);

/** Functions of two arguments: log(x, base) is log(x) / log(base) in math.js; pow is the ^ operator. */
const BINARY: ReadonlyMap<string, (a: number, b: number) => number> = new Map([
  ['log', (a: number, b: number) => Math.log(a) / Math.log(b)],
  ['pow', mathjsPower],
]);

const VARIABLE = /^x([1-9]\d*)$/;
const NUMBER = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

interface Node {
  evaluate: RowEvaluator;
  /** Depth of the node in math.js's tree for the same text (brackets are nodes there). */
  depth: number;
}

class Decline extends Error {}

/**
 * The formula as an evaluator, or null where math.js must parse it. maxDepth: the deepest tree math.js evaluates as
 * written (deeper ones it regroups first, so those are declined).
 */
export function parseArithmetic(expression: string, vars: number, maxDepth: number): ArithmeticFormula | null {
  const used = new Set<number>();
  let at = 0;
  const skipSpace = (): void => {
    while (at < expression.length && (expression[at] === ' ' || expression[at] === '\t')) at++;
  };
  const peek = (): string => {
    skipSpace();
    return expression[at] ?? '';
  };
  const startsOperand = (c: string): boolean => c === '(' || c === '.' || /[A-Za-z0-9_]/.test(c);

  // Grammar (math.js's, for this subset): sum := product (('+'|'-') product)*; product := unary (('*'|'/') unary)*;
  // unary := ('-'|'+') unary | power; power := primary ('^' unary)?; primary := number | name | call | '(' sum ')'.
  const sum = (): Node => {
    let left = product();
    for (let c = peek(); c === '+' || c === '-'; c = peek()) {
      at++;
      const right = product();
      const a = left.evaluate;
      const b = right.evaluate;
      left = { evaluate: c === '+' ? (x, r) => a(x, r) + b(x, r) : (x, r) => a(x, r) - b(x, r), depth: 1 + Math.max(left.depth, right.depth) };
    }
    return left;
  };
  const product = (): Node => {
    let left = unary();
    for (let c = peek(); c === '*' || c === '/'; c = peek()) {
      at++;
      const right = unary();
      const a = left.evaluate;
      const b = right.evaluate;
      left = { evaluate: c === '*' ? (x, r) => a(x, r) * b(x, r) : (x, r) => a(x, r) / b(x, r), depth: 1 + Math.max(left.depth, right.depth) };
    }
    // Two operands side by side are math.js's implicit multiplication, whose precedence rules are its own.
    if (startsOperand(peek())) throw new Decline();
    return left;
  };
  const unary = (): Node => {
    const c = peek();
    if (c === '-' || c === '+') {
      at++;
      const operand = unary();
      const a = operand.evaluate;
      return { evaluate: c === '-' ? (x, r) => -a(x, r) : a, depth: 1 + operand.depth };
    }
    return powerRule();
  };
  const powerRule = (): Node => {
    const base = primary();
    if (peek() !== '^') return base;
    at++;
    const exponent = unary();
    const a = base.evaluate;
    const b = exponent.evaluate;
    return { evaluate: (x, r) => mathjsPower(a(x, r), b(x, r)), depth: 1 + Math.max(base.depth, exponent.depth) };
  };
  const primary = (): Node => {
    const c = peek();
    if (c === '(') {
      at++;
      const inner = sum();
      if (peek() !== ')') throw new Decline();
      at++;
      return { evaluate: inner.evaluate, depth: 1 + inner.depth };
    }
    const rest = expression.slice(at);
    const number = NUMBER.exec(rest);
    if (number) {
      at += number[0].length;
      // 2x1, 0x1F, 1.2.3: implicit products and other notations are math.js's to read.
      if (/[A-Za-z0-9_.]/.test(expression[at] ?? '')) throw new Decline();
      const value = Number(number[0]);
      return { evaluate: () => value, depth: 1 };
    }
    const name = NAME.exec(rest)?.[0];
    if (name === undefined) throw new Decline();
    at += name.length;
    if (peek() === '(') return call(name);
    const variable = VARIABLE.exec(name);
    if (variable) {
      const index = Number(variable[1]) - 1;
      if (index >= vars) throw new Decline();
      used.add(index);
      return { evaluate: (x, r) => x[r + index]!, depth: 1 };
    }
    if (name === 'pi') return { evaluate: () => Math.PI, depth: 1 };
    if (name === 'e') return { evaluate: () => Math.E, depth: 1 };
    throw new Decline();
  };
  const call = (name: string): Node => {
    at++;
    const args: Node[] = [];
    if (peek() !== ')') {
      args.push(sum());
      while (peek() === ',') {
        at++;
        args.push(sum());
      }
    }
    if (peek() !== ')') throw new Decline();
    at++;
    const depth = 1 + Math.max(0, ...args.map((arg) => arg.depth));
    if (args.length === 1 && UNARY.has(name)) {
      const f = UNARY.get(name)!;
      const a = args[0]!.evaluate;
      return { evaluate: (x, r) => f(a(x, r)), depth };
    }
    if (args.length === 2 && BINARY.has(name)) {
      const f = BINARY.get(name)!;
      const a = args[0]!.evaluate;
      const b = args[1]!.evaluate;
      return { evaluate: (x, r) => f(a(x, r), b(x, r)), depth };
    }
    throw new Decline();
  };

  try {
    const root = sum();
    if (peek() !== '' || root.depth > maxDepth) return null;
    return { evaluate: root.evaluate, used: [...used].sort((a, b) => a - b) };
  } catch (error) {
    // Nesting deeper than the stack allows is math.js's to report too.
    if (error instanceof Decline || error instanceof RangeError) return null;
    throw error;
  }
}
