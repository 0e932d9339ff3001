/**
 * WebGPU for Node: gpu.js looks for navigator.gpu, which Node does not have; the `webgpu` package (Dawn) provides it
 * where its native module loads (it needs a recent glibc and a Vulkan, Metal or D3D12 driver).
 */

export interface WebGpuInstall {
  ok: boolean;
  /** What failed, or the adapter found. */
  reason: string;
}

/** Installs navigator.gpu from the `webgpu` package in this thread; never throws. Keeps the thread alive while installed. */
export async function installWebGpu(): Promise<WebGpuInstall> {
  const existing = (globalThis as { navigator?: { gpu?: unknown } }).navigator;
  if (existing?.gpu) return { ok: true, reason: 'navigator.gpu was already present' };
  let module: { create(flags: string[]): unknown; globals: Record<string, unknown> };
  try {
    const name = 'webgpu';
    module = (await import(name)) as typeof module;
  } catch (err) {
    return { ok: false, reason: `the webgpu package does not load here: ${firstLine(err)}` };
  }
  try {
    Object.assign(globalThis, module.globals);
    const gpu = module.create([]);
    Object.defineProperty(globalThis, 'navigator', { value: { ...(existing ?? {}), gpu }, configurable: true, writable: true });
    const adapter = await (gpu as { requestAdapter(): Promise<{ info?: { vendor?: string; architecture?: string; description?: string } } | null> }).requestAdapter();
    if (!adapter) return { ok: false, reason: 'the webgpu package loaded but no adapter answered (no Vulkan/Metal/D3D12 driver for a GPU?)' };
    const info = adapter.info ?? {};
    return { ok: true, reason: `adapter ${[info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'found'}` };
  } catch (err) {
    return { ok: false, reason: `WebGPU did not start: ${firstLine(err)}` };
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
