/**
 * Between math.js trees and the algebra's Expr: reading a formula (pi and e become exact constants) and writing one back
 * the way a person would (a - b rather than a + -b, x/(4*pi*y^2) rather than 0.25*(1/pi)*x*y^-2, sqrt for ^(1/2)).
 */
import { type MathNode, ConstantNode, FunctionNode, OperatorNode, SymbolNode, isConstantNode, isFunctionNode, isOperatorNode, isParenthesisNode, isSymbolNode } from 'mathjs';
import { type Expr, type ExactConst, type FnName, FUNCTIONS, constant, exactConst } from './expr';

const FUNCTION_NAMES = new Set(Object.keys(FUNCTIONS));

export function fromMathNode(node: MathNode, variables: readonly string[]): Expr {
  if (isParenthesisNode(node)) return fromMathNode(node.content, variables);
  if (isConstantNode(node)) {
    const v = Number(node.value);
    if (typeof node.value === 'boolean' || Number.isNaN(v)) throw new Error(`the formula constant "${String(node.value)}" is not a number`);
    return constant(v);
  }
  if (isSymbolNode(node)) {
    const index = variables.indexOf(node.name);
    if (index >= 0) return { kind: 'var', index };
    if (node.name === 'pi') return exactConst(1, 1, 'pi')!;
    if (node.name === 'e') return exactConst(1, 1, 'e')!;
    throw new Error(`the formula uses "${node.name}", which is neither a variable (${variables.join(', ')}) nor pi or e`);
  }
  if (isFunctionNode(node)) {
    const name = isSymbolNode(node.fn) ? node.fn.name : String(node.fn);
    if (!FUNCTION_NAMES.has(name) || node.args.length !== 1) {
      throw new Error(`the formula calls "${name}", which the formula algebra does not know (it knows ${[...FUNCTION_NAMES].join(', ')}, each of one argument)`);
    }
    return { kind: 'fn', name: name as FnName, arg: fromMathNode(node.args[0]!, variables) };
  }
  if (isOperatorNode(node)) {
    const args = node.args.map((a) => fromMathNode(a, variables));
    switch (node.fn) {
      case 'add':
        return { kind: 'add', terms: args };
      case 'subtract':
        return { kind: 'add', terms: [args[0]!, negate(args[1]!)] };
      case 'multiply':
        return { kind: 'mul', factors: args };
      case 'divide':
        return { kind: 'mul', factors: [args[0]!, { kind: 'pow', base: args[1]!, exponent: constant(-1) }] };
      case 'pow':
        return { kind: 'pow', base: args[0]!, exponent: args[1]! };
      case 'unaryMinus':
        return negate(args[0]!);
      case 'unaryPlus':
        return args[0]!;
    }
  }
  throw new Error(`the formula part "${node.toString()}" (${node.type}) is not arithmetic the formula algebra reads`);
}

const negate = (e: Expr): Expr => (e.kind === 'const' && e.exact === undefined ? constant(-e.value) : { kind: 'mul', factors: [constant(-1), e] });

/** Round to `digits` significant digits (Infinity: unchanged, which prints as the shortest round-trip decimal). */
const round = (v: number, digits: number): number => (Number.isFinite(digits) ? Number(v.toPrecision(Math.max(1, Math.min(100, digits)))) : v);

export function toMathNode(e: Expr, variables: readonly string[], digits = Infinity): MathNode {
  return write(e, variables, digits);
}

function write(e: Expr, variables: readonly string[], digits: number): MathNode {
  switch (e.kind) {
    case 'const':
      return writeConst(e.value, e.exact, digits);
    case 'var': {
      const name = variables[e.index];
      if (name === undefined) throw new Error(`the formula uses input ${e.index + 1}, but only ${variables.length} variable names were given`);
      return new SymbolNode(name);
    }
    case 'add':
      return writeSum(e.terms, variables, digits);
    case 'mul':
    case 'pow':
      return writeProduct(e.kind === 'mul' ? e.factors : [e], variables, digits);
    case 'fn':
      return new FunctionNode(new SymbolNode(e.name), [write(e.arg, variables, digits)]);
  }
}

const sqrtOf = (x: MathNode): MathNode => new FunctionNode(new SymbolNode('sqrt'), [x]);
const PI_SQUARED = new OperatorNode('^', 'pow', [new SymbolNode('pi'), new ConstantNode(2)]);
const TWO_PI = new OperatorNode('*', 'multiply', [new ConstantNode(2), new SymbolNode('pi')]);

/** Each basis as the factor it puts above the fraction bar and the one it puts below (null: none). */
const BASIS_SYMBOLS: Record<ExactConst['basis'], { above: MathNode | null; below: MathNode | null }> = {
  one: { above: null, below: null },
  pi: { above: new SymbolNode('pi'), below: null },
  e: { above: new SymbolNode('e'), below: null },
  sqrt2: { above: sqrtOf(new ConstantNode(2)), below: null },
  sqrt3: { above: sqrtOf(new ConstantNode(3)), below: null },
  '1/pi': { above: null, below: new SymbolNode('pi') },
  'pi^2': { above: PI_SQUARED, below: null },
  '1/pi^2': { above: null, below: PI_SQUARED },
  'sqrt(pi)': { above: sqrtOf(new SymbolNode('pi')), below: null },
  '1/sqrt(pi)': { above: null, below: sqrtOf(new SymbolNode('pi')) },
  'sqrt(2pi)': { above: sqrtOf(TWO_PI), below: null },
  '1/sqrt(2pi)': { above: null, below: sqrtOf(TWO_PI) },
};

