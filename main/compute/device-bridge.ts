/**
 * The device bridge: makes an asynchronous backend (gpu.js on WebGPU or in a Chromium page, whose results are promises)
 * usable by the synchronous training loop. The backend lives on a device (a worker thread, or a page the main process
 * relays to); each kernel call here posts a request and blocks in Atomics.wait until the device has answered, so a call
 * costs one round trip on top of the GPU work, and the GPU data stays on the device between calls.
 */
import { MessageChannel, type MessagePort, Worker, receiveMessageOnPort } from 'node:worker_threads';
import type { ComputeBackend } from '../../app/compute/contract';
import { bridgedBackend } from '../../app/compute/device/client';
import type { BridgeReady, BridgeReply, BridgeRequest } from '../../app/compute/device/protocol';
import type { HostedBackendSpec } from './bridge-protocol';
import { OPEN_DEVICE } from './device-relay';
import { workerScript } from './worker-script';

/** A request unanswered for this long means the device (or its GPU driver) hung: fail instead of blocking forever. */
const STALL_MS = 10 * 60 * 1000;

export interface BridgeStart {
  available: boolean;
  reason: string;
  /** Present when available. */
  backend: ComputeBackend | null;
}

/**
 * A connection to a device, as a training worker holds it: the port the device answers on, and the flag it raises
 * after each reply ([0] = 1). The device side is a device worker, or main/compute/device-relay.ts.
 */
export interface DeviceLink {
  /** Registry name of the backend the device serves. */
  name: string;
  port: MessagePort;
  flag: Int32Array;
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
  const rpc = new SyncRpc(channel.port1, flag, () => void worker.terminate());
  return { available: true, reason: ready.reason, backend: bridgedBackend(name, { call: (request) => rpc.call(request), isAsync: false, release: () => rpc.close() }) };
}

/**
 * The synchronous client of a device link: asks the relay to open the device (on the first `ready()`, so a worker that
 * never uses the device never opens it), waits for its first message (whether its backend runs there), then calls it
 * like a device worker. Each backend made from it only releases the device's kernel sets when disposed, since the link
 * outlives a run (a training worker is kept warm for the next one).
 */
export function linkedDevice(link: DeviceLink, startTimeoutMs = 60_000): { ready(): Promise<BridgeReady>; backend(): ComputeBackend } {
  let ready: Promise<BridgeReady> | null = null;
  const rpc = new SyncRpc(link.port, link.flag, () => undefined);
  link.port.unref();
  return {
    ready: () => (ready ??= new Promise<BridgeReady>((resolve) => {
      const timer = setTimeout(() => resolve({ available: false, reason: `the ${link.name} device did not answer within ${startTimeoutMs / 1000} s` }), startTimeoutMs);
      link.port.once('message', (message: BridgeReady) => {
        clearTimeout(timer);
        resolve(message);
      });
      link.port.postMessage(OPEN_DEVICE);
    })),
    backend: () => bridgedBackend(link.name, { call: (request) => rpc.call(request), isAsync: false, release: () => release(rpc) }),
  };
}

function release(rpc: SyncRpc): void {
  try {
    rpc.call({ method: 'reset' });
  } catch {
    // The device page is gone, and the kernels with it.
  }
}

class SyncRpc {
  private closed = false;

  constructor(private readonly port: MessagePort, private readonly flag: Int32Array, private readonly stop: () => void) {}

  call<T>(request: BridgeRequest): T {
    if (this.closed) throw new Error('the device bridge was disposed');
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(request);
    let waited = 0;
    while (Atomics.load(this.flag, 0) === 0) {
      const started = Date.now();
      Atomics.wait(this.flag, 0, 0, 1000);
      waited += Date.now() - started;
      if (waited > STALL_MS) throw new Error(`the device did not answer ${request.method} within ${STALL_MS / 60000} minutes`);
    }
    const received = receiveMessageOnPort(this.port);
    if (!received) throw new Error(`the device raised its flag without a reply to ${request.method}`);
    const reply = received.message as BridgeReply;
    if (!reply.ok) throw new Error(reply.error);
    return reply.value as T;
  }

  close(): void {
    this.closed = true;
    this.port.close();
    this.stop();
  }
}
