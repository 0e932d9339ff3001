import { describe, expect, it } from 'vitest';
import { DataError, makeFormulaDataset, parseFormula, type FormulaSpec } from '../../../app/data';

function dataError(action: () => unknown): DataError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(DataError);
    return error as DataError;
  }
  throw new Error('expected a DataError');
}

function evaluateAt(expression: string, vars: number, points: number[][]): number[] {
  const formula = parseFormula(expression, vars);
  return Array.from(formula.evaluate(Float64Array.from(points.flat()), points.length));
}

const baseSpec: FormulaSpec = { formula: 'exp(sin(pi*x1)+x2^2)', vars: 2, range: [-1, 1], train: 200, test: 50, seed: 7 };

describe('parseFormula values', () => {
  it('evaluates exp(sin(pi*x1)+x2^2) at hand-computed points', () => {
    const values = evaluateAt('exp(sin(pi*x1)+x2^2)', 2, [
      [0, 0],
      [0.5, 1],
      [1 / 6, 0.5],
      [-0.5, 2],
    ]);
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(Math.exp(2), 12); // sin(pi/2) + 1
    expect(values[2]).toBeCloseTo(Math.exp(0.75), 12); // sin(pi/6) + 0.25
    expect(values[3]).toBeCloseTo(Math.exp(3), 12); // sin(-pi/2) + 4
  });

  it('accepts aliases, two-argument log, min/max, implicit products and unary minus', () => {
    const [a, b, c, d, e, f] = [
      evaluateAt('arcsin(x1)', 1, [[0.5]])[0],
      evaluateAt('ln(x1)', 1, [[Math.E]])[0],
      evaluateAt('log(x1, 2)', 1, [[8]])[0],
      evaluateAt('max(x1, x2, 0) - min(x1, x2)', 2, [[-3, 2]])[0],
      evaluateAt('2x1 + -x2^2', 2, [[1.5, 3]])[0],
      evaluateAt('arctanh(x1) + pow(x1, 3) + sign(-x1) + abs(x1 - 1)', 1, [[0.5]])[0],
    ];
    expect(a).toBeCloseTo(Math.PI / 6, 14);
    expect(b).toBeCloseTo(1, 14);
    expect(c).toBeCloseTo(3, 14);
    expect(d).toBe(5);
    expect(e).toBeCloseTo(3 - 9, 14); // -x2^2 is -(x2^2)
    expect(f).toBeCloseTo(Math.atanh(0.5) + 0.125 - 1 + 0.5, 14);
  });

  it('gives NaN, not a complex number, where the formula is undefined', () => {
    const values = evaluateAt('sqrt(x1) + log(x2)', 2, [
      [-1, 1],
      [4, -1],
      [4, 1],
    ]);
    expect(values[0]).toBeNaN();
    expect(values[1]).toBeNaN();
    expect(values[2]).toBe(2);
  });

  it('reads only the variables it uses from [n][vars] inputs', () => {
    expect(evaluateAt('x3 - x1', 3, [[1, 100, 5], [2, 200, 4]])).toEqual([4, 2]);
  });

  it('evaluates 1e5 rows of two variables quickly', () => {
    const formula = parseFormula('exp(sin(pi*x1)+x2^2)', 2);
    const n = 100_000;
    const x = new Float64Array(2 * n);
    for (let i = 0; i < x.length; i++) x[i] = (i % 1000) / 1000;
    const start = performance.now();
    const y = formula.evaluate(x, n);
    const ms = performance.now() - start;
    console.log(`formula evaluation: 1e5 rows x 2 vars in ${ms.toFixed(0)} ms`);
    expect(y[1234]).toBeCloseTo(Math.exp(Math.sin(Math.PI * x[2468]!) + x[2469]! ** 2), 12);
    expect(ms).toBeLessThan(5000);
  });
});

