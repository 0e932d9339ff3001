import { describe, expect, it } from 'vitest';
import { BUILTIN_LIBRARY, buildLibrary, customFunction, domainAdmits, resolveSymbolicFunction } from '../../../app/symbolic/library';
import { fitSymbolicEdge, prepareEdgeSamples, fitSymbolic } from '../../../app/symbolic/fit';
import { Rng } from '../../../app/util/rng';

/** True (a, b, c, d) per function, chosen so that a*x + b stays inside the domain for x in [-1, 1]. */
const TRUTH: Record<string, [number, number, number, number]> = {
  x: [1, 0, 1.7, -0.3],
  'x^2': [1.3, 0.4, 0.8, 0.2],
  'x^3': [0.9, -0.2, 1.5, 0.1],
  'x^4': [1.1, 0.3, -0.6, 0.5],
  'x^5': [0.8, 0.1, 2, -1],
  '1/x': [0.7, 2, 1.5, 0.3],
  '1/x^2': [-0.5, 1.8, 0.9, -0.2],
  '1/x^3': [0.6, 2.2, 1.2, 0.4],
  '1/x^4': [0.5, -2.5, 3, 0.1],
  sqrt: [1.2, 1.6, 0.7, -0.4],
  '1/sqrt': [-0.8, 1.5, 1.1, 0.2],
  'x^1.5': [0.9, 1.3, -0.5, 0.6],
  exp: [1.4, 0.2, 0.6, -0.7],
  log: [1.1, 1.9, 0.8, 0.3],
  sin: [2.3, 0.4, 1.2, 0.1],
  cos: [1.9, -0.6, 0.7, 0.5],
  tan: [0.8, 0.3, 0.9, -0.2],
  tanh: [2.5, 0.5, 1.1, 0.2],
  abs: [1.4, 0.35, 0.9, -0.3],
  sgn: [1, 0.3, 0.5, 0.1],
  gaussian: [1.7, -0.4, 1.3, 0.2],
  arcsin: [0.6, 0.2, 1.4, -0.1],
  arccos: [0.7, -0.1, 0.8, 0.3],
  arctan: [2.2, -0.7, 1.2, 0.4],
  arctanh: [0.65, 0.15, 0.9, -0.3],
  sigmoid: [3.1, 0.6, 2, -1],
  cosh: [1.6, 0.5, 0.7, -0.5],
};

function uniform(n: number, seed: number, lo = -1, hi = 1): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(n).map(() => rng.range(lo, hi));
}

describe('fitting c * f(a*x + b) + d', () => {
  it('has every function of the issue in the built-in library', () => {
    const names = ['0', 'x', 'x^2', 'x^3', 'x^4', 'x^5', '1/x', '1/x^2', '1/x^3', '1/x^4', 'sqrt', '1/sqrt', 'x^1.5', 'exp', 'log', 'sin', 'cos', 'tan', 'tanh', 'abs', 'sgn', 'gaussian', 'arcsin', 'arccos', 'arctan', 'arctanh', 'sigmoid', 'cosh'];
    expect(buildLibrary(names).map((f) => f.name)).toEqual(names);
  });

  for (const fn of BUILTIN_LIBRARY.filter((f) => f.name !== '0')) {
    it(`recovers known (a, b, c, d) for ${fn.name}`, () => {
      const [a, b, c, d] = TRUTH[fn.name]!;
      const x = uniform(400, 3);
      const y = x.map((v) => c * fn.f(a * v + b) + d);
      const fit = fitSymbolicEdge(x, y, fn)!;
      expect(fit).not.toBeNull();
      expect(fit.r2).toBeGreaterThan(1 - 1e-12);
      if (fn.name === 'sgn') {
        // A jump is located only up to the gap between neighbouring samples.
        expect(-fit.b / fit.a).toBeCloseTo(-b / a, 1);
        return;
      }
      // The fitted curve equals the true one, also beyond the samples (no mere interpolation), where both are defined.
      const probe = uniform(200, 4, -1.01, 1.01);
      for (const v of probe) {
        const want = c * fn.f(a * v + b) + d;
        expect(Math.abs(fit.c * fn.f(fit.a * v + fit.b) + fit.d - want)).toBeLessThan(1e-7 * (1 + Math.abs(want)));
      }
      // Where the parameters are identifiable (f is neither a power nor exp), they are the true ones up to f's symmetry.
      if (fn.search === 'window' || fn.search === 'sinusoid') {
        const flip = fn.parity !== 'none' && Math.sign(fit.a) !== Math.sign(a) ? -1 : 1;
        expect(flip * fit.a).toBeCloseTo(a, 6);
        if (fn.search !== 'sinusoid') expect(flip * fit.b).toBeCloseTo(b, 6);
        if (fn.parity !== 'odd' || flip === 1) expect(Math.abs(fit.c)).toBeCloseTo(Math.abs(c), 6);
      }
    });
  }
});

