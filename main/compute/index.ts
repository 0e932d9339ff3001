/**
 * The Node side of app/compute: registers the backends only Node offers (worker threads, gpu.js on WebGPU through the
 * device bridge), identifies the machine, and keeps backend decisions in the user data folder. `chooseBackendForRun` is
 * what the CLI, the training worker and the settings screen call.
 */
import os from 'node:os';
import type { Kan } from '../../app/kan/model';
import type { Batch, Task } from '../../app/train/types';
import { type BackendDecision, type ChooseOptions, resolveBackend } from '../../app/compute/chooser';
import { type BackendEntry, gpuJsEntry, listBackends, registerBackend } from '../../app/compute/registry';
import { wasmAvailability } from '../../app/compute/wasm/runner';
import { startDeviceBridge } from './device-bridge';
import { JsonChoiceStore } from './choice-store';
import type { SliceKernels } from './slices';
import { type ThreadsOptions, createThreadsBackend } from './threads';
import { workerScript } from './worker-script';

export { JsonChoiceStore, CHOICE_FILE_NAME } from './choice-store';
export { createThreadsBackend } from './threads';
export { startDeviceBridge } from './device-bridge';

let registered = false;

/** Adds the Node-only backends to the registry (once per process; later calls are no-ops). */
export function registerNodeBackends(options: ThreadsOptions = {}): void {
  if (registered) return;
  registered = true;
  registerBackend(threadsEntry('ts', options));
  registerBackend(threadsEntry('wasm', options));

  // gpu.js on WebGPU returns promises: it runs in a device worker, and the bridge makes it synchronous again.
  let bridge: Promise<Awaited<ReturnType<typeof startDeviceBridge>>> | null = null;
  const startBridge = (): ReturnType<typeof startDeviceBridge> => (bridge ??= startDeviceBridge('gpujs-webgpu', { kind: 'gpujs', mode: 'webgpu' }));
  const webgpu = gpuJsEntry('webgpu');
  registerBackend({
    ...webgpu,
    description: `${webgpu.description}, run in a device worker`,
    synchronous: true,
    probe: async () => {
      const started = await startBridge();
      return { available: started.available, reason: started.reason };
    },
    create: async () => {
      const started = await startBridge();
      if (!started.backend) throw new Error(`gpujs-webgpu cannot run here: ${started.reason}`);
      return started.backend;
    },
  });
}

/** 'threads' (TypeScript kernels) or 'threads-wasm' (WebAssembly SIMD kernels), split by rows over the CPU cores. */
function threadsEntry(kernels: SliceKernels, options: ThreadsOptions): BackendEntry {
  const cores = os.availableParallelism();
  return {
    name: kernels === 'wasm' ? 'threads-wasm' : 'threads',
    description: `${kernels === 'wasm' ? 'WebAssembly SIMD' : 'reference Float64'} kernels split by rows over ${cores} CPU cores (worker threads)`,
    precision: 'float64',
    synchronous: true,
    threaded: true,
    probe: async () => {
      if (cores < 2) return { available: false, reason: 'only one CPU core' };
      const wasm = kernels === 'wasm' ? wasmAvailability() : null;
      if (wasm && !wasm.available) return wasm;
      try {
        await workerScript('threads-worker');
        return { available: true, reason: wasm ? `${cores} cores, ${wasm.reason}` : `${cores} cores` };
      } catch (err) {
        return { available: false, reason: err instanceof Error ? err.message : String(err) };
      }
    },
    create: () => createThreadsBackend({ ...options, kernels }),
  };
}

/** What identifies this machine for remembered decisions: CPU, cores, memory, and which backends can run. */
export function machineFingerprint(availableBackends: string[]): string {
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  const memory = Math.round(os.totalmem() / 2 ** 30);
  return `${os.platform()}-${os.arch()} ${cpu} x${os.availableParallelism()} ${memory}GiB [${[...availableBackends].sort().join(',')}]`;
}

export interface RunBackendOptions extends Omit<ChooseOptions, 'machine' | 'store'> {
  /** 'auto' (measure or recall) or a backend name (a recipe's `backend`, `--backend`, a setting). */
  requested: string;
  /** Folder where decisions are remembered; omit to measure without remembering. */
  userDataFolder?: string;
}

/** The backend for a training run on this machine, with the reason to record and show. */
export async function chooseBackendForRun(kan: Kan, batch: Batch, task: Task, options: RunBackendOptions): Promise<BackendDecision> {
  registerNodeBackends();
  const available = (await listBackends()).filter((b) => b.available && b.synchronous).map((b) => b.name);
  const { requested, userDataFolder, ...rest } = options;
  return resolveBackend(requested, kan, batch, task, {
    freeCores: freeCores(),
    ...rest,
    machine: machineFingerprint(available),
    ...(userDataFolder ? { store: JsonChoiceStore.inFolder(userDataFolder) } : {}),
  });
}

/**
 * CPU cores not taken by other work: the cores less the last minute's load average (runnable and running processes;
 * Windows reports 0, so there every core counts as free).
 */
export function freeCores(): number {
  return Math.max(0, os.availableParallelism() - os.loadavg()[0]!);
}
