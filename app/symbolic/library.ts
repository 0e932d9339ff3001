/**
 * The symbolic library: the univariate functions f an edge can become (c * f(a*x + b) + d), each with its derivative,
 * complexity, safe domain, the shape of the (a, b) search that fits it, and a math.js template for formulas; plus
 * user functions given as a math.js expression in x.
 *
 * The built-ins' f and df are guarded so that a model never computes NaN or Inf: outside its domain (or within 1e-6 of a
 * pole) a function takes the value at the nearest safe point and a zero derivative. Fitting keeps every fitted argument
 * range inside the domain with a margin (see fit.ts), so on the data the guard is never what is evaluated; formulas use
 * the true functions. User functions have no known domain and run as written: fitting accepts only argument ranges where
 * they are finite on the samples, and a later training step that leaves that range stops on NaN with the fit loop's
 * message.
 */
import { isConstantNode, isFunctionNode, isOperatorNode, isParenthesisNode, isSymbolNode, type EvalFunction, type MathNode } from 'mathjs';
import type { SymbolicFunction } from '../kan/layer';
import { symbolicMath } from './math';
import { pairFromName } from './pair';

/**
 * Where f is defined and finite: lo <= z <= hi (strict at an open end), z != 0 when excludeZero, and no pole of tan
 * (pi/2 + k*pi) when tanPoles.
 */
export interface Domain {
  lo: number;
  hi: number;
  open: boolean;
  excludeZero: boolean;
  tanPoles: boolean;
}

/**
 * How fit.ts searches (a, b), in terms of the image z = h*u + zeta of the data scaled to u in [-1, 1]:
 * 'none': the span of {f(a*x + b), 1} does not depend on (a, b) (x, 0); 'scale': a shift of z only rescales f (exp), so
 * zeta = 0; 'shift': a positive scale of z only rescales f (powers, log, abs, sgn), so |h| = 1; 'sinusoid':
 * f(z) = sin(z + phase), whose best zeta for each h is a linear least-squares problem; 'window': both matter.
 */
export type SearchKind = 'none' | 'scale' | 'shift' | 'sinusoid' | 'window';

/** f(-z) = f(z) ('even') or -f(z) + const ('odd'): then the sign of a is absorbed by c and only a > 0 is searched. */
export type Parity = 'even' | 'odd' | 'none';

export interface LibraryFunction extends SymbolicFunction {
  readonly complexity: number;
  /** f as a math.js expression in x: the template of this function in formulas. */
  readonly expression: string;
  readonly domain: Domain;
  readonly search: SearchKind;
  readonly parity: Parity;
  /** For search 'sinusoid': f(z) = sin(z + phase). */
  readonly phase?: number;
  /** True for a user function (its values are checked for finiteness when fitting, as its domain is unknown). */
  readonly custom: boolean;
}

export interface CustomFunctionSpec {
  name: string;
  /** A math.js expression in x, e.g. "x * exp(-x)". */
  expr: string;
  complexity: number;
}

/** Distance to a pole or open boundary below which the guarded functions stop following f. */
const POLE_GUARD = 1e-6;
/** exp and cosh overflow past ~709.8. */
const OVERFLOW = 700;

const REALS: Domain = { lo: -Infinity, hi: Infinity, open: false, excludeZero: false, tanPoles: false };
const domain = (d: Partial<Domain>): Domain => ({ ...REALS, ...d });

/** Pulls z out of a pole at 0. */
const offZero = (z: number): number => (Math.abs(z) >= POLE_GUARD ? z : z < 0 ? -POLE_GUARD : POLE_GUARD);
const clamp = (z: number, lo: number, hi: number): number => (z < lo ? lo : z > hi ? hi : z);

interface Entry {
  name: string;
  expression: string;
  complexity: number;
  f: (z: number) => number;
  df: (z: number) => number;
  domain?: Domain;
  search: SearchKind;
  parity: Parity;
  phase?: number;
}

/** z^p for small integer p by multiplication (Math.pow is several times slower, and these run in the fitting loops). */
const INTEGER_POWERS: readonly ((z: number) => number)[] = [
  () => 1,
  (z) => z,
  (z) => z * z,
  (z) => z * z * z,
  (z) => (z * z) * (z * z),
  (z) => (z * z) * (z * z) * z,
  (z) => (z * z) * (z * z) * (z * z),
];

