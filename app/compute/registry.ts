/**
 * The backends this process knows: the reference and one gpu.js backend per gpu.js mode, plus whatever the host adds
 * (main/compute registers worker threads and a WebGPU device bridge). Each entry probes whether it can run here and
 * creates its backend once; listBackends says what is available and why not.
 */
import type { BackendChoice, ComputeBackend } from './contract';
import { createGpuJsBackend } from './gpujs/backend';
import { GPUJS_MODES, type GpuJsMode, type ModeAvailability, gpuJsModeAvailability, loadGpuJs } from './gpujs/load';
import { createWasmBackend } from './wasm/backend';
import { wasmAvailability } from './wasm/runner';

export interface BackendEntry {
  name: string;
  description: string;
  precision: 'float64' | 'float32';
  /** False for backends whose kernels return promises: the synchronous training loop cannot use them directly. */
  synchronous: boolean;
  /** Splits its work over several CPU cores (worker threads): it loses to one core while the others are busy. */
  threaded?: boolean;
  probe(): Promise<ModeAvailability>;
  create(): Promise<BackendChoice>;
}

export interface BackendInfo {
  name: string;
  description: string;
  precision: 'float64' | 'float32';
  synchronous: boolean;
  available: boolean;
  /** Why it is unavailable, or what the probe checked. */
  reason: string;
}

const GPUJS_DESCRIPTIONS: Record<GpuJsMode, string> = {
  webgpu: 'gpu.js WGSL compute shaders on the GPU (WebGPU; in Node through the `webgpu` package)',
  headlessgl: 'gpu.js GLSL on the GPU through headless-gl (the optional `gl` package)',
  webgl2: 'gpu.js GLSL on the GPU through WebGL2 (browser)',
  webgl: 'gpu.js GLSL on the GPU through WebGL (browser)',
  webasm: 'gpu.js kernels compiled to WebAssembly (SIMD), on one CPU core',
  cpu: 'gpu.js kernels compiled to JavaScript, on one CPU core',
};

const entries = new Map<string, BackendEntry>();
const created = new Map<string, Promise<BackendChoice>>();
const probes = new Map<string, Promise<ModeAvailability>>();

export function gpuJsEntry(mode: GpuJsMode): BackendEntry {
  return {
    name: `gpujs-${mode}`,
    description: GPUJS_DESCRIPTIONS[mode],
    precision: 'float32',
    synchronous: mode !== 'webgpu',
    probe: async () => {
      try {
        return await gpuJsModeAvailability(await loadGpuJs(), mode);
      } catch (err) {
        return { available: false, reason: err instanceof Error ? err.message : String(err) };
      }
    },
    create: async () => createGpuJsBackend(await loadGpuJs(), mode),
  };
}

function registerDefaults(): void {
  registerBackend({
    name: 'reference',
    description: 'plain TypeScript Float64 kernels (app/kan/layer.ts), one CPU core',
    precision: 'float64',
    synchronous: true,
    probe: async () => ({ available: true, reason: 'always available' }),
    create: async () => 'reference',
  });
  registerBackend({
    name: 'wasm',
    description: 'the reference kernels with their hot loops in WebAssembly SIMD (app/compute/wasm), Float64, one CPU core',
    precision: 'float64',
    synchronous: true,
    probe: async () => wasmAvailability(),
    create: async () => createWasmBackend(),
  });
  for (const mode of GPUJS_MODES) registerBackend(gpuJsEntry(mode));
}

/** Adds or replaces a backend (a replaced one is disposed of and probed again). */
export function registerBackend(entry: BackendEntry): void {
  if (entries.size === 0 && entry.name !== 'reference') registerDefaults();
  const previous = created.get(entry.name);
  if (previous) void previous.then((choice) => (choice === 'reference' ? undefined : choice.dispose()), () => undefined);
  created.delete(entry.name);
  probes.delete(entry.name);
  entries.set(entry.name, entry);
}

export function backendEntry(name: string): BackendEntry | undefined {
  if (entries.size === 0) registerDefaults();
  return entries.get(name);
}

export function backendNames(): string[] {
  if (entries.size === 0) registerDefaults();
  return [...entries.keys()];
}

/** Every known backend with whether it can run here (each probe runs once per process). */
export async function listBackends(): Promise<BackendInfo[]> {
  return Promise.all(backendNames().map(async (name) => {
    const entry = entries.get(name)!;
    const availability = await probeBackend(name);
    return {
      name, description: entry.description, precision: entry.precision, synchronous: entry.synchronous,
      available: availability.available, reason: availability.reason,
    };
  }));
}

export function probeBackend(name: string): Promise<ModeAvailability> {
  const entry = backendEntry(name);
  if (!entry) return Promise.resolve({ available: false, reason: `no backend is called "${name}"` });
  let probe = probes.get(name);
  if (!probe) {
    probe = entry.probe().catch((err: unknown) => ({ available: false, reason: err instanceof Error ? err.message : String(err) }));
    probes.set(name, probe);
  }
  return probe;
}

/** The backend of that name, created once and shared; rejects with a message naming the known backends or why it cannot run. */
export async function loadBackend(name: string): Promise<BackendChoice> {
  const entry = backendEntry(name);
  if (!entry) throw new Error(`unknown compute backend "${name}"; known backends: ${backendNames().join(', ')} (or "auto" to measure and pick)`);
  const availability = await probeBackend(name);
  if (!availability.available) throw new Error(`compute backend "${name}" cannot run here: ${availability.reason}`);
  let backend = created.get(name);
  if (!backend) {
    backend = entry.create();
    created.set(name, backend);
    backend.catch(() => created.delete(name));
  }
  return backend;
}

/** Disposes of every created backend (threads, GPU contexts); they are created again on next use. */
export async function disposeBackends(): Promise<void> {
  const all = [...created.values()];
  created.clear();
  for (const backend of all) {
    const choice = await backend.catch(() => null);
    if (choice && choice !== 'reference') (choice as ComputeBackend).dispose();
  }
}
