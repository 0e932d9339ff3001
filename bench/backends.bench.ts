/**
 * Compute backends benchmark (issue 6, item 5): seconds per Adam step (objective, gradient, update) of KAN [784,64,10]
 * and [100,100,100,1] at G = 5 and 20, batch 1024 and 16384, on every backend that can run here, and the chooser's
 * pick for each size (the same rule as chooseBackend: fastest, the reference unless another takes at most 95% of its
 * time). A step at full size is estimated first (from the same backend's step on the smaller batch, else from a
 * 32-row probe); one estimated above the limit (KANBENCH_BENCH_MAX_STEP_S, default 20 s) is reported as skipped, as
 * is everything once the total budget (KANBENCH_BENCH_BUDGET_S, default 300 s) is spent, so the whole run stays near
 * five minutes on a 2-core machine.
 *
 * A step is timed as in mini-batch training: after one untimed step at full size (kernels compiled, buffers allocated),
 * each timed step takes a batch other than the step before, so every backend computes the first layer's basis anew.
 */
import os from 'node:os';
import type { ComputeBackend } from '../app/compute/contract';
import { Kan } from '../app/kan/model';
import { Mlp } from '../app/mlp';
import { Adam } from '../app/train/optim/adam';
import type { Batch, DifferentiableModel, Task } from '../app/train/types';
import { Rng } from '../app/util/rng';
import { createTrainable, pickFastest } from '../app/compute/chooser';
import { AcceleratedKan } from '../app/compute/accelerated-kan';
import { disposeBackends, listBackends, loadBackend } from '../app/compute/registry';
import { registerNodeBackends } from '../main/compute';
import { syntheticBatch } from '../main/cli/bench-backends';

type Figures = Record<string, number | string>;

/** The cheaper width first, so that a spent budget cuts the most expensive measurements. */
const WIDTHS = [[100, 100, 100, 1], [784, 64, 10]];
const GRIDS = [5, 20];
const BATCHES = [1024, 16384];
/** Rows of the batch that estimates a full step (and compiles the gpu.js kernels); few, as slow backends pay them too. */
const PROBE_ROWS = 32;
/** Most relevant first, so that a spent budget cuts the least informative measurements. */
const ORDER = ['reference', 'threads-wasm', 'wasm', 'threads', 'gpujs-webgpu', 'gpujs-headlessgl', 'gpujs-webgl2', 'gpujs-webgl', 'gpujs-webasm', 'gpujs-cpu'];

