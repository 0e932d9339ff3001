/**
 * Two-term edges: c * (A(z) + k * B(z)) + d and c * A(z) * B(z) + d for two parameter-free atoms A, B of the edge's raw
 * input z. A law's univariate factor is often such a sum or product where no single library function c * f(a*z + b) + d
 * fits: in a KAN of log|y|, z / sqrt(1 - z^2) is log z - log(1 - z^2)/2 and (1/z) * exp(-1/(2 z^2)) is
 * -log z - 1/(2 z^2); sin(z)/z and z^2 exp(-z) are products. The atoms take z as it is (a dimensionless ratio after
 * discovery's reductions), so the fit is linear: least squares of the edge on the two atoms (or their product) and 1,
 * over every pair. Like the polynomial edge, the function's name carries its content, pair(A,B,k) or prod(A,B), so a
 * snapshot restores it by name.
 */
import type { Domain, LibraryFunction } from './library';
import { leastSquares } from '../util/linalg';

interface Atom {
  readonly name: string;
  /** math.js template in x. */
  readonly expression: string;
  readonly complexity: number;
  readonly f: (z: number) => number;
  readonly df: (z: number) => number;
  /** Open interval (lo, hi) where the atom is finite, and whether z = 0 is excluded. */
  readonly lo: number;
  readonly hi: number;
  readonly excludeZero: boolean;
}

const atom = (name: string, expression: string, complexity: number, f: (z: number) => number, df: (z: number) => number, where: Partial<Pick<Atom, 'lo' | 'hi' | 'excludeZero'>> = {}): Atom =>
  Object.freeze({ name, expression, complexity, f, df, lo: -Infinity, hi: Infinity, excludeZero: false, ...where });

/** The atoms: powers, log, exp, sin, cos, and the factors 1 +- z, 1 +- z^2 of laws in a ratio z (as logs and powers). */
const ATOMS: readonly Atom[] = [
  atom('x', 'x', 1, (z) => z, () => 1),
  atom('x2', 'x^2', 2, (z) => z * z, (z) => 2 * z),
  atom('x3', 'x^3', 3, (z) => z * z * z, (z) => 3 * z * z),
  atom('inv', '1/x', 2, (z) => 1 / z, (z) => -1 / (z * z), { excludeZero: true }),
  atom('inv2', '1/x^2', 3, (z) => 1 / (z * z), (z) => -2 / (z * z * z), { excludeZero: true }),
  atom('sqrt', 'sqrt(x)', 2, Math.sqrt, (z) => 0.5 / Math.sqrt(z), { lo: 0 }),
  atom('log', 'log(x)', 2, Math.log, (z) => 1 / z, { lo: 0 }),
  atom('exp', 'exp(x)', 2, Math.exp, Math.exp, { lo: -700, hi: 700 }),
  atom('expm', 'exp(-x)', 3, (z) => Math.exp(-z), (z) => -Math.exp(-z), { lo: -700, hi: 700 }),
  atom('gauss', 'exp(-x^2/2)', 4, (z) => Math.exp(-z * z / 2), (z) => -z * Math.exp(-z * z / 2)),
  atom('sin', 'sin(x)', 2, Math.sin, Math.cos),
  atom('cos', 'cos(x)', 2, Math.cos, (z) => -Math.sin(z)),
  atom('log1p', 'log(1 + x)', 3, (z) => Math.log(1 + z), (z) => 1 / (1 + z), { lo: -1 }),
  atom('log1m', 'log(1 - x)', 3, (z) => Math.log(1 - z), (z) => -1 / (1 - z), { hi: 1 }),
  atom('log1p2', 'log(1 + x^2)', 4, (z) => Math.log(1 + z * z), (z) => (2 * z) / (1 + z * z)),
  atom('log1m2', 'log(1 - x^2)', 4, (z) => Math.log(1 - z * z), (z) => (-2 * z) / (1 - z * z), { lo: -1, hi: 1 }),
  atom('sqrt1m2', 'sqrt(1 - x^2)', 4, (z) => Math.sqrt(1 - z * z), (z) => -z / Math.sqrt(1 - z * z), { lo: -1, hi: 1 }),
  atom('sqrt1p2', 'sqrt(1 + x^2)', 4, (z) => Math.sqrt(1 + z * z), (z) => z / Math.sqrt(1 + z * z)),
  atom('inv1p', '1/(1 + x)', 3, (z) => 1 / (1 + z), (z) => -1 / ((1 + z) * (1 + z)), { lo: -1 }),
  atom('inv1m', '1/(1 - x)', 3, (z) => 1 / (1 - z), (z) => 1 / ((1 - z) * (1 - z)), { hi: 1 }),
  atom('inv1p2', '1/(1 + x^2)', 4, (z) => 1 / (1 + z * z), (z) => (-2 * z) / ((1 + z * z) * (1 + z * z))),
  atom('inv1m2', '1/(1 - x^2)', 4, (z) => 1 / (1 - z * z), (z) => (2 * z) / ((1 - z * z) * (1 - z * z)), { lo: -1, hi: 1 }),
  // The same factors of a ratio taken the other way up (c/v rather than v/c): z - 1 and z^2 - 1 for z > 1.
  atom('logm1', 'log(x - 1)', 3, (z) => Math.log(z - 1), (z) => 1 / (z - 1), { lo: 1 }),
  atom('log2m1', 'log(x^2 - 1)', 4, (z) => Math.log(z * z - 1), (z) => (2 * z) / (z * z - 1), { lo: 1 }),
  atom('sqrt2m1', 'sqrt(x^2 - 1)', 4, (z) => Math.sqrt(z * z - 1), (z) => z / Math.sqrt(z * z - 1), { lo: 1 }),
  atom('invm1', '1/(x - 1)', 3, (z) => 1 / (z - 1), (z) => -1 / ((z - 1) * (z - 1)), { lo: 1 }),
  atom('inv2m1', '1/(x^2 - 1)', 4, (z) => 1 / (z * z - 1), (z) => (-2 * z) / ((z * z - 1) * (z * z - 1)), { lo: 1 }),
];