function inversePower(p: number, complexity: number): Entry {
  const pow = INTEGER_POWERS[p]!;
  const powNext = INTEGER_POWERS[p + 1]!;
  return {
    name: p === 1 ? '1/x' : `1/x^${p}`,
    expression: p === 1 ? '1/x' : `1/x^${p}`,
    complexity,
    f: (z) => 1 / pow(offZero(z)),
    df: (z) => (Math.abs(z) >= POLE_GUARD ? -p / powNext(z) : 0),
    domain: domain({ excludeZero: true }),
    search: 'shift',
    parity: p % 2 === 0 ? 'even' : 'odd',
  };
}

function power(p: number, complexity: number): Entry {
  const pow = INTEGER_POWERS[p]!;
  const powLess = INTEGER_POWERS[p - 1]!;
  return { name: `x^${p}`, expression: `x^${p}`, complexity, f: pow, df: (z) => p * powLess(z), search: 'shift', parity: p % 2 === 0 ? 'even' : 'odd' };
}

const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

/** Complexities follow pykan's SYMBOLIC_LIB (sigmoid and cosh, absent there, get 4 and 5). */
const ENTRIES: Entry[] = [
  { name: '0', expression: '0', complexity: 0, f: () => 0, df: () => 0, search: 'none', parity: 'even' },
  { name: 'x', expression: 'x', complexity: 1, f: (z) => z, df: () => 1, search: 'none', parity: 'odd' },
  power(2, 2),
  power(3, 3),
  power(4, 3),
  power(5, 3),
  inversePower(1, 2),
  inversePower(2, 2),
  inversePower(3, 3),
  inversePower(4, 4),
  {
    name: 'sqrt', expression: 'sqrt(x)', complexity: 2,
    f: (z) => Math.sqrt(Math.max(z, 0)), df: (z) => (z >= POLE_GUARD ? 0.5 / Math.sqrt(z) : 0),
    domain: domain({ lo: 0 }), search: 'shift', parity: 'none',
  },
  {
    name: '1/sqrt', expression: '1/sqrt(x)', complexity: 2,
    f: (z) => 1 / Math.sqrt(Math.max(z, POLE_GUARD)), df: (z) => (z >= POLE_GUARD ? -0.5 * z ** -1.5 : 0),
    domain: domain({ lo: 0, open: true }), search: 'shift', parity: 'none',
  },
  {
    name: 'x^1.5', expression: 'x^1.5', complexity: 4,
    f: (z) => Math.max(z, 0) ** 1.5, df: (z) => 1.5 * Math.sqrt(Math.max(z, 0)),
    domain: domain({ lo: 0 }), search: 'shift', parity: 'none',
  },
  {
    name: 'exp', expression: 'exp(x)', complexity: 2,
    f: (z) => Math.exp(Math.min(z, OVERFLOW)), df: (z) => (z <= OVERFLOW ? Math.exp(z) : 0),
    domain: domain({ hi: OVERFLOW }), search: 'scale', parity: 'none',
  },
  {
    name: 'log', expression: 'log(x)', complexity: 2,
    f: (z) => Math.log(Math.max(z, POLE_GUARD)), df: (z) => (z >= POLE_GUARD ? 1 / z : 0),
    domain: domain({ lo: 0, open: true }), search: 'shift', parity: 'none',
  },
  { name: 'sin', expression: 'sin(x)', complexity: 2, f: Math.sin, df: Math.cos, search: 'sinusoid', parity: 'odd', phase: 0 },
  { name: 'cos', expression: 'cos(x)', complexity: 2, f: Math.cos, df: (z) => -Math.sin(z), search: 'sinusoid', parity: 'even', phase: Math.PI / 2 },
  {
    name: 'tan', expression: 'tan(x)', complexity: 3,
    f: (z) => {
      const c = Math.cos(z);
      return Math.sin(z) / (Math.abs(c) >= POLE_GUARD ? c : c < 0 ? -POLE_GUARD : POLE_GUARD);
    },
    df: (z) => {
      const c = Math.cos(z);
      return Math.abs(c) >= POLE_GUARD ? 1 / (c * c) : 0;
    },
    domain: domain({ tanPoles: true }), search: 'window', parity: 'odd',
  },
  {
    name: 'tanh', expression: 'tanh(x)', complexity: 3,
    f: Math.tanh, df: (z) => 1 - Math.tanh(z) ** 2, search: 'window', parity: 'odd',
  },
  { name: 'abs', expression: 'abs(x)', complexity: 3, f: Math.abs, df: Math.sign, search: 'shift', parity: 'even' },
  { name: 'sgn', expression: 'sign(x)', complexity: 3, f: Math.sign, df: () => 0, search: 'shift', parity: 'odd' },
  {
    name: 'gaussian', expression: 'exp(-x^2)', complexity: 3,
    f: (z) => Math.exp(-z * z), df: (z) => -2 * z * Math.exp(-z * z), search: 'window', parity: 'even',
  },
  {
    name: 'arcsin', expression: 'asin(x)', complexity: 4,
    f: (z) => Math.asin(clamp(z, -1, 1)), df: (z) => (Math.abs(z) < 1 - POLE_GUARD ? 1 / Math.sqrt(1 - z * z) : 0),
    domain: domain({ lo: -1, hi: 1 }), search: 'window', parity: 'odd',
  },
  {
    name: 'arccos', expression: 'acos(x)', complexity: 4,
    f: (z) => Math.acos(clamp(z, -1, 1)), df: (z) => (Math.abs(z) < 1 - POLE_GUARD ? -1 / Math.sqrt(1 - z * z) : 0),
    domain: domain({ lo: -1, hi: 1 }), search: 'window', parity: 'odd',
  },
  { name: 'arctan', expression: 'atan(x)', complexity: 4, f: Math.atan, df: (z) => 1 / (1 + z * z), search: 'window', parity: 'odd' },
  {
    name: 'arctanh', expression: 'atanh(x)', complexity: 4,
    f: (z) => Math.atanh(clamp(z, -1 + POLE_GUARD, 1 - POLE_GUARD)), df: (z) => (Math.abs(z) < 1 - POLE_GUARD ? 1 / (1 - z * z) : 0),
    domain: domain({ lo: -1, hi: 1, open: true }), search: 'window', parity: 'odd',
  },
  {
    name: 'sigmoid', expression: '1/(1+exp(-x))', complexity: 4,
    f: sigmoid, df: (z) => sigmoid(z) * (1 - sigmoid(z)), search: 'window', parity: 'odd',
  },
  {
    name: 'cosh', expression: 'cosh(x)', complexity: 5,
    f: (z) => Math.cosh(clamp(z, -OVERFLOW, OVERFLOW)), df: (z) => (Math.abs(z) <= OVERFLOW ? Math.sinh(z) : 0),
    domain: domain({ lo: -OVERFLOW, hi: OVERFLOW }), search: 'window', parity: 'even',
  },
];

