import { describe, expect, it } from 'vitest';
import { Kan } from '../../../app/kan/model';
import type { SymbolicFunction } from '../../../app/kan/layer';
import { Rng } from '../../../app/util/rng';
import type { Batch, Task } from '../../../app/train/types';

function randomBatch(nIn: number, nOut: number, n: number, task: Task, seed: number): Batch {
  const rng = new Rng(seed);
  const x = new Float64Array(n * nIn).map(() => rng.range(-1.2, 1.2));
  const y = task === 'regression' ? new Float64Array(n * nOut).map(() => rng.normal()) : new Float64Array(n).map(() => rng.int(nOut));
  return { x, y, n };
}

/** Largest relative error between the analytic gradient and central differences, over all parameters. */
function gradientError(kan: Kan, batch: Batch, task: Task, indices?: number[]): number {
  const grad = new Float64Array(kan.params.length);
  kan.lossAndGrad(batch, task, grad);
  const scratch = new Float64Array(kan.params.length);
  let worst = 0;
  const h = 1e-6;
  for (const i of indices ?? kan.params.keys()) {
    const orig = kan.params[i]!;
    kan.params[i] = orig + h;
    const up = kan.lossAndGrad(batch, task, scratch).objective;
    kan.params[i] = orig - h;
    const down = kan.lossAndGrad(batch, task, scratch).objective;
    kan.params[i] = orig;
    const fd = (up - down) / (2 * h);
    const err = Math.abs(fd - grad[i]!) / Math.max(1e-3, Math.abs(fd) + Math.abs(grad[i]!));
    worst = Math.max(worst, err);
  }
  return worst;
}

const sine: SymbolicFunction = { name: 'sin', f: Math.sin, df: Math.cos };

describe('KAN gradients match central finite differences', () => {
  for (const k of [1, 2, 3]) {
    it(`[3,4,2] regression, k=${k}, no regulariser`, () => {
      const kan = Kan.create({ width: [3, 4, 2], grid: 5, k }, new Rng(1));
      const rng = new Rng(9);
      for (let i = 0; i < kan.params.length; i++) kan.params[i]! += 0.3 * rng.normal();
      expect(gradientError(kan, randomBatch(3, 2, 17, 'regression', 2), 'regression')).toBeLessThan(1e-6);
    });
  }

  it('classification with the L1 + entropy and coefficient regularisers, mixed numeric and symbolic edges', () => {
    const kan = Kan.create({ width: [2, 3, 3], grid: 4, k: 3 }, new Rng(3));
    const rng = new Rng(4);
    for (let i = 0; i < kan.params.length; i++) kan.params[i]! += 0.2 * rng.normal();
    kan.regularization = { lamb: 0.1, lambL1: 1, lambEntropy: 2, lambCoef: 0.5, lambCoefDiff: 0.7 };
    const l0 = kan.layers[0]!;
    l0.mask[1] = 0;
    l0.symMask[1] = 1;
    l0.symFns[1] = sine;
    kan.layers[1]!.mask[4] = 0; // a pruned edge: its parameters get no gradient
    const batch = randomBatch(2, 3, 23, 'classification', 5);
    expect(gradientError(kan, batch, 'classification')).toBeLessThan(1e-6);
    const grad = new Float64Array(kan.params.length);
    kan.lossAndGrad(batch, 'classification', grad);
    const l1 = kan.layers[1]!;
    expect(grad[l1.wbOffset + 4]).toBe(0);
    expect(grad[l1.wsOffset + 4]).toBe(0);
  });

  it('inputs beyond the grid follow the tangents of the splines, and gradients still match', () => {
    const kan = Kan.create({ width: [1, 2, 1], grid: 3, k: 3 }, new Rng(7));
    const batch: Batch = { x: Float64Array.from([-5, -2.1, 0.3, 2.4, 9]), y: Float64Array.from([1, 0, -1, 0.5, 2]), n: 5 };
    expect(gradientError(kan, batch, 'regression')).toBeLessThan(1e-6);
  });
});
