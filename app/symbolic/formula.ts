/**
 * From a (partly) symbolic KAN to one math.js expression per output, in the raw units of the data.
 *
 * Each node's value is carried as a linear combination sum_t coef_t * atom_t + constant, where an atom is an input
 * variable, a library function applied to another combination, or (marked) a numeric edge applied to one. A symbolic
 * edge c * f(a*u + b) + d on node value u scales u's combination by a and shifts it by b inside f, so affine maps fold
 * into the coefficients instead of nesting (the input standardisation x_std = (x - mean) / std too),
 * c * exp(L + k) becomes (c * e^k) * exp(L), and scale factors leave powers, log, abs and sgn of one variable. Each atom carries its
 * values on the sample inputs, so terms whose largest contribution is under half a unit of the last kept digit of
 * their combination's scale (the sum of its terms' largest contributions) are dropped as rounding noise. Constants are
 * rounded to `digits` significant digits, the tree is simplified by math.js (decimals stay decimals; the rules are listed
 * at simplifyRules), rounded again
 * (simplification multiplies constants together) and factors and terms that became 1 or 0 are removed.
 */
import { type MathNode, type SimplifyRule, ConstantNode, FunctionNode, OperatorNode, SymbolNode, isConstantNode, isOperatorNode } from 'mathjs';
import { column, evaluateEdgesFrom } from '../kan/edges';
import type { Kan } from '../kan/model';
import type { Standardizer } from '../data/standardize';
import { type LibraryFunction, resolveSymbolicFunction } from './library';
import { symbolicMath } from './math';
import type { NetworkSamples } from './suggest';

export interface FormulaOptions {
  /** Names of the model inputs (data.inputNames); they become the formula's variables, made safe as identifiers. */
  inputNames: readonly string[];
  /** Input standardisation the model was trained under; the formula undoes it (x_std = (x - mean) / std). */
  standardizer?: Standardizer | null;
  /** Significant digits of the constants; default 4. Infinity keeps every digit and drops nothing. */
  digits?: number;
  /** Simplify with math.js; default true. */
  simplify?: boolean;
  /** Numeric edges left: 'error' (default) throws NumericEdgesError naming them; 'mark' writes them as phi_l_i_j(...). */
  numericEdges?: 'error' | 'mark';
  /** Custom library functions, to resolve symbolic functions of a restored model by name. */
  custom?: readonly LibraryFunction[];
  /** Network inputs (model units) used to judge which terms are negligible; without them nothing is dropped. */
  samples?: NetworkSamples;
}

export interface Formula {
  /** Output index. */
  output: number;
  node: MathNode;
  /** variables[i]: the identifier standing for model input i. */
  variables: string[];
  /** Numeric edges written as phi_l_i_j(...) (only with numericEdges 'mark'); such a formula cannot be evaluated. */
  numericEdges: string[];
  /** False when the expression was too large to simplify within reason. */
  simplified: boolean;
}

export class NumericEdgesError extends Error {
  constructor(readonly edges: string[]) {
    super(
      `the model still has ${edges.length} numeric edge${edges.length > 1 ? 's' : ''} (${edges.join(', ')}), so it has no closed-form formula; ` +
        'make them symbolic (autoSymbolic with a lower r2Threshold or a larger library, or fixSymbolic), prune them, or ask for a formula with those edges marked',
    );
    this.name = 'NumericEdgesError';
  }
}

/** math.js simplify is polynomial in the tree size; above this many nodes it is skipped. */
const SIMPLIFY_NODE_LIMIT = 600;

/**
 * The math.js simplify rules used: the combinations built here are already expanded and folded, so what is left is
 * merging like terms (0.5*sin(u) + 0.3*sin(u) -> 0.8*sin(u)), folding constants and trivial identities. Compiling
 * math.js's full default rule list costs ~0.6 s on first use; this list ~0.08 s.
 */
function simplifyRules(): SimplifyRule[] {
  const math = symbolicMath();
  return [
    math.simplifyCore,
    'n+n -> 2*n',
    'n3*n1 + n3*n2 -> n3*(n1+n2)',
    'n1*n3 + n2*n3 -> (n1+n2)*n3',
    'n + n*n1 -> n*(1+n1)',
    math.simplifyConstant,
    'n+-n1 -> n-n1',
    '1*n -> n',
    'n*1 -> n',
    'n^1 -> n',
  ];
}

type Atom =
  | { kind: 'input'; index: number }
  | { kind: 'apply'; fn: LibraryFunction; arg: Lin }
  | { kind: 'numeric'; name: string; arg: Lin };

