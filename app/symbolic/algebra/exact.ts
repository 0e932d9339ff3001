/** Arithmetic on exact constants (p/q times pi, e, sqrt 2, ...), so snapped values stay symbolic when constants fold. */
import { type Basis, type Expr, constant, exactConst } from './expr';

type Const = Extract<Expr, { kind: 'const' }>;

/** A basis as powers of its irrational parts. */
interface Parts {
  pi: number;
  e: number;
  sqrt2: number;
  sqrt3: number;
}

const PARTS: Readonly<Record<Basis, Parts>> = {
  one: { pi: 0, e: 0, sqrt2: 0, sqrt3: 0 },
  pi: { pi: 1, e: 0, sqrt2: 0, sqrt3: 0 },
  '1/pi': { pi: -1, e: 0, sqrt2: 0, sqrt3: 0 },
  'pi^2': { pi: 2, e: 0, sqrt2: 0, sqrt3: 0 },
  e: { pi: 0, e: 1, sqrt2: 0, sqrt3: 0 },
  sqrt2: { pi: 0, e: 0, sqrt2: 1, sqrt3: 0 },
  sqrt3: { pi: 0, e: 0, sqrt2: 0, sqrt3: 1 },
};

/** The basis with these parts times a rational factor (sqrt2^2 = 2), or undefined when no basis has them. */
function basisOf(parts: Parts): { basis: Basis; factor: number } | undefined {
  let factor = 1;
  const reduced = { ...parts };
  for (const [root, square] of [['sqrt2', 2], ['sqrt3', 3]] as const) {
    while (reduced[root] >= 2) { reduced[root] -= 2; factor *= square; }
    if (reduced[root] < 0) return undefined;
  }
  for (const [basis, p] of Object.entries(PARTS) as [Basis, Parts][]) {
    if (p.pi === reduced.pi && p.e === reduced.e && p.sqrt2 === reduced.sqrt2 && p.sqrt3 === reduced.sqrt3) return { basis, factor };
  }
  return undefined;
}

/** A plain integer is exact in a double, so it joins exact arithmetic (4 * pi stays 4*pi, 4^-1 stays 1/4). */
function integerAsExact(c: Const): Const {
  return c.exact === undefined && Number.isInteger(c.value) && Math.abs(c.value) <= 1e9 ? ((exactConst(c.value, 1) as Const | undefined) ?? c) : c;
}

export function multiplyConst(x: Const, y: Const): Const {
  const value = x.value * y.value;
  const a = y.exact !== undefined ? integerAsExact(x) : x;
  const b = x.exact !== undefined ? integerAsExact(y) : y;
  if (a.exact === undefined || b.exact === undefined) return constant(value) as Const;
  const pa = PARTS[a.exact.basis];
  const pb = PARTS[b.exact.basis];
  const joined = basisOf({ pi: pa.pi + pb.pi, e: pa.e + pb.e, sqrt2: pa.sqrt2 + pb.sqrt2, sqrt3: pa.sqrt3 + pb.sqrt3 });
  const exact = joined && exactConst(a.exact.p * b.exact.p * joined.factor, a.exact.q * b.exact.q, joined.basis);
  return (exact as Const | undefined) ?? (constant(value) as Const);
}

export function addConst(a: Const, b: Const): Const {
  const value = a.value + b.value;
  if (a.exact === undefined || b.exact === undefined) return constant(value) as Const;
  if (a.exact.p === 0) return b;
  if (b.exact.p === 0) return a;
  if (a.exact.basis !== b.exact.basis) return constant(value) as Const;
  const exact = exactConst(a.exact.p * b.exact.q + b.exact.p * a.exact.q, a.exact.q * b.exact.q, a.exact.basis);
  return (exact as Const | undefined) ?? (constant(value) as Const);
}

/** c^n for an integer n stays exact for rational c and for n = -1 of pi, and so do sqrt 2 and sqrt 3; other powers become plain numbers. */
export function powerConst(base: Const, exponent: number): Const {
  const c = integerAsExact(base);
  const value = Math.pow(c.value, exponent);
  if (exponent === 0.5 && c.exact?.basis === 'one' && c.exact.q === 1 && (c.exact.p === 2 || c.exact.p === 3)) {
    return exactConst(1, 1, c.exact.p === 2 ? 'sqrt2' : 'sqrt3') as Const;
  }
  if (c.exact === undefined || !Number.isInteger(exponent) || Math.abs(exponent) > 8) return constant(value) as Const;
  let result = exactConst(1, 1) as Const;
  const step = exponent >= 0 ? c : inverse(c);
  if (step === undefined) return constant(value) as Const;
  for (let k = 0; k < Math.abs(exponent); k++) result = multiplyConst(result, step);
  return result.exact === undefined ? (constant(value) as Const) : result;
}

function inverse(c: Const): Const | undefined {
  if (c.exact === undefined || c.exact.p === 0) return undefined;
  const inverseBasis: Partial<Record<Basis, Basis>> = { one: 'one', pi: '1/pi', '1/pi': 'pi' };
  const basis = inverseBasis[c.exact.basis];
  if (basis !== undefined) return exactConst(c.exact.q, c.exact.p, basis) as Const | undefined;
  if (c.exact.basis === 'sqrt2' || c.exact.basis === 'sqrt3') {
    const square = c.exact.basis === 'sqrt2' ? 2 : 3;
    return exactConst(c.exact.q, c.exact.p * square, c.exact.basis) as Const | undefined;
  }
  return undefined;
}