function writeConst(value: number, exact: ExactConst | undefined, digits: number): MathNode {
  if (exact === undefined) return value < 0 ? new OperatorNode('-', 'unaryMinus', [new ConstantNode(round(-value, digits))]) : new ConstantNode(round(value, digits));
  const { numerator, denominator } = exactParts(exact);
  const magnitude = divide(product(numerator), product(denominator));
  return exact.p < 0 ? new OperatorNode('-', 'unaryMinus', [magnitude]) : magnitude;
}

/** |p|/q * basis as numerator and denominator factors. */
function exactParts(exact: ExactConst): { numerator: MathNode[]; denominator: MathNode[] } {
  const numerator: MathNode[] = [];
  const denominator: MathNode[] = [];
  const { above, below } = BASIS_SYMBOLS[exact.basis];
  if (Math.abs(exact.p) !== 1 || above === null) numerator.push(new ConstantNode(Math.abs(exact.p)));
  if (above !== null) numerator.push(above.cloneDeep());
  if (exact.q !== 1) denominator.push(new ConstantNode(exact.q));
  if (below !== null) denominator.push(below.cloneDeep());
  return { numerator, denominator };
}

function product(factors: MathNode[]): MathNode | null {
  if (factors.length === 0) return null;
  return factors.reduce((acc, f) => new OperatorNode('*', 'multiply', [acc, f]));
}

function divide(numerator: MathNode | null, denominator: MathNode | null): MathNode {
  const top = numerator ?? new ConstantNode(1);
  return denominator === null ? top : new OperatorNode('/', 'divide', [top, denominator]);
}

/** Terms in order, a negative one written as a subtraction; a constant term goes last. */
function writeSum(terms: readonly Expr[], variables: readonly string[], digits: number): MathNode {
  const ordered = [...terms.filter((t) => t.kind !== 'const'), ...terms.filter((t) => t.kind === 'const')];
  let acc: MathNode | null = null;
  for (const term of ordered) {
    const negative = isNegative(term);
    const node = write(negative ? negateTerm(term) : term, variables, digits);
    if (acc === null) acc = negative ? new OperatorNode('-', 'unaryMinus', [node]) : node;
    else acc = new OperatorNode(negative ? '-' : '+', negative ? 'subtract' : 'add', [acc, node]);
  }
  return acc ?? new ConstantNode(0);
}

function leadingConstant(e: Expr): Extract<Expr, { kind: 'const' }> | null {
  if (e.kind === 'const') return e;
  const first = e.kind === 'mul' ? e.factors[0] : undefined;
  return first?.kind === 'const' ? first : null;
}

const isNegative = (e: Expr): boolean => (leadingConstant(e)?.value ?? 0) < 0;

function negateConst(c: Extract<Expr, { kind: 'const' }>): Expr {
  return c.exact === undefined ? constant(-c.value) : constant(-c.value, { ...c.exact, p: -c.exact.p });
}

function negateTerm(e: Expr): Expr {
  if (e.kind === 'const') return negateConst(e);
  if (e.kind === 'mul') return { kind: 'mul', factors: [negateConst(e.factors[0] as Extract<Expr, { kind: 'const' }>), ...e.factors.slice(1)] };
  return e;
}

/** A product as numerator / denominator: negative constant exponents move below the line, a rational coefficient p/q splits. */
function writeProduct(factors: readonly Expr[], variables: readonly string[], digits: number): MathNode {
  const numerator: MathNode[] = [];
  const denominator: MathNode[] = [];
  let negative = false;
  for (const f of factors) {
    if (f.kind === 'const') {
      negative = negative !== f.value < 0;
      const magnitude = Math.abs(f.value);
      if (f.exact !== undefined) {
        const parts = exactParts(f.exact);
        if (!(parts.numerator.length === 1 && isConstantNode(parts.numerator[0]!) && parts.numerator[0].value === 1)) numerator.push(...parts.numerator);
        denominator.push(...parts.denominator);
      } else {
        const inverse = 1 / magnitude;
        if (magnitude < 1 && Number.isInteger(inverse) && inverse <= 1e6) denominator.push(new ConstantNode(inverse));
        else if (magnitude !== 1) numerator.push(new ConstantNode(round(magnitude, digits)));
      }
      continue;
    }
    if (f.kind === 'pow' && f.exponent.kind === 'const' && f.exponent.value < 0) {
      denominator.push(writePower(f.base, negateConst(f.exponent) as Extract<Expr, { kind: 'const' }>, variables, digits));
      continue;
    }
    if (f.kind === 'pow' && f.exponent.kind === 'const') {
      numerator.push(writePower(f.base, f.exponent, variables, digits));
      continue;
    }
    numerator.push(f.kind === 'pow' ? new OperatorNode('^', 'pow', [write(f.base, variables, digits), write(f.exponent, variables, digits)]) : write(f, variables, digits));
  }
  const node = divide(product(numerator), product(denominator));
  return negative ? new OperatorNode('-', 'unaryMinus', [node]) : node;
}

function writePower(base: Expr, exponent: Extract<Expr, { kind: 'const' }>, variables: readonly string[], digits: number): MathNode {
  const b = write(base, variables, digits);
  if (exponent.value === 1) return b;
  if (exponent.value === 0.5) return new FunctionNode(new SymbolNode('sqrt'), [b]);
  return new OperatorNode('^', 'pow', [b, write(exponent, variables, digits)]);
}
