import { describe, expect, it } from 'vitest';
import { Kan } from '../../../app/kan/model';
import { deserializeKan, serializeKan } from '../../../app/kan/serialize';
import { symbolicMath } from '../../../app/symbolic/math';
import { fitPairs, pairFromName, pairFunction } from '../../../app/symbolic/pair';
import { resolveSymbolicFunction, symbolicResolver } from '../../../app/symbolic/library';
import { setSymbolic } from '../../../app/symbolic/suggest';
import { Rng } from '../../../app/util/rng';

const samples = (lo: number, hi: number, f: (z: number) => number, n = 500): { z: Float64Array; y: Float64Array } => {
  const rng = new Rng(11);
  const z = Float64Array.from({ length: n }, () => rng.range(lo, hi));
  return { z, y: z.map(f) };
};

describe('two-term edge functions', () => {
  it('f follows its math.js template, df is its derivative, and outside the atoms\' domain both stay finite', () => {
    const math = symbolicMath();
    for (const [a, b, k, points] of [
      ['log', 'log1m2', -0.5, [0.1, 0.3, 0.6, 0.9]],
      ['inv', 'inv2', 0.25, [-2, -0.7, 0.4, 3]],
      ['log1p', 'logm1', -1, [1.2, 2, 7]],
      ['sin', 'sqrt1p2', 3, [-4, 0, 1.5]],
    ] as const) {
      const fn = pairFunction(a, b, k);
      for (const z of points) {
        expect(fn.f(z)).toBeCloseTo(math.evaluate(fn.expression, { x: z }) as number, 12);
        const h = 1e-6;
        const fd = (fn.f(z + h) - fn.f(z - h)) / (2 * h);
        expect(Math.abs(fn.df(z) - fd)).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
      }
    }
    const guarded = pairFunction('log', 'log1m2', -0.5);
    for (const z of [-5, -1, 0, 1, 1.5, 1e6]) {
      expect(Number.isFinite(guarded.f(z))).toBe(true);
      expect(guarded.df(z)).toBe(0);
    }
  });

  it('is restored by its name, as a snapshot restores an edge', () => {
    const fn = pairFunction('log', 'log1m2', -0.4987654321);
    expect(pairFromName(fn.name)!.f(0.3)).toBe(fn.f(0.3));
    expect(resolveSymbolicFunction(fn.name)!.expression).toBe(fn.expression);
    expect(pairFromName('pair(log,log,2)')).toBeUndefined();
    expect(pairFromName('pair(log,nosuch,2)')).toBeUndefined();
    expect(() => pairFunction('log', 'log1m2', Number.NaN)).toThrow(/finite ratio/);

    const kan = Kan.create({ width: [1, 1], grid: 3, k: 3 }, new Rng(1));
    setSymbolic(kan, { layer: 0, input: 0, output: 0 }, fn, [2, 0.1, 1.5, -0.25]);
    const restored = deserializeKan(serializeKan(kan), symbolicResolver());
    const x = Float64Array.from([-0.3, 0, 0.2, 0.35]);
    expect(Array.from(restored.forward(x, 4))).toEqual(Array.from(kan.forward(x, 4)));
  });

  it('fits the univariate factors of laws in a ratio z that no single function is: each weight and ratio exactly, first in the ranking', () => {
    // name, range of z, the factor, the atoms expected first and their ratio (several pairs write the Doppler factor).
    const cases: [string, number, number, (z: number) => number, RegExp, number | null][] = [
      // log of z / sqrt(1 - z^2), of (1 + z) / sqrt(1 - z^2) and of exp(-1/(2 z^2)) / z (a Gaussian in 1/z).
      ['relativistic momentum', 0.1, 0.67, (z) => Math.log(z) - 0.5 * Math.log(1 - z * z) + 0.7, /^pair\(log,log1m2,/, -0.5],
      ['Doppler, c/v', 1.5, 10, (z) => 0.5 * Math.log(z + 1) - 0.5 * Math.log(z - 1), /^pair\((log1p,logm1|log1p,log2m1|logm1,log2m1),/, null],
      ['Gaussian in sigma/theta', 0.33, 3, (z) => -Math.log(z) - 0.5 / (z * z) - 0.92, /^pair\(inv2,log,/, 2],
      ['sum of a sinusoid and a power', -3, 3, (z) => 2 * Math.sin(z) + 0.3 * z * z * z, /^pair\(x3,sin,/, 1 / 0.15],
    ];
    for (const [name, lo, hi, f, atoms, ratio] of cases) {
      const { z, y } = samples(lo, hi, f);
      const [best] = fitPairs(z, y);
      expect(best, name).toBeDefined();
      expect(best!.fn.name, name).toMatch(atoms);
      expect(1 - best!.r2, name).toBeLessThan(1e-20);
      if (ratio !== null) expect(Number(/,([^,]+)\)$/.exec(best!.fn.name)![1]), name).toBeCloseTo(ratio, 9);
      for (let s = 0; s < 20; s++) expect(best!.c * best!.fn.f(z[s]!) + best!.d, name).toBeCloseTo(y[s]!, 9);
    }
  });

  it('writes a single atom as the atom, never as a pair with a second term of no weight, and fits nothing to a constant', () => {
    const single = samples(0.5, 2, (z) => 3 * Math.log(z) + 1);
    const [best, ...rest] = fitPairs(single.z, single.y, 5);
    expect(best!.fn.name).toBe('atom(log)');
    expect(best!.c).toBeCloseTo(3, 12);
    expect(pairFromName('atom(log)')!.f(2)).toBe(Math.log(2));
    for (const fit of rest) expect(1 - fit.r2, fit.fn.name).toBeGreaterThan(1e-12);
    const constant = samples(0.5, 2, () => 4);
    expect(fitPairs(constant.z, constant.y)).toEqual([]);
  });
});
