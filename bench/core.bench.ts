/**
 * Core engine benchmark (issue 2, section 8): (a) L-BFGS recipes and the grid-extension experiment, (b) one Adam step of
 * KAN [784,64,10] and MLP [784,256,10] at batch 1024, (c) one forward+backward of [2,5,1] at G = 5, 50, 500, and (d) the
 * peak memory of each, all on the plain TypeScript Float64 reference kernels; (e) a mini-batch fit on a larger set.
 */
import { BasisScratch, NO_SUPPORT, buildKnotTables, cubicBasisColumn, uniformKnots } from '../app/kan/bspline';
import { updateGridFromSamples } from '../app/kan/grid';
import { Kan } from '../app/kan/model';
import { Mlp } from '../app/mlp';
import { initialState, runSteps, trainedMetrics, type RunResult } from '../app/recipe/runner';
import { parseRecipe, type RecipeInput } from '../app/recipe/schema';
import { Adam } from '../app/train/optim/adam';
import type { Batch, DifferentiableModel, Task } from '../app/train/types';
import { Rng } from '../app/util/rng';

type Figures = Record<string, number | string>;

const FORMULA_DATA = { formula: 'exp(sin(pi*x1)+x2^2)', vars: 2, range: [-1, 1] as [number, number], train: 1000, test: 1000 };

/** The recipe of issue 2 without the MLP. */
const ISSUE_RECIPE: RecipeInput = {
  seed: 0,
  data: FORMULA_DATA,
  kan: { width: [2, 5, 1], grid: 3, k: 3 },
  steps: [{ fit: { opt: 'lbfgs', steps: 50, lamb: 0.001, lambEntropy: 2 } }, { refine: { grid: 10 } }, { fit: { opt: 'lbfgs', steps: 50 } }],
};

/** pykan's reference timing: 50 L-BFGS steps of [2,5,1], G=5, N=1000, lambda 0.01. */
const PYKAN_FIT_RECIPE: RecipeInput = {
  seed: 0,
  data: FORMULA_DATA,
  kan: { width: [2, 5, 1], grid: 5, k: 3 },
  steps: [{ fit: { opt: 'lbfgs', steps: 50, lamb: 0.01 } }],
};

/** The paper's grid-extension experiment on [2,1,1]: 200 L-BFGS steps at each grid, refining in between (pykan defaults). */
const EXTENSION_GRIDS = [3, 5, 10, 20, 50, 100];
const EXTENSION_RECIPE: RecipeInput = {
  seed: 0,
  data: FORMULA_DATA,
  kan: { width: [2, 1, 1], grid: EXTENSION_GRIDS[0]!, k: 3 },
  steps: EXTENSION_GRIDS.flatMap((grid, q) => [
    ...(q === 0 ? [] : [{ refine: { grid } }]),
    { fit: { opt: 'lbfgs' as const, steps: 200 } },
  ]),
};

/** Mini-batch training on a larger set: what a fit costs when each step is reported on its batch and a test sample. */
const MINIBATCH_RECIPE: RecipeInput = {
  seed: 0,
  data: { formula: 'sin(pi*x1)*x2 + x3^2 - x4', vars: 4, range: [-1, 1], train: 20000, test: 5000 },
  kan: { width: [4, 8, 1], grid: 5, k: 3 },
  steps: [{ fit: { opt: 'adam', steps: 200, batch: 256, lr: 0.01 } }],
};

const noCsv = (): string => {
  throw new Error('the core benchmark uses formula datasets only');
};

const MB = 1024 * 1024;

/**
 * Runs fn and reports its peak memory. The work is synchronous, so memory is sampled at the checkpoints fn calls
 * (after every optimiser step, or around a timed loop) and once at the end: the heap figure is the largest heapUsed seen minus
 * heapUsed after a full GC before the run; RSS is the largest resident set seen.
 */
function withMemory<T>(fn: (checkpoint: () => void) => T): { result: T; peakRssMB: number; heapDeltaMB: number } {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const checkpoint = (): void => {
    const now = process.memoryUsage();
    if (now.rss > peakRss) peakRss = now.rss;
    if (now.heapUsed > peakHeap) peakHeap = now.heapUsed;
  };
  const result = fn(checkpoint);
  checkpoint();
  return { result, peakRssMB: peakRss / MB, heapDeltaMB: (peakHeap - before.heapUsed) / MB };
}