const BY_NAME: ReadonlyMap<string, Atom> = new Map(ATOMS.map((a) => [a.name, a]));

/** Distance to an open end of the atoms' interval, or to 0 where it is excluded, below which the function stops following them. */
const GUARD = 1e-6;

/** A's and B's data range must stay inside both atoms' interval by this fraction of its width (test rows fall a little past it). */
const MARGIN = 0.01;

/** Both atoms' interval, and the nearest point of it (GUARD inside) to z. */
function guard(a: Atom, b: Atom): { lo: number; hi: number; excludeZero: boolean; safe: (z: number) => number } {
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  const excludeZero = a.excludeZero || b.excludeZero;
  const safe = (z: number): number => {
    let u = z < lo + GUARD ? lo + GUARD : z > hi - GUARD ? hi - GUARD : z;
    if (excludeZero && Math.abs(u) < GUARD) u = u < 0 ? -GUARD : GUARD;
    return u;
  };
  return { lo, hi, excludeZero, safe };
}

/** The edge function A(z) + k * B(z), guarded like the built-ins (outside the atoms' interval: the nearest safe value, slope 0). */
export function pairFunction(first: string, second: string, k: number): LibraryFunction {
  const a = BY_NAME.get(first);
  const b = BY_NAME.get(second);
  if (!a || !b || a === b || !Number.isFinite(k)) throw new Error(`a two-term edge needs two different atoms of ${[...BY_NAME.keys()].join(', ')} and a finite ratio; got ${first}, ${second}, ${k}`);
  const { lo, hi, excludeZero, safe } = guard(a, b);
  const f = (z: number): number => {
    const u = safe(z);
    return a.f(u) + k * b.f(u);
  };
  const df = (z: number): number => (safe(z) === z ? a.df(z) + k * b.df(z) : 0);
  const domain: Domain = { lo, hi, open: true, excludeZero, tanPoles: false };
  return Object.freeze({
    name: `pair(${a.name},${b.name},${k})`,
    expression: `${a.expression} + (${k}) * (${b.expression})`,
    complexity: a.complexity + b.complexity + 1,
    f, df, domain, search: 'none' as const, parity: 'none' as const, custom: false,
  });
}