interface Term {
  coef: number;
  atom: Atom;
  /** The atom's values on the samples (empty without samples). */
  values: Float64Array;
}

interface Lin {
  terms: Term[];
  constant: number;
}

/** One formula per model output. */
export function buildFormulas(kan: Kan, options: FormulaOptions): Formula[] {
  const { inputNames } = options;
  if (inputNames.length !== kan.nIn) throw new Error(`formula: ${inputNames.length} input names given for a model with ${kan.nIn} inputs`);
  const digits = options.digits ?? 4;
  if (!(digits === Infinity || (Number.isInteger(digits) && digits >= 1 && digits <= 17))) throw new Error(`formula: digits must be an integer from 1 to 17; got ${digits}`);
  const variables = safeIdentifiers(inputNames);
  const samples = options.samples ?? null;
  const n = samples ? samples.n : 0;
  let nodes: Lin[] = inputNames.map((name, i) => {
    const k = options.standardizer ? options.standardizer.columns.indexOf(name) : -1;
    const mean = k >= 0 ? options.standardizer!.mean[k]! : 0;
    const std = k >= 0 ? options.standardizer!.std[k]! : 1;
    const values = samples ? column(samples.x, n, kan.nIn, i).map((v) => v * std + mean) : new Float64Array(0);
    return { terms: [{ coef: 1 / std, atom: { kind: 'input', index: i }, values }], constant: -mean / std };
  });
  const numericEdges: string[] = [];
  kan.layers.forEach((layer, l) => {
    const outs: Lin[] = Array.from({ length: layer.nOut }, () => ({ terms: [], constant: 0 }));
    for (let i = 0; i < layer.nIn; i++) {
      const u = nodes[i]!;
      const uValues = samples ? linValues(u, n) : null;
      const numericValues = uValues && layer.mask.subarray(i * layer.nOut, (i + 1) * layer.nOut).some((m) => m !== 0) ? evaluateEdgesFrom(layer, kan.params, i, uValues, 'numeric') : null;
      for (let j = 0; j < layer.nOut; j++) {
        const e = i * layer.nOut + j;
        const sym = layer.symFns[e];
        if (layer.symMask[e] !== 0 && sym) {
          const fn = sym as Partial<LibraryFunction>;
          const lib = typeof fn.expression === 'string' ? (sym as LibraryFunction) : resolveSymbolicFunction(sym.name, options.custom);
          if (!lib) throw new Error(`formula: edge ${l}.${i}.${j} uses the symbolic function "${sym.name}", which is not in the library; pass it as a custom function`);
          const p = kan.params.subarray(layer.symOffset + 4 * e, layer.symOffset + 4 * e + 4);
          const scale = layer.symMask[e]!;
          addInto(outs[j]!, symbolicEdge(lib, p[0]!, p[1]!, scale * p[2]!, scale * p[3]!, u, n));
        }
        if (layer.mask[e] !== 0) {
          const name = `phi_${l}_${i}_${j}`;
          numericEdges.push(`${l}.${i}.${j}`);
          const values = numericValues ? column(numericValues, n, layer.nOut, j) : new Float64Array(0);
          addInto(outs[j]!, { terms: [{ coef: layer.mask[e]!, atom: { kind: 'numeric', name, arg: u }, values }], constant: 0 });
        }
      }
    }
    nodes = outs;
  });
  if (numericEdges.length > 0 && (options.numericEdges ?? 'error') === 'error') throw new NumericEdgesError(numericEdges);
  const math = symbolicMath();
  return nodes.map((lin, output) => {
    let node = emitLin(clean(lin, digits), digits, variables);
    let simplified = false;
    if ((options.simplify ?? true) && countNodes(node) <= SIMPLIFY_NODE_LIMIT) {
      node = tidy(roundConstants(math.simplify(node, simplifyRules(), {}, { exactFractions: false }), digits));
      simplified = true;
    }
    return { output, node, variables, numericEdges: numericEdges.filter((name) => reaches(kan, name, output)), simplified };
  });
}

/** Values of the formula at raw inputs x [n][nIn] (columns in model input order): out [n]. NaN where it is undefined. */
export function evaluateFormula(formula: Formula, x: Float64Array, n: number): Float64Array {
  if (formula.numericEdges.length > 0) throw new Error(`formula for output ${formula.output} has numeric edges (${formula.numericEdges.join(', ')}) and cannot be evaluated`);
  const code = formula.node.compile();
  const nIn = formula.variables.length;
  const scope = new Map<string, number>();
  const out = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < nIn; i++) scope.set(formula.variables[i]!, x[s * nIn + i]!);
    const v: unknown = code.evaluate(scope);
    out[s] = typeof v === 'number' ? v : Number.NaN;
  }
  return out;
}

