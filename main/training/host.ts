/**
 * The training host: a queue of runs, each trained in a worker thread, N at a time. It writes what a worker reports
 * into the store (curve points in batches, one transaction per finished step), streams progress to subscribers at a
 * bounded rate, cancels on request, and turns a crashed worker into a failed run, never a crashed app. Workers that
 * finish a run cleanly are kept for the next one: starting one loads the whole science core, which takes a while.
 */
import { Worker } from 'node:worker_threads';

import type { EventName, EventOf } from '../../app/api/contract';
import type { Recipe } from '../../app/recipe/schema';
import { datasetIdOfRef } from './dataset-ref';
import { storedRecipe } from './stored-recipe';
import type { ExperimentStore, NewStep, RunStatus, RunSummary } from '../store';
import { StoreError } from '../store';
import type { DeviceLink } from '../compute/device-bridge';
import type { HostToWorker, ProgressMessage, StartJob, TrainingWorkerData, WorkerToHost } from './protocol';
import type { ProbeResult } from './speed-probe';
import { LatestValueThrottle } from './throttle';

export type EmitEvent = <E extends EventName>(event: E, payload: EventOf<E>) => void;

/** How a queued run starts: at recipe step `from`, on the models stored after step restoreStep of the same run (or fresh ones). */
export interface RunPlan {
  from: number;
  restoreStep: number | null;
}

export interface TrainingHostOptions {
  store: ExperimentStore;
  /** The bundled worker entry (dist/main/worker.js). */
  workerFile: string | URL;
  emit?: EmitEvent;
  /** Runs trained at once; default 1. */
  concurrency?: number;
  /** Least milliseconds between two progress events of one run; default 50 (20 per second). */
  progressIntervalMs?: number;
  /** Least milliseconds between two batches of curve points written to the store; default 250. */
  curveBatchMs?: number;
  /** How long a cancelled worker may take to stop at an iteration boundary before it is terminated; default 5000. */
  cancelGraceMs?: number;
  /** Workers started at once, so the first run does not wait for one; default 0. */
  warmWorkers?: number;
  log?: (message: string) => void;
  /** The backend the user asked for in the settings ('auto' or a name) and where decisions are remembered. */
  backend?: () => { requested: string; dataFolder: string | null };
  /** Fresh links to the compute devices the main process relays to (the desktop app's Chromium device), one set per worker. */
  devices?: () => DeviceLink[];
}

interface ActiveRun {
  runId: string;
  worker: Worker;
  /** Removes this run's listeners from the worker, before it is reused or dropped. */
  detach: () => void;
  abort: Int32Array;
  progress: LatestValueThrottle<EventOf<'run.progress'>>;
  cancelRequested: boolean;
  killTimer: ReturnType<typeof setTimeout> | null;
  /**
   * The worker was told to terminate. A message it sent before then may still arrive (its end, when the abort flag
   * stopped it first): the run ends as that message says, but the worker is gone and must not serve the next run.
   */
  terminating: boolean;
  settled: boolean;
}

const CLOSED_MESSAGE = 'KAN Workbench was closed while this run was training; its finished steps were kept.';
const CLOSED_QUEUED_MESSAGE = 'KAN Workbench was closed before this run started.';

export class TrainingHost {
  private readonly store: ExperimentStore;
  private readonly emit: EmitEvent;
  private readonly log: (message: string) => void;
  private readonly queue: { runId: string; plan: RunPlan }[] = [];
  private readonly active = new Map<string, ActiveRun>();
  private readonly idleWorkers: Worker[] = [];
  private readonly waiters = new Map<string, ((status: RunStatus | null) => void)[]>();
  private concurrency: number;
  private closed = false;

  constructor(private readonly options: TrainingHostOptions) {
    this.store = options.store;
    this.emit = options.emit ?? (() => undefined);
    this.log = options.log ?? ((message) => process.stderr.write(`${message}\n`));
    this.concurrency = checkConcurrency(options.concurrency ?? 1);
    for (let i = 0; i < (options.warmWorkers ?? 0); i++) this.idleWorkers.push(this.spawnWorker());
  }

