/**
 * The device bridge: makes an asynchronous backend (gpu.js on WebGPU, whose results are promises) usable by the
 * synchronous training loop. The backend lives in a worker thread; each kernel call here posts a request and blocks in
 * Atomics.wait until the worker has answered, so a call costs one thread round trip (well under a millisecond) on top
 * of the GPU work, and the GPU data stays resident in the worker between calls.
 */
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { BasisTable, ComputeBackend, KanKernels, LayerShape } from '../../app/compute/contract';
import type { KanLayer } from '../../app/kan/layer';
import type { BridgeReady, BridgeReply, BridgeRequest, HostedBackendSpec, PlainLayer } from './bridge-protocol';
import { workerScript } from './worker-script';

/** A request unanswered for this long means the worker (or its GPU driver) hung: fail instead of blocking forever. */
const STALL_MS = 10 * 60 * 1000;

export interface BridgeStart {
  available: boolean;
  reason: string;
  /** Present when available. */
  backend: ComputeBackend | null;
}

/** Starts a device worker hosting the backend and waits until it says whether the backend runs there. */
export async function startDeviceBridge(name: string, spec: HostedBackendSpec, startTimeoutMs = 60_000): Promise<BridgeStart> {
  let script: string;
  try {
    script = await workerScript('device-worker');
  } catch (err) {
    return { available: false, reason: err instanceof Error ? err.message : String(err), backend: null };
  }
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const channel = new MessageChannel();
  const worker = new Worker(script, { workerData: { spec, port: channel.port2, flag }, transferList: [channel.port2] });
  let ready: BridgeReady;
  try {
    ready = await new Promise<BridgeReady>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the device worker did not start within ${startTimeoutMs / 1000} s`)), startTimeoutMs);
      worker.once('message', (message: BridgeReady) => {
        clearTimeout(timer);
        resolve(message);
      });
      worker.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      worker.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the device worker exited during start-up (code ${code})`));
      });
    });
  } catch (err) {
    await worker.terminate();
    return { available: false, reason: err instanceof Error ? err.message : String(err), backend: null };
  }
  if (!ready.available) {
    await worker.terminate();
    return { available: false, reason: ready.reason, backend: null };
  }
  worker.unref();
  channel.port1.unref();
  const rpc = new SyncRpc(worker, channel.port1, flag);
  return { available: true, reason: ready.reason, backend: bridgedBackend(name, rpc) };
}

class SyncRpc {
  private closed = false;

  constructor(private readonly worker: Worker, private readonly port: MessagePort, private readonly flag: Int32Array) {}

  call<T>(request: BridgeRequest): T {
    if (this.closed) throw new Error('the device bridge was disposed');
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(request);
    let waited = 0;
    while (Atomics.load(this.flag, 0) === 0) {
      const started = Date.now();
      Atomics.wait(this.flag, 0, 0, 1000);
      waited += Date.now() - started;
      if (waited > STALL_MS) throw new Error(`the device worker did not answer ${request.method} within ${STALL_MS / 60000} minutes`);
    }
    const received = receiveMessageOnPort(this.port);
    if (!received) throw new Error(`the device worker raised its flag without a reply to ${request.method}`);
    const reply = received.message as BridgeReply;
    if (!reply.ok) throw new Error(reply.error);
    return reply.value as T;
  }

  close(): void {
    this.closed = true;
    this.port.close();
    void this.worker.terminate();
  }
}

function bridgedBackend(name: string, rpc: SyncRpc): ComputeBackend {
  return {
    name,
    precision: 'float32',
    isAsync: false,
    createKanKernels: (shapes) => new BridgedKanKernels(rpc, shapes),
    matmul: (a, b, rows, inner, cols) => rpc.call<Float64Array>({ method: 'matmul', a, b, rows, inner, cols }),
    dispose: () => rpc.close(),
  };
}

class BridgedKanKernels implements KanKernels {
  private readonly id: number;
  private layers: readonly KanLayer[] = [];
  private paramsLength = 0;

  constructor(private readonly rpc: SyncRpc, shapes: readonly LayerShape[]) {
    this.id = rpc.call<number>({ method: 'createKanKernels', shapes: shapes.map((s) => ({ ...s })) });
  }

  setParameters(layers: readonly KanLayer[], params: Float64Array): void {
    const plain: PlainLayer[] = layers.map((l) => ({
      nIn: l.nIn, nOut: l.nOut, G: l.G, k: l.k, base: l.base, knots: l.knots, mask: l.mask,
      coefOffset: l.coefOffset, wbOffset: l.wbOffset, wsOffset: l.wsOffset, symOffset: l.symOffset,
    }));
    this.rpc.call({ method: 'setParameters', id: this.id, layers: plain, params });
    this.layers = layers;
    this.paramsLength = params.length;
  }

  basis(l: number, x: Float64Array, n: number): BasisTable {
    return this.rpc.call<BasisTable>({ method: 'basis', id: this.id, l, x, n });
  }

  forwardLayer(l: number, x: Float64Array | null, n: number, edgeAbsSum: Float64Array | null): void {
    const sum = this.rpc.call<Float64Array | null>({ method: 'forwardLayer', id: this.id, l, x, n, withEdgeAbs: edgeAbsSum !== null });
    if (edgeAbsSum && sum) for (let e = 0; e < sum.length; e++) edgeAbsSum[e]! += sum[e]!;
  }

  readOutput(l: number): Float64Array {
    return this.rpc.call<Float64Array>({ method: 'readOutput', id: this.id, l });
  }

  backwardLayer(l: number, gy: Float64Array | null, regCoef: Float64Array | null, grad: Float64Array, wantInputGradient: boolean): void {
    const layer = this.layers[l];
    if (!layer) throw new Error(`layer ${l} does not exist or setParameters was not called`);
    const from = layer.coefOffset;
    const to = layer.wsOffset + layer.nIn * layer.nOut;
    const region = this.rpc.call<Float64Array>({
      method: 'backwardLayer', id: this.id, l, gy, regCoef, paramsLength: this.paramsLength, from, to, wantInputGradient,
    });
    for (let q = 0; q < region.length; q++) grad[from + q]! += region[q]!;
  }

  readInputGradient(l: number): Float64Array {
    return this.rpc.call<Float64Array>({ method: 'readInputGradient', id: this.id, l });
  }

  dispose(): void {
    try {
      this.rpc.call({ method: 'disposeKanKernels', id: this.id });
    } catch {
      // The worker is gone (bridge disposed): its memory went with it.
    }
  }
}
