/**
 * The Chromium compute device (the page Electron's hidden device window loads, renderer/device) in headless Chromium on
 * its SwiftShader software GPU, served with the workbench's CSP: offered a MessagePort per mode as the device window's
 * preload offers it, it must answer every kernel call of the device protocol, and the training objective, gradient and
 * predictions of small KANs computed through it must agree with the Float64 reference. A mode Chromium does not offer here
 * is skipped with Chromium's reason; the whole file is skipped, with the reason, without Chromium or playwright-core.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM_DEVICE_MODES } from '../../../app/compute/device/protocol';
import { rendererCsp } from '../../../main/web/csp';
import type { DeviceCheck } from './chromium-device-page';
import { toleranceFor } from './helpers';

const CHROMIUM = process.env.KANBENCH_CHROMIUM ?? '/usr/bin/chromium';
/** SwiftShader for WebGL (through ANGLE) and for WebGPU (Dawn on SwiftShader's Vulkan), so no GPU is needed. */
const FLAGS = ['--no-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];
const root = path.resolve(import.meta.dirname, '../../..');

interface Route {
  request(): { url(): string };
  fulfill(response: { status?: number; contentType?: string; body: string; headers?: Record<string, string> }): Promise<void>;
}
interface Page {
  route(url: string, handler: (route: Route) => Promise<void>): Promise<void>;
  goto(url: string): Promise<unknown>;
  addScriptTag(options: { url: string }): Promise<unknown>;
  evaluate<R, A>(fn: (arg: A) => Promise<R>, arg: A): Promise<R>;
}
interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

async function bundle(build: (options: Record<string, unknown>) => Promise<{ outputFiles: { text: string }[] }>, entry: string): Promise<string> {
  const result = await build({ entryPoints: [path.join(root, entry)], bundle: true, write: false, platform: 'browser', format: 'iife', logLevel: 'silent' });
  return result.outputFiles[0]!.text;
}

async function openDevicePage(): Promise<{ browser: Browser; page: Page } | string> {
  if (!existsSync(CHROMIUM)) return `no Chromium at ${CHROMIUM} (set KANBENCH_CHROMIUM)`;
  let chromium: { launch(options: Record<string, unknown>): Promise<Browser> };
  let build: (options: Record<string, unknown>) => Promise<{ outputFiles: { text: string }[] }>;
  try {
    ({ chromium } = (await import('playwright-core')) as unknown as { chromium: typeof chromium });
    ({ build } = (await import('esbuild')) as unknown as { build: typeof build });
  } catch (err) {
    return `playwright-core or esbuild cannot be loaded: ${err instanceof Error ? err.message : String(err)}`;
  }
  // The device page as scripts/build.mjs builds it (same entry and page), and this test's client beside it.
  const files: Record<string, { type: string; body: string }> = {
    '/index.html': { type: 'text/html', body: readFileSync(path.join(root, 'renderer/device/index.html'), 'utf8') },
    '/device.js': { type: 'text/javascript', body: await bundle(build, 'renderer/device/device.ts') },
    '/client.js': { type: 'text/javascript', body: await bundle(build, 'tests/unit/compute/chromium-device-page.ts') },
  };
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  const page = await browser.newPage();
  // WebGPU is only offered to secure contexts: serve the page as http://localhost, with the CSP Electron serves it with.
  await page.route('http://localhost/**', async (route) => {
    const file = files[new URL(route.request().url()).pathname];
    await route.fulfill(file
      ? { contentType: file.type, body: file.body, headers: { 'Content-Security-Policy': rendererCsp("'self'") } }
      : { status: 404, contentType: 'text/plain', body: 'not found' });
  });
  await page.goto('http://localhost/index.html');
  await page.addScriptTag({ url: '/client.js' });
  return { browser, page };
}

const opened = await openDevicePage();

afterAll(async () => {
  if (typeof opened !== 'string') await opened.browser.close();
});

describe.skipIf(typeof opened === 'string')(`the Chromium compute device in headless Chromium${typeof opened === 'string' ? ` (skipped: ${opened})` : ''}`, () => {
  for (const mode of CHROMIUM_DEVICE_MODES) {
    it(`chromium-${mode}: every kernel call through the port, and the KAN's objective, gradient and predictions, agree with the reference (or the mode says why it cannot run)`, async (context) => {
      if (typeof opened === 'string') return;
      const result = await opened.page.evaluate(
        (m) => (globalThis as unknown as { kanbenchDeviceCheck(m: string): Promise<DeviceCheck> }).kanbenchDeviceCheck(m),
        mode,
      );
      if (!result.available) context.skip(`Chromium offers no ${mode} here: ${result.reason}`);
      expect(result.reason).toContain(`Chromium ${mode}`);
      expect(Object.keys(result.errors)).toEqual(expect.arrayContaining([
        'matmul', '[3,4,2] G=4 k=3 silu classification: model objective', '[3,4,2] G=4 k=3 silu classification: model gradient',
        '[2,3,1] G=3 k=2 identity regression: model predictions',
      ]));
      expect(Object.keys(result.errors).length).toBeGreaterThan(40);
      const tolerance = toleranceFor('float32');
      expect(Object.entries(result.errors).filter(([, e]) => !(e <= tolerance))).toEqual([]);
    }, 60_000);
  }
});
