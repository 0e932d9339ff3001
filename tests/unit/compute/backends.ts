/**
 * The backends the compute tests run against: every backend of the registry (Node ones included) except the reference
 * itself, plus gpu.js backends forced to split batches into many chunks and the device bridge hosting a gpu.js mode that
 * loads here (so the bridge's machinery is tested on machines without WebGPU). Each says whether it loads, and why not.
 */
import { afterAll, beforeAll } from 'vitest';
import type { ComputeBackend } from '../../../app/compute/contract';
import { createGpuJsBackend } from '../../../app/compute/gpujs/backend';
import { loadGpuJs } from '../../../app/compute/gpujs/load';
import { listBackends, loadBackend } from '../../../app/compute/registry';
import { registerNodeBackends, startDeviceBridge } from '../../../main/compute';

export interface Candidate {
  name: string;
  precision: 'float64' | 'float32';
  available: boolean;
  reason: string;
  create(): Promise<ComputeBackend>;
}

export async function testBackends(): Promise<Candidate[]> {
  registerNodeBackends();
  const infos = await listBackends();
  const candidates: Candidate[] = infos.filter((info) => info.name !== 'reference').map((info) => ({
    name: info.name,
    precision: info.precision,
    available: info.available && info.synchronous,
    reason: info.synchronous ? info.reason : 'asynchronous (no device bridge registered)',
    create: async () => (await loadBackend(info.name)) as ComputeBackend,
  }));
  for (const mode of ['cpu', 'webasm'] as const) {
    const info = infos.find((b) => b.name === `gpujs-${mode}`);
    candidates.push({
      name: `gpujs-${mode} in chunks of a few rows`,
      precision: 'float32',
      available: info?.available ?? false,
      reason: info?.reason ?? 'not registered',
      create: async () => createGpuJsBackend(await loadGpuJs(), mode, { maxCells: 256 }),
    });
  }
  const bridged = infos.find((b) => b.name === 'gpujs-webasm');
  candidates.push({
    name: 'device bridge hosting gpujs-webasm',
    precision: 'float32',
    available: bridged?.available ?? false,
    reason: bridged?.reason ?? 'not registered',
    create: async () => {
      const started = await startDeviceBridge('bridge-webasm', { kind: 'gpujs', mode: 'webasm' });
      if (!started.backend) throw new Error(started.reason);
      return started.backend;
    },
  });
  return candidates;
}

export function describeName(c: Candidate): string {
  return c.available ? c.name : `${c.name} (skipped: cannot load here: ${c.reason})`;
}

/**
 * Inside a candidate's describe: its backend, made before the tests and disposed of after them when it was made for this
 * file alone (names with a space); registry backends are shared within a file and stay.
 */
export function backendFor(candidate: Candidate): { readonly backend: ComputeBackend } {
  let backend: ComputeBackend | null = null;
  beforeAll(async () => {
    backend = await candidate.create();
  }, 60_000);
  afterAll(() => {
    if (backend && candidate.name.includes(' ')) backend.dispose();
  });
  return {
    get backend(): ComputeBackend {
      if (!backend) throw new Error(`the ${candidate.name} backend was not made (its beforeAll failed or has not run)`);
      return backend;
    },
  };
}
