/** Entry of a training worker thread: runs one job from the host (a run, or a speed probe) and reports by messages. */
import { parentPort, workerData } from 'node:worker_threads';

import { disposeBackends } from '../../app/compute/registry';
import { loadStepLibrary } from '../../app/recipe/step-library';
import { registerDeviceLinks } from '../compute/device-links';
import { resolveTrainingBackend } from './backend';
import { divergenceOf, executeRun, restoreState } from './execute';
import type { HostToWorker, StartJob, TrainingWorkerData, WorkerToHost } from './protocol';
import { probeSpeed } from './speed-probe';

const port = parentPort;
if (!port) throw new Error('main/training/worker.ts runs as a worker thread; start it through the training host');
registerDeviceLinks((workerData as TrainingWorkerData | null)?.devices ?? []);

function post(message: WorkerToHost, transfer: ArrayBuffer[] = []): void {
  port!.postMessage(message, transfer);
}

async function runJob(job: StartJob): Promise<void> {
  const abort = new Int32Array(job.abortFlag);
  const recipe = job.recipe;
  const csvText = job.csv ? new TextDecoder().decode(job.csv) : null;
  const readCsv = (): string => {
    if (csvText === null) throw new Error('this run has no stored dataset; its recipe names a CSV the app cannot read');
    return csvText;
  };
  const resumed = job.restore !== null;
  const [library, resolveSymbolic] = await Promise.all([
    loadStepLibrary(recipe.steps.slice(job.from), { resumed }),
    resumed ? import('../../app/symbolic/library').then((m) => m.symbolicResolver(recipe.customFunctions ?? [])) : null,
  ]);
  const restore = job.restore && resolveSymbolic ? { models: job.restore, resolveSymbolic } : null;
  const state = restoreState(recipe, readCsv, restore);
  const backend = await resolveTrainingBackend(state, job.backend, job.backendDataFolder);
  post({ type: 'backend', backend: backend.name, reason: backend.reason });
  const result = executeRun({
    recipe,
    library,
    readCsv,
    state,
    trainable: backend.trainable,
    mlpMatmul: backend.mlpMatmul,
    from: job.from,
    restore,
    signal: { get aborted() { return Atomics.load(abort, 0) === 1; } },
    progressIntervalMs: job.progressIntervalMs,
    curveBatchMs: job.curveBatchMs,
    onStepStart: (stepIdx, kind) => post({ type: 'stepStart', stepIdx, kind }),
    onProgress: (progress) => post(progress),
    onCurves: (points) => post({ type: 'curves', points }),
    // Snapshot buffers are fresh copies, so they move to the host instead of being copied again.
    onStep: (step, summary) => post({ type: 'step', step, summary: { ...summary, backend: backend.reason } }, (step.snapshots ?? []).map((s) => s.bytes.buffer as ArrayBuffer)),
  });
  post({ type: 'end', status: result.status, diverged: divergenceOf(result) });
}

function fail(error: unknown): void {
  post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
}

port.on('message', (job: HostToWorker) => {
  try {
    // A worker stays warm for the next run: the run's compute threads and their caches (up to gigabytes on a large
    // problem) go with it, and the next run starts its backend afresh.
    if (job.type === 'start') runJob(job).catch(fail).finally(() => disposeBackends());
    else probeSpeed(job).then((result) => post({ type: 'probe', ...result }), fail);
  } catch (error) {
    fail(error);
  }
});