/** Model inputs x [n][nIn] (standardised when the standardiser is given) back to raw units. */
export function rawInputs(x: Float64Array, n: number, inputNames: readonly string[], standardizer: Standardizer | null | undefined): Float64Array {
  if (!standardizer) return x;
  const nIn = inputNames.length;
  const out = x.slice();
  inputNames.forEach((name, i) => {
    const k = standardizer.columns.indexOf(name);
    if (k < 0) return;
    for (let s = 0; s < n; s++) out[s * nIn + i] = x[s * nIn + i]! * standardizer.std[k]! + standardizer.mean[k]!;
  });
  return out;
}

/** c * f(a*u + b) + d as a combination; n is the number of samples the atoms carry values for. */
function symbolicEdge(fn: LibraryFunction, a: number, b: number, c: number, d: number, u: Lin, n: number): Lin {
  if (c === 0 || fn.name === '0') return { terms: [], constant: c * fn.f(0) + d };
  if (fn.name === 'x' && !fn.custom) return shifted(scaled(u, c * a), c * b + d);
  let arg = shifted(scaled(u, a), b);
  let coef = c;
  if (fn.name === 'exp' && !fn.custom) {
    coef = c * Math.exp(arg.constant);
    arg = { terms: arg.terms, constant: 0 };
  }
  const values = n > 0 ? linValues(arg, n).map(fn.f) : new Float64Array(0);
  return { terms: [{ coef, atom: { kind: 'apply', fn, arg }, values }], constant: d };
}

function linValues(lin: Lin, n: number): Float64Array {
  const out = new Float64Array(n).fill(lin.constant);
  for (const t of lin.terms) for (let s = 0; s < n; s++) out[s]! += t.coef * t.values[s]!;
  return out;
}

function scaled(lin: Lin, k: number): Lin {
  return { terms: lin.terms.map((t) => ({ ...t, coef: t.coef * k })), constant: lin.constant * k };
}

function shifted(lin: Lin, k: number): Lin {
  return { terms: lin.terms, constant: lin.constant + k };
}

/** target += other, merging terms of the same input variable. */
function addInto(target: Lin, other: Lin): void {
  target.constant += other.constant;
  for (const t of other.terms) {
    const same = t.atom.kind === 'input' ? target.terms.find((q) => q.atom.kind === 'input' && q.atom.index === (t.atom as { index: number }).index) : undefined;
    if (same) same.coef += t.coef;
    else target.terms.push({ ...t });
  }
}

/**
 * A positive constant as a tree: a simple multiple of pi (p/q * pi, q <= 6, |p| <= 24) written as such when the value
 * is one to 1e-7 relative, which a retrained symbolic edge reaches (sin(3.14159265 * x) reads sin(pi * x) and stays
 * exact); otherwise rounded to digits significant digits. The chance that a constant of no such origin lands that close
 * to one of the ~100 candidates is about 1e-5.
 */
export function constantNode(v: number, digits: number): MathNode {
  const multiple = piMultiple(v);
  if (!multiple) return new ConstantNode(roundTo(v, digits));
  const { p, q } = multiple;
  const times: MathNode = p === 1 ? new SymbolNode('pi') : new OperatorNode('*', 'multiply', [new ConstantNode(p), new SymbolNode('pi')]);
  return q === 1 ? times : new OperatorNode('/', 'divide', [times, new ConstantNode(q)]);
}