/** Counts Kan.lossAndGrad calls made while fn runs (for the cost per objective evaluation inside L-BFGS). */
function countingEvaluations<T>(fn: () => T): { result: T; evaluations: number } {
  const original = Kan.prototype.lossAndGrad;
  let evaluations = 0;
  Kan.prototype.lossAndGrad = function (this: Kan, batch: Batch, task: Task, grad: Float64Array) {
    evaluations++;
    return original.call(this, batch, task, grad);
  };
  try {
    return { result: fn(), evaluations };
  } finally {
    Kan.prototype.lossAndGrad = original;
  }
}

/** Wall-clock and CPU seconds (this process, all threads) of fn: on a shared machine the CPU figure is the steadier one. */
function measure<T>(fn: () => T): { result: T; wall: number; cpu: number } {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const result = fn();
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { result, wall, cpu: (cpu.user + cpu.system) / 1e6 };
}

interface PerCall {
  /** Mean wall-clock seconds per call. */
  wall: number;
  /** Mean CPU seconds per call. */
  cpu: number;
  repeats: number;
}

/**
 * Seconds per call: one warm-up call, then repeats until minSeconds of wall time have passed (at least minRepeats).
 * Memory is sampled after the warm-up (which allocates every buffer) and at the end, not per call: a sample costs
 * tens of microseconds, too much beside a sub-millisecond call.
 */
function timePerCall(fn: () => void, minSeconds: number, minRepeats = 3, checkpoint: () => void = () => {}): PerCall {
  fn();
  checkpoint();
  let repeats = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let elapsed = 0;
  while (repeats < minRepeats || elapsed < minSeconds) {
    fn();
    repeats++;
    elapsed = (performance.now() - t0) / 1000;
  }
  const cpu = process.cpuUsage(cpu0);
  checkpoint();
  return { wall: elapsed / repeats, cpu: (cpu.user + cpu.system) / 1e6 / repeats, repeats };
}

/** "1.234 s (cpu 1.200)" with the given scale and unit. */
function wallAndCpu(t: { wall: number; cpu: number }, scale = 1, unit = 's', digits = 3): string {
  return `${(t.wall * scale).toFixed(digits)} ${unit} (cpu ${(t.cpu * scale).toFixed(digits)})`;
}

function finalTestRmse(result: RunResult): number {
  return trainedMetrics(result.stages[result.stages.length - 1]!.kan).testRmse ?? Number.NaN;
}

/** Runs a recipe (data generation included) and counts its objective evaluations. */
function runRecipe(input: RecipeInput, checkpoint: () => void): { result: RunResult; wall: number; cpu: number; evaluations: number } {
  const recipe = parseRecipe(input);
  const { result, wall, cpu } = measure(() => countingEvaluations(() => runSteps(initialState(recipe, noCsv), { events: { onProgress: checkpoint } })));
  return { result: result.result, wall, cpu, evaluations: result.evaluations };
}