/** Other spellings accepted for library names (pykan's, and common ones). */
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['x^1', 'x'], ['x^0.5', 'sqrt'], ['1/sqrt(x)', '1/sqrt'], ['1/x^0.5', '1/sqrt'], ['x^-1', '1/x'],
  ['sign', 'sgn'], ['asin', 'arcsin'], ['acos', 'arccos'], ['atan', 'arctan'], ['atanh', 'arctanh'], ['ln', 'log'], ['gauss', 'gaussian'],
]);

export const BUILTIN_LIBRARY: readonly LibraryFunction[] = ENTRIES.map((e) => Object.freeze({ ...e, domain: e.domain ?? REALS, custom: false }));

/** Names of the built-in library, in order. */
export const BUILTIN_NAMES: readonly string[] = BUILTIN_LIBRARY.map((f) => f.name);

const BY_NAME: ReadonlyMap<string, LibraryFunction> = new Map(BUILTIN_LIBRARY.map((f) => [f.name, f]));

/** The functions a custom expression may call (every exporter knows them). */
export const FORMULA_FUNCTIONS: ReadonlySet<string> = new Set([
  'sin', 'cos', 'tan', 'asin', 'acos', 'atan', 'sinh', 'cosh', 'tanh', 'asinh', 'acosh', 'atanh', 'exp', 'log', 'sqrt', 'abs', 'sign',
]);