/** The edge function A(z) * B(z) (A may be B), guarded like pairFunction. */
export function productFunction(first: string, second: string): LibraryFunction {
  const a = BY_NAME.get(first);
  const b = BY_NAME.get(second);
  if (!a || !b) throw new Error(`a product edge needs two atoms of ${[...BY_NAME.keys()].join(', ')}; got ${first}, ${second}`);
  const { lo, hi, excludeZero, safe } = guard(a, b);
  const f = (z: number): number => {
    const u = safe(z);
    return a.f(u) * b.f(u);
  };
  const df = (z: number): number => (safe(z) === z ? a.df(z) * b.f(z) + a.f(z) * b.df(z) : 0);
  return Object.freeze({
    name: `prod(${a.name},${b.name})`,
    expression: `(${a.expression}) * (${b.expression})`,
    complexity: a.complexity + b.complexity + 1,
    f, df, domain: { lo, hi, open: true, excludeZero, tanPoles: false }, search: 'none' as const, parity: 'none' as const, custom: false,
  });
}

/** One atom as an edge function (1/(1 + z^2) is no library function of an affine argument). */
export function atomFunction(name: string): LibraryFunction {
  const a = BY_NAME.get(name);
  if (!a) throw new Error(`no atom ${name}; the atoms are ${[...BY_NAME.keys()].join(', ')}`);
  const { lo, hi, excludeZero, safe } = guard(a, a);
  return Object.freeze({
    name: `atom(${a.name})`,
    expression: a.expression,
    complexity: a.complexity,
    f: (z: number) => a.f(safe(z)),
    df: (z: number) => (safe(z) === z ? a.df(z) : 0),
    domain: { lo, hi, open: true, excludeZero, tanPoles: false }, search: 'none' as const, parity: 'none' as const, custom: false,
  });
}

/** The function a snapshot names atom(A), pair(A,B,k) or prod(A,B), or undefined. */
export function pairFromName(name: string): LibraryFunction | undefined {
  const single = /^atom\(([a-z0-9]+)\)$/.exec(name);
  if (single) return BY_NAME.has(single[1]!) ? atomFunction(single[1]!) : undefined;
  const product = /^prod\(([a-z0-9]+),([a-z0-9]+)\)$/.exec(name);
  if (product) return BY_NAME.has(product[1]!) && BY_NAME.has(product[2]!) ? productFunction(product[1]!, product[2]!) : undefined;
  const match = /^pair\(([a-z0-9]+),([a-z0-9]+),([^(),]+)\)$/.exec(name);
  if (!match || !BY_NAME.has(match[1]!) || !BY_NAME.has(match[2]!) || match[1] === match[2]) return undefined;
  const k = Number(match[3]);
  return Number.isFinite(k) ? pairFunction(match[1]!, match[2]!, k) : undefined;
}

export interface PairFit {
  fn: LibraryFunction;
  /** The edge is c * fn(z) + d in the raw input z. */
  c: number;
  d: number;
  r2: number;
}

/** Screening subsample: every pair is fitted on at most this many points, the best ones again on all. */
const SCREEN_POINTS = 256;

/**
 * The best fits of y over the raw input z by atoms (at most `top`, best R^2 first): every atom, sum and product of two
 * atoms finite on the data (with a margin) is fitted by least squares, on [A(z), 1], [A(z), B(z), 1] or [A(z) B(z), 1]. Sums whose
 * weights are not both clearly nonzero are left out (a single atom is a library function, fitted elsewhere with its
 * argument free).
 */
