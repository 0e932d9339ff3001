/**
 * The serving side of the device protocol: answers one connection's requests against a backend, strictly one after
 * another (a client sends the next request only after the last reply), keeping that connection's kernel sets by id.
 */
import type { ComputeBackend, KanKernels } from '../contract';
import type { KanLayer } from '../../kan/layer';
import type { BridgeReply, BridgeRequest, PlainLayer } from './protocol';

export interface DeviceServer {
  /** The reply to a request; never rejects (a failure is an { ok: false } reply). */
  handle(request: BridgeRequest): Promise<BridgeReply>;
}

export function createDeviceServer(backend: ComputeBackend): DeviceServer {
  /** Kernel sets by id, with the edge count of each layer. */
  const kernelSets = new Map<number, { kernels: KanKernels; edges: number[] }>();
  let nextId = 1;
  let queue: Promise<unknown> = Promise.resolve();

  async function serve(request: BridgeRequest): Promise<unknown> {
    if (request.method === 'createKanKernels') {
      const id = nextId++;
      kernelSets.set(id, { kernels: backend.createKanKernels(request.shapes), edges: request.shapes.map((s) => s.nIn * s.nOut) });
      return id;
    }
    if (request.method === 'matmul') return backend.matmul(request.a, request.b, request.rows, request.inner, request.cols);
    if (request.method === 'reset') {
      for (const set of kernelSets.values()) set.kernels.dispose();
      kernelSets.clear();
      return null;
    }
    const set = kernelSets.get(request.id);
    if (!set) throw new Error(`no kernel set ${request.id} on the device`);
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

  return {
    handle(request) {
      const reply = queue.then(async (): Promise<BridgeReply> => ({ ok: true, value: await serve(request) })).catch((err: unknown): BridgeReply => ({ ok: false, error: err instanceof Error ? err.message : String(err) }));
      queue = reply;
      return reply;
    },
  };
}

function toLayers(plain: PlainLayer[]): KanLayer[] {
  return plain.map((p) => ({ ...p, symMask: new Float64Array(p.nIn * p.nOut), symFns: new Array<null>(p.nIn * p.nOut).fill(null), domain: null }));
}
