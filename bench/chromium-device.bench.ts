/**
 * The Chromium compute device (the desktop app's hidden device window) in headless Chromium, beside the CPU backends:
 * seconds per training step's work (objective and gradient over a batch of 1024 rows, after one warm-up call) of KAN
 * [784,64,10] and [100,100,100,1] at G = 5 on chromium-webgl2 and chromium-webgpu, and on wasm and threads-wasm in this
 * process on the same seeded problem, with each device's error against the Float64 reference and the renderer Chromium
 * gave it. `--gpu swiftshader` runs Chromium on its software GPU (what the tests use); the default asks for the real GPU
 * (ANGLE on Vulkan, WebGPU on Vulkan). Every figure that could not be measured says why: `--limit S` bounds one
 * measurement (default 60 s), `--budget S` all of them (default 600 s); `--batch`, `--repeats`, `--chromium PATH`. Named
 * only: `npm run bench -- chromium` (bench/gpu-check.sh runs it on a GPU machine).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AcceleratedKan } from '../app/compute/accelerated-kan';
import type { ComputeBackend } from '../app/compute/contract';
import { CHROMIUM_DEVICE_MODES, chromiumBackendName } from '../app/compute/device/protocol';
import { disposeBackends, loadBackend, probeBackend } from '../app/compute/registry';
import { registerNodeBackends } from '../main/compute';
import { type Browser, type Page, SWIFTSHADER_FLAGS, browserTools, openServedPage } from '../tests/unit/compute/headless-chromium';
import { type DeviceTiming, benchProblem } from './chromium-device-page';

type Figures = Record<string, number | string>;

/** The cheaper width first, so that a measurement that runs out of time cuts the expensive one. */
const WIDTHS = [[100, 100, 100, 1], [784, 64, 10]];
const CPU_BACKENDS = ['wasm', 'threads-wasm'];
const FLAGS = {
  gpu: ['--enable-unsafe-webgpu', '--use-angle=vulkan', '--enable-features=Vulkan', '--ignore-gpu-blocklist', '--enable-gpu'],
  swiftshader: SWIFTSHADER_FLAGS,
} as const;

export interface ChromiumBenchOptions {
  chromium: string;
  gpu: keyof typeof FLAGS;
  batch: number;
  repeats: number;
  /** Seconds one measurement may take before it is reported as not measured. */
  limitSeconds: number;
  /** Seconds all of it may take: a measurement that would start later, or run past it, is reported as not measured. */
  budgetSeconds: number;
}

/** Measures, calling `report` with each figure as soon as it is known (a caller killed by a timeout keeps the earlier ones). */
export async function measureChromiumDevice(options: ChromiumBenchOptions, report: (name: string, value: number | string) => void): Promise<void> {
  const root = process.cwd();
  const label = (width: number[]): string => `[${width.join(',')}] G5 n${options.batch}`;
  const started = performance.now();
  const left = (): number => options.budgetSeconds - (performance.now() - started) / 1000;
  const within = <T>(work: () => Promise<T>): Promise<T> => {
    const seconds = Math.min(options.limitSeconds, left());
    if (seconds <= 0) return Promise.reject(new Error(`the budget of ${options.budgetSeconds} s was spent`));
    const running = work();
    // The loser of the race may still reject (its browser closed under it): that is no news.
    running.catch(() => undefined);
    return Promise.race([
      running,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`took longer than ${seconds.toFixed(0)} s`)), seconds * 1000).unref()),
    ]);
  };

  registerNodeBackends();
  for (const width of WIDTHS) {
    for (const name of CPU_BACKENDS) {
      const availability = await probeBackend(name);
      if (!availability.available) {
        report(`${label(width)} ${name}`, `not measured: ${availability.reason}`);
        continue;
      }
      try {
        report(`${label(width)} ${name} s/step`, await within(async () => timeCpu((await loadBackend(name)) as ComputeBackend, width, options)));
      } catch (err) {
        report(`${label(width)} ${name}`, `not measured: ${message(err)}`);
      }
    }
  }
  await disposeBackends();

  // A fresh browser per mode: a measurement that ran out of time may still be computing in its page.
  for (const mode of CHROMIUM_DEVICE_MODES) {
    const page = await openDevicePage(root, options).catch((err: unknown) => message(err));
    if (typeof page === 'string') {
      report(chromiumBackendName(mode), `not measured: ${page}`);
      continue;
    }
    try {
      await measureMode(page.page, mode);
    } finally {
      await page.browser.close();
    }
  }

  async function measureMode(page: Page, mode: (typeof CHROMIUM_DEVICE_MODES)[number]): Promise<void> {
    const renderer = await page.evaluate(
      (m) => (globalThis as unknown as { kanbenchRenderer(m: string): Promise<string> }).kanbenchRenderer(m),
      mode,
    ).catch((err: unknown) => `unknown (${message(err)})`);
    // Without a usable GPU Chromium quietly falls back to SwiftShader: such figures must not pass for GPU figures.
    const software = /swiftshader|llvmpipe|software/i.test(renderer);
    report(`${chromiumBackendName(mode)} renderer`, software && options.gpu === 'gpu' ? `${renderer} (software: NOT the GPU)` : renderer);
    let busy: string | null = null;
    for (const width of WIDTHS) {
      const name = `${label(width)} ${chromiumBackendName(mode)}`;
      if (busy) {
        report(name, `not measured: ${busy}`);
        continue;
      }
      let timing: DeviceTiming;
      try {
        timing = await within(() => page.evaluate(
          ([m, w, n, r]) => (globalThis as unknown as { kanbenchTimeDevice(m: string, w: number[], n: number, r: number): Promise<DeviceTiming> }).kanbenchTimeDevice(m, w, n, r),
          [mode, width, options.batch, options.repeats] as const,
        ));
      } catch (err) {
        report(name, `not measured: ${message(err)}`);
        // Ran out of its time: the page may still be computing it. Out of budget: the next ones say so themselves.
        if (left() > 0) busy = `the page was still computing ${label(width)}`;
        continue;
      }
      if (!timing.available || timing.secondsPerStep === null) {
        report(name, `not measured: ${timing.reason}`);
        continue;
      }
      report(`${name} s/step`, timing.secondsPerStep);
      report(`${name} first call s (compiles)`, timing.warmupSeconds ?? Number.NaN);
      report(`${name} objective rel. error`, timing.objectiveError ?? Number.NaN);
      report(`${name} gradient rel. error`, timing.gradientError ?? Number.NaN);
    }
  }
}