export function fitPairs(z: Float64Array, y: Float64Array, top = 2): PairFit[] {
  const n = z.length;
  if (n < 4 || y.length !== n) return [];
  let zMin = Infinity;
  let zMax = -Infinity;
  for (const v of z) {
    zMin = Math.min(zMin, v);
    zMax = Math.max(zMax, v);
  }
  const margin = MARGIN * (zMax - zMin);
  if (!(zMax > zMin) || !Number.isFinite(margin)) return [];
  let mean = 0;
  for (const v of y) mean += v;
  mean /= n;
  let sst = 0;
  for (const v of y) sst += (v - mean) ** 2;
  if (!(sst > 0)) return [];
  const ySpread = Math.sqrt(sst / n);
  const usable = ATOMS.filter((a) => zMin - margin > a.lo && zMax + margin < a.hi && !(a.excludeZero && zMin - margin <= 0 && zMax + margin >= 0));
  const candidates: Candidate[] = [];
  usable.forEach((a) => candidates.push({ kind: 'single', a, b: a }));
  usable.forEach((a, p) => usable.forEach((b, q) => {
    if (q > p) candidates.push({ kind: 'sum', a, b });
    if (q >= p) candidates.push({ kind: 'product', a, b });
  }));

  const step = Math.max(1, Math.floor(n / SCREEN_POINTS));
  const screenRows = Array.from({ length: Math.ceil(n / step) }, (_, q) => q * step);
  const screenZ = Float64Array.from(screenRows, (s) => z[s]!);
  const screenY = Float64Array.from(screenRows, (s) => y[s]!);
  const screenAtoms = new Map(usable.map((a) => [a, screenZ.map(a.f)]));
  const screened = candidates
    .map((candidate) => ({ candidate, fit: fitCandidate(candidate, screenAtoms, screenY) }))
    .filter((c) => c.fit !== null)
    .sort((p, q) => p.fit!.ssr - q.fit!.ssr);

  const atoms = new Map(usable.map((a) => [a, z.map(a.f)]));
  const out: PairFit[] = [];
  for (const { candidate } of screened.slice(0, 4 * top)) {
    const fit = fitCandidate(candidate, atoms, y);
    if (!fit) continue;
    // Every term must carry the edge: its spread at least 1% of the edge's.
    if (fit.termSpreads.some((spread) => spread < 0.01 * ySpread)) continue;
    const { a, b } = candidate;
    const fn = candidate.kind === 'sum' ? pairFunction(a.name, b.name, fit.w[1]! / fit.w[0]!) : candidate.kind === 'product' ? productFunction(a.name, b.name) : atomFunction(a.name);
    out.push({ fn, c: fit.w[0]!, d: fit.w.at(-1)!, r2: Math.max(0, 1 - fit.ssr / sst) });
    if (out.length === top) break;
  }
  return out.sort((p, q) => q.r2 - p.r2);
}

interface Candidate {
  kind: 'single' | 'sum' | 'product';
  a: Atom;
  b: Atom;
}

/** Least squares of y on the candidate's columns and 1: the weights (constant last), SSR, and each term's spread. */
function fitCandidate({ kind, a, b }: Candidate, atoms: ReadonlyMap<Atom, Float64Array>, y: Float64Array): { w: Float64Array; ssr: number; termSpreads: number[] } | null {
  const ca = atoms.get(a)!;
  const cb = atoms.get(b)!;
  const columns = kind === 'single' ? [ca] : kind === 'sum' ? [ca, cb] : [ca.map((v, s) => v * cb[s]!)];
  const w = leastSquares([...columns, new Float64Array(y.length).fill(1)], y);
  if (!w || !w.every(Number.isFinite)) return null;
  let ssr = 0;
  for (let s = 0; s < y.length; s++) {
    let p = w.at(-1)!;
    columns.forEach((c, k) => (p += w[k]! * c[s]!));
    ssr += (p - y[s]!) ** 2;
  }
  const range = (c: Float64Array): number => c.reduce((m, v) => Math.max(m, v), -Infinity) - c.reduce((m, v) => Math.min(m, v), Infinity);
  return { w, ssr, termSpreads: columns.map((c, k) => Math.abs(w[k]!) * range(c)) };
}
