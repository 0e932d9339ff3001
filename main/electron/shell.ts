/**
 * The Electron shell: one instance per user, with one hardened window (context isolation, sandbox, no Node in the page,
 * strict CSP, no navigation or redirects in any frame, no new windows, no permissions, only allow-listed links opened)
 * showing the page from app://, the IPC binding, native file dialogs, the application menu and the window's size and
 * place kept between sessions. Training and the store are the same services the web host uses.
 */
import fs from 'node:fs';
import path from 'node:path';

import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  MessageChannelMain,
  protocol,
  screen,
  session,
  shell,
  type WebContents,
  type WebPreferences,
} from 'electron';

import { ApiError } from '../../app/api/validate';
import { startBackend, type Backend } from '../services/backend';
import type { DialogProvider } from '../services/dialogs';
import { resolveStoreLocation } from '../services/paths';
import { unpackedPath } from '../unpacked-path';
import { rendererCsp } from '../web/csp';
import { APP_ROOT, APP_SCHEME, serveAppRequest } from './app-protocol';
import { devServerUrl } from './dev-server';
import { openDeviceWindow } from './device-window';
import { unpackagedAddon } from './electron-addon';
import { bindIpc, pageMatcher } from './ipc';
import { openAllowedLink } from './links';
import { menuTemplate } from './menu';
import { readWindowState, writeWindowState } from './window-state';

const MAX_CSV_BYTES = 200 * 1024 * 1024;

export function webPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  };
}

/**
 * Every web contents the app creates may not navigate (in any frame), follow a redirect, open windows or embed webviews;
 * a link to an allow-listed page opens in the browser.
 */
export function hardenContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, openExternal: (url: string) => unknown): void {
  contents.on('will-navigate', (event) => event.preventDefault());
  contents.on('will-frame-navigate', (event) => event.preventDefault());
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openAllowedLink(url, openExternal);
    return { action: 'deny' };
  });
}

/** A second start of the app brings the running window to the front instead of opening another store queue. */
export function focusWindow(window: Pick<BrowserWindow, 'isMinimized' | 'restore' | 'show' | 'focus'>): void {
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

/** The --db flag of `electron . --db PATH` (or --db=PATH). */
export function dbFlag(argv: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--db') return argv[i + 1];
    if (arg.startsWith('--db=')) return arg.slice('--db='.length);
  }
  return undefined;
}

export function startShell(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  let devUrl: string | null;
  try {
    devUrl = devServerUrl({ argv: process.argv, env: process.env, isPackaged: app.isPackaged });
  } catch (error) {
    fail(error);
    return;
  }
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
  let workbench: BrowserWindow | null = null;
  app.on('second-instance', () => {
    if (workbench && !workbench.isDestroyed()) focusWindow(workbench);
  });
  app.on('web-contents-created', (_event, contents) => hardenContents(contents, (url) => shell.openExternal(url)));
  app.on('window-all-closed', () => app.quit());
  app.whenReady().then(
    () => openWorkbench(devUrl, (window) => (workbench = window)),
    (error: unknown) => fail(error),
  ).catch(fail);
}