/** Median seconds of the objective and gradient on `backend`, after one warm-up call, on the problem the page times. */
async function timeCpu(backend: ComputeBackend, width: number[], options: ChromiumBenchOptions): Promise<number> {
  const { kan, batch } = benchProblem(width, options.batch);
  const model = new AcceleratedKan(kan, backend);
  const grad = new Float64Array(kan.params.length);
  try {
    await model.lossAndGradAsync(batch, 'regression', grad);
    const seconds: number[] = [];
    for (let r = 0; r < options.repeats; r++) {
      const started = performance.now();
      await model.lossAndGradAsync(batch, 'regression', grad.fill(0));
      seconds.push((performance.now() - started) / 1000);
    }
    return seconds.sort((a, b) => a - b)[Math.floor(seconds.length / 2)]!;
  } finally {
    model.dispose();
  }
}

async function openDevicePage(root: string, options: ChromiumBenchOptions): Promise<{ browser: Browser; page: Page }> {
  if (!existsSync(path.join(root, 'renderer/device/device.ts'))) throw new Error(`run from the repository root (no renderer/device/device.ts under ${root})`);
  const tools = await browserTools(options.chromium, root);
  if (typeof tools === 'string') throw new Error(`${tools}; or set --chromium PATH`);
  const files = {
    '/index.html': { type: 'text/html', body: '<!doctype html><title>KAN Workbench compute device</title><script src="/device.js"></script>' },
    '/device.js': { type: 'text/javascript', body: await tools.bundle('renderer/device/device.ts') },
    '/bench.js': { type: 'text/javascript', body: await tools.bundle('bench/chromium-device-page.ts') },
  };
  const browser = await tools.launch(options.chromium, FLAGS[options.gpu]);
  const page = await openServedPage(browser, files);
  await page.addScriptTag({ url: '/bench.js' });
  return { browser, page };
}

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]! : String(err);
}

export function chromiumBenchOptions(options: ReadonlyMap<string, string>): ChromiumBenchOptions {
  const gpu = options.get('gpu') ?? 'gpu';
  if (gpu !== 'gpu' && gpu !== 'swiftshader') throw new Error(`--gpu is "gpu" (the real GPU) or "swiftshader", not "${gpu}"`);
  return {
    chromium: options.get('chromium') ?? process.env.KANBENCH_CHROMIUM ?? '/usr/bin/chromium',
    gpu,
    batch: Number(options.get('batch') ?? 1024),
    repeats: Number(options.get('repeats') ?? 3),
    limitSeconds: Number(options.get('limit') ?? 60),
    budgetSeconds: Number(options.get('budget') ?? 600),
  };
}

export async function run(options: ReadonlyMap<string, string>): Promise<Figures> {
  const figures: Figures = {};
  await measureChromiumDevice(chromiumBenchOptions(options), (name, value) => (figures[name] = value));
  return figures;
}
