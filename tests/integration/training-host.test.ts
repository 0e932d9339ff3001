// Tests the training host with real worker threads: recording, throttled progress, queueing, concurrency, cancel, crashes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { EventName } from '../../app/api/contract';
import { ALL_STEPS, trainedMetrics } from '../../app/recipe/runner';
import { parseRecipe } from '../../app/recipe/schema';
import { openStore, type ExperimentStore } from '../../main/store';
import { formulaDataHash } from '../../main/training/dataset-ref';
import { executeRun } from '../../main/training/execute';
import { TrainingHost } from '../../main/training/host';
import { bundle, tinyRecipe } from './helpers/bundle';

let workerFile = '';
let crashingWorkerFile = '';
let removeBundle = (): void => undefined;
// One host for most tests: starting a worker thread loads the whole science core, which is slow on a busy machine.
let shared: ReturnType<typeof setup>;

beforeAll(async () => {
  const built = await bundle({ 'main/training/worker.ts': 'worker.js', 'tests/integration/fixtures/crashing-worker.ts': 'crashing-worker.js' });
  workerFile = built.file('worker.js');
  crashingWorkerFile = built.file('crashing-worker.js');
  removeBundle = built.remove;
  shared = setup({ warmWorkers: 2 });
}, 30_000);
afterAll(async () => {
  await shared.host.close();
  shared.store.close();
  removeBundle();
});

interface Seen {
  event: EventName;
  payload: Record<string, unknown>;
  at: number;
}

function setup(options: { concurrency?: number; worker?: string; warmWorkers?: number } = {}) {
  const store = openStore(':memory:');
  const seen: Seen[] = [];
  const host = new TrainingHost({
    store,
    workerFile: options.worker ?? workerFile,
    concurrency: options.concurrency ?? 1,
    warmWorkers: options.warmWorkers ?? 0,
    emit: (event, payload) => seen.push({ event, payload: payload as unknown as Record<string, unknown>, at: performance.now() }),
    log: () => undefined,
  });
  return { store, host, seen };
}

function createRun(store: ExperimentStore, recipeInput: unknown): string {
  const recipe = parseRecipe(recipeInput);
  return store.createRun({
    name: recipe.name ?? 'test run', datasetHash: formulaDataHash(recipe), recipe, seed: recipe.seed, backend: 'ts', appVersion: 'test',
  }).id;
}

function statusesOf(seen: Seen[], runId: string): string[] {
  return seen.filter((s) => s.event === 'run.status' && s.payload.runId === runId).map((s) => s.payload.status as string);
}

