/**
 * Start-up and small-problem figures (issue 15), each beside a baseline measured in the same run: whole `kanbench`
 * processes (`--help`, a one-step recipe with and without the store, the hellokan pipeline) against a bare `node`
 * start; the 50-step L-BFGS fit in a fresh process (cold, as a CLI run sees it) and repeated in this one (warm); and a
 * grid update at G=500 against one Adam step of the same KAN and batch.
 *
 * `--baseline DIR` also times the processes of another built checkout (DIR/bin/kanbench.cjs; for issue 15, the commit
 * before its work), alternating with this build run by run, and prints each figure's ratio to it: the issue's own
 * figures come from a slower machine, so a build measured beside this one in the same run is the fair reference.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { updateGridFromSamples } from '../app/kan/grid';
import { Kan } from '../app/kan/model';
import { initialState, runSteps, trainedMetrics } from '../app/recipe/runner';
import { parseRecipe, type RecipeInput } from '../app/recipe/schema';
import { Adam } from '../app/train/optim/adam';
import type { Batch } from '../app/train/types';
import { Rng } from '../app/util/rng';

type Figures = Record<string, number | string>;

const FORMULA_DATA = { formula: 'exp(sin(pi*x1)+x2^2)', vars: 2, range: [-1, 1] as [number, number], train: 1000, test: 1000 };

/** One fit step of 10 L-BFGS iterations: a run whose work is about a tenth of a second. */
const ONE_STEP_RECIPE: RecipeInput = { seed: 0, data: FORMULA_DATA, kan: { width: [2, 5, 1], grid: 5, k: 3 }, steps: [{ fit: { opt: 'lbfgs', steps: 10 } }] };

/** pykan's timing case: 50 L-BFGS steps of [2,5,1], G=5, N=1000, lambda 0.01. */
const FIT50_RECIPE: RecipeInput = { seed: 0, data: FORMULA_DATA, kan: { width: [2, 5, 1], grid: 5, k: 3 }, steps: [{ fit: { opt: 'lbfgs', steps: 50, lamb: 0.01 } }] };

/** The KAN paper's hellokan pipeline, as tests/unit/symbolic/recipe.test.ts runs it. */
const HELLOKAN_RECIPE: RecipeInput = {
  seed: 0,
  data: { formula: 'exp(sin(pi*x1) + x2^2)', vars: 2 },
  kan: { width: [2, 5, 1], grid: 3, k: 3 },
  steps: [
    { fit: { steps: 50, lamb: 1e-3, lambEntropy: 2 } }, { prune: {} }, { fit: { steps: 50 } }, { refine: { grid: 10 } },
    { fit: { steps: 50 } }, { autoSymbolic: { lib: ['x', 'x^2', 'exp', 'sin'] } }, { fit: { steps: 50 } }, { formula: {} },
  ],
};

const PROCESS_REPEATS = 5;
const WARM_REPEATS = 5;

interface ProcessTiming {
  /** Median wall-clock seconds of the whole process. */
  wall: number;
  /** Median CPU seconds of the process (user + system; NaN where /proc is missing). */
  cpu: number;
  stdout: string;
}

/** bin/kanbench.cjs, from this bundle (dist/bench/index.js) or from the source tree. */
function kanbenchBin(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const file = path.resolve(here, '..', '..', 'bin', 'kanbench.cjs');
  if (!fs.existsSync(file)) throw new Error(`no CLI at ${file}; run \`node scripts/build.mjs main\` first`);
  return file;
}

