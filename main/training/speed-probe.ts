/** Times one training step (loss and gradient over a batch) of a KAN of a given size on every compute backend here. */
import { Kan } from '../../app/kan/model';
import { Rng } from '../../app/util/rng';
import { chooseBackendForRun } from '../compute';

export interface ProbeSpec {
  width: number[];
  grid: number;
  k: number;
  batch: number;
  /** Where the pick is remembered for later runs of this size, or null. */
  dataFolder: string | null;
}

export interface ProbeResult {
  pick: string;
  timings: { name: string; secondsPerStep: number | null; error?: string }[];
}

/** Measures every available backend on a random batch of the given shape (forcing a fresh measurement) and picks one. */
export async function probeSpeed(spec: ProbeSpec): Promise<ProbeResult> {
  const rng = new Rng(1);
  const kan = Kan.create({ width: spec.width, grid: spec.grid, k: spec.k }, rng);
  const nIn = spec.width[0]!;
  const nOut = spec.width[spec.width.length - 1]!;
  const x = new Float64Array(spec.batch * nIn).map(() => rng.range(-1, 1));
  const y = new Float64Array(spec.batch * nOut).map(() => rng.range(-1, 1));
  const decision = await chooseBackendForRun(kan, { x, y, n: spec.batch }, 'regression', {
    // Every backend is timed as the machine is now, threaded ones too, however busy the other cores are.
    requested: 'auto', force: true, freeCores: Number.POSITIVE_INFINITY, ...(spec.dataFolder ? { userDataFolder: spec.dataFolder } : {}),
  });
  const names = new Set([...Object.keys(decision.secondsPerCall), ...Object.keys(decision.rejected)]);
  return {
    pick: decision.backend,
    timings: [...names].map((name) => ({
      name,
      secondsPerStep: decision.secondsPerCall[name] ?? null,
      ...(decision.rejected[name] ? { error: decision.rejected[name] } : {}),
    })),
  };
}