function benchRecipes(out: Figures): void {
  const issue = withMemory((cp) => runRecipe(ISSUE_RECIPE, cp));
  const fits = issue.result.result.stages.filter((s) => s.step === 'fit');
  out['(a) recipe [2,5,1] G3 -> refine 10 (target 0.5 s)'] = wallAndCpu(issue.result);
  out['(a) recipe: seconds per fit stage'] = fits.map((s) => s.seconds.toFixed(3)).join(', ');
  out['(a) recipe: objective evaluations'] = issue.result.evaluations;
  out['(a) recipe: ms per evaluation, all-in'] = wallAndCpu(issue.result, 1000 / issue.result.evaluations, 'ms');
  out['(a) recipe: final test RMSE'] = finalTestRmse(issue.result.result);
  out['(d) recipe: peak RSS MB'] = issue.peakRssMB;
  out['(d) recipe: heap delta MB'] = issue.heapDeltaMB;

  const pykan = withMemory((cp) => runRecipe(PYKAN_FIT_RECIPE, cp));
  out['(a) 50 L-BFGS [2,5,1] G5 N1000 lamb 0.01 (pykan 10.8 s)'] = wallAndCpu(pykan.result);
  out['(a) 50 L-BFGS: objective evaluations'] = pykan.result.evaluations;
  out['(a) 50 L-BFGS: test RMSE'] = finalTestRmse(pykan.result.result);
  out['(d) 50 L-BFGS: peak RSS MB'] = pykan.peakRssMB;
  out['(d) 50 L-BFGS: heap delta MB'] = pykan.heapDeltaMB;

  const extension = withMemory((cp) => runRecipe(EXTENSION_RECIPE, cp));
  const extensionFits = extension.result.result.stages.filter((s) => s.step === 'fit');
  out['grid extension [2,1,1] G 3..100 x 200 steps (pykan 126 s)'] = wallAndCpu(extension.result);
  out['grid extension: objective evaluations'] = extension.result.evaluations;
  out['grid extension: test RMSE at G=3,5,10,20,50,100'] = extensionFits.map((s) => (trainedMetrics(s.kan).testRmse ?? Number.NaN).toExponential(2)).join(', ');
  out['grid extension: pykan test RMSE'] = '1.7e-2, 4.6e-3, 4.7e-4, 4.6e-5, 2.0e-6, 2.4e-6';
  out['grid extension: train RMSE at G=3,5,10,20,50,100'] = extensionFits.map((s) => (trainedMetrics(s.kan).trainRmse ?? Number.NaN).toExponential(2)).join(', ');
  out['grid extension: seconds per grid'] = extensionFits.map((s) => s.seconds.toFixed(2)).join(', ');
  out['(d) grid extension: peak RSS MB'] = extension.peakRssMB;
  out['(d) grid extension: heap delta MB'] = extension.heapDeltaMB;
  // The line above is one initialisation: [2,1,1] has a single hidden node to carry sin(pi*x1) + x2^2, and a fit that
  // settles in a poor local minimum at G=3 never leaves it on finer grids. The same experiment from other recipe seeds
  // (rows and initial KAN) says whether such a figure is the seed's or the engine's.
  const gridRmse = (fit: RunResult['stages'][number] | undefined): string => (fit ? trainedMetrics(fit.kan).testRmse ?? Number.NaN : Number.NaN).toExponential(1);
  out['grid extension, recipe seeds 1..4: test RMSE at G=3 / G=100'] = [1, 2, 3, 4].map((seed) => {
    const seeded = runRecipe({ ...EXTENSION_RECIPE, seed }, () => {}).result.stages.filter((s) => s.step === 'fit');
    return `${gridRmse(seeded[0])} / ${gridRmse(seeded.at(-1))}`;
  }).join(', ');

  const minibatch = withMemory((cp) => runRecipe(MINIBATCH_RECIPE, cp));
  out['(e) mini-batch Adam fit [4,8,1], 20000/5000 rows, batch 256, 200 steps'] = wallAndCpu(minibatch.result);
  out['(e) mini-batch fit: final test RMSE'] = finalTestRmse(minibatch.result.result);
}

/** Two distinct batches of random inputs (uniform [0, 1], like pixel intensities) with random class labels. */
function randomClassificationBatches(nIn: number, nClasses: number, n: number, rng: Rng): [Batch, Batch] {
  const make = (): Batch => ({
    x: new Float64Array(n * nIn).map(() => rng.uniform()),
    y: new Float64Array(n).map(() => rng.int(nClasses)),
    n,
  });
  return [make(), make()];
}

/**
 * Seconds per Adam step (objective + gradient + update). Steps alternate between two batches, as mini-batch training
 * sees a new batch every step, so no per-batch cache is reused.
 */
function adamStep(model: DifferentiableModel, batches: [Batch, Batch], minSeconds: number, checkpoint: () => void): PerCall {
  const grad = new Float64Array(model.params.length);
  const adam = new Adam(model.params.length, { lr: 1e-3 });
  let turn = 0;
  return timePerCall(() => {
    model.lossAndGrad(batches[turn++ % 2]!, 'classification', grad);
    adam.step(model.params, grad);
  }, minSeconds, 3, checkpoint);
}

function benchAdam(out: Figures): void {
  const rng = new Rng(1);
  const batches = randomClassificationBatches(784, 10, 1024, rng);
  const kanRun = withMemory((cp) => {
    const kan = Kan.create({ width: [784, 64, 10], grid: 5, k: 3 }, new Rng(2));
    // As at the start of a fit: the grids follow the activations, so the second layer's inputs fall inside its grid.
    const gridUpdate = measure(() => updateGridFromSamples(kan, batches[0].x, batches[0].n));
    cp();
    return { timing: adamStep(kan, batches, 5, cp), params: kan.parameterCount(), gridUpdate };
  });
  out['(b) Adam step KAN [784,64,10] G5 k3 batch 1024 (efficient-kan 0.30 s)'] = wallAndCpu(kanRun.result.timing);
  out['(b) KAN: steps timed / parameters'] = `${kanRun.result.timing.repeats} / ${kanRun.result.params}`;
  out['(b) KAN: one grid update on the batch (fit does ~10)'] = wallAndCpu(kanRun.result.gridUpdate);
  out['(d) KAN Adam: peak RSS MB'] = kanRun.peakRssMB;
  out['(d) KAN Adam: heap delta MB'] = kanRun.heapDeltaMB;

  const mlpRun = withMemory((cp) => {
    const mlp = Mlp.create({ width: [784, 256, 10], activation: 'silu' }, new Rng(3));
    return { timing: adamStep(mlp, batches, 3, cp), params: mlp.parameterCount() };
  });
  out['(b) Adam step MLP [784,256,10] batch 1024'] = wallAndCpu(mlpRun.result.timing);
  out['(b) MLP: steps timed / parameters'] = `${mlpRun.result.timing.repeats} / ${mlpRun.result.params}`;
  out['(d) MLP Adam: peak RSS MB'] = mlpRun.peakRssMB;
  out['(d) MLP Adam: heap delta MB'] = mlpRun.heapDeltaMB;
}

