/**
 * Figures of the main process against its targets: how late a training run's progress reaches a subscriber (target
 * < 100 ms), how long the main thread's event loop stalls while two runs train and are recorded (target < 50 ms), and
 * how long listing 10,000 stored runs with a filter takes (target < 50 ms).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { startBackend } from '../main/services/backend';

type Figures = Record<string, number | string>;

const LISTED_RUNS = 10_000;

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(values: number[]): number {
  return quantile([...values].sort((a, b) => a - b), 0.5);
}

/** The worker bundle beside this one in dist/ (bench/index.js -> main/worker.js). */
function workerFile(): string {
  const file = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'main', 'worker.js');
  if (!fs.existsSync(file)) throw new Error(`no training worker at ${file}; run \`node scripts/build.mjs main\` first`);
  return file;
}

async function trainingFigures(folder: string): Promise<Figures> {
  const backend = startBackend({ dbPath: path.join(folder, 'training.db'), workerFile: workerFile(), concurrency: 2, warmWorkers: 2, log: () => undefined });
  // The longest main-thread task of our own: every store call the host makes while recording, timed. The event-loop
  // figures below also include time the OS gave to other threads, which on a machine with as many runs as cores is most of it.
  let longestStoreCall = 0;
  let longestStoreMethod = '';
  const store = backend.store as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const method of ['transaction', 'appendCurvePoints', 'recordStep', 'setRunSummary', 'setRunStatus', 'getRun', 'getDatasetBytes']) {
    const original = store[method]!.bind(backend.store);
    store[method] = (...args: unknown[]) => {
      const t0 = performance.now();
      try {
        return original(...args);
      } finally {
        const took = performance.now() - t0;
        if (took > longestStoreCall) [longestStoreCall, longestStoreMethod] = [took, method];
      }
    };
  }
  const latencies: number[] = [];
  const arrivals: number[] = [];
  backend.events.subscribe((event, payload) => {
    if (event !== 'run.progress') return;
    const now = performance.timeOrigin + performance.now();
    latencies.push(now - (payload as { at: number }).at);
    arrivals.push(now);
  });
  // Let both workers finish loading before measuring, as they would have in a running app.
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const recipe = {
    seed: 0,
    data: { formula: 'exp(sin(pi*x1) + x2^2)', vars: 2, range: [-1, 1], train: 1000, test: 1000 },
    kan: { width: [2, 5, 1], grid: 5, k: 3 },
    mlp: { width: [2, 32, 32, 1] },
    steps: [{ fit: { steps: 40 } }, { refine: { grid: 10 } }, { fit: { steps: 40 } }],
  };
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const started = performance.now();
  const ids = await Promise.all([0, 1].map(async (seed) => {
    const outcome = await backend.api.handle('runs.create', { recipe: { ...recipe, seed } });
    if (!outcome.ok) throw new Error(outcome.error.message);
    return (outcome.result as { id: string }).id;
  }));
  const statuses = await Promise.all(ids.map((id) => backend.host.waitFor(id)));
  const seconds = (performance.now() - started) / 1000;
  loop.disable();
  await backend.close();
  if (statuses.some((s) => s !== 'done')) throw new Error(`bench runs ended ${statuses.join(', ')}`);

  const sorted = [...latencies].sort((a, b) => a - b);
  let busiestSecond = 0;
  for (let i = 0, j = 0; i < arrivals.length; i++) {
    while (arrivals[i]! - arrivals[j]! > 1000) j++;
    busiestSecond = Math.max(busiestSecond, i - j + 1);
  }
  return {
    'training: 2 runs side by side (s)': seconds,
    'progress events received': latencies.length,
    'progress latency to subscriber, median (ms)': quantile(sorted, 0.5),
    'progress latency to subscriber, p95 (ms)': quantile(sorted, 0.95),
    'progress latency to subscriber, max (ms)': sorted[sorted.length - 1] ?? Number.NaN,
    'progress events in the busiest second (2 runs)': busiestSecond,
    'main event-loop delay during training, p99 (ms)': loop.percentile(99) / 1e6,
    'main event-loop delay during training, max (ms)': loop.max / 1e6,
    'longest store call on the main thread while training (ms)': longestStoreCall,
    'longest store call was': longestStoreMethod,
  };
}

async function listingFigures(folder: string): Promise<Figures> {
  const backend = startBackend({ dbPath: path.join(folder, 'listing.db'), workerFile: workerFile(), warmWorkers: 0, log: () => undefined });
  const { store } = backend;
  const recipe = { seed: 0, data: { formula: 'x1*x2', vars: 2 }, kan: { width: [2, 3, 1] }, steps: [{ fit: { steps: 10 } }] };
  const fillStarted = performance.now();
  store.transaction(() => {
    for (let i = 0; i < LISTED_RUNS; i++) {
      const run = store.createRun({
        name: `sweep ${i} grid ${3 + (i % 7)}`, datasetHash: 'f'.repeat(64), recipe: { ...recipe, seed: i }, seed: i, backend: 'ts', appVersion: 'bench',
      });
      store.setRunStatus(run.id, 'running');
      store.setRunStatus(run.id, i % 10 === 0 ? 'failed' : 'done');
      store.setRunSummary(run.id, { kanTestRmse: ((i * 7919) % 10_000) / 1e5, kanParams: 50 + (i % 200), steps: 1 });
      if (i % 3 === 0) store.setTags(run.id, ['sweep', i % 2 === 0 ? 'even' : 'odd']);
    }
  });
  const fillSeconds = (performance.now() - fillStarted) / 1000;

  const time = async (payload: Record<string, unknown>): Promise<number> => {
    const samples: number[] = [];
    for (let i = 0; i < 21; i++) {
      const t0 = performance.now();
      const outcome = await backend.api.handle('runs.list', payload);
      samples.push(performance.now() - t0);
      if (!outcome.ok) throw new Error(outcome.error.message);
    }
    return median(samples.slice(1));
  };
  const figures: Figures = {
    'store filled with 10,000 runs (s)': fillSeconds,
    'runs.list of 10k: status + metric range, by metric, 100 rows (ms)': await time({ status: ['done'], metric: { key: 'kanTestRmse', max: 0.02 }, sortBy: 'kanTestRmse', sortDir: 'asc', limit: 100 }),
    'runs.list of 10k: tag filter, newest first, 100 rows (ms)': await time({ tags: ['sweep', 'even'], limit: 100 }),
    'runs.list of 10k: search "sweep 4217" (indexed words), 100 rows (ms)': await time({ search: 'sweep 4217', limit: 100 }),
    'runs.list of 10k: search "grid 5" (a 1-letter word scans), 100 rows (ms)': await time({ search: 'grid 5', limit: 100 }),
    'runs.list of 10k: sorted by a metric, page 50 (ms)': await time({ sortBy: 'kanParams', limit: 100, offset: 5000 }),
  };
  await backend.close();
  return figures;
}

export async function run(): Promise<Figures> {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-host-bench-'));
  try {
    return { ...(await trainingFigures(folder)), ...(await listingFigures(folder)) };
  } finally {
    fs.rmSync(folder, { recursive: true, force: true });
  }
}
