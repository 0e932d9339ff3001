/** Shared fixtures of the compute tests: small KANs with non-uniform grids, masked edges and inputs beyond the grid. */
import { updateGridFromSamples } from '../../../app/kan/grid';
import type { BaseKind } from '../../../app/kan/layer';
import { Kan } from '../../../app/kan/model';
import type { Batch, Task } from '../../../app/train/types';
import { Rng } from '../../../app/util/rng';

export interface Fixture {
  name: string;
  kan: Kan;
  batch: Batch;
  task: Task;
}

/**
 * A KAN whose grids were adapted to its data (non-uniform knots), with two masked edges, evaluated on inputs that reach
 * beyond the grid (tangent-extended bases) and a full regulariser.
 */
export function fixture(width: number[], grid: number, k: number, base: BaseKind, n: number, task: Task, seed: number): Fixture {
  const rng = new Rng(seed);
  const kan = Kan.create({ width, grid, k, base }, rng);
  const nIn = width[0]!;
  const nOut = width[width.length - 1]!;
  const gridData = new Float64Array(n * nIn).map(() => rng.normal() * 0.6);
  updateGridFromSamples(kan, gridData, n, 0.3, 0);
  kan.layers[0]!.mask[1] = 0;
  kan.layers[kan.layers.length - 1]!.mask[0] = 0;
  kan.regularization = { lamb: 0.01, lambL1: 1, lambEntropy: 2, lambCoef: 0.05, lambCoefDiff: 0.05 };
  const x = new Float64Array(n * nIn).map(() => rng.range(-2.5, 2.5));
  const y = task === 'regression' ? new Float64Array(n * nOut).map(() => rng.normal()) : new Float64Array(n).map(() => rng.int(nOut));
  return { name: `[${width.join(',')}] G=${grid} k=${k} ${base} ${task}`, kan, batch: { x, y, n }, task };
}

/** ||a - b|| / ||b|| (absolute when b is zero). */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let q = 0; q < b.length; q++) {
    diff += (a[q]! - b[q]!) ** 2;
    norm += b[q]! ** 2;
  }
  return norm > 0 ? Math.sqrt(diff / norm) : Math.sqrt(diff);
}

/** Agreement required of a backend, by the precision of its arithmetic (float32 errors here measure around 1e-7). */
export function toleranceFor(precision: 'float64' | 'float32'): number {
  return precision === 'float64' ? 1e-11 : 2e-5;
}
