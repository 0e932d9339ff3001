import { describe, expect, it } from 'vitest';
import { Kan } from '../../../app/kan/model';
import { NumericEdgesError, buildFormulas, constantNode, evaluateFormula, rawInputs, safeIdentifiers } from '../../../app/symbolic/formula';
import { setSymbolic } from '../../../app/symbolic/suggest';
import { resolveSymbolicFunction } from '../../../app/symbolic/library';
import { toText } from '../../../app/symbolic/export';
import type { Standardizer } from '../../../app/data/standardize';
import { Rng } from '../../../app/util/rng';

const fn = (name: string) => resolveSymbolicFunction(name)!;
const standardizer: Standardizer = { columns: ['u', 'v'], mean: [3, -1], std: [2, 0.5] };

/** [2,2,1], every edge symbolic with known (a, b, c, d). */
function symbolicNet(): Kan {
  const kan = Kan.create({ width: [2, 2, 1], grid: 3, k: 3 }, new Rng(1));
  setSymbolic(kan, { layer: 0, input: 0, output: 0 }, fn('sin'), [1.3, 0.2, 0.8, 0.1]);
  setSymbolic(kan, { layer: 0, input: 0, output: 1 }, fn('x^2'), [0.9, -0.3, 1.2, 0]);
  setSymbolic(kan, { layer: 0, input: 1, output: 0 }, fn('exp'), [0.5, 0.4, 0.3, -0.2]);
  setSymbolic(kan, { layer: 0, input: 1, output: 1 }, fn('x'), [2, 0.5, 1, 0]);
  setSymbolic(kan, { layer: 1, input: 0, output: 0 }, fn('tanh'), [0.7, -0.1, 1.5, 0.3]);
  setSymbolic(kan, { layer: 1, input: 1, output: 0 }, fn('x^3'), [0.5, 0.2, -0.4, 0.05]);
  return kan;
}

/** Raw inputs [n][2] and the standardised ones the model sees. */
function data(n: number, seed: number): { raw: Float64Array; x: Float64Array } {
  const rng = new Rng(seed);
  const raw = new Float64Array(2 * n).map((_, q) => (q % 2 === 0 ? rng.range(0, 6) : rng.range(-1.8, -0.2)));
  const x = raw.map((v, q) => (v - standardizer.mean[q % 2]!) / standardizer.std[q % 2]!);
  return { raw, x };
}

