/**
 * Runs the packaged app's main process under Node, as Electron would start it from a packaged layout, and prints one
 * JSON report on stdout. Usage: `node packaged-main.js RESOURCES_DIR USER_DATA_DIR BACKEND...`, where RESOURCES_DIR
 * holds app.asar extracted into a folder of that name beside app.asar.unpacked. A stand-in `electron` records what the
 * main process asks of Electron; the packaged preload is loaded against it too, so every API call below travels the real
 * path: preload bridge -> IPC handler -> API -> training worker (in app.asar.unpacked) -> compute workers.
 */
import fs from 'node:fs';
import Module, { createRequire } from 'node:module';
import path from 'node:path';

type Listener = (...args: any[]) => unknown;

interface Bridge {
  invoke(op: string, payload: unknown): Promise<any>;
  subscribe(listener: (event: string, payload: any) => void): () => void;
  platform: string;
}

const [resourcesDir, userData, ...backends] = process.argv.slice(2);
if (!resourcesDir || !userData) throw new Error('usage: packaged-main RESOURCES_DIR USER_DATA_DIR BACKEND...');
const appDir = path.join(resourcesDir, 'app.asar');

const appListeners = new Map<string, Listener[]>();
const ipcHandlers = new Map<string, Listener>();
const rendererListeners = new Map<string, Listener[]>();
const protocolHandlers = new Map<string, (request: { url: string }) => Promise<Response>>();
const errorBoxes: string[] = [];
const windows: StandInWindow[] = [];
const exposed = new Map<string, unknown>();
let quitCalls = 0;

class StandInWindow {
  readonly webContents = {
    id: 7,
    isDestroyed: () => false,
    send: (channel: string, message: unknown) => {
      for (const listener of rendererListeners.get(channel) ?? []) listener({}, message);
    },
  };
  loadedUrl: string | null = null;
  constructor(readonly options: unknown) {
    windows.push(this);
  }
  maximize(): void {}
  show(): void {}
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean { return false; }
  once(): void {}
  on(): void {}
  getNormalBounds() { return { x: 0, y: 0, width: 1200, height: 800 }; }
  isMaximized(): boolean { return false; }
  async loadURL(url: string): Promise<void> { this.loadedUrl = url; }
}

const electron = {
  app: {
    isPackaged: true,
    requestSingleInstanceLock: () => true,
    quit: () => { quitCalls += 1; },
    exit: () => undefined,
    on: (event: string, listener: Listener) => appListeners.set(event, [...(appListeners.get(event) ?? []), listener]),
    whenReady: () => Promise.resolve(),
    getPath: () => userData,
  },
  BrowserWindow: StandInWindow,
  dialog: { showErrorBox: (title: string, message: string) => errorBoxes.push(`${title}: ${message}`) },
  ipcMain: {
    handle: (channel: string, listener: Listener) => ipcHandlers.set(channel, listener),
    removeHandler: (channel: string) => ipcHandlers.delete(channel),
  },
  Menu: { setApplicationMenu: () => undefined, buildFromTemplate: (template: unknown) => template },
  protocol: {
    registerSchemesAsPrivileged: () => undefined,
    handle: (scheme: string, handler: (request: { url: string }) => Promise<Response>) => protocolHandlers.set(scheme, handler),
  },
  screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
  session: {
    defaultSession: {
      setPermissionRequestHandler: () => undefined,
      setPermissionCheckHandler: () => undefined,
      webRequest: { onHeadersReceived: () => undefined },
    },
  },
  shell: { openExternal: async () => undefined, openPath: async () => '' },
  contextBridge: { exposeInMainWorld: (name: string, api: unknown) => exposed.set(name, api) },
  ipcRenderer: {
    on: (channel: string, listener: Listener) => rendererListeners.set(channel, [...(rendererListeners.get(channel) ?? []), listener]),
    invoke: async (channel: string, ...args: unknown[]) => {
      const handler = ipcHandlers.get(channel);
      if (!handler) throw new Error(`no IPC handler for ${channel}`);
      return handler({ sender: { id: windows[0]!.webContents.id }, senderFrame: { url: 'app://kanbench/index.html', parent: null } }, ...args);
    },
  },
};

