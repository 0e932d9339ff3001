/** Measures how long one training step (loss and gradient over a batch) of a KAN of a given size takes on this machine. */
import { Kan } from '../../app/kan/model';
import { Rng } from '../../app/util/rng';

export interface ProbeSpec {
  width: number[];
  grid: number;
  k: number;
  batch: number;
}

/** Seconds per full-batch loss-and-gradient pass, the median of a few after one warm-up. */
export function probeSpeed(spec: ProbeSpec, budgetSeconds = 2): number {
  const rng = new Rng(1);
  const kan = Kan.create({ width: spec.width, grid: spec.grid, k: spec.k }, rng);
  const nIn = spec.width[0]!;
  const nOut = spec.width[spec.width.length - 1]!;
  const x = new Float64Array(spec.batch * nIn).map(() => rng.range(-1, 1));
  const y = new Float64Array(spec.batch * nOut).map(() => rng.range(-1, 1));
  const grad = new Float64Array(kan.params.length);
  const batch = { x, y, n: spec.batch };
  kan.lossAndGrad(batch, 'regression', grad);
  const times: number[] = [];
  const started = performance.now();
  while (times.length < 5 && (times.length === 0 || performance.now() - started < budgetSeconds * 1000)) {
    const t0 = performance.now();
    kan.lossAndGrad(batch, 'regression', grad);
    times.push((performance.now() - t0) / 1000);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
