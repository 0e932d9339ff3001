/**
 * Bundled into the compute device page by chromium-device.test.ts: offers the page's device a MessagePort (as the
 * Electron device window's preload does) and runs the equivalence checks through that port, so every kernel call crosses
 * the device protocol to gpu.js on Chromium's WebGL2 or WebGPU and back.
 */
import { connectPort } from '../../../app/compute/device/client';
import { type ChromiumDeviceMode, type DeviceOffer, chromiumBackendName } from '../../../app/compute/device/protocol';
import { type Errors, backwardErrors, basisErrors, chainedErrors, forwardErrors, kernelPair, matmulError, modelErrors } from './equivalence';
import { fixture } from './helpers';

export interface DeviceCheck {
  available: boolean;
  reason: string;
  errors: Errors;
}

async function check(mode: ChromiumDeviceMode): Promise<DeviceCheck> {
  const channel = new MessageChannel();
  window.postMessage({ kanbenchDevice: mode } satisfies DeviceOffer, '*', [channel.port2]);
  const { ready, backend } = await connectPort(chromiumBackendName(mode), channel.port1);
  if (!backend) return { ...ready, errors: {} };
  const errors: Errors = { matmul: await matmulError(backend) };
  // Shapes stay tiny: SwiftShader runs every shader on the CPU.
  for (const f of [fixture([3, 4, 2], 4, 3, 'silu', 24, 'classification', 1), fixture([2, 3, 1], 3, 2, 'identity', 17, 'regression', 2)]) {
    const pair = kernelPair(backend, f);
    const parts = [await basisErrors(pair, f), await forwardErrors(pair, f), await backwardErrors(pair, f), await chainedErrors(pair, f), await modelErrors(backend, f)];
    for (const part of parts) for (const [name, error] of Object.entries(part)) errors[`${f.name}: ${name}`] = error;
    pair.kernels.dispose();
  }
  backend.dispose();
  return { ...ready, errors };
}

Object.assign(globalThis, { kanbenchDeviceCheck: check });
