/**
 * Bundled into the compute device page by chromium-device.bench.ts: times one training step's work (objective and
 * gradient over a batch) of a seeded KAN through the page's device, checks it against the Float64 reference computed in
 * the same page; and says which GPU (or software renderer) the browser gives a mode.
 */
import { AcceleratedKan } from '../app/compute/accelerated-kan';
import { connectPort } from '../app/compute/device/client';
import { type ChromiumDeviceMode, type DeviceOffer, chromiumBackendName } from '../app/compute/device/protocol';
import { Kan } from '../app/kan/model';
import { Rng } from '../app/util/rng';

export interface DeviceTiming {
  available: boolean;
  reason: string;
  /** Median seconds of the timed calls, after one warm-up call (which compiles the kernels). */
  secondsPerStep: number | null;
  warmupSeconds: number | null;
  objectiveError: number | null;
  gradientError: number | null;
}

/** The seeded problem both sides build alike: a KAN of `width`, grid 5, k 3, on a random batch of n rows. */
export function benchProblem(width: number[], n: number): { kan: Kan; batch: { x: Float64Array; y: Float64Array; n: number } } {
  const rng = new Rng(1);
  const kan = Kan.create({ width, grid: 5, k: 3 }, rng);
  const x = new Float64Array(n * width[0]!).map(() => rng.range(-1, 1));
  const y = new Float64Array(n * width[width.length - 1]!).map(() => rng.range(-1, 1));
  return { kan, batch: { x, y, n } };
}

async function renderer(mode: ChromiumDeviceMode): Promise<string> {
  if (mode === 'webgl2') {
    const gl = document.createElement('canvas').getContext('webgl2');
    if (!gl) return 'no WebGL2 context';
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
  }
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<{ info?: Record<string, string> } | null> } }).gpu;
  const adapter = await gpu?.requestAdapter();
  if (!adapter) return gpu ? 'no WebGPU adapter' : 'no navigator.gpu';
  const info = adapter.info ?? {};
  return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'an adapter without a description';
}

function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let norm = 0;
  for (let q = 0; q < b.length; q++) {
    diff += (a[q]! - b[q]!) ** 2;
    norm += b[q]! ** 2;
  }
  return Math.sqrt(diff / (norm || 1));
}

async function time(mode: ChromiumDeviceMode, width: number[], n: number, repeats: number): Promise<DeviceTiming> {
  const channel = new MessageChannel();
  window.postMessage({ kanbenchDevice: mode } satisfies DeviceOffer, '*', [channel.port2]);
  const { ready, backend } = await connectPort(chromiumBackendName(mode), channel.port1);
  const none = { secondsPerStep: null, warmupSeconds: null, objectiveError: null, gradientError: null };
  if (!backend) return { ...ready, ...none };
  const { kan, batch } = benchProblem(width, n);
  const model = new AcceleratedKan(kan, backend);
  try {
    const want = new Float64Array(kan.params.length);
    const reference = kan.lossAndGrad(batch, 'regression', want);
    const got = new Float64Array(kan.params.length);
    let started = performance.now();
    const first = await model.lossAndGradAsync(batch, 'regression', got);
    const warmupSeconds = (performance.now() - started) / 1000;
    const seconds: number[] = [];
    for (let r = 0; r < repeats; r++) {
      started = performance.now();
      await model.lossAndGradAsync(batch, 'regression', got.fill(0));
      seconds.push((performance.now() - started) / 1000);
    }
    seconds.sort((a, b) => a - b);
    return {
      ...ready, warmupSeconds, secondsPerStep: seconds[Math.floor(seconds.length / 2)]!,
      objectiveError: Math.abs(first.objective - reference.objective) / Math.abs(reference.objective), gradientError: relativeError(got, want),
    };
  } catch (err) {
    return { ...none, available: false, reason: `failed: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    model.dispose();
    backend.dispose();
  }
}

Object.assign(globalThis, { kanbenchTimeDevice: time, kanbenchRenderer: (mode: ChromiumDeviceMode) => renderer(mode).catch((err: unknown) => `unknown (${String(err)})`) });
