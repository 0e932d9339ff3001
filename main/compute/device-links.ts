/**
 * The training worker's side of the Chromium devices: each link the host handed it (main/compute/device-relay.ts)
 * becomes a backend of the registry, offered to the chooser, measured and checked like every other; it is synchronous
 * through the device bridge, and stays connected for the worker's life (a finished run only releases its kernels).
 */
import { CHROMIUM_DEVICE_MODES, chromiumBackendDescription, chromiumBackendName } from '../../app/compute/device/protocol';
import { registerBackend } from '../../app/compute/registry';
import { type DeviceLink, linkedDevice } from './device-bridge';

export function registerDeviceLinks(links: readonly DeviceLink[]): void {
  for (const link of links) {
    const mode = CHROMIUM_DEVICE_MODES.find((m) => chromiumBackendName(m) === link.name);
    if (!mode) throw new Error(`no Chromium device serves a backend called "${link.name}"`);
    const device = linkedDevice(link);
    registerBackend({
      name: link.name,
      description: chromiumBackendDescription(mode),
      precision: 'float32',
      synchronous: true,
      probe: () => device.ready(),
      create: async () => device.backend(),
    });
  }
}
