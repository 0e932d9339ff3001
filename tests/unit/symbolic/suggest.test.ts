import { describe, expect, it } from 'vitest';
import { Kan } from '../../../app/kan/model';
import { fitSplineCoefficients } from '../../../app/kan/splinefit';
import { basisCount } from '../../../app/kan/bspline';
import { autoSymbolic, edgeSamples, fixSymbolic, suggestSymbolic, symbolicScore, unfixSymbolic } from '../../../app/symbolic/suggest';
import { buildLibrary, resolveSymbolicFunction } from '../../../app/symbolic/library';
import { fit } from '../../../app/train/fit';
import { Rng } from '../../../app/util/rng';

function uniform(n: number, seed: number, width = 1): Float64Array {
  const rng = new Rng(seed);
  return new Float64Array(n * width).map(() => rng.range(-1, 1));
}

/** A [nIn, nOut] KAN whose edge (i, j) is the spline fit (G = 20) of curves[i][j] on [-1, 1], base branch off. */
function kanWithCurves(curves: ((x: number) => number)[][]): Kan {
  const nIn = curves.length;
  const nOut = curves[0]!.length;
  const kan = Kan.create({ width: [nIn, nOut], grid: 20, k: 3 }, new Rng(1));
  const layer = kan.layers[0]!;
  const nb = basisCount(20, 3);
  const pts = new Float64Array(400).map((_, q) => -1 + (2 * q) / 399);
  for (let i = 0; i < nIn; i++) {
    const values = new Float64Array(400 * nOut);
    pts.forEach((x, s) => curves[i]!.forEach((f, j) => (values[s * nOut + j] = f(x))));
    const coef = fitSplineCoefficients(layer.knots, i * (20 + 4 * 3 + 1), 20, 3, pts, values, nOut);
    for (let j = 0; j < nOut; j++) {
      const e = i * nOut + j;
      kan.params.set(coef.subarray(j * nb, (j + 1) * nb), layer.coefOffset + e * nb);
      kan.params[layer.wbOffset + e] = 0;
      kan.params[layer.wsOffset + e] = 1;
    }
  }
  return kan;
}

