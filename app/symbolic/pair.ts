/**
 * Two-term edges: c * (A(z) + k * B(z)) + d for two parameter-free atoms A, B of the edge's raw input z. A law's
 * univariate factor is often such a sum where no single library function c * f(a*z + b) + d fits: in a KAN of log|y|,
 * z / sqrt(1 - z^2) is log z - log(1 - z^2)/2 and (1/z) * exp(-1/(2 z^2)) is -log z - 1/(2 z^2). The atoms take z as
 * it is (a dimensionless ratio after discovery's reductions), so the fit is linear: least squares of the edge on the two
 * atoms and 1, over every pair. Like the polynomial edge, the function's name carries its content, pair(A,B,k), so a
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

/** The edge function A(z) + k * B(z), guarded like the built-ins (outside the atoms' interval: the nearest safe value, slope 0). */
export function pairFunction(first: string, second: string, k: number): LibraryFunction {
  const a = BY_NAME.get(first);
  const b = BY_NAME.get(second);
  if (!a || !b || a === b || !Number.isFinite(k)) throw new Error(`a two-term edge needs two different atoms of ${[...BY_NAME.keys()].join(', ')} and a finite ratio; got ${first}, ${second}, ${k}`);
  const lo = Math.max(a.lo, b.lo);
  const hi = Math.min(a.hi, b.hi);
  const excludeZero = a.excludeZero || b.excludeZero;
  const safe = (z: number): number => {
    let u = z < lo + GUARD ? lo + GUARD : z > hi - GUARD ? hi - GUARD : z;
    if (excludeZero && Math.abs(u) < GUARD) u = u < 0 ? -GUARD : GUARD;
    return u;
  };
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

/** The two-term function a snapshot names pair(A,B,k), or undefined. */
export function pairFromName(name: string): LibraryFunction | undefined {
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
 * The best two-term fits of y over the raw input z (at most `top`, best R^2 first): every pair of atoms finite on the
 * data (with a margin) is fitted by least squares on [A(z), B(z), 1]. Pairs whose weights are not both clearly nonzero
 * are left out (a single atom is a library function, fitted elsewhere with its argument free).
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
  const usable = ATOMS.filter((a) => zMin - margin > a.lo && zMax + margin < a.hi && !(a.excludeZero && zMin - margin <= 0 && zMax + margin >= 0));
  const step = Math.max(1, Math.floor(n / SCREEN_POINTS));
  const pick = Array.from({ length: Math.ceil(n / step) }, (_, q) => q * step);
  const columnsOn = (rows: readonly number[], source: Float64Array = z): Map<Atom, Float64Array> =>
    new Map(usable.map((a) => [a, Float64Array.from(rows, (s) => a.f(source[s]!))]));
  const screenY = Float64Array.from(pick, (s) => y[s]!);
  const screenColumns = columnsOn(pick);
  const ones = (m: number): Float64Array => new Float64Array(m).fill(1);
  const screenOnes = ones(pick.length);
  const scored: { a: Atom; b: Atom; ssr: number }[] = [];
  for (let p = 0; p < usable.length; p++) {
    for (let q = p + 1; q < usable.length; q++) {
      const a = usable[p]!;
      const b = usable[q]!;
      const ca = screenColumns.get(a)!;
      const cb = screenColumns.get(b)!;
      const w = leastSquares([ca, cb, screenOnes], screenY);
      if (!w || !w.every(Number.isFinite)) continue;
      let ssr = 0;
      for (let s = 0; s < pick.length; s++) ssr += (w[0]! * ca[s]! + w[1]! * cb[s]! + w[2]! - screenY[s]!) ** 2;
      scored.push({ a, b, ssr });
    }
  }
  scored.sort((p, q) => p.ssr - q.ssr);
  let mean = 0;
  for (const v of y) mean += v;
  mean /= n;
  let sst = 0;
  for (const v of y) sst += (v - mean) ** 2;
  if (!(sst > 0)) return [];
  const all = Array.from({ length: n }, (_, s) => s);
  const out: PairFit[] = [];
  for (const { a, b } of scored.slice(0, 4 * top)) {
    const ca = Float64Array.from(all, (s) => a.f(z[s]!));
    const cb = Float64Array.from(all, (s) => b.f(z[s]!));
    const w = leastSquares([ca, cb, ones(n)], y);
    if (!w || !w.every(Number.isFinite)) continue;
    let ssr = 0;
    for (let s = 0; s < n; s++) ssr += (w[0]! * ca[s]! + w[1]! * cb[s]! + w[2]! - y[s]!) ** 2;
    // Both atoms must carry the edge: each term's spread at least 1% of the edge's.
    const spread = (column: Float64Array, weight: number): number => Math.abs(weight) * (Math.max(...column) - Math.min(...column));
    const ySpread = Math.sqrt(sst / n);
    if (spread(ca, w[0]!) < 0.01 * ySpread || spread(cb, w[1]!) < 0.01 * ySpread) continue;
    out.push({ fn: pairFunction(a.name, b.name, w[1]! / w[0]!), c: w[0]!, d: w[2]!, r2: Math.max(0, 1 - ssr / sst) });
    if (out.length === top) break;
  }
  return out.sort((p, q) => q.r2 - p.r2);
}
