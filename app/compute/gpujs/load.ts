/**
 * Loading gpu.js defensively and asking which of its modes work here. Only the handful of gpu.js members the backend
 * uses are typed, so a gpu.js that fails to load (or lacks a mode) makes backends unavailable with a reason, never
 * breaks an import of app/compute.
 */

/** A compiled gpu.js kernel (its run shortcut); `kernel` is the Kernel instance that actually runs. */
export interface GpuJsKernel {
  (...args: unknown[]): unknown;
  readonly kernel?: { readonly constructor: { readonly mode?: string }; readonly fallbackReason?: string | null };
  destroy?(removeCanvasReferences?: boolean): void;
}

export interface GpuJsInstance {
  createKernel(source: string, settings: Record<string, unknown>): GpuJsKernel;
  destroy(): Promise<void>;
}

export interface GpuJsClass {
  new (settings: { mode: string }): GpuJsInstance;
  readonly isWebAssemblySupported: boolean;
  readonly isHeadlessGLSupported: boolean;
  readonly isWebGL2Supported: boolean;
  readonly isWebGLSupported: boolean;
  readonly isWebGPUSupported: boolean;
  isWebGPUAvailable(): Promise<boolean>;
}

/** gpu.js modes, most capable first: webgpu and the GL modes run on a GPU, webasm and cpu on this CPU. */
export const GPUJS_MODES = ['webgpu', 'headlessgl', 'webgl2', 'webgl', 'webasm', 'cpu'] as const;
export type GpuJsMode = (typeof GPUJS_MODES)[number];

/** What gpu.js reports as the mode of a kernel that really runs in `mode` (its GL kernels all say 'gpu'). */
export function kernelModeOf(mode: GpuJsMode): string {
  return mode === 'headlessgl' || mode === 'webgl2' || mode === 'webgl' ? 'gpu' : mode;
}

/** Modes whose pipeline results stay in device memory (textures, storage buffers) until read back. */
export function isDeviceResident(mode: GpuJsMode): boolean {
  return mode === 'webgpu' || mode === 'headlessgl' || mode === 'webgl2' || mode === 'webgl';
}

let loading: Promise<GpuJsClass> | null = null;

/** The gpu.js GPU class, imported once; rejects with the reason when gpu.js cannot be loaded. */
export function loadGpuJs(): Promise<GpuJsClass> {
  loading ??= import('gpu.js').then((mod: unknown) => {
    const m = mod as { GPU?: unknown; default?: { GPU?: unknown } };
    const GPU = m.GPU ?? m.default?.GPU;
    if (typeof GPU !== 'function') throw new Error('the gpu.js package loaded but exports no GPU class');
    return GPU as GpuJsClass;
  }).catch((err: unknown) => {
    loading = null;
    throw new Error(`gpu.js cannot be loaded: ${err instanceof Error ? err.message : String(err)}`);
  });
  return loading;
}

export interface ModeAvailability {
  available: boolean;
  /** Why not, or what was checked. */
  reason: string;
}

/**
 * Whether a gpu.js mode works here: the platform check gpu.js offers, then a tiny kernel actually compiled and run
 * (a mode can claim support and still fail to compile or silently fall back to cpu).
 */
export async function gpuJsModeAvailability(GPU: GpuJsClass, mode: GpuJsMode): Promise<ModeAvailability> {
  try {
    const platform = await platformSupport(GPU, mode);
    if (platform) return { available: false, reason: platform };
    const gpu = new GPU({ mode });
    try {
      const kernel = gpu.createKernel('function (a) { return a[this.thread.x] * 2.0 + 1.0; }', { output: [4], precision: 'single' });
      const result = await Promise.resolve(kernel(new Float32Array([0, 1, 2, 3])));
      const values = Array.from(result as ArrayLike<number>);
      const ran = kernel.kernel?.constructor.mode;
      if (ran && ran !== kernelModeOf(mode)) return { available: false, reason: `gpu.js ran the test kernel in ${ran} mode instead (${kernel.kernel?.fallbackReason ?? 'no reason given'})` };
      if (values.join(',') !== '1,3,5,7') return { available: false, reason: `the test kernel computed ${values.join(',')} instead of 1,3,5,7` };
      return { available: true, reason: 'a test kernel compiled and ran' };
    } finally {
      await gpu.destroy().catch(() => undefined);
    }
  } catch (err) {
    return { available: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

async function platformSupport(GPU: GpuJsClass, mode: GpuJsMode): Promise<string | null> {
  switch (mode) {
    case 'cpu':
      return null;
    case 'webasm':
      return GPU.isWebAssemblySupported ? null : 'WebAssembly is not available';
    case 'headlessgl': {
      // gpu.js prints why a headless-gl context failed (console.warn); that reason belongs in the answer instead.
      const printed: string[] = [];
      const { warn, error } = console;
      console.warn = console.error = (...args: unknown[]) => {
        printed.push(args.map((a) => (a instanceof Error ? a.message : String(a))).join(' ').split('\n')[0]!);
      };
      try {
        if (GPU.isHeadlessGLSupported) return null;
      } finally {
        console.warn = warn;
        console.error = error;
      }
      return `headless-gl (the optional \`gl\` package) is not installed or cannot create a context${printed.length ? ` (${printed[0]})` : ''}; \`npm i gl@8\` enables it`;
    }
    case 'webgl2':
      return GPU.isWebGL2Supported ? null : 'WebGL2 is only available in a browser with a GPU context';
    case 'webgl':
      return GPU.isWebGLSupported ? null : 'WebGL is only available in a browser with a GPU context';
    case 'webgpu':
      if (!GPU.isWebGPUSupported) return 'WebGPU is not available (no navigator.gpu; in Node the `webgpu` package must load first)';
      return (await GPU.isWebGPUAvailable()) ? null : 'navigator.gpu exists but no WebGPU adapter answered';
  }
}
