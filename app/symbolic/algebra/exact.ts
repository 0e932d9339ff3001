/** Arithmetic on exact constants (p/q times pi, e, sqrt 2, ...), so snapped values stay symbolic when constants fold. */
import { type Basis, type Expr, constant, exactConst } from './expr';

type Const = Extract<Expr, { kind: 'const' }>;

/** A basis as powers of its irrational parts (pi in halves). */
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
  '1/pi^2': { pi: -2, e: 0, sqrt2: 0, sqrt3: 0 },
  'sqrt(pi)': { pi: 0.5, e: 0, sqrt2: 0, sqrt3: 0 },
  '1/sqrt(pi)': { pi: -0.5, e: 0, sqrt2: 0, sqrt3: 0 },
  'sqrt(2pi)': { pi: 0.5, e: 0, sqrt2: 1, sqrt3: 0 },
  '1/sqrt(2pi)': { pi: -0.5, e: 0, sqrt2: -1, sqrt3: 0 },
};

/**
 * The basis with these parts times a rational factor num/den (sqrt2^2 = 2), or undefined when no basis has them. A root
 * keeps the power its parts give where a basis has it (1/sqrt(2*pi) has sqrt2^-1), else it moves by squares.
 */
function basisOf(parts: Parts): { basis: Basis; num: number; den: number } | undefined {
  const entries = Object.entries(PARTS) as [Basis, Parts][];
  const match = (r: Parts): Basis | undefined => entries.find(([, p]) => p.pi === r.pi && p.e === r.e && p.sqrt2 === r.sqrt2 && p.sqrt3 === r.sqrt3)?.[0];
  const direct = match(parts);
  if (direct !== undefined) return { basis: direct, num: 1, den: 1 };
  let num = 1;
  let den = 1;
  const reduced = { ...parts };
  for (const [root, square] of [['sqrt2', 2], ['sqrt3', 3]] as const) {
    while (reduced[root] >= 2) { reduced[root] -= 2; num *= square; }
    while (reduced[root] < 0) { reduced[root] += 2; den *= square; }
  }
  const basis = match(reduced);
  return basis === undefined ? undefined : { basis, num, den };
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
  const exact = joined && exactConst(a.exact.p * b.exact.p * joined.num, a.exact.q * b.exact.q * joined.den, joined.basis);
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

/**
 * c^n for an integer n stays exact for rational c and for the bases with an inverse; c^(1/2) and c^(-1/2) stay exact
 * where the root has a basis (sqrt(2*pi), 1/sqrt(pi), sqrt(3/4)); other powers become plain numbers.
 */
export function powerConst(base: Const, exponent: number): Const {
  const c = integerAsExact(base);
  const value = Math.pow(c.value, exponent);
  if (exponent === 0.5 || exponent === -0.5) {
    const root = squareRoot(c);
    const exact = root && (exponent > 0 ? root : inverse(root));
    return exact ?? (constant(value) as Const);
  }
  if (c.exact === undefined || !Number.isInteger(exponent) || Math.abs(exponent) > 8) return constant(value) as Const;
  let result = exactConst(1, 1) as Const;
  const step = exponent >= 0 ? c : inverse(c);
  if (step === undefined) return constant(value) as Const;
  for (let k = 0; k < Math.abs(exponent); k++) result = multiplyConst(result, step);
  return result.exact === undefined ? (constant(value) as Const) : result;
}

/** n = a^2 * r with r square-free, for 1 <= n <= 1e9 (trial division by the odd numbers up to sqrt n). */
function squareFree(n: number): { a: number; r: number } {
  let a = 1;
  let r = 1;
  let rest = n;
  for (let d = 2; d * d <= rest; d += d === 2 ? 1 : 2) {
    let count = 0;
    while (rest % d === 0) { rest /= d; count++; }
    a *= d ** Math.floor(count / 2);
    if (count % 2 === 1) r *= d;
  }
  return { a, r: r * rest };
}

/**
 * sqrt(p/q * basis) as an exact constant, or undefined. With p/q = (a/b)^2 * r/s, r and s square-free, it is
 * a/(b*s) * sqrt(r*s) * sqrt(basis): exact where r*s is 1, 2, 3 or 6 and sqrt(basis) is a basis (sqrt(pi) of pi).
 */
function squareRoot(c: Const): Const | undefined {
  if (c.exact === undefined || c.exact.p <= 0) return undefined;
  const parts = PARTS[c.exact.basis];
  const top = squareFree(c.exact.p);
  const bottom = squareFree(c.exact.q);
  const rs = top.r * bottom.r;
  const roots = { 1: [0, 0], 2: [1, 0], 3: [0, 1], 6: [1, 1] } as Record<number, [number, number] | undefined>;
  const [s2, s3] = roots[rs] ?? [];
  if (s2 === undefined || s3 === undefined) return undefined;
  const halved = basisOf({ pi: parts.pi / 2, e: parts.e / 2, sqrt2: parts.sqrt2 / 2 + s2, sqrt3: parts.sqrt3 / 2 + s3 });
  if (halved === undefined) return undefined;
  return exactConst(top.a * halved.num, bottom.a * bottom.r * halved.den, halved.basis) as Const | undefined;
}

function inverse(c: Const): Const | undefined {
  if (c.exact === undefined || c.exact.p === 0) return undefined;
  const p = PARTS[c.exact.basis];
  const flipped = basisOf({ pi: -p.pi, e: -p.e, sqrt2: -p.sqrt2, sqrt3: -p.sqrt3 });
  if (flipped === undefined) return undefined;
  return exactConst(c.exact.q * flipped.num, c.exact.p * flipped.den, flipped.basis) as Const | undefined;
}