  /** Queues a run that the store holds as 'queued'; it starts when a slot is free. */
  enqueue(runId: string, plan: RunPlan = { from: 0, restoreStep: null }): void {
    if (this.closed) throw new StoreError('conflict', 'the training host is shutting down; start the run again after restarting.');
    if (this.isActive(runId)) throw new StoreError('conflict', `run ${runId} is already queued or training.`);
    this.queue.push({ runId, plan });
    this.pump();
  }

  isActive(runId: string): boolean {
    return this.active.has(runId) || this.queue.some((entry) => entry.runId === runId);
  }

  get runningCount(): number {
    return this.active.size;
  }

  get queuedCount(): number {
    return this.queue.length;
  }

  setConcurrency(concurrency: number): void {
    this.concurrency = checkConcurrency(concurrency);
    this.pump();
  }

  /**
   * Cancels a queued run at once, or asks a training one to stop at its next iteration (its finished steps stay);
   * a worker that does not stop within the grace period is terminated. With `immediate` it is terminated now.
   * Returns false when the host holds no such run.
   */
  cancel(runId: string, options: { immediate?: boolean } = {}): boolean {
    const queuedAt = this.queue.findIndex((entry) => entry.runId === runId);
    if (queuedAt >= 0) {
      this.queue.splice(queuedAt, 1);
      this.finish(runId, 'cancelled', null);
      return true;
    }
    const run = this.active.get(runId);
    if (!run) return false;
    run.cancelRequested = true;
    Atomics.store(run.abort, 0, 1);
    if (options.immediate) {
      this.terminate(run);
    } else if (run.killTimer === null) {
      run.killTimer = setTimeout(() => this.terminate(run), this.options.cancelGraceMs ?? 5000);
    }
    return true;
  }

  private terminate(run: ActiveRun): void {
    run.terminating = true;
    void run.worker.terminate();
  }

  /** Resolves with the run's final status once it stops (null if it was deleted meanwhile); at once if the host does not hold it. */
  waitFor(runId: string): Promise<RunStatus | null> {
    if (!this.isActive(runId)) return Promise.resolve(this.store.getRun(runId)?.status ?? null);
    return new Promise((resolve) => {
      const list = this.waiters.get(runId) ?? [];
      list.push(resolve);
      this.waiters.set(runId, list);
    });
  }

  /** Resolves when no run is queued or training. */
  async idle(): Promise<void> {
    while (this.active.size > 0 || this.queue.length > 0) {
      const pending = [...this.active.keys(), ...this.queue.map((entry) => entry.runId)];
      await Promise.all(pending.map((runId) => this.waitFor(runId)));
    }
  }

  /** Stops every worker; runs still training or queued are marked interrupted, keeping their finished steps. */
  async close(): Promise<void> {
    this.closed = true;
    for (const { runId } of this.queue.splice(0)) this.finish(runId, 'interrupted', CLOSED_QUEUED_MESSAGE);
    const stopping = [...this.active.values()].map(async (run) => {
      run.settled = true;
      run.detach();
      run.progress.dispose();
      if (run.killTimer) clearTimeout(run.killTimer);
      await run.worker.terminate();
      this.active.delete(run.runId);
      this.finish(run.runId, 'interrupted', CLOSED_MESSAGE);
    });
    await Promise.all([...stopping, ...this.idleWorkers.splice(0).map((worker) => worker.terminate())]);
  }

