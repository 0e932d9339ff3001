import { describe, expect, it } from 'vitest';
import { BUILTIN_LIBRARY, buildLibrary, customFunction, describeDomain, domainAdmits, resolveSymbolicFunction, symbolicResolver, type LibraryFunction } from '../../../app/symbolic/library';
import { Kan } from '../../../app/kan/model';
import { deserializeKan, serializeKan } from '../../../app/kan/serialize';
import { setSymbolic } from '../../../app/symbolic/suggest';
import { Rng } from '../../../app/util/rng';

/** Points well inside f's domain, away from poles and kinks. */
function interiorPoints(fn: LibraryFunction): number[] {
  const candidates = [-2.3, -1.7, -0.9, -0.45, -0.2, 0.15, 0.35, 0.8, 1.3, 2.1, 2.9];
  return candidates.filter((z) => domainAdmits(fn.domain, z - 0.05, z + 0.05) && Math.abs(z) > 0.1 && Math.abs(Math.abs(z) - Math.PI / 2) > 0.1);
}

describe('the symbolic library', () => {
  for (const fn of BUILTIN_LIBRARY) {
    it(`${fn.name}: df is the derivative of f, and both stay finite everywhere`, () => {
      const points = interiorPoints(fn);
      expect(points.length).toBeGreaterThan(fn.domain.lo === -1 ? 3 : 5);
      for (const z of points) {
        const h = 1e-6;
        const fd = (fn.f(z + h) - fn.f(z - h)) / (2 * h);
        expect(Math.abs(fn.df(z) - fd)).toBeLessThan(1e-6 * (1 + Math.abs(fd)));
      }
      // The guard: outside the domain, at poles and far out, values and derivatives are numbers.
      for (const z of [-1e6, -800, -5, -1.5, -1, -1e-9, 0, 1e-9, 1, 1.5, Math.PI / 2, -Math.PI / 2, 5, 800, 1e6, -0]) {
        expect(Number.isFinite(fn.f(z))).toBe(true);
        expect(Number.isFinite(fn.df(z))).toBe(true);
      }
    });
  }

  it('knows each domain', () => {
    const by = (name: string): LibraryFunction => resolveSymbolicFunction(name)!;
    expect(domainAdmits(by('log').domain, 0.1, 3)).toBe(true);
    expect(domainAdmits(by('log').domain, 0, 3)).toBe(false);
    expect(domainAdmits(by('sqrt').domain, 0, 3)).toBe(true);
    expect(domainAdmits(by('1/x').domain, -3, -0.1)).toBe(true);
    expect(domainAdmits(by('1/x^2').domain, -0.1, 0.2)).toBe(false);
    expect(domainAdmits(by('arcsin').domain, -1, 1)).toBe(true);
    expect(domainAdmits(by('arcsin').domain, 0.5, 1.01)).toBe(false);
    expect(domainAdmits(by('arctanh').domain, -1, 0)).toBe(false);
    expect(domainAdmits(by('tan').domain, -1.5, 1.5)).toBe(true);
    expect(domainAdmits(by('tan').domain, 1, 2)).toBe(false);
    expect(domainAdmits(by('tan').domain, 1.6, 4.7)).toBe(true);
    expect(domainAdmits(by('exp').domain, 0, 800)).toBe(false);
    expect(domainAdmits(by('sin').domain, -1e9, 1e9)).toBe(true);
    expect(describeDomain(by('log').domain)).toBe('z > 0');
    expect(describeDomain(by('1/x').domain)).toBe('z != 0');
    expect(describeDomain(by('arcsin').domain)).toBe('-1 <= z <= 1');
  });

  it('resolves aliases and lists the known names for an unknown one', () => {
    expect(resolveSymbolicFunction('x^0.5')!.name).toBe('sqrt');
    expect(resolveSymbolicFunction('atan')!.name).toBe('arctan');
    expect(resolveSymbolicFunction('1/sqrt(x)')!.name).toBe('1/sqrt');
    expect(resolveSymbolicFunction('bessel')).toBeUndefined();
    expect(buildLibrary(['sin', 'asin', 'arcsin']).map((f) => f.name)).toEqual(['sin', 'arcsin']);
    expect(() => buildLibrary(['sin', 'sinc'])).toThrow(/unknown symbolic function "sinc"; the library has 0, x, x\^2, .*cosh/);
  });

  it('builds user functions from a math.js expression, with math.js derivative', () => {
    const fn = customFunction({ name: 'damped', expr: 'x * exp(-x^2 / 2) + pi', complexity: 4 });
    expect(fn.custom).toBe(true);
    for (const z of [-1.2, 0.3, 2]) {
      expect(fn.f(z)).toBeCloseTo(z * Math.exp((-z * z) / 2) + Math.PI, 12);
      expect(fn.df(z)).toBeCloseTo((1 - z * z) * Math.exp((-z * z) / 2), 10);
    }
    expect(buildLibrary(['x', 'damped'], [fn])[1]).toBe(fn);
    expect(buildLibrary(undefined, [fn])).toHaveLength(BUILTIN_LIBRARY.length + 1);
    expect(() => customFunction({ name: 'bad', expr: 'x +* 2', complexity: 1 })).toThrow(/custom function "bad": the expression "x \+\* 2" does not parse/);
    expect(() => customFunction({ name: 'bad', expr: 'y * x', complexity: 1 })).toThrow(/unknown symbol "y".*the only variable is x/);
    expect(() => customFunction({ name: 'bad', expr: 'gamma(x)', complexity: 1 })).toThrow(/"gamma" .* is not an allowed function/);
    expect(() => customFunction({ name: 'bad', expr: 'sign(x)', complexity: 1 })).toThrow(/cannot differentiate/);
    expect(() => customFunction({ name: 'sin', expr: 'x', complexity: 1 })).toThrow(/clashes with the built-in/);
    expect(() => customFunction({ name: '2x', expr: 'x', complexity: 1 })).toThrow(/letters, digits and _/);
  });

  it('restores symbolic edges of a snapshot by name, custom functions included', () => {
    const spec = { name: 'cubeplus', expr: 'x^3 + x', complexity: 3 };
    const kan = Kan.create({ width: [2, 2, 1], grid: 3, k: 3 }, new Rng(1));
    setSymbolic(kan, { layer: 0, input: 0, output: 1 }, resolveSymbolicFunction('sin')!, [1.2, 0.1, 0.8, -0.2]);
    setSymbolic(kan, { layer: 1, input: 1, output: 0 }, customFunction(spec), [0.7, 0.3, 1.1, 0.05]);
    const restored = deserializeKan(serializeKan(kan), symbolicResolver([spec]));
    const x = new Float64Array(40).map((_, q) => Math.sin(q));
    expect(restored.forward(x, 20)).toEqual(kan.forward(x, 20));
    expect(() => deserializeKan(serializeKan(kan), symbolicResolver())).toThrow(/"cubeplus", which is not in the library/);
  });
});
