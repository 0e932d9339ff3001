/**
 * Headless Chromium for the in-browser compute checks and the Chromium device bench: the parts of playwright-core and
 * esbuild they use (typed here, and loaded on demand, so that a missing one is a reason to skip rather than a crash),
 * SwiftShader's flags, and pages served as http://localhost from files held in memory.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const CHROMIUM = process.env.KANBENCH_CHROMIUM ?? '/usr/bin/chromium';
/** SwiftShader for WebGL (through ANGLE) and for WebGPU (Dawn on SwiftShader's Vulkan), so no GPU is needed. */
export const SWIFTSHADER_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

interface Route {
  request(): { url(): string };
  fulfill(response: { status?: number; contentType?: string; body: string; headers?: Record<string, string> }): Promise<void>;
}
export interface Page {
  route(url: string, handler: (route: Route) => Promise<void>): Promise<void>;
  goto(url: string): Promise<unknown>;
  addScriptTag(options: { url: string } | { content: string }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => Promise<R>, arg: A): Promise<R>;
}
export interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}
export interface ServedFile {
  type: string;
  body: string;
}

export interface BrowserTools {
  launch(chromium: string, flags: readonly string[]): Promise<Browser>;
  /** A TypeScript entry (a path from the repository root) bundled for a page as one script. */
  bundle(entry: string): Promise<string>;
}

/**
 * playwright-core and esbuild ready to use, or why not (no Chromium at that path, a package that does not load). Entries
 * are bundled from `root`, the repository root (a bundled caller, as the bench, cannot find it from its own location).
 */
export async function browserTools(chromium = CHROMIUM, root = path.resolve(import.meta.dirname, '../../..')): Promise<BrowserTools | string> {
  if (!existsSync(chromium)) return `no Chromium at ${chromium} (set KANBENCH_CHROMIUM)`;
  try {
    const { chromium: launcher } = (await import('playwright-core')) as unknown as { chromium: { launch(options: Record<string, unknown>): Promise<Browser> } };
    const { build } = (await import('esbuild')) as unknown as { build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }> };
    return {
      launch: (executablePath, flags) => launcher.launch({ executablePath, args: ['--no-sandbox', ...flags] }),
      bundle: async (entry) => (await build({ entryPoints: [path.join(root, entry)], bundle: true, write: false, platform: 'browser', format: 'iife', logLevel: 'silent' })).outputFiles[0]!.text,
    };
  } catch (err) {
    return `playwright-core or esbuild cannot be loaded: ${err instanceof Error ? err.message : String(err)}`;
  }
}

/**
 * A new page at http://localhost/index.html serving `files` by path (404 for any other), each response with `headers`.
 * http://localhost, because WebGPU is only offered to secure contexts.
 */
export async function openServedPage(browser: Browser, files: Record<string, ServedFile>, headers: Record<string, string> = {}): Promise<Page> {
  const page = await browser.newPage();
  await page.route('http://localhost/**', async (route) => {
    const file = files[new URL(route.request().url()).pathname];
    await route.fulfill(file ? { contentType: file.type, body: file.body, headers } : { status: 404, contentType: 'text/plain', body: 'not found' });
  });
  await page.goto('http://localhost/index.html');
  return page;
}