function piMultiple(v: number): { p: number; q: number } | null {
  if (!(v > 0) || !Number.isFinite(v)) return null;
  for (const q of [1, 2, 3, 4, 6]) {
    const p = Math.round((v * q) / Math.PI);
    if (p >= 1 && p <= 24 && Math.abs(v - (p * Math.PI) / q) <= 1e-7 * v) {
      const g = gcd(p, q);
      return { p: p / g, q: q / g };
    }
  }
  return null;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

function roundTo(v: number, digits: number): number {
  return digits === Infinity ? v : Number(v.toPrecision(digits));
}

/**
 * The combination without negligible terms (recursively), with scale factors pulled out of functions that allow it:
 * c * f(A*t + B) = c * g(A) * f(t + B/A) + c * h(A) for powers, log, abs and sgn, so 1.97 * (0.1007 * v - 0.5033)^2
 * reads as 0.02 * (v - 5)^2 (and rounding its constants no longer amplifies their errors).
 */
function clean(lin: Lin, digits: number): Lin {
  const magnitudes = lin.terms.map((t) => t.values.reduce((m, v) => Math.max(m, Math.abs(t.coef * v)), 0));
  const haveValues = lin.terms.every((t) => t.values.length > 0);
  const scale = magnitudes.reduce((sum, m) => sum + m, Math.abs(lin.constant));
  const negligible = (m: number): boolean => digits !== Infinity && haveValues && m < 0.5 * 10 ** -digits * scale;
  const out: Lin = { terms: [], constant: lin.terms.length > 0 && negligible(Math.abs(lin.constant)) ? 0 : lin.constant };
  lin.terms.forEach((t, q) => {
    if (t.coef === 0 || negligible(magnitudes[q]!)) return;
    if (t.atom.kind === 'input') {
      out.terms.push(t);
      return;
    }
    const arg = clean(t.atom.arg, digits);
    if (t.atom.kind === 'numeric') {
      out.terms.push({ ...t, atom: { ...t.atom, arg } });
      return;
    }
    const only = arg.terms[0];
    const pulled = arg.terms.length === 1 && only ? pullScale(t.atom.fn, only.coef) : null;
    if (pulled && only) {
      const unitArg: Lin = { terms: [{ ...only, coef: 1 }], constant: arg.constant / only.coef };
      out.terms.push({ coef: t.coef * pulled.factor, atom: { kind: 'apply', fn: t.atom.fn, arg: unitArg }, values: t.values });
      out.constant += t.coef * pulled.shift;
    } else {
      out.terms.push({ ...t, atom: { ...t.atom, arg } });
    }
  });
  return out;
}

/** f(A*z) = factor * f(z) + shift, for the built-ins where that holds (and A is in the range where it holds). */
function pullScale(fn: LibraryFunction, A: number): { factor: number; shift: number } | null {
  if (fn.custom || A === 1) return null;
  const power = /^x\^(\d+)$/.exec(fn.name) ?? (fn.name === 'x^1.5' ? ['', '1.5'] : null);
  if (power) return Number.isInteger(Number(power[1])) || A > 0 ? { factor: A ** Number(power[1]), shift: 0 } : null;
  const inverse = /^1\/x(?:\^(\d+))?$/.exec(fn.name);
  if (inverse) return { factor: A ** -Number(inverse[1] ?? 1), shift: 0 };
  if (A <= 0) return fn.name === 'abs' ? { factor: -A, shift: 0 } : fn.name === 'sgn' ? { factor: Math.sign(A), shift: 0 } : null;
  if (fn.name === 'sqrt') return { factor: Math.sqrt(A), shift: 0 };
  if (fn.name === '1/sqrt') return { factor: 1 / Math.sqrt(A), shift: 0 };
  if (fn.name === 'log') return { factor: 1, shift: Math.log(A) };
  if (fn.name === 'abs') return { factor: A, shift: 0 };
  if (fn.name === 'sgn') return { factor: 1, shift: 0 };
  return null;
}

/** The (cleaned) combination as a math.js tree with rounded constants; coefficients +-1 are left out. */
function emitLin(lin: Lin, digits: number, variables: string[]): MathNode {
  const parts: { coef: number; exact: number; node: MathNode | null }[] = [];
  for (const t of lin.terms) {
    const coef = roundTo(t.coef, digits);
    if (coef !== 0) parts.push({ coef, exact: t.coef, node: emitAtom(t.atom, digits, variables) });
  }
  const constant = roundTo(lin.constant, digits);
  if (constant !== 0) parts.push({ coef: constant, exact: lin.constant, node: null });
  if (parts.length === 0) return new ConstantNode(0);
  let acc: MathNode | null = null;
  for (const { coef, exact, node } of parts) {
    const size = constantNode(Math.abs(exact), digits);
    const magnitude = node === null ? size : Math.abs(coef) === 1 ? node : new OperatorNode('*', 'multiply', [size, node]);
    if (acc === null) acc = coef < 0 ? new OperatorNode('-', 'unaryMinus', [magnitude]) : magnitude;
    else acc = coef < 0 ? new OperatorNode('-', 'subtract', [acc, magnitude]) : new OperatorNode('+', 'add', [acc, magnitude]);
  }
  return acc!;
}

function emitAtom(atom: Atom, digits: number, variables: string[]): MathNode {
  if (atom.kind === 'input') return new SymbolNode(variables[atom.index]!);
  const arg = emitLin(atom.arg, digits, variables);
  if (atom.kind === 'numeric') return new FunctionNode(new SymbolNode(atom.name), [arg]);
  return instantiate(atom.fn, arg);
}

/** Removes what rounding left trivial: factors 1 and -1, terms 0, exponents 1. */
function tidy(node: MathNode): MathNode {
  const isValue = (n: MathNode, v: number): boolean => isConstantNode(n) && n.value === v;
  return node.transform((n) => {
    if (!isOperatorNode(n)) return n;
    const [p, q] = n.args as [MathNode, MathNode | undefined];
    if (n.fn === 'multiply' && q) {
      if (isValue(p, 1)) return q;
      if (isValue(q, 1)) return p;
      if (isValue(p, -1)) return new OperatorNode('-', 'unaryMinus', [q]);
      if (isValue(p, 0) || isValue(q, 0)) return new ConstantNode(0);
    }
    if (n.fn === 'add' && q) {
      if (isValue(p, 0)) return q;
      if (isValue(q, 0)) return p;
    }
    if (n.fn === 'subtract' && q && isValue(q, 0)) return p;
    if (n.fn === 'pow' && q && isValue(q, 1)) return p;
    return n;
  });
}

/** f's template with x replaced by arg. */
export function instantiate(fn: LibraryFunction, arg: MathNode): MathNode {
  const template = symbolicMath().parse(fn.expression);
  return template.transform((node) => (node.type === 'SymbolNode' && (node as SymbolNode).name === 'x' ? arg.cloneDeep() : node));
}

/** Every constant of the tree rounded to digits significant digits. */
export function roundConstants(node: MathNode, digits: number): MathNode {
  if (digits === Infinity) return node;
  return node.transform((child) => (isConstantNode(child) && typeof child.value === 'number' ? new ConstantNode(roundTo(child.value, digits)) : child));
}

function countNodes(node: MathNode): number {
  let count = 0;
  node.traverse(() => count++);
  return count;
}

/** True when edge "l.i.j" lies on a path to output k (every edge does unless pruning cut the network). */
function reaches(kan: Kan, edge: string, output: number): boolean {
  const [l, , j] = edge.split('.').map(Number) as [number, number, number];
  let frontier = new Set([j]);
  for (let layer = l + 1; layer < kan.layers.length; layer++) {
    const L = kan.layers[layer]!;
    const next = new Set<number>();
    for (const i of frontier) for (let o = 0; o < L.nOut; o++) if (L.mask[i * L.nOut + o] !== 0 || L.symMask[i * L.nOut + o] !== 0) next.add(o);
    frontier = next;
  }
  return frontier.has(output);
}

/**
 * Identifiers for variable names that every export can use (math.js, SymPy, JavaScript): other characters become _,
 * a leading digit gets a prefix, names that a target language reserves (pi, E, lambda, gamma, ...) get a trailing _,
 * and repeats get a number.
 */
export function safeIdentifiers(names: readonly string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    let id = name.replace(/[^A-Za-z0-9_]/g, '_');
    if (!/^[A-Za-z]/.test(id)) id = `v${id}`;
    if (RESERVED.has(id) || RESERVED.has(id.toLowerCase()) || /^phi_\d+_\d+_\d+$/.test(id)) id = `${id}_`;
    let unique = id;
    for (let k = 2; used.has(unique); k++) unique = `${id}${k}`;
    used.add(unique);
    return unique;
  });
}

