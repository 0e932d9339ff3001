/**
 * The gpu.js modes that only exist in a browser (WebGL2, WebGL, and WebGPU through Chromium's own Dawn), checked against
 * the reference inside headless Chromium on its SwiftShader software GPU: the GLSL and WGSL the kernels compile to, the
 * resident textures and buffers, their release. Skipped, with the reason, where Chromium or playwright-core is missing.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { PageCheck } from './browser-page';
import { toleranceFor } from './helpers';

const CHROMIUM = process.env.KANBENCH_CHROMIUM ?? '/usr/bin/chromium';
/** SwiftShader for WebGL (through ANGLE) and for WebGPU (Dawn on SwiftShader's Vulkan), so no GPU is needed. */
const FLAGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

interface Page {
  evaluate<R, A>(fn: (arg: A) => Promise<R>, arg: A): Promise<R>;
}
interface Browser {
  close(): Promise<void>;
}

async function openPage(): Promise<{ browser: Browser; page: Page } | string> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (set KANBENCH_CHROMIUM)`;
  let chromium: { launch(options: Record<string, unknown>): Promise<Browser & { newPage(): Promise<Page & Record<string, (...args: never[]) => Promise<unknown>>> }> };
  let build: (options: Record<string, unknown>) => Promise<{ outputFiles: { text: string }[] }>;
  try {
    ({ chromium } = (await import('playwright-core')) as unknown as { chromium: typeof chromium });
    ({ build } = (await import('esbuild')) as unknown as { build: typeof build });
  } catch (err) {
    return `playwright-core or esbuild cannot be loaded: ${err instanceof Error ? err.message : String(err)}`;
  }
  const bundle = await build({
    entryPoints: [path.join(import.meta.dirname, 'browser-page.ts')], bundle: true, write: false, platform: 'browser', format: 'iife', logLevel: 'silent',
  });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const page = await browser.newPage();
  // WebGPU is only offered to secure contexts: serve the page as http://localhost.
  await (page.route as (url: string, handler: (route: { fulfill(r: Record<string, string>): Promise<void> }) => Promise<void>) => Promise<void>)(
    'http://localhost/**', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>kan</title>' }),
  );
  await (page.goto as (url: string) => Promise<unknown>)('http://localhost/index.html');
  await (page.addScriptTag as (o: { content: string }) => Promise<unknown>)({ content: bundle.outputFiles[0]!.text });
  return { browser, page };
}

const opened = await openPage();
const modes = ['webgl2', 'webgl', 'webgpu'] as const;
const availability = new Map<string, { available: boolean; reason: string }>();
if (typeof opened !== 'string') {
  for (const mode of modes) {
    availability.set(mode, await opened.page.evaluate((m) => (globalThis as unknown as { kanbenchAvailability(m: string): Promise<{ available: boolean; reason: string }> }).kanbenchAvailability(m), mode));
  }
}

afterAll(async () => {
  if (typeof opened !== 'string') await opened.browser.close();
});

describe.skipIf(typeof opened === 'string')(`gpu.js in headless Chromium${typeof opened === 'string' ? ` (skipped: ${opened})` : ''}`, () => {
  for (const mode of modes) {
    // WebGL shares its kernels' code with WebGL2; chunking is checked where it differs (textures, storage buffers).
    for (const maxCells of mode === 'webgl' ? [null] : [null, 256]) {
      const state = availability.get(mode);
      const name = `gpujs-${mode}${maxCells ? ' in chunks of a few rows' : ''}`;
      it.skipIf(!state?.available)(`${name}: every kernel and the training objective agree with the reference${state?.available ? '' : ` (skipped: ${state?.reason})`}`, async () => {
        if (typeof opened === 'string') return;
        const result = await opened.page.evaluate(
          ([m, cells]) => (globalThis as unknown as { kanbenchCheck(m: string, c: number | null): Promise<PageCheck> }).kanbenchCheck(m, cells),
          [mode, maxCells] as const,
        );
        expect(result.available).toBe(true);
        expect(Object.keys(result.errors).length).toBeGreaterThan(20);
        const tolerance = toleranceFor('float32');
        expect(Object.entries(result.errors).filter(([, e]) => !(e <= tolerance))).toEqual([]);
      }, 120_000);
    }
  }
});
