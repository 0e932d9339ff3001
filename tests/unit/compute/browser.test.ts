/**
 * The gpu.js modes that only exist in a browser (WebGL2, WebGL, and WebGPU through Chromium's own Dawn), checked against
 * the reference inside headless Chromium on its SwiftShader software GPU: the GLSL and WGSL the kernels compile to, the
 * resident textures and buffers, their release. Skipped, with the reason, where Chromium or playwright-core is missing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { PageCheck } from './browser-page';
import { type Browser, type Page, CHROMIUM, SWIFTSHADER_FLAGS, browserTools, openServedPage } from './headless-chromium';
import { toleranceFor } from './helpers';

async function openPage(): Promise<{ browser: Browser; page: Page } | string> {
  const tools = await browserTools();
  if (typeof tools === 'string') return tools;
  const script = await tools.bundle('tests/unit/compute/browser-page.ts');
  const browser = await tools.launch(CHROMIUM, SWIFTSHADER_FLAGS);
  const page = await openServedPage(browser, { '/index.html': { type: 'text/html', body: '<!doctype html><title>kan</title>' } });
  await page.addScriptTag({ content: script });
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