/** `require('electron')` from the packaged bundles answers with the stand-in; every other name resolves as Node does. */
function installStandIn(): void {
  const standInFile = path.join(userData!, 'electron-stand-in.cjs');
  const moduleClass = Module as unknown as {
    _resolveFilename(request: string, ...rest: unknown[]): string;
    new (id: string): { exports: unknown; loaded: boolean; filename: string };
  };
  const resolve = moduleClass._resolveFilename;
  moduleClass._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
    return request === 'electron' ? standInFile : resolve.call(this, request, ...rest);
  };
  const standIn = new moduleClass(standInFile);
  standIn.exports = electron;
  standIn.loaded = true;
  standIn.filename = standInFile;
  createRequire(import.meta.url).cache[standInFile] = standIn as unknown as NodeJS.Module;
}

async function until<T>(what: string, value: () => T | undefined | null | false, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const got = value();
    if (got) return got;
    if (errorBoxes.length) throw new Error(`the main process showed an error: ${errorBoxes.join('; ')}`);
    if (Date.now() - started > timeoutMs) throw new Error(`${what} did not happen within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The page and every asset index.html names, as the app:// handler answers them. */
async function servePages(): Promise<{ url: string; status: number; bytes: number }[]> {
  const handler = protocolHandlers.get('app');
  if (!handler) throw new Error('the main process registered no app:// handler');
  const page = await handler({ url: 'app://kanbench/index.html' });
  const html = await page.clone().text();
  const assets = [...html.matchAll(/(?:src|href)="\.?\/?([^"]+)"/g)].map((m) => m[1]!).filter((ref) => !/^[a-z]+:/.test(ref));
  const answers = [{ url: 'app://kanbench/index.html', status: page.status, bytes: html.length }];
  for (const asset of assets) {
    const url = `app://kanbench/${asset}`;
    const response = await handler({ url });
    answers.push({ url, status: response.status, bytes: (await response.arrayBuffer()).byteLength });
  }
  return answers;
}

async function trainOn(bridge: Bridge, backend: string, statuses: Map<string, { status: string; error: string | null }>) {
  const recipe = {
    seed: 1,
    backend,
    data: { formula: 'x1*x2', vars: 2, range: [-1, 1], train: 120, test: 60 },
    kan: { width: [2, 3, 1], grid: 3, k: 3 },
    steps: [{ fit: { steps: 3, maxIter: 5 } }],
  };
  const run = await bridge.invoke('runs.create', { recipe });
  const final = await until(`the ${backend} run`, () => {
    const status = statuses.get(run.id);
    return status && !['queued', 'running'].includes(status.status) ? status : null;
  }, 60_000);
  const stored = await bridge.invoke('runs.get', { id: run.id });
  return { requested: backend, status: final.status, error: final.error, recordedBackend: stored.backend, steps: stored.steps.length };
}

async function main(): Promise<void> {
  installStandIn();
  process.argv.push('--db', path.join(userData!, 'experiments.db'));
  const load = createRequire(path.join(appDir, 'package.json'));
  const packageJson = JSON.parse(fs.readFileSync(path.join(appDir, 'package.json'), 'utf8')) as { main: string };
  load(path.join(appDir, packageJson.main));
  const window = await until('the window loading its page', () => (windows[0]?.loadedUrl ? windows[0] : null), 20_000);
  const pages = await servePages();

  load(path.join(appDir, 'dist', 'main', 'preload.cjs'));
  const bridge = exposed.get('kanbench') as Bridge | undefined;
  if (!bridge) throw new Error('the preload exposed no window.kanbench');
  const statuses = new Map<string, { status: string; error: string | null }>();
  bridge.subscribe((event, payload) => {
    if (event === 'run.status') statuses.set(payload.runId, { status: payload.status, error: payload.error });
  });

  const info = await bridge.invoke('app.info', {});
  // Timed in a training worker, which sees the backends from app.asar.unpacked where the main process sees app.asar.
  const bench = await bridge.invoke('backends.bench', { width: [2, 3, 1], grid: 3, k: 3, batch: 64 });
  const runs = [];
  for (const backend of backends) runs.push(await trainOn(bridge, backend, statuses));

  for (const listener of appListeners.get('before-quit') ?? []) listener({ preventDefault: () => undefined });
  await until('a clean quit', () => quitCalls > 0, 10_000);
  process.stdout.write(`${JSON.stringify({ loadedUrl: window.loadedUrl, pages, platform: bridge.platform, backends: info.backends, timings: bench.timings, storePath: info.storePath, runs })}\n`);
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`packaged-main: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