/**
 * One forward+backward (Kan.lossAndGrad with the regulariser on) of [2,5,1] on N=1000 samples of the issue's formula.
 * "cached" is the steady state inside a full-batch fit, where the first layer's basis is reused; "fresh input" changes
 * the input values every call, so every basis is evaluated.
 */
function benchForwardBackward(out: Figures): void {
  const n = 1000;
  const rng = new Rng(4);
  const x = new Float64Array(2 * n).map(() => rng.range(-1, 1));
  const y = new Float64Array(n);
  for (let s = 0; s < n; s++) y[s] = Math.exp(Math.sin(Math.PI * x[2 * s]!) + x[2 * s + 1]! ** 2);
  // Two inputs that differ in every value, alternated, so that no call finds its first-layer basis cached.
  const copies = [x.slice(), x.map((v) => v * (1 - 1e-9))];
  for (const G of [5, 50, 500]) {
    const run = withMemory((cp) => {
      const kan = Kan.create({ width: [2, 5, 1], grid: G, k: 3 }, new Rng(5));
      updateGridFromSamples(kan, x, n);
      kan.regularization = { lamb: 0.01, lambL1: 1, lambEntropy: 2, lambCoef: 0, lambCoefDiff: 0 };
      const grad = new Float64Array(kan.params.length);
      const batch: Batch = { x, y, n };
      const cached = timePerCall(() => kan.lossAndGrad(batch, 'regression', grad), 0.5, 20, cp);
      let turn = 0;
      const fresh = timePerCall(() => kan.lossAndGrad({ x: copies[turn++ % 2]!, y, n }, 'regression', grad), 0.5, 20, cp);
      return { cached, fresh };
    });
    out[`(c) fwd+bwd [2,5,1] N1000 G=${G}, first-layer basis cached`] = wallAndCpu(run.result.cached, 1000, 'ms');
    out[`(c) fwd+bwd [2,5,1] N1000 G=${G}, fresh input`] = wallAndCpu(run.result.fresh, 1000, 'ms');
    out[`(d) fwd+bwd G=${G}: peak RSS MB / heap delta MB`] = `${run.peakRssMB.toFixed(1)} / ${run.heapDeltaMB.toFixed(2)}`;
  }

  benchBasis(out, rng);
}

/** ns per (sample, input) of the cubic basis with derivatives: the reference evaluateInto and the layers' column kernel. */
function benchBasis(out: Figures, rng: Rng): void {
  const count = 1 << 18;
  for (const G of [5, 500]) {
    const knots = uniformKnots(-1, 1, G, 3);
    const tables = buildKnotTables(knots, G, 3);
    const xs = new Float64Array(count).map(() => rng.range(-1, 1));
    const scratch = new BasisScratch(3);
    const one = new Float64Array(4);
    const oneDeriv = new Float64Array(4);
    const reference = timePerCall(() => {
      for (let q = 0; q < count; q++) scratch.evaluateInto(knots, 0, G, 3, xs[q]!, one, 0, oneDeriv, 0);
    }, 0.3, 3);
    const starts = new Int32Array(count);
    const values = new Float64Array(4 * count);
    const derivs = new Float64Array(4 * count);
    const column = timePerCall(() => cubicBasisColumn(knots, tables, 0, G, xs, 0, 1, count, starts, 0, NO_SUPPORT, values, 0, derivs), 0.3, 3);
    out[`basis k=3 G=${G}, values+derivatives, per point: evaluateInto / column kernel`] = `${wallAndCpu(reference, 1e9 / count, 'ns', 1)} / ${wallAndCpu(column, 1e9 / count, 'ns', 1)}`;
  }
}

export async function run(): Promise<Figures> {
  const out: Figures = {};
  const log = (what: string, t: { wall: number }): void => console.error(`  core: ${what} done in ${t.wall.toFixed(1)} s`);
  log('(c) forward+backward', measure(() => benchForwardBackward(out)));
  log('(a) recipes', measure(() => benchRecipes(out)));
  log('(b) Adam steps', measure(() => benchAdam(out)));
  return out;
}