/** A user function from a math.js expression in x; its derivative is math.js's symbolic derivative. */
export function customFunction(spec: CustomFunctionSpec): LibraryFunction {
  const { name, expr, complexity } = spec;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`custom function name "${name}" must be letters, digits and _ (not starting with a digit)`);
  if (BY_NAME.has(name) || ALIASES.has(name)) throw new Error(`custom function "${name}" clashes with the built-in function of that name; choose another name`);
  if (!(Number.isFinite(complexity) && complexity >= 0)) throw new Error(`custom function "${name}": complexity must be a number >= 0; got ${complexity}`);
  const math = symbolicMath();
  let node: MathNode;
  try {
    node = math.parse(expr);
  } catch (err) {
    throw new Error(`custom function "${name}": the expression "${expr}" does not parse (${(err as Error).message}); write a math.js expression in x, e.g. "x * exp(-x)"`);
  }
  checkCustomNode(node, name, expr);
  let derivative: MathNode;
  try {
    // Unsimplified: math.js's simplify takes time exponential in the terms of a sum (22 terms: 1.6 s), and the host
    // compiles a recipe's custom functions while it answers the request.
    derivative = math.derivative(node, 'x', { simplify: false });
  } catch (err) {
    throw new Error(`custom function "${name}": cannot differentiate "${expr}" (${(err as Error).message}); write it without functions math.js cannot differentiate (sign)`);
  }
  const f = compileInX(node.compile());
  const df = compileInX(derivative.compile());
  return Object.freeze({ name, expression: expr, complexity, f, df, domain: REALS, search: 'window' as const, parity: 'none' as const, custom: true });
}

/** A compiled expression in x as a plain function; non-numeric results become NaN. */
function compileInX(code: EvalFunction): (z: number) => number {
  const scope = new Map<string, number>();
  return (z: number) => {
    scope.set('x', z);
    const value: unknown = code.evaluate(scope);
    return typeof value === 'number' ? value : Number.NaN;
  };
}

function checkCustomNode(node: MathNode, name: string, expr: string): void {
  node.traverse((n, _path, parent) => {
    if (isSymbolNode(n)) {
      if (parent && isFunctionNode(parent) && parent.fn === n) {
        if (!FORMULA_FUNCTIONS.has(n.name)) throw new Error(`custom function "${name}": "${n.name}" in "${expr}" is not an allowed function; use ${[...FORMULA_FUNCTIONS].join(', ')}`);
      } else if (!['x', 'pi', 'e'].includes(n.name)) {
        throw new Error(`custom function "${name}": unknown symbol "${n.name}" in "${expr}"; the only variable is x (constants pi and e)`);
      }
    } else if (!(isConstantNode(n) || isOperatorNode(n) || isFunctionNode(n) || isParenthesisNode(n))) {
      throw new Error(`custom function "${name}": "${n.toString()}" is not allowed in "${expr}"; use numbers, x, + - * / ^ and functions`);
    }
  });
}

/**
 * The function called name: a built-in (or an alias of one), one of the custom functions, or a polynomial edge (whose
 * name carries its coefficients). Snapshots store function names, and this resolves them back.
 */
export function resolveSymbolicFunction(name: string, custom: readonly LibraryFunction[] = []): LibraryFunction | undefined {
  return custom.find((f) => f.name === name) ?? BY_NAME.get(ALIASES.get(name) ?? name) ?? polynomialFromName(name) ?? pairFromName(name);
}

/** Highest degree of a polynomial edge. */
export const MAX_POLYNOMIAL_DEGREE = 4;

/**
 * The polynomial q1*z + q2*z^2 + ... + qD*z^D (its constant term is the edge's d): what an edge that no library function
 * fits becomes, so that a formula is always a closed form. Its name, poly(q1,q2,...), carries the coefficients in full
 * precision, so a snapshot restores it by name; its complexity is 2 per degree, so a library function that fits as well
 * always ranks first.
 */
