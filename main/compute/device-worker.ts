/**
 * Entry of the device worker: installs WebGPU for Node, checks that gpu.js runs on it, then serves the bridge's requests
 * against the asynchronous gpu.js backend, answering through the port and the shared flag.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { ComputeBackend } from '../../app/compute/contract';
import { createGpuJsBackend } from '../../app/compute/gpujs/backend';
import { gpuJsModeAvailability, loadGpuJs } from '../../app/compute/gpujs/load';
import type { BridgeReady, BridgeRequest } from '../../app/compute/device/protocol';
import { createDeviceServer } from '../../app/compute/device/server';
import type { HostedBackendSpec } from './bridge-protocol';
import { installWebGpu } from './webgpu-node';

interface DeviceWorkerData {
  spec: HostedBackendSpec;
  port: MessagePort;
  /** [0] is set to 1 when a reply has been posted. */
  flag: Int32Array;
}

const { spec, port, flag } = workerData as DeviceWorkerData;

async function start(): Promise<{ ready: BridgeReady; backend: ComputeBackend | null }> {
  let installed = '';
  if (spec.mode === 'webgpu') {
    const webgpu = await installWebGpu();
    if (!webgpu.ok) return { ready: { available: false, reason: webgpu.reason }, backend: null };
    installed = `${webgpu.reason}; `;
  }
  const GPU = await loadGpuJs();
  const check = await gpuJsModeAvailability(GPU, spec.mode);
  if (!check.available) return { ready: { available: false, reason: check.reason }, backend: null };
  return { ready: { available: true, reason: `${installed}${check.reason}` }, backend: createGpuJsBackend(GPU, spec.mode) };
}

const { ready, backend } = await start();
parentPort!.postMessage(ready);
if (backend) {
  const server = createDeviceServer(backend);
  port.on('message', (request: BridgeRequest) => {
    void server.handle(request).then((reply) => {
      port.postMessage(reply);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
  });
}
