// End to end: in Debian's Chromium against `kanbench serve` with a fresh store, a user creates a formula dataset, runs
// Setup's sweep of model sizes and sees KAN and MLP points with both Pareto fronts; the screenshot goes to
// KANBENCH_SCREENSHOTS (default test-output/screenshots), as in workbench.test.ts whose harness this follows.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { bundle } from '../integration/helpers/bundle';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = path.resolve(ROOT, process.env.KANBENCH_SCREENSHOTS ?? 'test-output/screenshots');

let tmp = '';
let server: ChildProcess | null = null;
let context: BrowserContext | null = null;
let page: Page;
let appUrl = '';
let removeBuild: (() => void) | null = null;
const pageErrors: string[] = [];

/** dir/main/{cli,worker}.js and dir/renderer, as scripts/build.mjs lays out dist/ (private, so parallel rebuilds of dist/ cannot disturb it). */
async function buildApp(): Promise<{ cli: string; remove: () => void }> {
  const built = await bundle({ 'main/cli/index.ts': 'main/cli.js', 'main/training/worker.ts': 'main/worker.js' });
  const vite = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', path.join(built.dir, 'renderer'), '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (vite.status !== 0) {
    built.remove();
    throw new Error(`vite build failed:\n${vite.stdout}\n${vite.stderr}`);
  }
  return { cli: built.file('main/cli.js'), remove: built.remove };
}

/** `kanbench serve` from the private build through a launcher file, as bin/kanbench.cjs does for dist/. */
function startServer(cli: string, dbPath: string): Promise<{ process: ChildProcess; url: string }> {
  const launcher = path.join(path.dirname(cli), 'kanbench.js');
  fs.writeFileSync(launcher, `import { main } from ${JSON.stringify(pathToFileURL(cli).href)};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  const child = spawn(process.execPath, [launcher, 'serve', '--port', '0', '--db', dbPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`kanbench serve printed no address within 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ process: child, url: match[0] });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kanbench serve exited with ${code}; stderr: ${stderr}`));
    });
  });
}

const haveChromium = fs.existsSync(CHROMIUM);

describe.skipIf(!haveChromium)('the sweep in Chromium against kanbench serve', () => {
  beforeAll(async () => {
    const app = await buildApp();
    removeBuild = app.remove;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-e2e-sweep-'));
    fs.mkdirSync(SHOTS, { recursive: true });
    const started = await startServer(app.cli, path.join(tmp, 'e.db'));
    server = started.process;
    appUrl = started.url;
    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.setDefaultTimeout(30_000);
  }, 120_000);

  afterAll(async () => {
    await context?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    removeBuild?.();
  });

  it('sweeps model sizes on a formula dataset and draws both Pareto fronts', { timeout: 300_000 }, async () => {
    await page.goto(appUrl);
    await page.waitForSelector('[data-view="data"] h1');
    // The formula tab's default is exp(sin(pi*x1) + x2^2) on [-1, 1]; fewer rows keep the sweep short.
    await page.click('[data-tab="formula"]');
    expect(await page.locator('[data-testid="formula-input"]').inputValue()).toBe('exp(sin(pi*x1) + x2^2)');
    await page.locator('label', { hasText: 'Train rows' }).locator('input').fill('200');
    await page.locator('label', { hasText: 'Test rows' }).locator('input').fill('200');
    await page.click('[data-action="create-formula"]');
    await page.waitForFunction(() => document.querySelector('[data-nav="setup"]') !== null);

    await page.click('[data-nav="setup"]');
    await page.waitForSelector('[data-view="setup"]');
    await page.fill('[data-field="steps"]', '5');
    await page.click('[data-action="create-sweep"]');
    await page.waitForSelector('[data-view="training"]');
    await page.waitForSelector('[data-testid="training-progress"][data-status="done"]', { timeout: 240_000 });
    await page.locator('[data-testid="sweep-chart"] canvas').first().waitFor();

    const kanFront = await page.locator('[data-testid="sweep-fronts"] tr[data-family="kan"]').count();
    const mlpFront = await page.locator('[data-testid="sweep-fronts"] tr[data-family="mlp"]').count();
    expect(kanFront).toBeGreaterThan(0);
    expect(mlpFront).toBeGreaterThan(0);
    const note = await page.locator('[data-testid="sweep-panel"] p').innerText();
    expect(note).toMatch(/^16 models, 5 L-BFGS steps each on 200 rows; fronts chosen by validation RMSE on 40 rows \(data\.validation\), tested on 200 rows/);
    // The run's own models never trained: the steps table says where the figures are instead of showing theirs.
    expect(await page.locator('[data-testid="steps-table"] tbody tr').innerText()).toMatch(/16 models: see the sweep above/);
    await page.locator('[data-testid="sweep-panel"]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'sweep-validation.png'), fullPage: true });
    await page.click('[data-action="sweep-test"]');
    expect(await page.locator('[data-testid="sweep-panel"] h2').innerText()).toBe('Parameters vs test RMSE');
    await page.screenshot({ path: path.join(SHOTS, 'sweep-test.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });

  it('compares runs on different data and tasks on separate panels, each naming its metric and loss', { timeout: 300_000 }, async () => {
    // The sweep-only run has no trained model of its own: Compare says where its results are.
    await page.click('[data-nav="compare"]');
    await page.locator('[data-testid="compare-sweep-only"]').waitFor();

    // A regression run on the formula data and a classification run on iris.
    const train = async (): Promise<void> => {
      await page.click('[data-nav="setup"]');
      await page.fill('[data-field="steps"]', '3');
      await page.click('[data-action="create-run"]');
      await page.waitForSelector('[data-view="training"]');
      await page.waitForSelector('[data-testid="training-progress"][data-status="done"]', { timeout: 120_000 });
    };
    await train();
    await page.click('[data-nav="data"]');
    await page.click('[data-sample="iris"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-view="data"] li').length >= 2);
    await train();

    await page.click('[data-nav="history"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="history-table"] tbody tr').length === 3);
    const rows = page.locator('[data-testid="history-table"] tbody tr');
    for (let i = 0; i < 3; i++) await rows.nth(i).locator('input[type="checkbox"]').check();
    await page.click('[data-action="compare"]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid="compare-group"]').length === 2);
    expect(await page.locator('[data-testid="compare-mixed-note"]').innerText()).toMatch(/2 different datasets or tasks/);
    const groups = page.locator('[data-testid="compare-group"]');
    const heads = async (task: string): Promise<string> => page.locator(`[data-testid="compare-group"][data-task="${task}"]`).innerText();
    expect(await groups.count()).toBe(2);
    const regression = await heads('regression');
    const classification = await heads('classification');
    expect(regression).toMatch(/Train RMSE\s+Test RMSE/);
    expect(regression).toMatch(/Test loss \(MSE\)/);
    expect(regression).not.toMatch(/accuracy|cross-entropy/);
    expect(classification).toMatch(/Train accuracy\s+Test accuracy/);
    expect(classification).toMatch(/Test loss \(cross-entropy\)/);
    expect(classification).not.toMatch(/RMSE|MSE\)/);
    await page.locator('[data-testid="pareto-chart"] canvas').first().waitFor();
    await page.screenshot({ path: path.join(SHOTS, 'compare-grouped.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  });
});
