/**
 * Messages between the device bridge (main thread, synchronous) and the device worker (which hosts an asynchronous
 * backend): the main thread posts a request on a MessagePort and sleeps in Atomics.wait; the worker posts the reply and
 * raises the flag; the main thread takes the reply with receiveMessageOnPort.
 */
import type { NumericLayer } from '../../app/kan/layer';
import type { LayerShape } from '../../app/compute/contract';
import type { GpuJsMode } from '../../app/compute/gpujs/load';

/** What backend the worker hosts: gpu.js in a mode (webgpu in practice; the others let tests exercise the bridge). */
export interface HostedBackendSpec {
  kind: 'gpujs';
  mode: GpuJsMode;
}

/** A KanLayer without its symbolic functions (the bridge only carries numeric edges; functions cannot be posted). */
export type PlainLayer = NumericLayer;

export type BridgeRequest =
  | { method: 'createKanKernels'; shapes: LayerShape[] }
  | { method: 'disposeKanKernels'; id: number }
  | { method: 'setParameters'; id: number; layers: PlainLayer[]; params: Float64Array }
  | { method: 'basis'; id: number; l: number; x: Float64Array; n: number }
  | { method: 'forwardLayer'; id: number; l: number; x: Float64Array | null; n: number; withEdgeAbs: boolean }
  | { method: 'readOutput'; id: number; l: number }
  | { method: 'backwardLayer'; id: number; l: number; gy: Float64Array | null; regCoef: Float64Array | null; paramsLength: number; from: number; to: number; wantInputGradient: boolean }
  | { method: 'readInputGradient'; id: number; l: number }
  | { method: 'matmul'; a: Float64Array; b: Float64Array; rows: number; inner: number; cols: number };

export type BridgeReply = { ok: true; value: unknown } | { ok: false; error: string };

/** Sent once by the worker on its parent port after start-up. */
export interface BridgeReady {
  available: boolean;
  reason: string;
}
