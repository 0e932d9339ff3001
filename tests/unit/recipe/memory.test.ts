import { describe, expect, it } from 'vitest';

import { admissionProblem, csvShapeOf, estimateRunMemory } from '../../../app/recipe/memory';
import { parseRecipe, type RecipeInput } from '../../../app/recipe/schema';

const GB = 1024 ** 3;
const formulaData = { formula: 'x1*x2', vars: 2, train: 1000, test: 1000 };

function recipe(kan: RecipeInput['kan'], steps: RecipeInput['steps'] = [{ fit: { steps: 10 } }], data: RecipeInput['data'] = formulaData) {
  return parseRecipe({ data, kan, steps });
}

function shapeOf(r: ReturnType<typeof recipe>) {
  return 'formula' in r.data ? { rows: r.data.train + r.data.test, columns: r.data.vars + 1, csv: false } : { rows: 0, columns: 0, csv: true };
}

describe('estimateRunMemory', () => {
  it('puts the issue\'s [100, 100000, 1] KAN far above a laptop\'s memory and a toy KAN under 50 MB', () => {
    const wide = recipe({ width: [100, 100_000, 1], grid: 3 }, [{ fit: { steps: 10 } }], { formula: 'x1', vars: 100, train: 1000, test: 1000 });
    const estimate = estimateRunMemory(wide, shapeOf(wide));
    // 1.4e8 parameters: 1.1 GB of them, and L-BFGS keeps 20 more vectors of that size.
    expect(estimate.parts.parameters).toBeGreaterThan(1 * GB);
    expect(estimate.total).toBeGreaterThan(20 * GB);
    const toy = recipe({ width: [2, 5, 1], grid: 5 });
    expect(estimateRunMemory(toy, shapeOf(toy)).total).toBeLessThan(50 * 1024 ** 2);
  });

  it('grows with the grid a refine step reaches, with the rows and with Adam less than with L-BFGS', () => {
    const base = recipe({ width: [2, 50, 1], grid: 5 });
    const refined = recipe({ width: [2, 50, 1], grid: 5 }, [{ fit: { steps: 10 } }, { refine: { grid: 200 } }]);
    expect(estimateRunMemory(refined, shapeOf(refined)).parts.parameters).toBeGreaterThan(10 * estimateRunMemory(base, shapeOf(base)).parts.parameters);
    const adam = recipe({ width: [2, 50, 1], grid: 5 }, [{ fit: { steps: 10, opt: 'adam' } }]);
    expect(estimateRunMemory(adam, shapeOf(adam)).parts.optimiser).toBeLessThan(estimateRunMemory(base, shapeOf(base)).parts.optimiser / 3);
    const manyRows = recipe({ width: [2, 50, 1], grid: 5 }, [{ fit: { steps: 10 } }], { ...formulaData, train: 1_000_000 });
    const batched = recipe({ width: [2, 50, 1], grid: 5 }, [{ fit: { steps: 10, batch: 1000 } }], { ...formulaData, train: 1_000_000 });
    expect(estimateRunMemory(batched, shapeOf(batched)).parts.caches).toBeLessThan(estimateRunMemory(manyRows, shapeOf(manyRows)).parts.caches / 100);
  });

  it('counts the largest KAN of a sweep', () => {
    const plain = recipe({ width: [2, 5, 1] });
    const swept = recipe({ width: [2, 5, 1] }, [{ sweep: { kan: { widths: [[4096, 4096]], grids: [100] } } }]);
    expect(estimateRunMemory(swept, shapeOf(swept)).total).toBeGreaterThan(100 * estimateRunMemory(plain, shapeOf(plain)).total);
  });
});

describe('admissionProblem', () => {
  it('says nothing of a run that fits', () => {
    const toy = recipe({ width: [2, 5, 1] });
    expect(admissionProblem(toy, estimateRunMemory(toy, shapeOf(toy)), GB, 'test limit')).toBeNull();
  });

  it('gives the estimate by part, the limit and its source, and the shape to shrink', () => {
    const wide = recipe({ width: [2, 100_000, 1], grid: 100 }, [{ fit: { steps: 10 } }], { ...formulaData, train: 10, test: 10 });
    const message = admissionProblem(wide, estimateRunMemory(wide, shapeOf(wide)), 4 * GB, 'half of the 8.0 GB free now');
    expect(message).toMatch(/^this run would need about \d+\.\d GB of memory \(parameters [\d.]+ [MG]B, optimiser state [\d.]+ GB, basis caches and activations .*, data .*\), more than the 4\.0 GB allowed \(half of the 8\.0 GB free now\)\./);
    expect(message).toContain('narrow kan.width [2, 100000, 1] or lower the grid (100), or train with opt "adam"');
  });

  it('asks for a smaller batch or fewer rows when the rows dominate', () => {
    const tall = recipe({ width: [2, 64, 1], grid: 3 }, [{ fit: { steps: 10, opt: 'adam' } }], { ...formulaData, train: 5_000_000 });
    const message = admissionProblem(tall, estimateRunMemory(tall, shapeOf(tall)), 1024 ** 2 * 64, 'a test limit');
    expect(message).toContain('set a smaller fit.batch (rows per step), use fewer rows, or narrow kan.width [2, 64, 1]');
  });
});

describe('csvShapeOf', () => {
  it('counts rows by line breaks and columns by the header\'s delimiter', () => {
    expect(csvShapeOf('a;b;c\n1;2;3\n4;5;6\n')).toEqual({ rows: 3, columns: 3, csv: true });
    expect(csvShapeOf('x,y\r\n1,2')).toEqual({ rows: 1, columns: 2, csv: true });
  });
});