describe('formulas from symbolic KANs', () => {
  it('compose the edges into one expression in raw units that computes what the model computes', () => {
    const kan = symbolicNet();
    const { raw, x } = data(200, 2);
    const model = kan.forward(x, 200);
    const options = { inputNames: ['u', 'v'], standardizer, samples: { x, n: 200 } };
    const [exact] = buildFormulas(kan, { ...options, digits: Infinity, simplify: false });
    const exactValues = evaluateFormula(exact!, raw, 200);
    for (let s = 0; s < 200; s++) expect(exactValues[s]).toBeCloseTo(model[s]!, 10);
    const [rounded] = buildFormulas(kan, { ...options, digits: 4 });
    const roundedValues = evaluateFormula(rounded!, raw, 200);
    for (let s = 0; s < 200; s++) expect(Math.abs(roundedValues[s]! - model[s]!)).toBeLessThan(2e-3 * (1 + Math.abs(model[s]!)));
    expect(rounded!.variables).toEqual(['u', 'v']);
    expect(rounded!.numericEdges).toEqual([]);
    // Rounded to 4 significant digits, decimals kept as decimals (no 1/2 for 0.5).
    const constants = toText(rounded!.node).match(/\d+(\.\d+)?(e-?\d+)?/g)!;
    for (const c of constants) expect(c.replace(/^0\.0*|\.|e.*$/g, '').replace(/^0+/, '').length).toBeLessThanOrEqual(4);
    expect(toText(rounded!.node)).not.toMatch(/\d \/ \d/);
    expect(rounded!.simplified).toBe(true);
  });

  it('folds affine maps and constants: c*exp(a*x + b) reads k*exp(a*x), powers of one variable lose their scale', () => {
    const kan = Kan.create({ width: [1, 1], grid: 3, k: 3 }, new Rng(2));
    setSymbolic(kan, { layer: 0, input: 0, output: 0 }, fn('exp'), [0.5, 1, 2, 0]);
    expect(toText(buildFormulas(kan, { inputNames: ['t'] })[0]!.node)).toBe(`${Number((2 * Math.E).toPrecision(4))} * exp(0.5 * t)`);
    setSymbolic(kan, { layer: 0, input: 0, output: 0 }, fn('x^2'), [3, -6, 0.5, 0]);
    expect(toText(buildFormulas(kan, { inputNames: ['t'] })[0]!.node)).toBe('4.5 * (t - 2) ^ 2');
    setSymbolic(kan, { layer: 0, input: 0, output: 0 }, fn('x'), [2, 1, 3, -3]);
    expect(toText(buildFormulas(kan, { inputNames: ['t'] })[0]!.node)).toBe('6 * t');
  });

  it('drops terms negligible at the requested digits (judged on the samples), and keeps them at full precision', () => {
    const kan = symbolicNet();
    setSymbolic(kan, { layer: 1, input: 1, output: 0 }, fn('x^3'), [0.5, 0.2, -4e-9, 0]);
    const { x } = data(100, 3);
    const options = { inputNames: ['u', 'v'], standardizer, samples: { x, n: 100 } };
    const text = toText(buildFormulas(kan, { ...options, digits: 4 })[0]!.node);
    expect(text).not.toContain('^ 3');
    expect(toText(buildFormulas(kan, { ...options, digits: Infinity })[0]!.node)).toContain('^ 3');
  });

  it('names numeric edges in an error, or marks them; masked edges are left out', () => {
    const kan = symbolicNet();
    const l0 = kan.layers[0]!;
    l0.symMask[3] = 0; // edge 0.1.1 numeric again
    l0.symFns[3] = null;
    l0.mask[3] = 1;
    kan.layers[1]!.symMask[0] = 0; // edge 1.0.0 pruned
    expect(() => buildFormulas(kan, { inputNames: ['u', 'v'] })).toThrow(NumericEdgesError);
    expect(() => buildFormulas(kan, { inputNames: ['u', 'v'] })).toThrow(/1 numeric edge \(0\.1\.1\)/);
    const [marked] = buildFormulas(kan, { inputNames: ['u', 'v'], numericEdges: 'mark' });
    expect(marked!.numericEdges).toEqual(['0.1.1']);
    expect(toText(marked!.node)).toContain('phi_0_1_1(');
    expect(toText(marked!.node)).not.toContain('tanh');
    expect(() => evaluateFormula(marked!, new Float64Array(2), 1)).toThrow(/numeric edges \(0\.1\.1\)/);
  });

  it('gives one formula per output and lists only the numeric edges on each output\'s paths', () => {
    const kan = Kan.create({ width: [1, 2, 2], grid: 3, k: 3 }, new Rng(3));
    setSymbolic(kan, { layer: 0, input: 0, output: 0 }, fn('sin'), [1, 0, 1, 0]);
    setSymbolic(kan, { layer: 1, input: 0, output: 0 }, fn('x'), [1, 0, 2, 0]);
    setSymbolic(kan, { layer: 1, input: 0, output: 1 }, fn('x'), [1, 0, 3, 0]);
    kan.layers[1]!.mask.fill(0);
    kan.layers[1]!.mask[3] = 1; // numeric edge 1.1.1 feeds output 1 only, from numeric edge 0.0.1
    const formulas = buildFormulas(kan, { inputNames: ['x'], numericEdges: 'mark' });
    expect(formulas.map((f) => f.numericEdges)).toEqual([[], ['0.0.1', '1.1.1']]);
    expect(toText(formulas[0]!.node)).toBe('2 * sin(x)');
    expect(evaluateFormula(formulas[0]!, Float64Array.of(0.5), 1)[0]).toBeCloseTo(2 * Math.sin(0.5), 14);
  });

  it('makes dataset names safe identifiers and maps inputs back to raw units', () => {
    expect(safeIdentifiers(['petal length', '1st', 'E', 'x1', 'x1', 'lambda', 'phi_0_1_2', 'temp.(C)'])).toEqual(['petal_length', 'v1st', 'E_', 'x1', 'x12', 'lambda_', 'phi_0_1_2_', 'temp__C_']);
    const { raw, x } = data(5, 4);
    const back = rawInputs(x, 5, ['u', 'v'], standardizer);
    for (let q = 0; q < 10; q++) expect(back[q]).toBeCloseTo(raw[q]!, 12);
    expect(rawInputs(x, 5, ['u', 'v'], null)).toBe(x);
    expect(() => buildFormulas(symbolicNet(), { inputNames: ['u'] })).toThrow(/1 input names given for a model with 2 inputs/);
    expect(() => buildFormulas(symbolicNet(), { inputNames: ['u', 'v'], digits: 0 })).toThrow(/digits must be an integer from 1 to 17/);
  });
});

describe('constants that are multiples of pi', () => {
  it('are written as such when they are one to 1e-7, and rounded otherwise', () => {
    expect(constantNode(Math.PI * (1 + 1e-9), 4).toString()).toBe('pi');
    expect(constantNode(Math.PI / 2, 4).toString()).toBe('pi / 2');
    expect(constantNode((3 * Math.PI) / 4, 4).toString()).toBe('3 * pi / 4');
    expect(constantNode((4 * Math.PI) / 6, 4).toString()).toBe('2 * pi / 3');
    // Close to pi but not within 1e-7: a rounded number, not pi.
    expect(constantNode(3.1416, 4).toString()).toBe('3.142');
    expect(constantNode(2.5, 4).toString()).toBe('2.5');
  });
});
