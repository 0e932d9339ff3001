/**
 * The calling side of the device protocol: a ComputeBackend whose kernel calls are requests to a device. The transport
 * decides whether it is synchronous (main/compute's bridge blocks the training worker until the reply) or asynchronous
 * (a MessagePort in a page: tests and the GPU check drive a Chromium device this way); the kernels are the same.
 */
import { type BasisTable, type ComputeBackend, type Deferred, type KanKernels, type LayerShape, isPromise } from '../contract';
import type { KanLayer } from '../../kan/layer';
import type { BridgeReady, BridgeReply, BridgeRequest, PlainLayer } from './protocol';

/** Sends a request and returns its reply's value (throwing, or rejecting, with the device's error). */
export type DeviceCall = <T>(request: BridgeRequest) => Deferred<T>;

export interface DeviceTransport {
  call: DeviceCall;
  isAsync: boolean;
  /** What the backend's dispose() does to the connection (close it, or only release the device's kernel sets). */
  release(): void;
}

export function bridgedBackend(name: string, transport: DeviceTransport): ComputeBackend {
  return {
    name,
    precision: 'float32',
    isAsync: transport.isAsync,
    createKanKernels: (shapes) => new BridgedKanKernels(transport.call, shapes),
    matmul: (a, b, rows, inner, cols) => transport.call<Float64Array>({ method: 'matmul', a, b, rows, inner, cols }),
    dispose: () => transport.release(),
  };
}

function then<T, R>(value: Deferred<T>, next: (value: T) => R): Deferred<R> {
  return isPromise(value) ? value.then(next) : next(value);
}

class BridgedKanKernels implements KanKernels {
  /** The device's id of this kernel set (a promise until an asynchronous device has answered). */
  private readonly id: Deferred<number>;
  private layers: readonly KanLayer[] = [];
  private paramsLength = 0;

  constructor(private readonly call: DeviceCall, shapes: readonly LayerShape[]) {
    this.id = call<number>({ method: 'createKanKernels', shapes: shapes.map((s) => ({ ...s })) });
  }

  private withId<T>(request: (id: number) => BridgeRequest): Deferred<T> {
    return isPromise(this.id) ? this.id.then((id) => this.call<T>(request(id))) : this.call<T>(request(this.id));
  }

  setParameters(layers: readonly KanLayer[], params: Float64Array): Deferred<void> {
    const plain: PlainLayer[] = layers.map((l) => ({
      nIn: l.nIn, nOut: l.nOut, G: l.G, k: l.k, base: l.base, knots: l.knots, mask: l.mask,
      coefOffset: l.coefOffset, wbOffset: l.wbOffset, wsOffset: l.wsOffset, symOffset: l.symOffset,
    }));
    this.layers = layers;
    this.paramsLength = params.length;
    return this.withId<void>((id) => ({ method: 'setParameters', id, layers: plain, params }));
  }

  basis(l: number, x: Float64Array, n: number): Deferred<BasisTable> {
    return this.withId<BasisTable>((id) => ({ method: 'basis', id, l, x, n }));
  }

  forwardLayer(l: number, x: Float64Array | null, n: number, edgeAbsSum: Float64Array | null): Deferred<void> {
    const sum = this.withId<Float64Array | null>((id) => ({ method: 'forwardLayer', id, l, x, n, withEdgeAbs: edgeAbsSum !== null }));
    return then(sum, (values) => {
      if (edgeAbsSum && values) for (let e = 0; e < values.length; e++) edgeAbsSum[e]! += values[e]!;
    });
  }

  readOutput(l: number): Deferred<Float64Array> {
    return this.withId<Float64Array>((id) => ({ method: 'readOutput', id, l }));
  }

  backwardLayer(l: number, gy: Float64Array | null, regCoef: Float64Array | null, grad: Float64Array, wantInputGradient: boolean): Deferred<void> {
    const layer = this.layers[l];
    if (!layer) throw new Error(`layer ${l} does not exist or setParameters was not called`);
    const from = layer.coefOffset;
    const to = layer.wsOffset + layer.nIn * layer.nOut;
    const region = this.withId<Float64Array>((id) => ({
      method: 'backwardLayer', id, l, gy, regCoef, paramsLength: this.paramsLength, from, to, wantInputGradient,
    }));
    return then(region, (values) => {
      for (let q = 0; q < values.length; q++) grad[from + q]! += values[q]!;
    });
  }

  readInputGradient(l: number): Deferred<Float64Array> {
    return this.withId<Float64Array>((id) => ({ method: 'readInputGradient', id, l }));
  }

  dispose(): void {
    try {
      const done = this.withId<null>((id) => ({ method: 'disposeKanKernels', id }));
      if (isPromise(done)) done.catch(() => undefined);
    } catch {
      // The device is gone (connection closed): its memory went with it.
    }
  }
}

/** The endpoint of a MessagePort-like channel to a device (a browser MessagePort or Node's). */
export interface DevicePortEnd {
  postMessage(message: BridgeRequest): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  start(): void;
  close(): void;
}

/**
 * An asynchronous backend over a port whose other end a device serves: resolves once the device's first message says
 * whether its backend runs there, with the backend when it does.
 */
export function connectPort(name: string, port: DevicePortEnd): Promise<{ ready: BridgeReady; backend: ComputeBackend | null }> {
  return new Promise((resolve) => {
    let ready: BridgeReady | null = null;
    const pending: ((reply: BridgeReply) => void)[] = [];
    port.addEventListener('message', ({ data }) => {
      if (ready) {
        pending.shift()?.(data as BridgeReply);
        return;
      }
      ready = data as BridgeReady;
      const call: DeviceCall = <T>(request: BridgeRequest) => new Promise<T>((done, fail) => {
        pending.push((reply) => (reply.ok ? done(reply.value as T) : fail(new Error(reply.error))));
        port.postMessage(request);
      });
      resolve({ ready, backend: ready.available ? bridgedBackend(name, { call, isAsync: true, release: () => port.close() }) : null });
    });
    port.start();
  });
}
