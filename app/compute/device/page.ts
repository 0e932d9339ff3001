/**
 * A Chromium page as a compute device: gpu.js on the page's WebGL2 or WebGPU serves the device protocol on each
 * MessagePort it is offered (window.postMessage of a DeviceOffer with one port; in Electron the device window's preload
 * forwards the main process's port). One gpu.js backend per mode is shared by all ports; each port has its own kernel sets.
 */
import type { ComputeBackend } from '../contract';
import { createGpuJsBackend } from '../gpujs/backend';
import { gpuJsModeAvailability, loadGpuJs } from '../gpujs/load';
import { type BridgeReady, type BridgeRequest, type ChromiumDeviceMode, isDeviceOffer } from './protocol';
import { createDeviceServer } from './server';

/** The page's side of one offered connection (a browser MessagePort). */
export interface PagePort {
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  start(): void;
}

/** Where offers arrive: the page's window. Only messages the page posts to itself (its preload, or a test) count. */
export interface OfferSource {
  addEventListener(type: 'message', listener: (event: { data: unknown; source: unknown; ports: readonly PagePort[] }) => void): void;
}

interface ModeDevice {
  ready: BridgeReady;
  backend: ComputeBackend | null;
}

const devices = new Map<ChromiumDeviceMode, Promise<ModeDevice>>();

function deviceFor(mode: ChromiumDeviceMode): Promise<ModeDevice> {
  let device = devices.get(mode);
  if (!device) {
    device = (async (): Promise<ModeDevice> => {
      try {
        const GPU = await loadGpuJs();
        const check = await gpuJsModeAvailability(GPU, mode);
        return { ready: { available: check.available, reason: `Chromium ${mode}: ${check.reason}` }, backend: check.available ? createGpuJsBackend(GPU, mode) : null };
      } catch (err) {
        return { ready: { available: false, reason: err instanceof Error ? err.message : String(err) }, backend: null };
      }
    })();
    devices.set(mode, device);
  }
  return device;
}

/** Serves the device protocol on `port` in `mode`: first whether the mode runs here, then one reply per request. */
export async function servePort(port: PagePort, mode: ChromiumDeviceMode): Promise<void> {
  const { ready, backend } = await deviceFor(mode);
  if (backend) {
    const server = createDeviceServer(backend);
    port.addEventListener('message', ({ data }) => void server.handle(data as BridgeRequest).then((reply) => port.postMessage(reply)));
  }
  port.start();
  port.postMessage(ready);
}

/** Starts serving every offer `self` (the page's window) posts to itself. */
export function servePageDevice(self: OfferSource): void {
  self.addEventListener('message', (event) => {
    const port = event.ports[0];
    if (event.source !== self || !port || !isDeviceOffer(event.data)) return;
    void servePort(port, event.data.kanbenchDevice);
  });
}
