/**
 * Bundled into a browser page by browser.test.ts: runs the equivalence checks of a gpu.js mode that exists only in a
 * browser (WebGL2, WebGL, WebGPU), on whatever GPU the browser has (in tests, Chromium's SwiftShader software GPU).
 */
import { createGpuJsBackend } from '../../../app/compute/gpujs/backend';
import { type GpuJsMode, gpuJsModeAvailability, loadGpuJs } from '../../../app/compute/gpujs/load';
import { type Errors, backwardErrors, basisErrors, chainedErrors, forwardErrors, kernelPair, matmulError, modelErrors } from './equivalence';
import { fixture } from './helpers';

export interface PageCheck {
  available: boolean;
  reason: string;
  errors: Errors;
}

async function availability(mode: GpuJsMode): Promise<{ available: boolean; reason: string }> {
  return gpuJsModeAvailability(await loadGpuJs(), mode);
}

/** Both fixtures of the Node tests, or (chunked runs, which only change how rows are split) the first. */
async function check(mode: GpuJsMode, maxCells: number | null): Promise<PageCheck> {
  const { available, reason } = await availability(mode);
  if (!available) return { available, reason, errors: {} };
  const backend = createGpuJsBackend(await loadGpuJs(), mode, maxCells === null ? {} : { maxCells });
  const errors: Errors = { matmul: await matmulError(backend) };
  const fixtures = [fixture([6, 5, 3], 5, 3, 'silu', 40, 'classification', 1), fixture([4, 3, 2], 4, 2, 'identity', 33, 'regression', 2)];
  for (const f of maxCells === null ? fixtures : fixtures.slice(0, 1)) {
    const pair = kernelPair(backend, f);
    const parts = [await basisErrors(pair, f), await forwardErrors(pair, f), await backwardErrors(pair, f), await chainedErrors(pair, f), await modelErrors(backend, f)];
    for (const part of parts) for (const [name, error] of Object.entries(part)) errors[`${f.name}: ${name}`] = error;
    pair.kernels.dispose();
  }
  backend.dispose();
  return { available, reason, errors };
}

Object.assign(globalThis, { kanbenchAvailability: availability, kanbenchCheck: check });