  /** Times one training step of a KAN of the given size in a worker thread (so the caller's thread stays free). */
  probeSpeed(spec: { width: number[]; grid: number; k: number; batch: number }, timeoutMs = 120_000): Promise<ProbeResult> {
    const worker = this.newWorker();
    const dataFolder = this.options.backend?.().dataFolder ?? null;
    return new Promise<ProbeResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the speed probe took more than ${timeoutMs / 1000} s; try a smaller batch`)), timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        void worker.terminate();
      };
      worker.on('message', (message: WorkerToHost) => {
        done();
        if (message.type === 'probe') resolve({ pick: message.pick, timings: message.timings });
        else reject(new Error(message.type === 'failed' ? message.message : `unexpected message ${message.type} from the worker`));
      });
      worker.on('error', (error) => {
        done();
        reject(error);
      });
      worker.postMessage({ type: 'probe', ...spec, dataFolder } satisfies HostToWorker);
    });
  }

  // ---- internals

  private pump(): void {
    while (!this.closed && this.active.size < this.concurrency && this.queue.length > 0) {
      const { runId, plan } = this.queue.shift()!;
      this.launch(runId, plan);
    }
  }

  private launch(runId: string, plan: RunPlan): void {
    let job: StartJob;
    try {
      const run = this.store.getRun(runId);
      if (!run || run.status !== 'queued') {
        this.resolveWaiters(runId, run?.status ?? null);
        return;
      }
      job = this.buildJob(runId, storedRecipe(run), plan);
      this.store.setRunStatus(runId, 'running');
    } catch (error) {
      this.finish(runId, 'failed', messageOf(error));
      return;
    }
    this.emit('run.status', { runId, status: 'running', error: null });

    const worker = this.idleWorkers.pop() ?? this.spawnWorker();
    const onMessage = (message: WorkerToHost): void => this.onMessage(run, message);
    const onError = (error: Error): void => this.settle(run, 'failed', `the training worker crashed: ${messageOf(error)}`, false);
    const onMessageError = (error: Error): void => this.settle(run, 'failed', `the training worker sent an unreadable message: ${messageOf(error)}`, false);
    const onExit = (code: number): void => {
      if (run.cancelRequested) this.settle(run, 'cancelled', null, false);
      else this.settle(run, 'failed', `the training worker stopped unexpectedly (exit code ${code}); the finished steps were kept.`, false);
    };
    const run: ActiveRun = {
      runId,
      worker,
      detach: () => {
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('messageerror', onMessageError);
        worker.off('exit', onExit);
      },
      abort: new Int32Array(job.abortFlag),
      progress: new LatestValueThrottle(this.options.progressIntervalMs ?? 50, (payload) => this.emit('run.progress', payload)),
      cancelRequested: false,
      killTimer: null,
      terminating: false,
      settled: false,
    };
    this.active.set(runId, run);
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('messageerror', onMessageError);
    worker.on('exit', onExit);
    worker.postMessage(job);
  }

  /** A worker waiting for a run; one that dies while idle just leaves the pool. */
  /** A training worker with its own links to the compute devices. */
  private newWorker(): Worker {
    const devices = this.options.devices?.() ?? [];
    const workerData: TrainingWorkerData = { devices };
    return new Worker(this.options.workerFile, { workerData, transferList: devices.map((link) => link.port) });
  }

  private spawnWorker(): Worker {
    const worker = this.newWorker();
    const leavePool = (): void => {
      const at = this.idleWorkers.indexOf(worker);
      if (at >= 0) this.idleWorkers.splice(at, 1);
    };
    worker.on('exit', leavePool);
    // An error while idle is followed by exit; while training, the run's own listener reports it.
    worker.on('error', leavePool);
    return worker;
  }

  private buildJob(runId: string, recipe: Recipe, plan: RunPlan): StartJob {
    let csv: Uint8Array | null = null;
    if ('csv' in recipe.data) {
      const datasetId = datasetIdOfRef(recipe.data.csv);
      if (datasetId === null) {
        throw new StoreError('invalid', `the recipe reads the file "${recipe.data.csv}", which the app does not open; import it as a dataset and refer to it as "dataset:<id>".`);
      }
      csv = this.store.getDatasetBytes(datasetId);
    }
    let restore: StartJob['restore'] = null;
    if (plan.restoreStep !== null) {
      const kan = this.store.getSnapshot(runId, plan.restoreStep, 'kan');
      if (!kan) throw new StoreError('not_found', `step ${plan.restoreStep} of run ${runId} has no stored KAN to continue from.`);
      restore = { kan, mlp: this.store.getSnapshot(runId, plan.restoreStep, 'mlp') };
    }
    return {
      type: 'start',
      runId,
      recipe,
      csv,
      from: plan.from,
      restore,
      abortFlag: new SharedArrayBuffer(4),
      // The worker sends at five times the event rate, so the value the throttle passes on is never more than 10 ms old.
      progressIntervalMs: (this.options.progressIntervalMs ?? 50) / 5,
      curveBatchMs: this.options.curveBatchMs ?? 250,
      ...this.backendFor(recipe.backend),
    };
  }

  /** A recipe that names a backend keeps it; a recipe left on 'auto' follows the settings. */
  private backendFor(recipeBackend: string): Pick<StartJob, 'backend' | 'backendDataFolder'> {
    const settings = this.options.backend?.() ?? { requested: 'auto', dataFolder: null };
    return { backend: recipeBackend !== 'auto' ? recipeBackend : settings.requested, backendDataFolder: settings.dataFolder };
  }

  private onMessage(run: ActiveRun, message: WorkerToHost): void {
    if (run.settled) return;
    try {
      switch (message.type) {
        case 'progress':
          run.progress.push(progressEvent(run.runId, message));
          return;
        case 'curves':
          this.store.appendCurvePoints(run.runId, message.points);
          return;
        case 'step':
          this.recordStep(run.runId, message.step, message.summary);
          return;
        case 'end':
          // A diverged stage left its model on restored parameters and later steps ran on; the run still is no success.
          if (message.diverged) this.settle(run, 'failed', `training diverged: ${message.diverged}`, true);
          else this.settle(run, message.status, null, true);
          return;
        case 'failed':
          this.settle(run, 'failed', message.message, true);
          return;
        case 'backend':
          this.store.setRunBackend(run.runId, message.backend);
          return;
        case 'stepStart':
        case 'probe':
          return;
      }
    } catch (error) {
      // The store refused a write (the run was deleted, the disk is full): stop training what cannot be kept.
      this.settle(run, 'failed', `could not save the run: ${messageOf(error)}`, false);
    }
  }

  private recordStep(runId: string, step: NewStep, summary: RunSummary): void {
    this.store.transaction(() => {
      this.store.recordStep(runId, step);
      this.store.setRunSummary(runId, summary);
    });
    this.emit('run.step', {
      runId,
      step: {
        idx: step.idx, kind: step.kind, params: step.params, seconds: step.seconds,
        // Through JSON, as a reader of the store would see them: NaN and Infinity become null.
        metrics: JSON.parse(JSON.stringify(step.metrics)) as EventOf<'run.step'>['step']['metrics'],
        snapshotModels: (step.snapshots ?? []).map((s) => s.model),
      },
    });
  }

  /** Ends a run; `reusable` when its worker reported the end itself and so is idle and healthy. */
  private settle(run: ActiveRun, status: 'done' | 'cancelled' | 'failed', error: string | null, reusable: boolean): void {
    if (run.settled) return;
    run.settled = true;
    run.detach();
    run.progress.flush();
    run.progress.dispose();
    if (run.killTimer) clearTimeout(run.killTimer);
    if (reusable && !run.terminating && !this.closed && this.idleWorkers.length < this.concurrency) this.idleWorkers.push(run.worker);
    else void run.worker.terminate();
    this.active.delete(run.runId);
    this.finish(run.runId, status, error);
    this.pump();
  }

  /** Records a final status (a deleted run is left alone), tells subscribers, and wakes waiters. */
  private finish(runId: string, status: RunStatus, error: string | null): void {
    let final: RunStatus | null = status;
    try {
      this.store.setRunStatus(runId, status, error === null ? {} : { error });
      this.emit('run.status', { runId, status, error });
    } catch (caught) {
      if (caught instanceof StoreError && caught.code === 'not_found') final = null;
      else this.log(`kanbench: could not record that run ${runId} is ${status}: ${messageOf(caught)}`);
    }
    this.resolveWaiters(runId, final);
  }

  private resolveWaiters(runId: string, status: RunStatus | null): void {
    const list = this.waiters.get(runId);
    this.waiters.delete(runId);
    for (const resolve of list ?? []) resolve(status);
  }
}

function progressEvent(runId: string, message: ProgressMessage): EventOf<'run.progress'> {
  const { type: _type, ...rest } = message;
  return { runId, ...rest };
}

function checkConcurrency(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 256) {
    throw new StoreError('invalid', `the number of runs trained at once must be a whole number from 1 to 256, got ${value}.`);
  }
  return value;
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