describe('the training host', () => {
  it('trains a run in a worker thread, records every step with snapshots and curves, and matches an in-process run exactly', async () => {
    const { store, host, seen } = shared;
    const recipe = tinyRecipe({ mlp: true, fitSteps: 6 });
    const runId = createRun(store, recipe);
    host.enqueue(runId);
    expect(await host.waitFor(runId)).toBe('done');

    const run = store.getRun(runId)!;
    expect(run.status).toBe('done');
    expect(run.steps.map((s) => [s.idx, s.kind, s.snapshotModels])).toEqual([[0, 'fit', ['kan', 'mlp']], [1, 'fit', ['kan', 'mlp']]]);
    expect(store.getCurves(runId)).toHaveLength(2 * 2 * 6);
    expect(statusesOf(seen, runId)).toEqual(['running', 'done']);
    expect(seen.filter((s) => s.event === 'run.step').map((s) => (s.payload.step as { idx: number }).idx)).toEqual([0, 1]);

    // Same recipe, same numbers: the worker's result equals a run of the same code in this thread.
    const local = executeRun({ recipe: parseRecipe(recipe), library: ALL_STEPS, readCsv: () => '', from: 0, restore: null, progressIntervalMs: 0, curveBatchMs: 0 });
    const lastStep = run.steps[1]!.metrics as { kan: { testRmse: number }; mlp: { testRmse: number } };
    expect(lastStep.kan.testRmse).toBe(trainedMetrics(local.stages[1]!.kan).testRmse);
    expect(lastStep.mlp.testRmse).toBe(trainedMetrics(local.stages[1]!.mlp!).testRmse);
    expect(run.summary.kanTestRmse).toBe(trainedMetrics(local.stages[1]!.kan).testRmse);
  }, 20_000);

  it('trains on the backend a recipe names (threads-wasm: worker threads with wasm kernels, the MLP products too) and records it', async () => {
    const { store, host } = shared;
    const recipe = {
      ...tinyRecipe({ mlp: true, fitSteps: 4, rows: 300 }),
      kan: { width: [2, 8, 1], grid: 5, k: 3 },
      mlp: { width: [2, 32, 32, 1] },
      backend: 'threads-wasm',
    };
    const runId = createRun(store, recipe);
    host.enqueue(runId);
    expect(await host.waitFor(runId)).toBe('done');
    const run = store.getRun(runId)!;
    expect(run.backend).toBe('threads-wasm');
    expect(String(run.summary.backend)).toMatch(/threads-wasm \(requested\).*the MLP's dense products run on it too/);
    // Float64 kernels in another summation order: the numbers of the reference run in this thread, to rounding.
    const local = executeRun({ recipe: parseRecipe({ ...recipe, backend: 'reference' }), library: ALL_STEPS, readCsv: () => '', from: 0, restore: null, progressIntervalMs: 0, curveBatchMs: 0 });
    const last = run.steps[1]!.metrics as { kan: { testRmse: number }; mlp: { testRmse: number } };
    expect(Math.abs(last.kan.testRmse - trainedMetrics(local.stages[1]!.kan).testRmse!) / trainedMetrics(local.stages[1]!.kan).testRmse!).toBeLessThan(1e-6);
    expect(Math.abs(last.mlp.testRmse - trainedMetrics(local.stages[1]!.mlp!).testRmse!) / trainedMetrics(local.stages[1]!.mlp!).testRmse!).toBeLessThan(1e-6);
  }, 60_000);

  it('streams progress at most 20 times a second, delivers the final figure, and writes curves in batches', async () => {
    const { store, host, seen } = shared;
    // Large enough that 60 steps take well over a second even on a fast machine, so the throttle must act.
    const runId = createRun(store, { ...tinyRecipe({ fits: 1, fitSteps: 60, rows: 4000 }), kan: { width: [2, 12, 1], grid: 12, k: 3 } });
    const started = Date.now();
    host.enqueue(runId);
    await host.waitFor(runId);
    const elapsed = Date.now() - started;
    const progress = seen.filter((s) => s.event === 'run.progress' && s.payload.runId === runId);
    expect(elapsed).toBeGreaterThan(300);
    expect(progress.length).toBeGreaterThan(2);
    // At most one figure per 50 ms, plus the first and the final one.
    expect(progress.length).toBeLessThanOrEqual(elapsed / 45 + 2);
    // The last one may follow closer: the run's end delivers the figure held back, rather than dropping it.
    for (let i = 1; i < progress.length - 1; i++) expect(progress[i]!.at - progress[i - 1]!.at).toBeGreaterThanOrEqual(45);
    expect(progress[progress.length - 1]!.payload).toMatchObject({ runId, stepIdx: 0, model: 'kan', step: 60, steps: 60 });
    // Progress comes before the step and its status.
    const lastProgressAt = seen.lastIndexOf(progress[progress.length - 1]!);
    expect(seen.findIndex((s) => s.event === 'run.status' && s.payload.runId === runId && s.payload.status === 'done')).toBeGreaterThan(lastProgressAt);
    expect(store.getCurves(runId).map((p) => p.iter)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
  }, 20_000);

  it('queues runs beyond the concurrency and trains them in order', async () => {
    const { store, host, seen } = shared;
    host.setConcurrency(1);
    const first = createRun(store, tinyRecipe());
    const second = createRun(store, tinyRecipe({ seed: 2 }));
    host.enqueue(first);
    host.enqueue(second);
    expect(host.runningCount).toBe(1);
    expect(host.queuedCount).toBe(1);
    expect(store.getRun(second)!.status).toBe('queued');
    await host.idle();
    const order = seen
      .filter((s) => s.event === 'run.status' && (s.payload.runId === first || s.payload.runId === second))
      .map((s) => `${s.payload.runId === first ? 'first' : 'second'} ${String(s.payload.status)}`);
    expect(order).toEqual(['first running', 'first done', 'second running', 'second done']);
  }, 20_000);

  it('trains runs side by side with a concurrency of 2, each giving the numbers it gives alone', async () => {
    const { store, host, seen } = shared;
    host.setConcurrency(2);
    const recipe = tinyRecipe({ fitSteps: 8 });
    const a = createRun(store, recipe);
    const b = createRun(store, recipe);
    host.enqueue(a);
    host.enqueue(b);
    expect(host.runningCount).toBe(2);
    await host.idle();
    const statuses = seen.filter((s) => s.event === 'run.status' && (s.payload.runId === a || s.payload.runId === b)).map((s) => s.payload.status);
    expect(statuses.slice(0, 2)).toEqual(['running', 'running']);
    const rmse = (id: string) => (store.getRun(id)!.steps[1]!.metrics as { kan: { testRmse: number } }).kan.testRmse;
    expect(rmse(a)).toBe(rmse(b));
    expect(store.getCurves(a)).toEqual(store.getCurves(b));
  }, 20_000);

  it('cancels a queued run at once, and a training run at its next iteration, keeping its finished steps', async () => {
    const { store, host, seen } = shared;
    host.setConcurrency(1);
    const long = createRun(store, tinyRecipe({ fits: 4, fitSteps: 40, rows: 400 }));
    const waiting = createRun(store, tinyRecipe());
    host.enqueue(long);
    host.enqueue(waiting);
    expect(host.cancel(waiting)).toBe(true);
    expect(store.getRun(waiting)!.status).toBe('cancelled');

    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (seen.some((s) => s.event === 'run.step' && s.payload.runId === long)) {
          clearInterval(timer);
          resolve();
        }
      }, 5);
    });
    expect(host.cancel(long)).toBe(true);
    expect(await host.waitFor(long)).toBe('cancelled');
    const run = store.getRun(long)!;
    expect(run.status).toBe('cancelled');
    expect(run.steps.length).toBeGreaterThanOrEqual(1);
    expect(run.steps.length).toBeLessThan(4);
    expect(host.cancel(long)).toBe(false);
  }, 20_000);

  it('fails a run whose worker dies, with the reason, keeps its finished step, and goes on training others', async () => {
    const { store, host } = setup({ worker: crashingWorkerFile, concurrency: 2 });
    const doomed = createRun(store, { ...tinyRecipe({ fits: 3 }), name: 'crash-me' });
    const healthy = createRun(store, tinyRecipe());
    host.enqueue(doomed);
    host.enqueue(healthy);
    expect(await host.waitFor(doomed)).toBe('failed');
    const failed = store.getRun(doomed)!;
    expect(failed.error).toMatch(/worker stopped unexpectedly \(exit code 7\)/);
    expect(failed.steps.map((s) => s.idx)).toEqual([0]);
    expect(store.getSnapshot(doomed, 0, 'kan')).not.toBeNull();
    expect(await host.waitFor(healthy)).toBe('done');
    expect(store.integrityCheck()).toBe('ok');
    await host.close();
    store.close();
  }, 20_000);

  it('fails a run whose data cannot be read before starting a worker, with a message saying why', async () => {
    const { store, host } = shared;
    const recipe = parseRecipe({ ...tinyRecipe(), data: { csv: 'measurements.csv', target: ['y'] }, kan: { width: [1, 2, 1] } });
    const runId = store.createRun({ name: 'file run', datasetHash: 'a'.repeat(64), recipe, seed: 0, backend: 'ts', appVersion: 'test' }).id;
    host.enqueue(runId);
    expect(await host.waitFor(runId)).toBe('failed');
    expect(store.getRun(runId)!.error).toMatch(/reads the file "measurements.csv".*import it as a dataset/);
  });

  // Two workers start in this test (the first is dropped with its failed run), each loading the science core: a long timeout.
  it('fails a run whose step the store refuses to write (a full disk), with the reason, and trains the next one', async () => {
    const store = openStore(':memory:');
    let diskFull = true;
    // The real store, except that writing a step fails as SQLite does on a full disk, until the disk is freed.
    const filling = new Proxy(store, {
      get(target, property) {
        if (property === 'recordStep' && diskFull) return () => { throw new Error('database or disk is full'); };
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const host = new TrainingHost({ store: filling, workerFile, log: () => undefined });
    const first = createRun(store, tinyRecipe());
    host.enqueue(first);
    expect(await host.waitFor(first)).toBe('failed');
    expect(store.getRun(first)).toMatchObject({ status: 'failed', error: 'could not save the run: database or disk is full', steps: [] });
    diskFull = false;
    const second = createRun(store, tinyRecipe());
    host.enqueue(second);
    expect(await host.waitFor(second)).toBe('done');
    await host.close();
    store.close();
  }, 60_000);

  // Last: it closes the shared host.
  it('marks training and queued runs interrupted when it closes', async () => {
    const { store, host } = shared;
    host.setConcurrency(1);
    const training = createRun(store, tinyRecipe({ fits: 5, fitSteps: 200, rows: 400 }));
    const queued = createRun(store, tinyRecipe());
    host.enqueue(training);
    host.enqueue(queued);
    await host.close();
    expect(store.getRun(training)!.status).toBe('interrupted');
    expect(store.getRun(training)!.error).toMatch(/closed while this run was training/);
    expect(store.getRun(queued)!.status).toBe('interrupted');
    expect(() => host.enqueue(createRun(store, tinyRecipe()))).toThrow(/shutting down/);
  });
});
