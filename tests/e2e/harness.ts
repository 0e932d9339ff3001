// What an end-to-end test of the workbench stands on: the CLI, its worker and the page built into a private folder laid
// out as dist/ is (other test files rebuilding dist/ cannot pull files from under the running server), `kanbench serve`
// on a fresh store, Debian's Chromium driven by playwright-core, and the API reached over the page's own wire messages.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import WebSocket from 'ws';
import { bundle } from '../integration/helpers/bundle';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CHROMIUM = '/usr/bin/chromium';
export const SHOTS = path.resolve(ROOT, process.env.KANBENCH_SCREENSHOTS ?? 'test-output/screenshots');
export const haveChromium = fs.existsSync(CHROMIUM);

export interface Workbench {
  page: Page;
  url: string;
  /** A temporary folder for the test's files, removed by close(). */
  tmp: string;
  /** Uncaught errors of the page, in order. */
  pageErrors: string[];
  close: () => Promise<void>;
}

export interface WorkbenchOptions {
  /** The browser window; 1280x800 unless a test needs more of a view in one screenshot. */
  viewport?: { width: number; height: number };
  /** How long a page action or wait may take when the test names no timeout of its own. */
  actionTimeoutMs?: number;
}

/** dir/main/{cli,worker,csv-worker}.js and dir/renderer, as scripts/build.mjs lays out dist/. */
async function buildApp(): Promise<{ cli: string; remove: () => void }> {
  const built = await bundle({ 'main/cli/index.ts': 'main/cli.js', 'main/training/worker.ts': 'main/worker.js', 'main/services/csv-worker.ts': 'main/csv-worker.js' });
  const vite = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', path.join(built.dir, 'renderer'), '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (vite.status !== 0) {
    built.remove();
    throw new Error(`vite build failed:\n${vite.stdout}\n${vite.stderr}`);
  }
  return { cli: built.file('main/cli.js'), remove: built.remove };
}

/**
 * Runs `kanbench serve` from the private build through a launcher file that does what bin/kanbench.cjs does for dist/
 * (a file, not `node -e`: worker threads inherit the process's flags, and --input-type would break them).
 */
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

/** Builds the app, serves it on a fresh store and opens it in headless Chromium. */
export async function openWorkbench({ viewport = { width: 1280, height: 800 }, actionTimeoutMs = 30_000 }: WorkbenchOptions = {}): Promise<Workbench> {
  const app = await buildApp();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-e2e-'));
  fs.mkdirSync(SHOTS, { recursive: true });
  let server: ChildProcess | null = null;
  let context: BrowserContext | null = null;
  const close = async (): Promise<void> => {
    await context?.close();
    if (server && server.exitCode === null) {
      const exited = new Promise((resolve) => server!.once('exit', resolve));
      server.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(tmp, { recursive: true, force: true });
    app.remove();
  };
  try {
    const started = await startServer(app.cli, path.join(tmp, 'e.db'));
    server = started.process;
    context = await chromium.launchPersistentContext(path.join(tmp, 'chromium-profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      viewport,
      acceptDownloads: true,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.setDefaultTimeout(actionTimeoutMs);
    return { page, url: started.url, tmp, pageErrors, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A screenshot into SHOTS; the app's shell is one window high (its views scroll inside it), so this is the window. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Clicks a sidebar entry and waits until the view is in the page. */
export async function switchView(page: Page, view: string): Promise<void> {
  await page.click(`[data-nav="${view}"]`);
  await page.waitForSelector(`[data-view="${view}"]`);
}

/**
 * Calls one API operation of the server at appUrl over a WebSocket of its own (the same wire messages as the page) and
 * returns the result and the time it took.
 */
export async function callApi(appUrl: string, op: string, payload: unknown): Promise<{ result: unknown; ms: number }> {
  const url = new URL(appUrl);
  const ws = new WebSocket(`ws://${url.host}/api${url.search}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  try {
    const t0 = performance.now();
    const reply = await new Promise<{ ok: boolean; result?: unknown; error?: { message: string } }>((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: number; ok: boolean; result?: unknown; error?: { message: string } };
        if (message.id === 1) resolve(message);
      });
      ws.send(JSON.stringify({ v: 1, id: 1, op, payload }));
    });
    const ms = performance.now() - t0;
    if (!reply.ok) throw new Error(`${op}: ${reply.error?.message}`);
    return { result: reply.result, ms };
  } finally {
    ws.close();
  }
}