export async function run(): Promise<Figures> {
  const maxStep = Number(process.env.KANBENCH_BENCH_MAX_STEP_S ?? 20);
  const budget = Number(process.env.KANBENCH_BENCH_BUDGET_S ?? 300);
  const started = performance.now();
  const spent = (): number => (performance.now() - started) / 1000;
  registerNodeBackends();
  const infos = await listBackends();
  const figures: Figures = {
    machine: `${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${os.availableParallelism()} cores, load average ${os.loadavg()[0]!.toFixed(1)}`,
  };
  for (const info of infos) if (!info.available) figures[`${info.name} unavailable`] = info.reason;
  const names = infos.filter((b) => b.available && b.synchronous).map((b) => b.name)
    .sort((a, b) => rank(a) - rank(b));

  /** Per width and grid, seconds per step on the smaller batch (measured, else estimated): the estimate for the larger. */
  const measuredBefore = new Map<string, Record<string, { n: number; seconds: number }>>();
  // Every size at the small batch first, so that a spent budget cuts the large batches, not whole widths.
  for (const n of BATCHES) {
    for (const width of WIDTHS) {
      for (const grid of GRIDS) {
        const shapeKey = `${width.join(',')}|${grid}`;
        if (!measuredBefore.has(shapeKey)) measuredBefore.set(shapeKey, {});
        const before = measuredBefore.get(shapeKey)!;
        const label = `[${width.join(',')}] G${grid} n${n}`;
        const nOut = width[width.length - 1]!;
        const task: Task = nOut > 1 ? 'classification' : 'regression';
        const rng = new Rng(1);
        const kan = Kan.create({ width, grid, k: 3 }, rng);
        kan.regularization = { lamb: 0.001, lambL1: 1, lambEntropy: 2, lambCoef: 0, lambCoefDiff: 0 };
        const batch = syntheticBatch(width[0]!, nOut, n, task, rng);
        const other = syntheticBatch(width[0]!, nOut, n, task, rng);
        const probe: Batch = { x: batch.x.subarray(0, PROBE_ROWS * width[0]!), y: batch.y.subarray(0, PROBE_ROWS * (task === 'regression' ? nOut : 1)), n: PROBE_ROWS };
        const seconds: Record<string, number> = {};
        const estimates: Record<string, number> = {};
        let referenceProbe = NaN;
        for (const name of names) {
          const key = `${label} ${name} s/step`;
          if (spent() > budget) {
            figures[key] = `skipped (bench budget of ${budget} s spent)`;
            continue;
          }
          try {
            // A step on the smaller batch (measured, or estimated there) scales better than a probe; the probe also
            // compiles the kernels, so it runs whenever the step will.
            const smaller = before[name];
            let estimate = smaller ? (smaller.seconds * n) / smaller.n : Infinity;
            const model = estimate <= maxStep || !smaller ? createTrainable(kan, await loadBackend(name)) : null;
            let probed = NaN;
            if (model) {
              probed = probeSeconds(model, probe, task);
              if (name === 'reference') referenceProbe = probed;
              if (!smaller) estimate = (probed * n) / PROBE_ROWS;
            }
            estimates[name] = estimate;
            before[name] = { n, seconds: estimate };
            // The chooser's rule: a backend more than 3x slower than the reference on the same batch is not timed further.
            // Only for the float32 (gpu.js) backends: the Float64 ones run the reference's or the wasm kernels, and on 32
            // rows a threaded one measures mostly its hand-offs between threads.
            const precision = infos.find((b) => b.name === name)?.precision;
            if (model && precision === 'float32' && referenceProbe > 0.005 && probed > 3 * referenceProbe) {
              figures[key] = `skipped (clearly slower: ${(probed / referenceProbe).toFixed(1)}x the reference on ${PROBE_ROWS} rows; estimated ${estimate.toFixed(1)} s/step)`;
            } else if (!model || estimate > maxStep) {
              figures[key] = `skipped (estimated ${estimate.toFixed(0)} s/step > ${maxStep} s)`;
            } else if (spent() + 3 * estimate > budget) {
              figures[key] = `skipped (estimated ${estimate.toFixed(1)} s/step would overrun the bench budget)`;
            } else {
              seconds[name] = adamSeconds(model, [batch, other], task, estimate < 1 ? 3 : 1);
              figures[key] = seconds[name]!;
              before[name] = { n, seconds: seconds[name]! };
            }
            if (model instanceof AcceleratedKan) model.dispose();
          } catch (err) {
            figures[key] = `failed: ${err instanceof Error ? err.message : String(err)}`;
          }
        }
        const pick = Object.keys(seconds).length > 0 ? pickFastest(seconds, 0.95) : null;
        figures[`${label} pick`] = pick ?? 'nothing measured';
        if (pick && pick !== 'reference') {
          if (seconds.reference !== undefined) figures[`${label} pick speed-up vs reference`] = seconds.reference / seconds[pick]!;
          else if (estimates.reference !== undefined) figures[`${label} pick speed-up vs reference (estimated, not run)`] = estimates.reference / seconds[pick]!;
        }
      }
    }
  }
  // The MLP baseline trains beside every KAN: its dense products on the backends that offer their own (wasm SIMD).
  for (const name of ['reference', ...names.filter((b) => b === 'wasm' || b === 'threads-wasm')]) {
    const rng = new Rng(3);
    const mlp = Mlp.create({ width: [784, 256, 10], activation: 'silu' }, rng);
    if (name !== 'reference') {
      const backend = (await loadBackend(name)) as ComputeBackend;
      mlp.useMatmul((a, b, rows, inner, cols) => backend.matmul(a, b, rows, inner, cols) as Float64Array);
    }
    const pair: [Batch, Batch] = [syntheticBatch(784, 10, 1024, 'classification', rng), syntheticBatch(784, 10, 1024, 'classification', rng)];
    figures[`MLP [784,256,10] n1024 ${name === 'reference' ? 'own kernels' : `${name} matmul`} s/step`] = adamSeconds(mlp, pair, 'classification', 3);
  }
  await disposeBackends();
  figures['bench seconds'] = spent();
  return figures;
}

function rank(name: string): number {
  const at = ORDER.indexOf(name);
  return at < 0 ? ORDER.length : at;
}

/** One call to compile and warm up, then one timed call, on the small batch. */
function probeSeconds(model: ReturnType<typeof createTrainable>, batch: Batch, task: Task): number {
  const grad = new Float64Array(model.params.length);
  model.lossAndGrad(batch, task, grad);
  const started = performance.now();
  model.lossAndGrad(batch, task, grad);
  return (performance.now() - started) / 1000;
}

/**
 * Mean seconds per Adam step over `steps` steps after one untimed step, alternating between two batches so that no step
 * reuses the basis of the one before (parameters do change: these are real steps).
 */
function adamSeconds(model: DifferentiableModel, batches: [Batch, Batch], task: Task, steps: number): number {
  const grad = new Float64Array(model.params.length);
  const adam = new Adam(model.params.length, { lr: 1e-3 });
  model.lossAndGrad(batches[0], task, grad);
  adam.step(model.params, grad);
  const started = performance.now();
  for (let s = 1; s <= steps; s++) {
    model.lossAndGrad(batches[s % 2]!, task, grad);
    adam.step(model.params, grad);
  }
  return (performance.now() - started) / 1000 / steps;
}
