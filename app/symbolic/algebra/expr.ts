/**
 * The formula algebra's expression tree: constants (optionally exact, such as 3/4*pi), model inputs, n-ary sums and
 * products, powers and one-argument functions; with vectorised evaluation, a PySR-like size and a structural key.
 */

/** The functions of formulas (library.ts FORMULA_FUNCTIONS), each of one argument. */
export type FnName =
  | 'exp' | 'log' | 'sin' | 'cos' | 'tan' | 'tanh' | 'sqrt' | 'abs' | 'sign' | 'asin' | 'acos' | 'atan' | 'atanh' | 'sinh' | 'cosh' | 'asinh' | 'acosh';

export type Expr =
  | { kind: 'const'; value: number; exact?: ExactConst }
  | { kind: 'var'; index: number }
  | { kind: 'add'; terms: Expr[] }
  | { kind: 'mul'; factors: Expr[] }
  | { kind: 'pow'; base: Expr; exponent: Expr }
  | { kind: 'fn'; name: FnName; arg: Expr };

/**
 * The irrational factor of an exact constant. The half powers of pi are the normalisations of Gaussians and diffusion
 * (1/sqrt(2*pi), sqrt(pi)); 1/pi^2 comes with squared angular frequencies (1/(8*pi^2)).
 */
export type Basis = 'one' | 'pi' | 'e' | 'sqrt2' | 'sqrt3' | '1/pi' | 'pi^2' | '1/pi^2' | 'sqrt(pi)' | '1/sqrt(pi)' | 'sqrt(2pi)' | '1/sqrt(2pi)';

/** A constant known exactly: value = p/q * basis, p/q in lowest terms, q > 0. */
export interface ExactConst {
  p: number;
  q: number;
  basis: Basis;
}

export const BASIS_VALUE: Readonly<Record<Basis, number>> = {
  one: 1, pi: Math.PI, e: Math.E, sqrt2: Math.SQRT2, sqrt3: Math.sqrt(3), '1/pi': 1 / Math.PI, 'pi^2': Math.PI * Math.PI,
  '1/pi^2': 1 / (Math.PI * Math.PI), 'sqrt(pi)': Math.sqrt(Math.PI), '1/sqrt(pi)': 1 / Math.sqrt(Math.PI),
  'sqrt(2pi)': Math.sqrt(2 * Math.PI), '1/sqrt(2pi)': 1 / Math.sqrt(2 * Math.PI),
};

export const FUNCTIONS: Readonly<Record<FnName, (x: number) => number>> = {
  exp: Math.exp, log: Math.log, sin: Math.sin, cos: Math.cos, tan: Math.tan, tanh: Math.tanh, sqrt: Math.sqrt, abs: Math.abs,
  sign: Math.sign, asin: Math.asin, acos: Math.acos, atan: Math.atan, atanh: Math.atanh, sinh: Math.sinh, cosh: Math.cosh,
  asinh: Math.asinh, acosh: Math.acosh,
};

export const constant = (value: number, exact?: ExactConst): Expr => (exact === undefined ? { kind: 'const', value } : { kind: 'const', value, exact });

/** An exact rational p/q (reduced) times a basis, or undefined when p or q leaves the range where doubles are exact. */
export function exactConst(p: number, q: number, basis: Basis = 'one'): Expr | undefined {
  if (!Number.isSafeInteger(p) || !Number.isSafeInteger(q) || q === 0 || Math.abs(p) > 1e9 || Math.abs(q) > 1e9) return undefined;
  const g = gcd(Math.abs(p), Math.abs(q)) || 1;
  const sign = q < 0 ? -1 : 1;
  const exact: ExactConst = { p: (sign * p) / g, q: (sign * q) / g, basis: p === 0 ? 'one' : basis };
  return constant((exact.p / exact.q) * BASIS_VALUE[exact.basis], exact);
}

export function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

export function evaluateExpr(e: Expr, columns: readonly Float64Array[], n: number): Float64Array {
  const out = new Float64Array(n);
  switch (e.kind) {
    case 'const':
      return out.fill(e.value);
    case 'var': {
      const column = columns[e.index];
      if (column === undefined) throw new Error(`the formula uses input ${e.index + 1}, but only ${columns.length} input columns were given`);
      out.set(column.subarray(0, n));
      return out;
    }
    case 'add': {
      for (const term of e.terms) {
        const t = evaluateExpr(term, columns, n);
        for (let r = 0; r < n; r++) out[r]! += t[r]!;
      }
      return out;
    }
    case 'mul': {
      out.fill(1);
      for (const factor of e.factors) {
        const f = evaluateExpr(factor, columns, n);
        for (let r = 0; r < n; r++) out[r]! *= f[r]!;
      }
      return out;
    }
    case 'pow': {
      const b = evaluateExpr(e.base, columns, n);
      const x = evaluateExpr(e.exponent, columns, n);
      for (let r = 0; r < n; r++) out[r] = Math.pow(b[r]!, x[r]!);
      return out;
    }
    case 'fn': {
      const a = evaluateExpr(e.arg, columns, n);
      const f = FUNCTIONS[e.name];
      for (let r = 0; r < n; r++) out[r] = f(a[r]!);
      return out;
    }
  }
}

/** e with every variable i replaced by replacement(i) (a change of variables, e.g. x -> log(x)). */
export function substituteVariables(e: Expr, replacement: (index: number) => Expr): Expr {
  switch (e.kind) {
    case 'const':
      return e;
    case 'var':
      return replacement(e.index);
    case 'add':
      return { kind: 'add', terms: e.terms.map((t) => substituteVariables(t, replacement)) };
    case 'mul':
      return { kind: 'mul', factors: e.factors.map((f) => substituteVariables(f, replacement)) };
    case 'pow':
      return { kind: 'pow', base: substituteVariables(e.base, replacement), exponent: substituteVariables(e.exponent, replacement) };
    case 'fn':
      return { kind: 'fn', name: e.name, arg: substituteVariables(e.arg, replacement) };
  }
}

/**
 * Size as PySR counts it: every constant, variable and function application is 1, a power is 1, and an n-ary sum or
 * product is n - 1 binary operations; children add their own sizes.
 */
export function complexity(e: Expr): number {
  switch (e.kind) {
    case 'const':
    case 'var':
      return 1;
    case 'add':
      return e.terms.length - 1 + e.terms.reduce((s, t) => s + complexity(t), 0);
    case 'mul':
      return e.factors.length - 1 + e.factors.reduce((s, f) => s + complexity(f), 0);
    case 'pow':
      return 1 + complexity(e.base) + complexity(e.exponent);
    case 'fn':
      return 1 + complexity(e.arg);
  }
}

/** Canonical structural key: equal keys mean the same tree (constants compared by their full value). */
export function exprKey(e: Expr): string {
  switch (e.kind) {
    case 'const':
      return `#${e.value}`;
    case 'var':
      return `x${e.index}`;
    case 'add':
      return `+(${e.terms.map(exprKey).join(',')})`;
    case 'mul':
      return `*(${e.factors.map(exprKey).join(',')})`;
    case 'pow':
      return `^(${exprKey(e.base)},${exprKey(e.exponent)})`;
    case 'fn':
      return `${e.name}(${exprKey(e.arg)})`;
  }
}