const RESERVED = new Set([
  // math.js constants and the functions formulas use
  'e', 'pi', 'i', 'tau', 'phi', 'true', 'false', 'null', 'infinity', 'nan', 'undefined', 'end', 'in', 'to', 'mod', 'not', 'and', 'or', 'xor',
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'exp', 'log', 'sqrt', 'abs', 'sign',
  // SymPy names that sympify would read as something else, and Python keywords
  'e', 'i', 'n', 'o', 'q', 's', 'beta', 'gamma', 'zeta', 'lambda', 'li', 'ln', 'ff', 'rf', 'lt', 'gt', 'le', 'ge', 'eq', 'ne', 'pow', 'max', 'min', 'var',
  'if', 'else', 'for', 'while', 'def', 'class', 'return', 'import', 'from', 'as', 'is', 'none', 'with', 'yield', 'pass', 'try', 'except', 'raise', 'del',
  'global', 'nonlocal', 'assert', 'break', 'continue', 'elif', 'finally', 'lambda', 'async', 'await', 'print',
  // JavaScript reserved words and globals a function body could hit
  'math', 'this', 'new', 'function', 'var', 'let', 'const', 'typeof', 'instanceof', 'void', 'delete', 'switch', 'case', 'default', 'do', 'catch',
  'throw', 'enum', 'export', 'extends', 'super', 'static', 'implements', 'interface', 'package', 'private', 'protected', 'public', 'arguments', 'eval',
]);
