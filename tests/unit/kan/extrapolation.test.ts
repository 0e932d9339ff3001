/**
 * Issue 16: a KAN trained on one range of inputs and asked about rows a little beyond it must err there about as much
 * as inside the range. Splines used to fade towards zero across their extension intervals (bases with no training
 * activation to pin them down, and no partition of unity there), so a target with an offset, as raw regression targets
 * have, was missed by a fraction of that offset as soon as a hidden activation left the grid.
 */
import { describe, expect, it } from 'vitest';
import { Kan } from '../../../app/kan/model';
import { fit, evaluateBatch } from '../../../app/train/fit';
import type { Batch } from '../../../app/train/types';
import { Rng } from '../../../app/util/rng';

/** y = 50 + 20 x1 - 10 x2 + noise, x uniform in [-1, 1]^2, or with one input up to 25% beyond that range. */
function rows(n: number, rng: Rng, beyond: boolean): Batch {
  const x = new Float64Array(2 * n);
  const y = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < 2; i++) x[2 * s + i] = rng.range(-1, 1);
    if (beyond) x[2 * s + rng.int(2)] = (rng.uniform() < 0.5 ? -1 : 1) * rng.range(1, 1.25);
    y[s] = 50 + 20 * x[2 * s]! - 10 * x[2 * s + 1]! + rng.normal();
  }
  return { x, y, n };
}

describe('a trained KAN beyond its training range', () => {
  it('errs at most 3 times as much on rows up to 25% past the training range as on rows inside it', () => {
    const rng = new Rng(3);
    const train = rows(200, rng, false);
    const inside = rows(400, rng, false);
    const beyond = rows(400, rng, true);
    for (const seed of [0, 1, 2]) {
      const kan = Kan.create({ width: [2, 3, 1], grid: 5, k: 3 }, new Rng(seed));
      fit(kan, { train, test: inside }, 'regression', { opt: 'lbfgs', steps: 30 }, { seed });
      const insideRmse = evaluateBatch(kan, inside, 'regression').metric;
      const beyondRmse = evaluateBatch(kan, beyond, 'regression').metric;
      expect(insideRmse).toBeLessThan(2);
      expect(beyondRmse / insideRmse, `seed ${seed}: RMSE ${beyondRmse} beyond the range, ${insideRmse} inside`).toBeLessThan(3);
    }
  });
});