export function polynomialFunction(coefficients: readonly number[]): LibraryFunction {
  const q = coefficients.slice();
  if (q.length < 1 || q.length > MAX_POLYNOMIAL_DEGREE || !q.every(Number.isFinite)) {
    throw new Error(`a polynomial edge has 1 to ${MAX_POLYNOMIAL_DEGREE} finite coefficients; got [${coefficients.join(', ')}]`);
  }
  const f = (z: number): number => {
    let v = 0;
    for (let k = q.length - 1; k >= 0; k--) v = (v + q[k]!) * z;
    return v;
  };
  const df = (z: number): number => {
    let v = 0;
    for (let k = q.length - 1; k >= 0; k--) v = v * z + (k + 1) * q[k]!;
    return v;
  };
  const expression = q.map((c, k) => `(${c}) * x${k === 0 ? '' : `^${k + 1}`}`).join(' + ');
  return Object.freeze({ name: `poly(${q.join(',')})`, expression, complexity: 2 * q.length, f, df, domain: REALS, search: 'none' as const, parity: 'none' as const, custom: false });
}

function polynomialFromName(name: string): LibraryFunction | undefined {
  const match = /^poly\(([^()]*)\)$/.exec(name);
  if (!match) return undefined;
  const q = match[1]!.split(',').map(Number);
  return q.length >= 1 && q.length <= MAX_POLYNOMIAL_DEGREE && q.every(Number.isFinite) ? polynomialFunction(q) : undefined;
}

/**
 * The library made of the named functions (default: every built-in and custom one); an unknown name is an error that
 * lists the known ones.
 */
export function buildLibrary(names?: readonly string[], custom: readonly LibraryFunction[] = []): LibraryFunction[] {
  if (!names) return [...BUILTIN_LIBRARY, ...custom];
  const out: LibraryFunction[] = [];
  for (const name of names) {
    const fn = resolveSymbolicFunction(name, custom);
    if (!fn) throw new Error(`unknown symbolic function "${name}"; the library has ${[...BUILTIN_NAMES, ...custom.map((c) => c.name)].join(', ')}`);
    if (!out.includes(fn)) out.push(fn);
  }
  return out;
}

/** True when every z in [lo, hi] is in the domain. */
export function domainAdmits(d: Domain, lo: number, hi: number): boolean {
  if (!(lo <= hi) || !Number.isFinite(lo) || !Number.isFinite(hi)) return false;
  if (d.open ? !(lo > d.lo && hi < d.hi) : !(lo >= d.lo && hi <= d.hi)) return false;
  if (d.excludeZero && lo <= 0 && hi >= 0) return false;
  // No pole pi/2 + k pi in [lo, hi]: both ends fall strictly inside the same branch.
  if (d.tanPoles) {
    const branch = (z: number): number => (z + Math.PI / 2) / Math.PI;
    const a = branch(lo);
    const b = branch(hi);
    if (Math.floor(a) !== Math.floor(b) || a === Math.floor(a)) return false;
  }
  return true;
}

/** The domain in words, for messages. */
export function describeDomain(d: Domain): string {
  const parts: string[] = [];
  const op = d.open ? '<' : '<=';
  if (Number.isFinite(d.lo) && Number.isFinite(d.hi)) parts.push(`${d.lo} ${op} z ${op} ${d.hi}`);
  else if (Number.isFinite(d.lo)) parts.push(`z ${d.open ? '>' : '>='} ${d.lo}`);
  else if (Number.isFinite(d.hi)) parts.push(`z ${op} ${d.hi}`);
  if (d.excludeZero) parts.push('z != 0');
  if (d.tanPoles) parts.push('z != pi/2 + k*pi');
  return parts.length > 0 ? parts.join(', ') : 'all real z';
}

/** A name resolver for restoring snapshots (deserializeKan): the built-ins and these custom functions. */
export function symbolicResolver(custom: readonly CustomFunctionSpec[] = []): (name: string) => LibraryFunction | undefined {
  const compiled = custom.map(customFunction);
  return (name) => resolveSymbolicFunction(name, compiled);
}
