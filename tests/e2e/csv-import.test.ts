// End to end, a large CSV in Chromium: the preview comes from the file's first megabyte, the import shows a percentage
// and a Cancel button, Cancel ends it within a second with nothing stored, and while a 50 MB file imports the page's
// longest main-thread task (PerformanceObserver, 'longtask') stays under 200 ms.
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callApi, haveChromium, openWorkbench, shot, type Workbench } from './harness';

let bench: Workbench;
let page: Page;
let largeFile = '';

/** About `megabytes` MB of rows of ten numbers; `salt` makes the content, and so the stored dataset, distinct. */
function writeLargeCsv(file: string, megabytes: number, salt: number): void {
  const row = `0.123456,1.234567,2.345678,3.456789,4.567891,5.678912,6.789123,7.891234,8.912345,${salt}.5\n`;
  const rows = Math.ceil((megabytes * 1024 * 1024) / row.length);
  fs.writeFileSync(file, `a,b,c,d,e,f,g,h,i,y\n${row.repeat(rows)}`);
}

/** Starts recording the longest main-thread task from now on. */
async function watchLongTasks(): Promise<void> {
  await page.evaluate(() => {
    const record = window as unknown as { longestTaskMs: number };
    record.longestTaskMs = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) record.longestTaskMs = Math.max(record.longestTaskMs, entry.duration);
    }).observe({ type: 'longtask' });
  });
}

async function longestTaskMs(): Promise<number> {
  return page.evaluate(() => (window as unknown as { longestTaskMs: number }).longestTaskMs);
}

async function chooseLargeFile(): Promise<void> {
  await page.setInputFiles('[data-testid="csv-input"]', largeFile);
  await page.locator('[data-testid="csv-preview"] table').waitFor();
}

describe.skipIf(!haveChromium)('large CSV import in Chromium against kanbench serve', () => {
  beforeAll(async () => {
    bench = await openWorkbench();
    page = bench.page;
    largeFile = path.join(bench.tmp, 'large.csv');
    writeLargeCsv(largeFile, 52, 1);
    await page.goto(bench.url);
    await page.waitForSelector('[data-view="data"] h1');
  }, 300_000);

  afterAll(async () => {
    await bench?.close();
  });

  it('previews the first rows only and cancels an import within a second, storing nothing', { timeout: 300_000 }, async () => {
    await chooseLargeFile();
    expect(await page.locator('[data-testid="csv-partial"]').innerText()).toMatch(/Preview and notes from the first [\d,]+ rows; the import checks every row/);
    expect(await page.locator('[data-action="import-csv"]').innerText()).toMatch(/Import all rows \(52\.0 MB\)/);
    await page.click('[data-action="import-csv"]');
    await page.locator('[data-testid="csv-progress-label"]', { hasText: /Sending [1-9]\d*%/ }).waitFor();
    await shot(page, 'csv-import-progress');
    // Timed in the page, from the click to the progress bar gone: what the user sees, without the test driver's round trips.
    const cancelMs = await page.evaluate(() => new Promise<number>((resolve) => {
      const clicked = performance.now();
      document.querySelector<HTMLButtonElement>('[data-action="cancel-import"]')!.click();
      const check = (): void => {
        if (document.querySelector('[data-testid="csv-progress"]')) setTimeout(check, 5);
        else resolve(performance.now() - clicked);
      };
      check();
    }));
    console.log(`CSV import cancelled in ${cancelMs.toFixed(0)} ms`);
    expect(cancelMs).toBeLessThan(1000);
    await page.locator('[data-action="import-csv"]').waitFor();
    const stored = (await callApi(bench.url, 'datasets.list', {})).result as { name: string }[];
    expect(stored.map((d) => d.name)).not.toContain('large');
  });

  it('imports 52 MB with a percentage while the page\'s longest task stays under 200 ms', { timeout: 300_000 }, async () => {
    if (!(await page.locator('[data-testid="csv-preview"]').count())) await chooseLargeFile();
    await watchLongTasks();
    const started = Date.now();
    await page.click('[data-action="import-csv"]');
    const percents = new Set<string>();
    while (await page.locator('[data-testid="csv-progress"]').count()) {
      const label = await page.locator('[data-testid="csv-progress-label"]').textContent().catch(() => null);
      if (label) percents.add(label);
      await page.waitForTimeout(100);
    }
    const seconds = (Date.now() - started) / 1000;
    expect(await page.locator('[data-testid="csv-error"]').count()).toBe(0);
    const stored = (await callApi(bench.url, 'datasets.list', {})).result as { name: string; rows: number }[];
    expect(stored.find((d) => d.name === 'large')?.rows).toBeGreaterThan(500_000);
    const longest = await longestTaskMs();
    console.log(`52 MB CSV imported in ${seconds.toFixed(1)} s; labels seen: ${[...percents].slice(0, 4).join(', ')} … ${percents.size} in all; longest main-thread task ${longest.toFixed(0)} ms`);
    expect([...percents].some((label) => /^Sending \d+%$/.test(label))).toBe(true);
    expect(longest).toBeLessThan(200);
  });
});
