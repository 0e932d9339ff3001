/** What the Node device worker is started with, beside the device protocol of app/compute/device/protocol.ts. */
import type { GpuJsMode } from '../../app/compute/gpujs/load';

/** What backend the worker hosts: gpu.js in a mode (webgpu in practice; the others let tests exercise the bridge). */
export interface HostedBackendSpec {
  kind: 'gpujs';
  mode: GpuJsMode;
}
