/**
 * Rows of a law for the discovery tests: inputs uniform in their ranges (seeded), the target the law's exact value; as
 * FitData, or as a discovery problem with the law itself as its oracle.
 */
import type { DiscoverInput } from '../../../app/discover/discover';
import { standardisedTarget } from '../../../app/discover/structures';
import type { FitData } from '../../../app/symbolic/algebra/constants';
import type { Batch } from '../../../app/train/types';
import { Rng } from '../../../app/util/rng';

export function rows(law: (x: number[]) => number, ranges: [number, number][], n = 400, seed = 5): FitData {
  const rng = new Rng(seed);
  const columns = ranges.map(() => new Float64Array(n));
  const y = new Float64Array(n);
  for (let s = 0; s < n; s++) {
    const x = ranges.map(([lo, hi], i) => (columns[i]![s] = rng.range(lo, hi)));
    y[s] = law(x);
  }
  return { columns, y, n };
}

/** A problem of raw inputs (no standardiser) drawn uniformly from ranges, with y = law(x) and a 200-row validation split. */
export function problemOf(law: (x: number[]) => number, ranges: [number, number][], rows = 600): DiscoverInput {
  const rng = new Rng(3);
  const nIn = ranges.length;
  const make = (n: number): { batch: Batch; columns: Float64Array[] } => {
    const x = new Float64Array(n * nIn);
    const y = new Float64Array(n);
    for (let s = 0; s < n; s++) {
      const row = ranges.map(([lo, hi]) => lo + (hi - lo) * rng.uniform());
      row.forEach((v, i) => (x[s * nIn + i] = v));
      y[s] = law(row);
    }
    return { batch: { x, y, n }, columns: ranges.map((_, i) => Float64Array.from({ length: n }, (_, s) => x[s * nIn + i]!)) };
  };
  const train = make(rows);
  const validation = make(200);
  return {
    inputNames: ranges.map((_, i) => `x${i + 1}`),
    standardizer: null,
    train: train.batch,
    validation: validation.batch,
    rawTrain: { columns: train.columns, y: train.batch.y, n: rows },
    rawValidation: { columns: validation.columns, y: validation.batch.y, n: 200 },
  };
}

/**
 * The law itself as the oracle (model inputs are raw here), predicting the target standardised as a trained oracle does
 * (exact gradients, up to differencing); `error` adds a misfit of the caller's choosing.
 */
export function lawOracle(law: (x: number[]) => number, problem: DiscoverInput, error: (x: number[]) => number = () => 0): { forward: (x: Float64Array, n: number) => Float64Array } {
  const nIn = problem.inputNames.length;
  const { mean, scale } = standardisedTarget(problem.train, problem.validation);
  return {
    forward: (x, n) => Float64Array.from({ length: n }, (_, s) => {
      const row = Array.from({ length: nIn }, (_, i) => x[s * nIn + i]!);
      return (law(row) + error(row) - mean) / scale;
    }),
  };
}