describe('parseFormula errors', () => {
  it('names the 1-based position and the text of a syntax error', () => {
    const error = dataError(() => parseFormula('x1 +* 2', 1));
    expect(error.code).toBe('formula_syntax');
    expect(error.details?.position).toBe(5);
    expect(error.message).toContain('character 5');
    expect(error.message).toContain('"* 2"');
  });

  it('points at the end for an unclosed bracket', () => {
    const error = dataError(() => parseFormula('sin(x1', 1));
    expect(error.code).toBe('formula_syntax');
    expect(error.details?.position).toBe(7);
    expect(error.message).toMatch(/at the end/);
    expect(error.message).toMatch(/\)/);
  });

  it('rejects an empty formula and a bare function name', () => {
    expect(dataError(() => parseFormula('   ', 1)).code).toBe('formula_syntax');
    const bare = dataError(() => parseFormula('sin + x1', 1));
    expect(bare.code).toBe('formula_syntax');
    expect(bare.message).toContain('sin(x1)');
  });

  it('names unknown symbols and lists the allowed ones', () => {
    const error = dataError(() => parseFormula('x1 + a*foo(b)', 2));
    expect(error.code).toBe('formula_unknown_symbol');
    expect(error.details?.symbols).toEqual(['a', 'foo', 'b']);
    expect(error.details?.position).toBe(6);
    expect(error.message).toContain('"a", "foo", "b"');
    for (const allowed of ['x1, x2', 'pi', 'sin', 'log10', 'arcsin']) expect(error.message).toContain(allowed);
  });

  it('hints at * for a run-together product', () => {
    const error = dataError(() => parseFormula('x1x2', 2));
    expect(error.code).toBe('formula_unknown_symbol');
    expect(error.message).toContain('x1*x2');
  });

  it('rejects variables beyond the variable count, and x0', () => {
    const beyond = dataError(() => parseFormula('x1 + x3', 2));
    expect(beyond.code).toBe('formula_unknown_symbol');
    expect(beyond.details?.symbols).toEqual(['x3']);
    expect(beyond.details?.position).toBe(6);
    expect(beyond.message).toContain('2 variables');
    expect(beyond.message).toContain('x3');
    expect(dataError(() => parseFormula('x0', 2)).details?.symbols).toEqual(['x0']);
  });

  it('rejects operators and constructs beyond arithmetic', () => {
    for (const expression of ['x1 == 2', 'x1!', 'x1 > 0 ? 1 : 2', '[x1, 2]', 'a = x1', '"text"', 'x1 mod 2']) {
      const error = dataError(() => parseFormula(expression, 1));
      expect(['formula_unsupported', 'formula_unknown_symbol'], expression).toContain(error.code);
    }
    const comparison = dataError(() => parseFormula('x1 == 2', 1));
    expect(comparison.code).toBe('formula_unsupported');
    expect(comparison.message).toContain('"=="');
  });

  it('checks how many arguments a function gets', () => {
    const error = dataError(() => parseFormula('sin(x1, x2)', 2));
    expect(error.code).toBe('formula_arity');
    expect(error.message).toContain('sin takes 1 argument');
    expect(error.details?.found).toBe(2);
    expect(dataError(() => parseFormula('pow(x1)', 1)).message).toContain('pow takes 2 arguments');
  });

  it('rejects variable counts outside 1..100', () => {
    for (const vars of [0, 101, 1.5]) expect(dataError(() => parseFormula('x1', vars)).code).toBe('bad_spec');
  });

  it('does not treat object prototype names as functions', () => {
    expect(dataError(() => parseFormula('toString(x1)', 1)).code).toBe('formula_unknown_symbol');
    expect(dataError(() => parseFormula('constructor', 1)).code).toBe('formula_unknown_symbol');
  });
});