describe('domains and degenerate samples', () => {
  const by = (name: string) => resolveSymbolicFunction(name)!;

  it('maps the data inside the domain, with a margin, for log, 1/x, arcsin, arctanh and tan', () => {
    const x = uniform(300, 5);
    const y = x.map((v) => 0.7 * v + 0.1 * v * v);
    for (const name of ['log', '1/x', '1/x^2', '1/sqrt', 'sqrt', 'arcsin', 'arccos', 'arctanh', 'tan']) {
      const fn = by(name);
      const fit = fitSymbolicEdge(x, y, fn)!;
      expect(fit, name).not.toBeNull();
      const ends = [fit.a * -1 + fit.b, fit.a * 1 + fit.b].sort((p, q) => p - q) as [number, number];
      const margin = 0.005 * (ends[1] - ends[0]);
      expect(domainAdmits(fn.domain, ends[0] - margin, ends[1] + margin), name).toBe(true);
      // The fitted curve is finite at the samples and slightly beyond them, with the true (unguarded) function too.
      const trueF: Record<string, (z: number) => number> = { log: Math.log, '1/x': (z) => 1 / z, '1/x^2': (z) => 1 / z ** 2, '1/sqrt': (z) => 1 / Math.sqrt(z), sqrt: Math.sqrt, arcsin: Math.asin, arccos: Math.acos, arctanh: Math.atanh, tan: Math.tan };
      for (const v of [-1.004, -1, 0, 1, 1.004]) expect(Number.isFinite(fit.c * trueF[name]!(fit.a * v + fit.b) + fit.d), `${name} at ${v}`).toBe(true);
      expect(fit.r2).toBeGreaterThan(0.9);
    }
  });

  it('never lets a user function with an unknown domain produce NaN', () => {
    const root = customFunction({ name: 'root', expr: 'sqrt(x) + log(x)', complexity: 3 });
    const x = uniform(200, 6);
    const y = x.map((v) => Math.sqrt(2 * v + 3) + Math.log(2 * v + 3));
    const fit = fitSymbolicEdge(x, y, root)!;
    expect(fit.r2).toBeGreaterThan(0.999);
    for (const v of x) expect(Number.isFinite(fit.c * root.f(fit.a * v + fit.b) + fit.d)).toBe(true);
    const nowhere = customFunction({ name: 'nowhere', expr: 'sqrt(-x^2 - 1)', complexity: 1 });
    expect(fitSymbolicEdge(x, y, nowhere)).toBeNull();
  });

  it('fits a constant edge with c = 0 and R^2 = 1, and reports an honest R^2 on noisy data', () => {
    const x = uniform(100, 7);
    for (const fn of [by('0'), by('log'), by('sin'), by('x^2')]) {
      const fit = fitSymbolicEdge(x, new Float64Array(100).fill(2.5), fn)!;
      expect(fit).toMatchObject({ c: 0, d: 2.5, r2: 1 });
      expect(Number.isFinite(fn.f(fit.a * 0.3 + fit.b))).toBe(true);
    }
    const rng = new Rng(8);
    const noisy = x.map((v) => Math.sin(2 * v) + 0.1 * rng.normal());
    const fit = fitSymbolicEdge(x, noisy, by('sin'))!;
    let ssr = 0;
    let sst = 0;
    const mean = noisy.reduce((s, v) => s + v, 0) / noisy.length;
    noisy.forEach((v, s) => {
      ssr += (fit.c * Math.sin(fit.a * x[s]! + fit.b) + fit.d - v) ** 2;
      sst += (v - mean) ** 2;
    });
    expect(fit.r2).toBeCloseTo(1 - ssr / sst, 12);
    expect(fit.r2).toBeGreaterThan(0.9);
    expect(fit.r2).toBeLessThan(0.99);
    expect(fitSymbolicEdge(x, noisy, by('0'))!.r2).toBe(0);
  });

  it('finds a high frequency and a far-off shift', () => {
    const x = uniform(500, 9);
    const fast = fitSymbolicEdge(x, x.map((v) => Math.cos(11 * v - 0.4)), by('cos'))!;
    expect(fast.r2).toBeGreaterThan(1 - 1e-12);
    expect(Math.abs(fast.a)).toBeCloseTo(11, 8);
    const shifted = fitSymbolicEdge(x, x.map((v) => (v + 40) ** 3), by('x^3'))!;
    expect(shifted.r2).toBeGreaterThan(1 - 1e-12);
    const samples = prepareEdgeSamples(x, x.map((v) => Math.exp(-3 * v)));
    expect(fitSymbolic(samples, by('exp'))!.r2).toBeGreaterThan(1 - 1e-12);
    expect(fitSymbolic(samples, by('x'))!.r2).toBeLessThan(0.95);
  });
});
