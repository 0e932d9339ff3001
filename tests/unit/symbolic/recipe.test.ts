import { describe, expect, it } from 'vitest';
import { parseRecipe } from '../../../app/recipe/schema';
import { initialState, runSteps, summarizeRun, trainedMetrics } from '../../../app/recipe/runner';
import type { FormulaReport } from '../../../app/recipe/interpretability-steps';
import { symbolicMath } from '../../../app/symbolic/math';
import { Rng } from '../../../app/util/rng';
import { irisCsv } from '../../../app/data';

const noCsv = (): string => {
  throw new Error('this recipe reads no CSV');
};

describe('the interpretability recipe steps', () => {
  it('recovers exp(sin(pi*x1) + x2^2) through fit, prune, refine, autoSymbolic and formula (the KAN paper pipeline)', () => {
    const recipe = parseRecipe({
      seed: 0,
      data: { formula: 'exp(sin(pi*x1) + x2^2)', vars: 2 },
      kan: { width: [2, 5, 1], grid: 3, k: 3 },
      steps: [
        { fit: { steps: 50, lamb: 1e-3, lambEntropy: 2 } },
        { prune: {} },
        { fit: { steps: 50 } },
        { refine: { grid: 10 } },
        { fit: { steps: 50 } },
        { autoSymbolic: { lib: ['x', 'x^2', 'exp', 'sin'] } },
        { fit: { steps: 50 } },
        { formula: {} },
        { formula: { digits: 8 } },
      ],
    });
    const t0 = performance.now();
    const state = initialState(recipe, noCsv);
    const result = runSteps(state);
    const seconds = (performance.now() - t0) / 1000;
    console.log(`pipeline: ${seconds.toFixed(2)} s (${result.stages.map((s) => `${s.step} ${s.seconds.toFixed(2)}`).join(', ')})`);
    expect(result.status).toBe('done');
    const [, pruneStage, , , , autoStage, , fourDigits, eightDigits] = result.stages;
    expect(state.kan.width).toEqual([2, 1, 1]);
    expect(pruneStage!.details.width).toEqual([2, 1, 1]);
    const chosen = (autoStage!.details.edges as { edge: string; fn: string }[]).map((e) => `${e.edge}:${e.fn}`).sort();
    expect(chosen).toEqual(['0.0.0:sin', '0.1.0:x^2', '1.0.0:exp']);

    const rounded = fourDigits!.details.formula as FormulaReport;
    const precise = eightDigits!.details.formula as FormulaReport;
    console.log(`formula: ${rounded.text}; test RMSE ${rounded.testRmse} (${rounded.digits} digits), ${precise.testRmse} (${precise.digits} digits), model ${rounded.modelTestRmse}`);
    expect(rounded.modelTestRmse!).toBeLessThan(1e-6);
    expect(rounded.testRmseFullPrecision!).toBeLessThan(1e-6);
    expect(precise.testRmse!).toBeLessThan(1e-6);
    // The retrained frequency is pi to 1e-7, so even at 4 significant digits it is written as pi and stays exact.
    expect(rounded.testRmse!).toBeLessThan(1e-6);
    // Recovered up to rounding and equivalent forms: checked by evaluation against the true law on fresh points.
    const math = symbolicMath();
    const rng = new Rng(11);
    for (const report of [rounded, precise]) {
      const code = math.parse(report.text).compile();
      for (let q = 0; q < 200; q++) {
        const x1 = rng.range(-1, 1);
        const x2 = rng.range(-1, 1);
        const want = Math.exp(Math.sin(Math.PI * x1) + x2 * x2);
        const got = code.evaluate({ x1, x2 }) as number;
        expect(Math.abs(got - want)).toBeLessThan(1e-5);
      }
    }
    expect(rounded.text.replace(/\s/g, '')).toMatch(/^exp\(sin\(pi\*x1\)\+x2\^2\)$|^exp\(x2\^2\+sin\(pi\*x1\)\)$/);
    expect(rounded.latex).toContain('\\pi');
    expect(rounded.python).toContain('pi*x1');
    expect(rounded.python).not.toContain('^');
    const summary = summarizeRun(result);
    expect(summary.formula).toBe(precise);
    expect((summary.symbolic as { edge: string; fn: string; r2?: number }[]).map((e) => `${e.edge}:${e.fn}`).sort()).toEqual(chosen);
  }, 120_000);

  it('writes formulas of standardised CSV data in raw units, with the dataset names as variables', () => {
    const rng = new Rng(5);
    const rows = ['speed,mass kg,energy'];
    for (let s = 0; s < 300; s++) {
      const speed = rng.range(10, 30);
      const mass = rng.range(2, 8);
      rows.push(`${speed},${mass},${0.5 * mass + 0.02 * (speed - 5) ** 2}`);
    }
    const recipe = parseRecipe({
      seed: 1,
      data: { csv: 'data.csv', target: ['energy'] },
      kan: { width: [2, 1], grid: 5, k: 3 },
      steps: [
        { fit: { steps: 30 } },
        { autoSymbolic: { lib: ['x', 'x^2'], r2Threshold: 0.999 } },
        { fit: { steps: 30 } },
        { formula: { digits: 6 } },
      ],
    });
    const state = initialState(recipe, () => rows.join('\n'));
    expect(state.data.standardizer).not.toBeNull();
    const result = runSteps(state);
    const report = result.stages[3]!.details.formula as FormulaReport;
    expect(report.variables).toEqual({ speed: 'speed', mass_kg: 'mass kg' });
    expect(report.testRmse!).toBeLessThan(1e-4);
    const code = symbolicMath().parse(report.text).compile();
    for (const [speed, mass] of [[12, 3], [25, 7.5], [18.2, 4.4]] as const) {
      expect(code.evaluate({ speed, mass_kg: mass }) as number).toBeCloseTo(0.5 * mass + 0.02 * (speed - 5) ** 2, 3);
    }
    const js = new Function('speed', 'mass_kg', report.js) as (a: number, b: number) => number;
    expect(js(12, 3)).toBeCloseTo(0.5 * 3 + 0.02 * 49, 3);
  }, 60_000);

  it('runs named pruning, fixSymbolic and unfixSymbolic steps and marks numeric edges left in a formula', () => {
    const recipe = parseRecipe({
      seed: 2,
      data: { formula: 'sin(2*x1) + x2', vars: 2, train: 300, test: 100 },
      kan: { width: [2, 3, 1], grid: 5, k: 3 },
      steps: [
        { fit: { steps: 10 } },
        { prune: { nodes: ['1.2'], edges: ['0.0.1'] } },
        { fixSymbolic: { layer: 0, input: 1, output: 0, fn: 'x' } },
        { fixSymbolic: { layer: 0, input: 0, output: 0, fn: 'sin' } },
        { unfixSymbolic: { layer: 0, input: 0, output: 0 } },
        { formula: {} },
      ],
    });
    const state = initialState(recipe, noCsv);
    const result = runSteps(state);
    const [, pruned, fixX, fixSin, , formula] = result.stages;
    expect(pruned!.details.width).toEqual([2, 2, 1]);
    expect(pruned!.details.removedNodes).toEqual(['1.2']);
    expect(pruned!.details.maskedEdges).toEqual(['0.0.1']);
    expect(fixX!.details).toMatchObject({ edge: '0.1.0', fn: 'x' });
    expect(fixSin!.details.r2).toBeGreaterThan(0);
    const layer0 = state.kan.layers[0]!;
    expect([layer0.mask[0], layer0.symMask[0], layer0.mask[2], layer0.symMask[2]]).toEqual([1, 0, 0, 1]);
    const report = formula!.details.formula as FormulaReport;
    expect(report.numericEdges).toEqual(expect.arrayContaining(['0.0.0', '1.0.0', '1.1.0']));
    expect(report.text).toContain('phi_0_0_0(');
    expect(report.latex).toContain('\\varphi_{0,0,0}');
    expect(report.testRmse).toBeNull();
    expect(summarizeRun(result).symbolic).toEqual([expect.objectContaining({ edge: '0.1.0', fn: 'x' })]);

    const strict = parseRecipe({ ...recipe, steps: [{ formula: { numericEdges: 'error' } }] });
    expect(() => runSteps(initialState(strict, noCsv))).toThrow(/numeric edges? \(0\.0\.0, .*\).*autoSymbolic/);
  });

  it('rejects an unknown library function and a bad custom function with messages that say what to do', () => {
    const base = { seed: 0, data: { formula: 'x1', vars: 1, train: 50, test: 10 }, kan: { width: [1, 1], grid: 3 } };
    // Both are refused when the recipe is parsed, before any step trains.
    expect(() => parseRecipe({ ...base, steps: [{ autoSymbolic: { lib: ['x', 'bessel'] } }] })).toThrow(/steps\[0\]\.autoSymbolic\.lib\[1\]: unknown symbolic function "bessel"; the library has 0, x, x\^2/);
    expect(() => parseRecipe({ ...base, customFunctions: [{ name: 'wave', expr: 'sin(k*x)', complexity: 3 }], steps: [{ autoSymbolic: {} }] })).toThrow(/customFunctions\[0\]\.expr: custom function "wave": unknown symbol "k"/);
    const custom = parseRecipe({ ...base, customFunctions: [{ name: 'cube', expr: 'x^3', complexity: 1 }], steps: [{ fit: { steps: 5 } }, { fixSymbolic: { layer: 0, input: 0, output: 0, fn: 'cube' } }, { formula: {} }] });
    const result = runSteps(initialState(custom, noCsv));
    expect((result.stages[2]!.details.formula as FormulaReport).text).toMatch(/\^ 3/);
  });

  it('gives one formula per class for classification, scored by the accuracy of their argmax', () => {
    const recipe = parseRecipe({
      seed: 3,
      data: { csv: 'iris.csv', target: ['species'], task: 'classification' },
      kan: { width: [4, 3], grid: 3, k: 3 },
      steps: [{ fit: { steps: 10 } }, { autoSymbolic: { lib: ['x', 'x^2', 'x^3', 'tanh'], r2Threshold: 0 } }, { fit: { steps: 10 } }, { formula: {} }],
    });
    const result = runSteps(initialState(recipe, () => irisCsv));
    const reports = result.stages[3]!.details.formula as FormulaReport[];
    expect(reports.map((r) => r.output)).toEqual(result.state.data.classes);
    const modelAccuracy = trainedMetrics(result.stages[3]!.kan).testAccuracy!;
    expect(modelAccuracy).toBeGreaterThan(0.85);
    for (const r of reports) {
      expect(r.testRmse).toBeNull();
      expect(Math.abs(r.testAccuracy! - modelAccuracy)).toBeLessThanOrEqual(1 / 30 + 1e-12);
      expect(Object.keys(r.variables)).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    }
    expect(summarizeRun(result).formula).toHaveLength(3);
    expect((result.stages[3]!.details.latexDocument as string).match(/\\displaystyle/g)).toHaveLength(3);
  });
});