describe('makeFormulaDataset', () => {
  it('returns x1..xn, y tables whose targets are the formula at their inputs', () => {
    const { columns, train, test } = makeFormulaDataset(baseSpec);
    expect(columns).toEqual(['x1', 'x2', 'y']);
    expect(train.columns).toEqual(columns);
    expect(train.rows).toBe(200);
    expect(test.rows).toBe(50);
    expect(train.data.length).toBe(600);
    for (const table of [train, test]) {
      for (let r = 0; r < table.rows; r++) {
        const [x1, x2, y] = [table.data[3 * r]!, table.data[3 * r + 1]!, table.data[3 * r + 2]!];
        expect(y).toBeCloseTo(Math.exp(Math.sin(Math.PI * x1) + x2 * x2), 12);
      }
    }
  });

  it('is reproducible for a seed and differs between seeds', () => {
    const a = makeFormulaDataset(baseSpec);
    const b = makeFormulaDataset(baseSpec);
    const c = makeFormulaDataset({ ...baseSpec, seed: 8 });
    expect(Array.from(b.train.data)).toEqual(Array.from(a.train.data));
    expect(Array.from(b.test.data)).toEqual(Array.from(a.test.data));
    expect(c.train.data[0]).not.toBe(a.train.data[0]);
    let same = 0;
    for (let i = 0; i < a.train.data.length; i++) if (a.train.data[i] === c.train.data[i]) same++;
    expect(same).toBe(0);
  });

  it('draws train rows first, then test rows, from one stream', () => {
    const split = makeFormulaDataset({ ...baseSpec, train: 30, test: 20 });
    const whole = makeFormulaDataset({ ...baseSpec, train: 50, test: 0 });
    expect(whole.test.rows).toBe(0);
    expect(Array.from(split.train.data)).toEqual(Array.from(whole.train.data.subarray(0, 90)));
    expect(Array.from(split.test.data)).toEqual(Array.from(whole.train.data.subarray(90)));
  });

  it('keeps each variable inside its own range and fills it', () => {
    const ranges: [number, number][] = [[0, 1], [10, 20], [-5, -4]];
    const { train } = makeFormulaDataset({ formula: 'x1 + x2 + x3', vars: 3, range: ranges, train: 5000, test: 0, seed: 3 });
    ranges.forEach(([lo, hi], v) => {
      let min = Infinity;
      let max = -Infinity;
      for (let r = 0; r < train.rows; r++) {
        const value = train.data[4 * r + v]!;
        min = Math.min(min, value);
        max = Math.max(max, value);
      }
      expect(min).toBeGreaterThanOrEqual(lo);
      expect(max).toBeLessThan(hi);
      expect(min).toBeLessThan(lo + 0.01 * (hi - lo));
      expect(max).toBeGreaterThan(hi - 0.01 * (hi - lo));
    });
  });

  it('adds Gaussian noise of the asked size to train targets only, leaving inputs unchanged', () => {
    const spec: FormulaSpec = { formula: 'x1', vars: 1, range: [0, 1], train: 20000, test: 100, seed: 11 };
    const clean = makeFormulaDataset(spec);
    const noisy = makeFormulaDataset({ ...spec, noise: 0.1 });
    let sum = 0;
    let squares = 0;
    for (let r = 0; r < spec.train; r++) {
      expect(noisy.train.data[2 * r]).toBe(clean.train.data[2 * r]);
      const residual = noisy.train.data[2 * r + 1]! - noisy.train.data[2 * r]!;
      sum += residual;
      squares += residual * residual;
    }
    const mean = sum / spec.train;
    const std = Math.sqrt(squares / spec.train - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(std).toBeGreaterThan(0.097);
    expect(std).toBeLessThan(0.103);
    expect(Array.from(noisy.test.data)).toEqual(Array.from(clean.test.data));
  });

  it('names the first point where the formula is not finite', () => {
    const error = dataError(() => makeFormulaDataset({ formula: 'log(x1) + x2', vars: 2, range: [[-1, 1], [0, 1]], train: 100, test: 0, seed: 1 }));
    expect(error.code).toBe('formula_non_finite');
    const point = error.details?.point as number[];
    expect(point).toHaveLength(2);
    expect(point[0]).toBeLessThan(0);
    expect(error.details?.value).toBe('NaN');
    expect(error.message).toMatch(/x1 = -[\d.]+, x2 = [\d.]+/);
    expect(error.message).toContain('Narrow the input ranges');
  });

  it('reports a division by zero as non-finite', () => {
    const error = dataError(() => makeFormulaDataset({ formula: '1/(x1 - x1)', vars: 1, range: [0, 1], train: 3, test: 0, seed: 1 }));
    expect(error.code).toBe('formula_non_finite');
    expect(error.details?.row).toBe(0);
    expect(error.details?.value).toBe('Infinity');
    expect(error.message).toContain('gives Infinity');
  });

  it('rejects more than 5,000,000 rows before allocating anything', () => {
    const error = dataError(() => makeFormulaDataset({ ...baseSpec, train: 4_000_000, test: 1_000_001 }));
    expect(error.code).toBe('too_large');
    expect(error.message).toContain('5000000');
  });

  it('rejects bad ranges, counts and noise', () => {
    const bad = (patch: Partial<FormulaSpec>) => dataError(() => makeFormulaDataset({ ...baseSpec, ...patch }));
    const reversed = bad({ range: [[0, 1], [2, 1]] });
    expect(reversed.code).toBe('bad_range');
    expect(reversed.details?.variable).toBe('x2');
    expect(reversed.message).toContain('x2');
    expect(bad({ range: [1, 1] }).code).toBe('bad_range');
    expect(bad({ range: [0, Number.NaN] }).code).toBe('bad_range');
    expect(bad({ range: [[0, 1]] }).code).toBe('bad_range');
    expect(bad({ vars: 101 }).code).toBe('bad_spec');
    expect(bad({ train: 0 }).code).toBe('bad_spec');
    expect(bad({ test: -1 }).code).toBe('bad_spec');
    expect(bad({ train: 2.5 }).code).toBe('bad_spec');
    expect(bad({ noise: -0.1 }).code).toBe('bad_spec');
  });
});

describe('formulas near the length limit', () => {
  it('evaluates a sum of 2,000 terms (and a long product, and a long difference) instead of overflowing the stack', () => {
    const sum = parseFormula(Array.from({ length: 2000 }, (_, i) => (i % 3 === 2 ? 'x2' : 'x1')).join('+'), 2);
    expect(sum.evaluate(Float64Array.from([0.5, 2]), 1)[0]).toBeCloseTo(1334 * 0.5 + 666 * 2, 9);
    const difference = parseFormula(`1000${'-x1'.repeat(1999)}`, 1);
    expect(difference.evaluate(Float64Array.from([0.25]), 1)[0]).toBeCloseTo(1000 - 1999 * 0.25, 9);
    const product = parseFormula(Array.from({ length: 2000 }, (_, i) => (i % 2 === 0 ? 'x1' : '1/x1')).join('*').replace(/\*1\//g, '/'), 1);
    expect(product.evaluate(Float64Array.from([1.5]), 1)[0]).toBeCloseTo(1, 9);
  });

  it('refuses nesting too deep to evaluate with a clear message', () => {
    expect(() => parseFormula(`${'('.repeat(2000)}x1${')'.repeat(2000)}`, 1)).toThrow(/nests brackets 2000 deep; at most 200 levels/);
    expect(() => parseFormula(Array.from({ length: 3000 }, () => 'x1').join('^'), 1)).toThrow(/at most 200 levels/);
    expect(() => parseFormula(`${'sin('.repeat(150)}x1${')'.repeat(150)}`, 1)).not.toThrow();
  });
});