async function openWorkbench(devUrl: string | null, opened: (window: BrowserWindow) => void): Promise<void> {
  const here = __dirname;
  const rendererDir = path.join(here, '..', 'renderer');
  const location = resolveStoreLocation({ db: dbFlag(process.argv) });
  const configDir = location.settingsFile ? path.dirname(location.settingsFile) : app.getPath('userData');

  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  protocol.handle(APP_SCHEME, (request) => serveAppRequest(rendererDir, request.url));
  if (devUrl) {
    const devSocket = devUrl.replace(/^http/, 'ws');
    session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [rendererCsp(`'self' ${devSocket}`)] } });
    });
  }

  let window: BrowserWindow | null = null;
  // Unpackaged (`npm start`), the store loads the copy of better-sqlite3 built for Electron; packaged, its own.
  const sqliteAddon = app.isPackaged ? undefined : unpackagedAddon(path.join(here, '..', '..'), process.versions.electron);
  // gpu.js on Chromium's own WebGL2/WebGPU: the main process has neither, so a hidden window computes for the training workers.
  const deviceWindow = openDeviceWindow({
    createWindow: (options) => new BrowserWindow(options),
    createChannel: () => new MessageChannelMain(),
    url: `${APP_ROOT}device/index.html`,
    webPreferences: webPreferences(path.join(here, 'device-preload.cjs')),
  });
  const backend = startBackend({
    chromiumDevice: deviceWindow,
    dbPath: location.dbPath,
    ...(sqliteAddon ? { sqliteAddon } : {}),
    settingsFile: location.settingsFile,
    workerFile: unpackedPath(path.join(here, 'worker.cjs')),
    dialogs: electronDialogs(() => window),
  });

  const stateFile = path.join(configDir, 'window-state.json');
  const state = readWindowState(stateFile, screen.getAllDisplays().map((display) => display.workArea));
  window = new BrowserWindow({
    ...(state.x === undefined ? {} : { x: state.x, y: state.y }),
    width: state.width,
    height: state.height,
    minWidth: 800,
    minHeight: 560,
    show: false,
    title: 'KAN Workbench',
    webPreferences: webPreferences(path.join(here, 'preload.cjs')),
  });
  const shown = window;
  opened(shown);
  if (state.maximized) shown.maximize();
  shown.once('ready-to-show', () => shown.show());
  shown.on('close', () => writeWindowState(stateFile, { ...shown.getNormalBounds(), maximized: shown.isMaximized() }));
  // The hidden device window would keep the app alive after the workbench closes ('window-all-closed' counts it).
  shown.on('closed', () => deviceWindow.close());

  const unbind = bindIpc({ ipcMain, api: backend.api, events: backend.events, contents: shown.webContents, isOurPage: pageMatcher(APP_ROOT, devUrl) });
  Menu.setApplicationMenu(
    Menu.buildFromTemplate(
      menuTemplate({
        isMac: process.platform === 'darwin',
        isPackaged: app.isPackaged,
        openDataFolder: () => void shell.openPath(path.dirname(backend.store.path)),
        openLink: (url) => openAllowedLink(url, (allowed) => shell.openExternal(allowed)),
      }),
    ),
  );
  closeWithApp(backend, unbind);
  await shown.loadURL(devUrl ?? `${APP_ROOT}index.html`);
}

/** On quit, training stops first (runs in flight are marked interrupted) and the store is closed cleanly. */
function closeWithApp(backend: Backend, unbind: () => void): void {
  let closed = false;
  app.on('before-quit', (event) => {
    if (closed) return;
    event.preventDefault();
    closed = true;
    unbind();
    backend.close().finally(() => app.quit());
  });
}

function electronDialogs(getWindow: () => BrowserWindow | null): DialogProvider {
  return {
    async saveText(defaultName, content) {
      const safeName = path.basename(defaultName).replace(/[\\/:*?"<>|\0]/g, '_') || 'export.txt';
      const options = { defaultPath: path.join(app.getPath('documents'), safeName) };
      const window = getWindow();
      const result = window ? await dialog.showSaveDialog(window, options) : await dialog.showSaveDialog(options);
      if (result.canceled || !result.filePath) return null;
      await fs.promises.writeFile(result.filePath, content, 'utf8');
      return result.filePath;
    },
    async chooseFolder(current) {
      const options = { defaultPath: current || app.getPath('userData'), properties: ['openDirectory' as const, 'createDirectory' as const] };
      const window = getWindow();
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
      const folder = result.filePaths[0];
      return result.canceled || !folder ? null : folder;
    },
    async openCsv() {
      const options = {
        properties: ['openFile' as const],
        filters: [{ name: 'CSV', extensions: ['csv', 'tsv', 'txt'] }, { name: 'All files', extensions: ['*'] }],
      };
      const window = getWindow();
      const result = window ? await dialog.showOpenDialog(window, options) : await dialog.showOpenDialog(options);
      const file = result.filePaths[0];
      if (result.canceled || !file) return null;
      const stat = await fs.promises.stat(file);
      if (!stat.isFile()) throw new ApiError({ code: 'invalid', message: `${path.basename(file)} is not a regular file; only regular files are read as data. Choose a CSV file.` });
      const size = stat.size;
      if (size > MAX_CSV_BYTES) {
        throw new ApiError({ code: 'invalid', message: `${path.basename(file)} is ${(size / 1024 / 1024).toFixed(0)} MB; the limit is 200 MB. Use a sample of its rows.` });
      }
      return { name: path.basename(file), text: await fs.promises.readFile(file, 'utf8') };
    },
  };
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  const advice = message.includes('NODE_MODULE_VERSION')
    ? '\n\nbetter-sqlite3 is built for Node.js, not for Electron. Start the app with `npm start`, which builds a copy for Electron once (it needs internet access that time).'
    : '';
  dialog.showErrorBox('KAN Workbench could not start', `${message}${advice}`);
  app.exit(1);
}
