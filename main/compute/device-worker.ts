/**
 * Entry of the device worker: installs WebGPU for Node, checks that gpu.js runs on it, then serves the bridge's requests
 * one at a time against the asynchronous gpu.js backend, answering through the port and the shared flag.
 */
import { type MessagePort, parentPort, workerData } from 'node:worker_threads';
import type { ComputeBackend, KanKernels } from '../../app/compute/contract';
import type { KanLayer } from '../../app/kan/layer';
import { createGpuJsBackend } from '../../app/compute/gpujs/backend';
import { gpuJsModeAvailability, loadGpuJs } from '../../app/compute/gpujs/load';
import type { BridgeReady, BridgeReply, BridgeRequest, HostedBackendSpec, PlainLayer } from './bridge-protocol';
import { installWebGpu } from './webgpu-node';

interface DeviceWorkerData {
  spec: HostedBackendSpec;
  port: MessagePort;
  /** [0] is set to 1 when a reply has been posted. */
  flag: Int32Array;
}

const { spec, port, flag } = workerData as DeviceWorkerData;
/** Kernel sets by id, with the edge count of each layer. */
const kernelSets = new Map<number, { kernels: KanKernels; edges: number[] }>();
let nextId = 1;

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

function toLayers(plain: PlainLayer[]): KanLayer[] {
  return plain.map((p) => ({ ...p, symMask: new Float64Array(p.nIn * p.nOut), symFns: new Array<null>(p.nIn * p.nOut).fill(null), domain: null }));
}

async function serve(backend: ComputeBackend, request: BridgeRequest): Promise<unknown> {
  if (request.method === 'createKanKernels') {
    const id = nextId++;
    kernelSets.set(id, { kernels: backend.createKanKernels(request.shapes), edges: request.shapes.map((s) => s.nIn * s.nOut) });
    return id;
  }
  if (request.method === 'matmul') return backend.matmul(request.a, request.b, request.rows, request.inner, request.cols);
  const set = kernelSets.get(request.id);
  if (!set) throw new Error(`no kernel set ${request.id} in the device worker`);
  const { kernels } = set;
  switch (request.method) {
    case 'disposeKanKernels':
      kernels.dispose();
      kernelSets.delete(request.id);
      return null;
    case 'setParameters':
      return kernels.setParameters(toLayers(request.layers), request.params);
    case 'basis':
      return kernels.basis(request.l, request.x, request.n);
    case 'forwardLayer': {
      const sum = request.withEdgeAbs ? new Float64Array(set.edges[request.l] ?? 0) : null;
      await kernels.forwardLayer(request.l, request.x, request.n, sum);
      return sum;
    }
    case 'readOutput':
      return kernels.readOutput(request.l);
    case 'backwardLayer': {
      const grad = new Float64Array(request.paramsLength);
      await kernels.backwardLayer(request.l, request.gy, request.regCoef, grad, request.wantInputGradient);
      return grad.slice(request.from, request.to);
    }
    case 'readInputGradient':
      return kernels.readInputGradient(request.l);
  }
}

function reply(message: BridgeReply): void {
  port.postMessage(message);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
}

const { ready, backend } = await start();
parentPort!.postMessage(ready);
if (backend) {
  // Requests are handled strictly one after another: the bridge sends the next only after this one's reply.
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (request: BridgeRequest) => {
    queue = queue.then(async () => {
      try {
        const value = await serve(backend, request);
        reply({ ok: true, value });
      } catch (err) {
        reply({ ok: false, error: err instanceof Error ? err.message : String(err) });
      }
    });
  });
}