describe('suggesting, fixing and unfixing symbolic edges', () => {
  it('ranks the library by the documented score, best first', () => {
    const kan = kanWithCurves([[(x) => 0.8 * Math.sin(2 * x + 0.3) + 0.1]]);
    const samples = { x: uniform(500, 2), n: 500 };
    const top = suggestSymbolic(kan, { layer: 0, input: 0, output: 0 }, samples, { topK: 4 });
    expect(top).toHaveLength(4);
    expect(top[0]!.name).toBe('sin');
    expect(top[0]!.r2).toBeGreaterThan(1 - 1e-6);
    for (const s of top) expect(s.score).toBeCloseTo(symbolicScore(s.r2, s.complexity, 0.8), 12);
    // Ordered by the score with the fit per decade of 1 - R^2: a later candidate never has a better decade-score.
    const coarse = (s: (typeof top)[number]): number => 0.8 * s.complexity + 0.2 * Math.floor(Math.log10(Math.max(1 - s.r2, 1e-5))) * Math.log2(10);
    for (let q = 1; q < top.length; q++) expect(coarse(top[q]!)).toBeGreaterThanOrEqual(coarse(top[q - 1]!));
    expect(symbolicScore(1, 2, 0.8)).toBeCloseTo(1.6 + 0.2 * Math.log2(1e-5), 9);
    // With weightSimple 1 only complexity counts, but the constant 0 never outranks a function that fits.
    const simplest = suggestSymbolic(kan, { layer: 0, input: 0, output: 0 }, samples, { topK: 3, weightSimple: 1, lib: buildLibrary(['sin', 'x', '0']) });
    expect(simplest.map((s) => s.name)).toEqual(['x', 'sin', '0']);
  });

  it('at equal fit the simpler function wins: a parabola is x^2, not a slow sinusoid, and 0 only wins on a constant edge', () => {
    const parabola = kanWithCurves([[(x) => 0.9 * x * x - 0.1]]);
    const samples = { x: uniform(500, 8), n: 500 };
    const edge = { layer: 0, input: 0, output: 0 };
    const ranked = suggestSymbolic(parabola, edge, samples, { topK: 30 });
    expect(ranked[0]!.name).toBe('x^2');
    const sin = ranked.find((s) => s.name === 'sin')!;
    // The sinusoid fits the parabola about as well (a window near its extremum), yet ranks below it.
    expect(sin.r2).toBeGreaterThan(0.999);
    expect(ranked.indexOf(sin)).toBeGreaterThan(0);
    expect(ranked.at(-1)!.name).toBe('0');
    const flat = kanWithCurves([[() => 0.25]]);
    expect(suggestSymbolic(flat, edge, samples, { topK: 1 })[0]!.name).toBe('0');
  });

  it('fixes an edge (the model barely moves), keeps (a, b, c, d) trainable, and unfix restores the spline exactly', () => {
    const kan = kanWithCurves([[(x) => 0.8 * Math.sin(2 * x + 0.3) + 0.1, (x) => x * x]]);
    const n = 300;
    const x = uniform(n, 3);
    const before = kan.forward(x, n);
    const sin = resolveSymbolicFunction('sin')!;
    const edge = { layer: 0, input: 0, output: 0 };
    const result = fixSymbolic(kan, edge, sin, { x, n })!;
    expect(result.r2).toBeGreaterThan(1 - 1e-6);
    const layer = kan.layers[0]!;
    expect([layer.mask[0], layer.symMask[0], layer.symFns[0]]).toEqual([0, 1, sin]);
    expect(kan.parameterCount()).toBe(4 + basisCount(20, 3) + 2);
    const after = kan.forward(x, n);
    for (let s = 0; s < n * 2; s++) expect(after[s]).toBeCloseTo(before[s]!, 3);
    unfixSymbolic(kan, edge);
    expect(kan.forward(x, n)).toEqual(before);
    expect(() => unfixSymbolic(kan, edge)).toThrow(/0\.0\.0 is not symbolic/);
    expect(() => fixSymbolic(kan, { layer: 0, input: 0, output: 5 }, sin, { x, n })).toThrow(/outputs 0\.\.1/);
    expect(() => fixSymbolic(kan, edge, sin, null)).toThrow(/needs samples/);

    // Fixed with a = c = 1, b = d = 0, the edge learns 0.8 sin(2x + 0.3) + 0.1 by training (a, b, c, d).
    const trainable = kanWithCurves([[() => 0]]);
    fixSymbolic(trainable, edge, sin, null, { fitParams: false });
    const p = trainable.layers[0]!.symOffset;
    expect(Array.from(trainable.params.subarray(p, p + 4))).toEqual([1, 0, 1, 0]);
    const y = x.map((v) => 0.8 * Math.sin(2 * v + 0.3) + 0.1);
    const history = fit(trainable, { train: { x, y, n }, test: { x, y, n } }, 'regression', { opt: 'lbfgs', steps: 10, updateGrid: false }).history;
    expect(history[history.length - 1]!.trainMetric).toBeLessThan(1e-8);
  });

  it('autoSymbolic fixes what fits, leaves the rest numeric (never 0), and makes a constant edge 0', () => {
    const noise = new Rng(4);
    const bumps = Array.from({ length: 30 }, () => noise.normal());
    const wiggly = (x: number): number => bumps[Math.min(29, Math.floor((x + 1) * 15))]! * 0.2 + Math.sin(9 * x);
    const kan = kanWithCurves([[(x) => 1.5 * x * x - 0.2, wiggly], [() => 0.7, (x) => Math.exp(0.5 * x)]]);
    const n = 400;
    const samples = { x: uniform(n, 5, 2), n };
    const lib = buildLibrary(['0', 'x', 'x^2', 'exp']);
    const report = autoSymbolic(kan, samples, { lib, r2Threshold: 0.99, fallback: 'numeric' });
    const byEdge = Object.fromEntries(report.map((e) => [`${e.input}.${e.output}`, e]));
    expect(byEdge['0.0']!.fn).toBe('x^2');
    expect(byEdge['1.1']!.fn).toBe('exp');
    expect(byEdge['1.0']!.fn).toBe('0');
    expect(byEdge['0.1']!.fn).toBeNull();
    expect(byEdge['0.1']!.best!.r2).toBeLessThan(0.99);
    const layer = kan.layers[0]!;
    expect(Array.from(layer.mask)).toEqual([0, 1, 0, 0]);
    expect(layer.symFns.map((f) => f?.name ?? null)).toEqual(['x^2', null, '0', 'exp']);
    // Already symbolic edges are left alone on a second pass; the numeric one is retried.
    const again = autoSymbolic(kan, samples, { lib, r2Threshold: 0 });
    expect(again.map((e) => `${e.input}.${e.output}`)).toEqual(['0.1']);
    expect(again[0]!.fn).not.toBeNull();
  });

  it('by default an edge that no library function fits gets the best low-degree polynomial, restorable by name', () => {
    const cubicish = (x: number): number => x ** 3 - 0.4 * x ** 2 + 0.2;
    const kan = kanWithCurves([[cubicish]]);
    const n = 400;
    const samples = { x: uniform(n, 9), n };
    const [edge] = autoSymbolic(kan, samples, { lib: buildLibrary(['x', 'exp', 'sin']), r2Threshold: 0.999999 });
    expect(edge!.polynomial).toBe(true);
    expect(edge!.fn).toMatch(/^poly\(/);
    expect(edge!.r2).toBeGreaterThan(1 - 1e-7);
    expect(edge!.best!.r2).toBeLessThan(0.999999);
    const fn = kan.layers[0]!.symFns[0]!;
    expect(resolveSymbolicFunction(fn.name)!.f(0.37)).toBe(fn.f(0.37));
    // The symbolic edge computes the curve (the spline fit of it) everywhere on the samples.
    const out = kan.forward(samples.x, n);
    for (let s = 0; s < n; s++) expect(out[s]).toBeCloseTo(cubicish(samples.x[s]!), 5);
  });

  it('samples an edge at its layer inputs, with the numeric branch whatever the masks say', () => {
    const kan = Kan.create({ width: [2, 3, 1], grid: 5, k: 3 }, new Rng(6));
    const x = uniform(50, 7, 2);
    const acts = kan.activations(x, 50);
    const before = edgeSamples(kan, { layer: 1, input: 2, output: 0 }, { x, n: 50 });
    for (let s = 0; s < 50; s++) expect(before.x[s]).toBe(acts[1]![s * 3 + 2]);
    kan.layers[1]!.mask[2] = 0;
    expect(edgeSamples(kan, { layer: 1, input: 2, output: 0 }, { x, n: 50 }).y).toEqual(before.y);
  });
});
