/**
 * The Chromium compute device as the main process offers it: every training worker gets its own relayed link per mode,
 * and the main process's backend list names the modes with whether the page can run them (what the settings and a
 * recipe's `backend` are checked against). The page itself is opened by the host (main/electron/device-window.ts).
 */
import { CHROMIUM_DEVICE_MODES, type BridgeReady, type ChromiumDeviceMode, chromiumBackendDescription, chromiumBackendName } from '../../app/compute/device/protocol';
import { registerBackend } from '../../app/compute/registry';
import type { DeviceLink } from './device-bridge';
import { type PageEnd, relayDevice } from './device-relay';

/** Opens a new connection to the device page, serving `mode` on it. */
export interface ChromiumDevice {
  open(mode: ChromiumDeviceMode): Promise<PageEnd>;
}

/** A fresh link per mode, for one training worker. */
export function chromiumDeviceLinks(device: ChromiumDevice): () => DeviceLink[] {
  return () => CHROMIUM_DEVICE_MODES.map((mode) => relayDevice(chromiumBackendName(mode), () => device.open(mode)));
}

/** Whether the page runs `mode`: the first message of a connection opened for asking, then closed. */
async function chromiumDeviceReady(device: ChromiumDevice, mode: ChromiumDeviceMode, timeoutMs = 60_000): Promise<BridgeReady> {
  let end: PageEnd;
  try {
    end = await device.open(mode);
  } catch (err) {
    return { available: false, reason: `the device page cannot be opened: ${err instanceof Error ? err.message : String(err)}` };
  }
  const ready = await new Promise<BridgeReady>((resolve) => {
    const timer = setTimeout(() => resolve({ available: false, reason: `the device page did not answer within ${timeoutMs / 1000} s` }), timeoutMs);
    end.onMessage((data) => {
      clearTimeout(timer);
      resolve(data as BridgeReady);
    });
    end.onClose(() => {
      clearTimeout(timer);
      resolve({ available: false, reason: 'the device page closed before it answered' });
    });
  });
  end.close();
  return ready;
}

/**
 * The main process's registry entries of the Chromium modes: their names and availability. Training uses them in the
 * training worker, through its links; the main thread only relays and must never block on one itself.
 */
export function registerChromiumBackends(device: ChromiumDevice): void {
  for (const mode of CHROMIUM_DEVICE_MODES) {
    const name = chromiumBackendName(mode);
    registerBackend({
      name,
      description: chromiumBackendDescription(mode),
      precision: 'float32',
      synchronous: true,
      probe: () => chromiumDeviceReady(device, mode),
      create: () => Promise.reject(new Error(`${name} trains in a training worker, which the main process relays to the device page`)),
    });
  }
}