/** CPU seconds of this process's waited-for children (Linux /proc; clock ticks of 1/100 s), NaN elsewhere. */
function childrenCpuSeconds(): number {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 16 and 17 of stat (cutime, cstime) are the 14th and 15th after the command name.
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return Number.NaN;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/**
 * Runs each `node args` of commands PROCESS_REPEATS times, taking the commands in turn within each repeat (so that a
 * busy spell of a shared machine falls on all of them alike); throws when one fails.
 */
function timeProcesses(commands: string[][], env: NodeJS.ProcessEnv = process.env): ProcessTiming[] {
  const walls = commands.map((): number[] => []);
  const cpus = commands.map((): number[] => []);
  const stdout = commands.map(() => '');
  for (let r = 0; r < PROCESS_REPEATS; r++) {
    commands.forEach((args, c) => {
      const cpu0 = childrenCpuSeconds();
      const t0 = performance.now();
      const child = spawnSync(process.execPath, args, { encoding: 'utf8', env });
      walls[c]!.push((performance.now() - t0) / 1000);
      cpus[c]!.push(childrenCpuSeconds() - cpu0);
      if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
      stdout[c] = child.stdout;
    });
  }
  return commands.map((_, c) => ({ wall: median(walls[c]!), cpu: median(cpus[c]!), stdout: stdout[c]! }));
}

function timeProcess(args: string[], env: NodeJS.ProcessEnv = process.env): ProcessTiming {
  return timeProcesses([args], env)[0]!;
}

/**
 * Issue 15's figures (seconds, measured before the start-up work): what each line below is quoted against, as the issue
 * asks, beside its target.
 */
const ISSUE_FIGURES = { help: 0.31, oneStep: 1.5, fit50: 1.34, hellokan: 2.5 };

/**
 * The 50-step fit's final test RMSE, which faster kernels must give to 1e-9 relative (on the reference backend, bit for
 * bit). Issue 15's speed work began at ISSUE15_FIT50_TEST_RMSE; c5ed182 (issue 16) then made a KAN predict past its
 * training rows' range along each edge's secant, which changed the test RMSE of the same fit (some test rows lie past
 * the training rows' range) while its training RMSE stayed 0.03549105075280881 bit for bit; every change since keeps
 * this value.
 */
const FIT50_TEST_RMSE = 0.03838165790243538;
const ISSUE15_FIT50_TEST_RMSE = 0.03586213566008183;

/** Issue 15's grid update at G=500 on [100,100,1], batch 1024: about 30 Adam steps of the same model. */
const ISSUE_GRID_UPDATE_ADAM_STEPS = 30;

/** "0.0383817 (reference 0.03838165790243538, relative difference 0; ...)". */
function againstReferenceRmse(rmse: number): string {
  const difference = Math.abs(rmse - FIT50_TEST_RMSE) / FIT50_TEST_RMSE;
  return `${rmse} (reference ${FIT50_TEST_RMSE}, relative difference ${difference === 0 ? '0' : difference.toExponential(1)}; issue 15's ${ISSUE15_FIT50_TEST_RMSE} was before issue 16's secant past the training range)`;
}

/** "0.41 x the issue's 1.5 s" (CPU seconds when given, else wall). */
function ofIssue(seconds: number, reference: number): string {
  return `${(seconds / reference).toFixed(2)} x the issue's ${reference} s`;
}

/** "0.412 s (cpu 0.380), 4.1 x / 4.0 x" against the baseline process, and the CPU time against the issue's figure. */
function versus(t: ProcessTiming, baseline: ProcessTiming, reference?: number): string {
  const issue = reference === undefined ? '' : `; cpu ${ofIssue(t.cpu, reference)}`;
  return `${t.wall.toFixed(3)} s (cpu ${t.cpu.toFixed(2)}); ${(t.wall / baseline.wall).toFixed(1)} x bare node (cpu ${(t.cpu / baseline.cpu).toFixed(1)} x)${issue}`;
}

/** The CLI of the checkout given by --baseline, which must be built. */
function baselineBin(folder: string): string {
  const file = path.resolve(folder, 'bin', 'kanbench.cjs');
  if (!fs.existsSync(file) || !fs.existsSync(path.resolve(folder, 'dist', 'main', 'cli.js'))) {
    throw new Error(`--baseline ${folder}: no built CLI there (bin/kanbench.cjs and dist/main/cli.js); run \`npm ci\` or \`node scripts/build.mjs main\` in that checkout first`);
  }
  return file;
}

/** "; baseline build 0.630 s (cpu 0.96): 0.37 x wall, 0.34 x cpu" where a baseline was timed beside this build. */
function againstBaseline(t: ProcessTiming, baseline: ProcessTiming | undefined): string {
  if (baseline === undefined) return '';
  return `; baseline build ${baseline.wall.toFixed(3)} s (cpu ${baseline.cpu.toFixed(2)}): ${(t.wall / baseline.wall).toFixed(2)} x wall, ${(t.cpu / baseline.cpu).toFixed(2)} x cpu`;
}

/** The seconds of a run's steps, from its --json summary. */
function stageSeconds(t: ProcessTiming): number[] {
  return (JSON.parse(t.stdout) as { stages: { seconds: number }[] }).stages.map((s) => s.seconds);
}

function processFigures(out: Figures, folder: string, baselineFolder: string | undefined): void {
  const bins = [kanbenchBin(), ...(baselineFolder === undefined ? [] : [baselineBin(baselineFolder)])];
  const write = (name: string, recipe: RecipeInput): string => {
    const file = path.join(folder, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(recipe));
    return file;
  };
  const oneStep = write('one-step', ONE_STEP_RECIPE);
  const fit50 = write('fit50', FIT50_RECIPE);
  const hellokan = write('hellokan', HELLOKAN_RECIPE);
  const env = { ...process.env, KANBENCH_DB: path.join(folder, 'startup.db') };
  // This build, and the baseline build beside it when there is one.
  const timed = (args: string[], withEnv: NodeJS.ProcessEnv = env): [ProcessTiming, ProcessTiming | undefined] => {
    const [now, base] = timeProcesses(bins.map((bin) => [bin, ...args]), withEnv);
    return [now!, base];
  };
  const ofStages = (seconds: number, base: ProcessTiming | undefined, sum: (s: number[]) => number): string => {
    if (base === undefined) return '';
    const baseSeconds = sum(stageSeconds(base));
    return `; baseline build ${baseSeconds.toFixed(3)} s: ${(seconds / baseSeconds).toFixed(2)} x`;
  };

  const bare = timeProcess(['-e', '0']);
  out['bare node start, baseline (s)'] = `${bare.wall.toFixed(3)} (cpu ${bare.cpu.toFixed(2)})`;
  const [help, helpBase] = timed(['--help'], process.env);
  out['kanbench --help (target 0.15 s)'] = versus(help, bare, ISSUE_FIGURES.help) + againstBaseline(help, helpBase);
  const [one, oneBase] = timed(['run', oneStep, '--no-store']);
  out['kanbench run, one fit step of 10 L-BFGS [2,5,1] G5 N1000, --no-store (target 0.4 s)'] = versus(one, bare, ISSUE_FIGURES.oneStep) + againstBaseline(one, oneBase);
  out['kanbench run, the same, recorded in the store'] = versus(timeProcess([bins[0]!, 'run', oneStep], env), bare);

  const [fit50Run, fit50Base] = timed(['run', fit50, '--no-store', '--json']);
  const fit50Summary = JSON.parse(fit50Run.stdout) as { stages: { seconds: number; testRmse: number }[] };
  out['kanbench run, 50 L-BFGS [2,5,1] G5 N1000 lamb 0.01, whole process'] = versus(fit50Run, bare) + againstBaseline(fit50Run, fit50Base);
  const coldFit = fit50Summary.stages[0]!.seconds;
  // Issue 15 timed its 1.34 s inside a process that had already run a fit (bench/core.bench.ts of its day): its target
  // is the warm figure below; this one adds the first iterations' run before V8 has optimised the kernels.
  out['  its fit, cold in that process (the issue timed a warm fit)'] = `${coldFit.toFixed(3)} s (wall); ${ofIssue(coldFit, ISSUE_FIGURES.fit50)}${ofStages(coldFit, fit50Base, (s) => s[0]!)}`;
  out['  its test RMSE'] = againstReferenceRmse(fit50Summary.stages[0]!.testRmse);

  const [hellokanRun, hellokanBase] = timed(['run', hellokan, '--no-store', '--json']);
  out['kanbench run, hellokan pipeline (fit, prune, fit, refine, fit, autoSymbolic, fit, formula), whole process'] = versus(hellokanRun, bare, ISSUE_FIGURES.hellokan) + againstBaseline(hellokanRun, hellokanBase);
  const total = (s: number[]): number => s.reduce((sum, x) => sum + x, 0);
  const coldSteps = total(stageSeconds(hellokanRun));
  out['  its steps, cold in that process (target 1 s)'] = `${coldSteps.toFixed(3)} s (wall); ${ofIssue(coldSteps, ISSUE_FIGURES.hellokan)}${ofStages(coldSteps, hellokanBase, total)}`;
}

/**
 * The fit and the pipeline again in this process, whose kernels earlier suites have compiled: the steady state. Each is
 * run once to warm up, then WARM_REPEATS times; the median CPU time of this process is the steadier figure on a shared
 * machine (a busy neighbour stretches the wall clock, not the work).
 */
function warmFigures(out: Figures): void {
  const noCsv = (): string => {
    throw new Error('the start-up benchmark uses formula datasets only');
  };
  const timed = (input: RecipeInput): { wall: number; cpu: number; testRmse: number } => {
    const walls: number[] = [];
    const cpus: number[] = [];
    let testRmse = Number.NaN;
    for (let r = 0; r <= WARM_REPEATS; r++) {
      const state = initialState(parseRecipe(input), noCsv);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const result = runSteps(state);
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      testRmse = trainedMetrics(result.stages.at(-1)!.kan).testRmse ?? Number.NaN;
      if (r === 0) continue;
      walls.push(wall);
      cpus.push((cpu.user + cpu.system) / 1e6);
    }
    return { wall: median(walls), cpu: median(cpus), testRmse };
  };
  const describe = (t: { wall: number; cpu: number }, reference: number): string => `${t.wall.toFixed(3)} s (cpu ${t.cpu.toFixed(3)}); cpu ${ofIssue(t.cpu, reference)}`;
  const fit = timed(FIT50_RECIPE);
  out[`50 L-BFGS [2,5,1] G5 N1000 lamb 0.01, warm, in-process, median of ${WARM_REPEATS} (target 0.3 s)`] = describe(fit, ISSUE_FIGURES.fit50);
  out['  its test RMSE, warm'] = againstReferenceRmse(fit.testRmse);
  out[`hellokan pipeline steps, warm, in-process, median of ${WARM_REPEATS} (target 1 s)`] = describe(timed(HELLOKAN_RECIPE), ISSUE_FIGURES.hellokan);
}

/** One grid update of [100,100,1] at G=500 on a batch of 1024, against one Adam step of the same model and batch. */
function gridUpdateFigures(out: Figures): void {
  const n = 1024;
  const rng = new Rng(7);
  const x = new Float64Array(n * 100).map(() => rng.range(-1, 1));
  const y = new Float64Array(n).map(() => rng.range(-1, 1));
  const batch: Batch = { x, y, n };
  const kan = Kan.create({ width: [100, 100, 1], grid: 500, k: 3 }, new Rng(8));
  const grad = new Float64Array(kan.params.length);
  const adam = new Adam(kan.params.length, { lr: 1e-3 });
  const adamStep = (): void => {
    kan.lossAndGrad(batch, 'regression', grad);
    adam.step(kan.params, grad);
  };
  adamStep();
  const t0 = performance.now();
  adamStep();
  adamStep();
  const step = (performance.now() - t0) / 2000;
  // The first update also compiles its code; a fit updates its grids about ten times, so the repeat is what it pays.
  const updates = [0, 1].map(() => {
    const t1 = performance.now();
    updateGridFromSamples(kan, x, n);
    return (performance.now() - t1) / 1000;
  });
  out['Adam step [100,100,1] G500 batch 1024, baseline (s)'] = step;
  out['grid update [100,100,1] G500 batch 1024, first / repeated (target 3 Adam steps)'] = updates
    .map((u) => `${u.toFixed(3)} s = ${(u / step).toFixed(1)} Adam steps (${(u / step / ISSUE_GRID_UPDATE_ADAM_STEPS).toFixed(2)} x the issue's ${ISSUE_GRID_UPDATE_ADAM_STEPS})`)
    .join(' / ');
}

export async function run(options: ReadonlyMap<string, string> = new Map()): Promise<Figures> {
  const out: Figures = {};
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-startup-bench-'));
  try {
    processFigures(out, folder, options.get('baseline'));
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
  warmFigures(out);
  gridUpdateFigures(out);
  return out;
}
