/**
 * The device protocol: the kernel calls of a compute backend as messages, answered one at a time by a device that holds
 * the backend (a Node worker thread hosting gpu.js on WebGPU, or a Chromium page hosting gpu.js on WebGL2/WebGPU), so the
 * synchronous training loop can use a backend whose results are promises, and the GPU data stays on the device.
 */
import type { NumericLayer } from '../../kan/layer';
import type { LayerShape } from '../contract';

/** A KanLayer without its symbolic functions (the protocol only carries numeric edges; functions cannot be posted). */
export type PlainLayer = NumericLayer;

export type BridgeRequest =
  | { method: 'createKanKernels'; shapes: LayerShape[] }
  | { method: 'disposeKanKernels'; id: number }
  /** Disposes of every kernel set of this connection: a client that stays connected between runs releases their memory. */
  | { method: 'reset' }
  | { method: 'setParameters'; id: number; layers: PlainLayer[]; params: Float64Array }
  | { method: 'basis'; id: number; l: number; x: Float64Array; n: number }
  | { method: 'forwardLayer'; id: number; l: number; x: Float64Array | null; n: number; withEdgeAbs: boolean }
  | { method: 'readOutput'; id: number; l: number }
  | { method: 'backwardLayer'; id: number; l: number; gy: Float64Array | null; regCoef: Float64Array | null; paramsLength: number; from: number; to: number; wantInputGradient: boolean }
  | { method: 'readInputGradient'; id: number; l: number }
  | { method: 'matmul'; a: Float64Array; b: Float64Array; rows: number; inner: number; cols: number };

export type BridgeReply = { ok: true; value: unknown } | { ok: false; error: string };

/** The first message a device sends on a connection: whether its backend runs there, and why not or what was checked. */
export interface BridgeReady {
  available: boolean;
  reason: string;
}

/** The gpu.js modes a Chromium page offers as devices (WebGL1 adds nothing WebGL2 lacks). */
export const CHROMIUM_DEVICE_MODES = ['webgl2', 'webgpu'] as const;
export type ChromiumDeviceMode = (typeof CHROMIUM_DEVICE_MODES)[number];

/** The registry name of the backend a Chromium page serves in a mode. */
export function chromiumBackendName(mode: ChromiumDeviceMode): string {
  return `chromium-${mode}`;
}

/**
 * What a Chromium device page is sent (by window.postMessage, with one MessagePort) to serve a mode on that port; in
 * Electron the device window's preload forwards it from the main process.
 */
export interface DeviceOffer {
  kanbenchDevice: ChromiumDeviceMode;
}

export function isDeviceOffer(data: unknown): data is DeviceOffer {
  const mode = (data as { kanbenchDevice?: unknown } | null)?.kanbenchDevice;
  return typeof mode === 'string' && (CHROMIUM_DEVICE_MODES as readonly string[]).includes(mode);
}

/** How the backend list describes a Chromium device backend. */
export function chromiumBackendDescription(mode: ChromiumDeviceMode): string {
  return `gpu.js on ${mode === 'webgpu' ? 'WebGPU (WGSL compute shaders)' : 'WebGL2 (GLSL)'} in a hidden Chromium window of the desktop app, on its GPU`;
}
