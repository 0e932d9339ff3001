/**
 * The Chromium compute device (the page Electron's hidden device window loads, renderer/device) in headless Chromium on
 * its SwiftShader software GPU, served with the workbench's CSP: offered a MessagePort per mode as the device window's
 * preload offers it, it must answer every kernel call of the device protocol, and the training objective, gradient and
 * predictions of small KANs computed through it must agree with the Float64 reference. A mode Chromium does not offer here
 * is skipped with Chromium's reason; the whole file is skipped, with the reason, without Chromium or playwright-core.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CHROMIUM_DEVICE_MODES } from '../../../app/compute/device/protocol';
import { rendererCsp } from '../../../main/web/csp';
import type { DeviceCheck } from './chromium-device-page';
import { type Browser, type Page, CHROMIUM, SWIFTSHADER_FLAGS, browserTools, openServedPage } from './headless-chromium';
import { toleranceFor } from './helpers';

const root = path.resolve(import.meta.dirname, '../../..');

async function openDevicePage(): Promise<{ browser: Browser; page: Page } | string> {
  const tools = await browserTools();
  if (typeof tools === 'string') return tools;
  // The device page as scripts/build.mjs builds it (same entry and page), and this test's client beside it.
  const files = {
    '/index.html': { type: 'text/html', body: readFileSync(path.join(root, 'renderer/device/index.html'), 'utf8') },
    '/device.js': { type: 'text/javascript', body: await tools.bundle('renderer/device/device.ts') },
    '/client.js': { type: 'text/javascript', body: await tools.bundle('tests/unit/compute/chromium-device-page.ts') },
  };
  const browser = await tools.launch(CHROMIUM, SWIFTSHADER_FLAGS);
  // With the CSP Electron serves the page with.
  const page = await openServedPage(browser, files, { 'Content-Security-Policy': rendererCsp("'self'") });
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
