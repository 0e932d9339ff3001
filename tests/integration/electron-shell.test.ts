// Tests the Electron shell against a mocked `electron` (the real module is never loaded): window hardening, the IPC
// binding's sender checks, 1,000 hostile IPC payloads, events, native dialogs, window state, a clean quit, the
// single-instance lock, the explicit --dev flag, and the hidden compute device window.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import type { ResponseMessage } from '../../app/api/contract';
import { expectPrototypeClean, expectRefusal, hostileMessages } from './helpers/hostile';

type Listener = (...args: any[]) => unknown;

const fake = vi.hoisted(() => {
  const ipcHandlers = new Map<string, Listener>();
  const appListeners = new Map<string, Listener[]>();
  const windows: any[] = [];
  const sent: { channel: string; message: any }[] = [];
  const deviceOffers: { channel: string; message: any }[] = [];
  let contentsId = 41;
  /** MessagePortMain's surface: messages as { data } events, delivered later, as across processes. */
  class PortMain {
    other: PortMain | null = null;
    listeners = { message: [] as Listener[], close: [] as Listener[] };
    on(event: 'message' | 'close', listener: Listener): this { this.listeners[event].push(listener); return this; }
    postMessage(data: unknown): void { const other = this.other!; setTimeout(() => other.listeners.message.forEach((l) => l({ data })), 0); }
    start(): void {}
    close(): void { const other = this.other!; setTimeout(() => other.listeners.close.forEach((l) => l()), 0); }
  }
  class MessageChannelMain {
    port1 = new PortMain();
    port2 = new PortMain();
    constructor() { this.port1.other = this.port2; this.port2.other = this.port1; }
  }
  class BrowserWindow {
    listeners = new Map<string, Listener>();
    webContents: any;
    loadedUrl: string | null = null;
    minimized = true;
    calls: string[] = [];
    constructor(readonly options: any) {
      this.webContents = {
        id: contentsId++, isDestroyed: () => false, send: (channel: string, message: any) => sent.push({ channel, message }),
        once: () => undefined,
        // The device page of this fake window has no GPU: it says so on every port it is offered.
        postMessage: (channel: string, message: any, ports: PortMain[]) => {
          deviceOffers.push({ channel, message });
          ports[0]!.postMessage({ available: false, reason: 'Chromium webgl2: no GPU in the fake window' });
        },
      };
      windows.push(this);
    }
    maximize(): void {}
    show(): void { this.calls.push('show'); }
    focus(): void { this.calls.push('focus'); }
    restore(): void { this.calls.push('restore'); this.minimized = false; }
    isMinimized() { return this.minimized; }
    destroyed = false;
    isDestroyed() { return this.destroyed; }
    destroy(): void { this.destroyed = true; }
    once(event: string, listener: Listener): void { this.listeners.set(event, listener); }
    on(event: string, listener: Listener): void { this.listeners.set(event, listener); }
    getNormalBounds() { return { x: 10, y: 20, width: 1000, height: 700 }; }
    isMaximized() { return false; }
    async loadURL(url: string) { this.loadedUrl = url; }
  }
  return {
    ipcHandlers, appListeners, windows, sent, deviceOffers, BrowserWindow, MessageChannelMain,
    quit: { calls: 0 },
    singleInstanceLock: true,
    openExternal: [] as string[],
    registeredSchemes: [] as any[],
    permissionHandler: null as Listener | null,
    saveDialogPath: '',
    openDialogPath: '',
    userData: '',
  };
});

vi.mock('electron', () => ({
  app: {
    isPackaged: false,
    requestSingleInstanceLock: () => fake.singleInstanceLock,
    quit: () => { fake.quit.calls += 1; },
    exit: () => undefined,
    on: (event: string, listener: Listener) => fake.appListeners.set(event, [...(fake.appListeners.get(event) ?? []), listener]),
    whenReady: () => Promise.resolve(),
    getPath: () => fake.userData,
  },
  BrowserWindow: fake.BrowserWindow,
  MessageChannelMain: fake.MessageChannelMain,
  dialog: {
    showSaveDialog: async () => ({ canceled: false, filePath: fake.saveDialogPath }),
    showOpenDialog: async () => ({ canceled: false, filePaths: [fake.openDialogPath] }),
    showErrorBox: (title: string, message: string) => { throw new Error(`${title}: ${message}`); },
  },
  ipcMain: {
    handle: (channel: string, listener: Listener) => fake.ipcHandlers.set(channel, listener),
    removeHandler: (channel: string) => fake.ipcHandlers.delete(channel),
  },
  Menu: { setApplicationMenu: () => undefined, buildFromTemplate: (template: unknown) => template },
  protocol: { registerSchemesAsPrivileged: (schemes: any[]) => fake.registeredSchemes.push(...schemes), handle: () => undefined },
  screen: { getAllDisplays: () => [{ workArea: { x: 0, y: 0, width: 1920, height: 1080 } }] },
  session: {
    defaultSession: {
      setPermissionRequestHandler: (handler: Listener) => { fake.permissionHandler = handler; },
      setPermissionCheckHandler: () => undefined,
      webRequest: { onHeadersReceived: () => undefined },
    },
  },
  shell: { openExternal: async (url: string) => { fake.openExternal.push(url); }, openPath: async () => '' },
}));

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-electron-'));
const originalArgv = process.argv;
let window: any;

const originalDevUrl = process.env.KANBENCH_DEV_URL;
let startShell: () => void;

beforeAll(async () => {
  fake.userData = tmp;
  process.argv = [...originalArgv, '--db', path.join(tmp, 'store', 'experiments.db')];
  // Without --dev the variable alone must not change which page the window loads.
  process.env.KANBENCH_DEV_URL = 'http://localhost:5173';
  ({ startShell } = await import('../../main/electron/shell'));
  startShell();
  const started = Date.now();
  while (!fake.windows[0]?.loadedUrl) {
    if (Date.now() - started > 10_000) throw new Error('the shell did not open its window');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  window = fake.windows[0];
}, 20_000);

afterAll(() => {
  process.argv = originalArgv;
  if (originalDevUrl === undefined) delete process.env.KANBENCH_DEV_URL;
  else process.env.KANBENCH_DEV_URL = originalDevUrl;
  fs.rmSync(tmp, { recursive: true, force: true });
});

function trustedEvent() {
  return { sender: { id: window.webContents.id }, senderFrame: { url: 'app://kanbench/index.html#/runs', parent: null } };
}

async function invoke(message: unknown, event: unknown = trustedEvent(), ...extra: unknown[]): Promise<ResponseMessage> {
  return (await fake.ipcHandlers.get('kanbench:invoke')!(event, message, ...extra)) as ResponseMessage;
}

describe('the Electron shell', () => {
  it('opens one hardened window on the app:// page', () => {
    expect(fake.windows).toHaveLength(1);
    expect(window.loadedUrl).toBe('app://kanbench/index.html');
    expect(window.options.webPreferences).toMatchObject({
      contextIsolation: true, sandbox: true, nodeIntegration: false, nodeIntegrationInWorker: false, webSecurity: true, webviewTag: false,
    });
    expect(window.options.webPreferences.preload).toMatch(/preload\.cjs$/);
    expect(fake.registeredSchemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    const answers: boolean[] = [];
    fake.permissionHandler!(null, 'media', (allowed: boolean) => answers.push(allowed));
    expect(answers).toEqual([false]);
  });

  it('denies navigation in any frame, redirects, new windows and webviews in every web contents; only allow-listed links open in the browser', () => {
    const handlers = new Map<string, Listener>();
    let openHandler: Listener = () => undefined;
    const contents = { on: (event: string, listener: Listener) => handlers.set(event, listener), setWindowOpenHandler: (h: Listener) => (openHandler = h) };
    for (const listener of fake.appListeners.get('web-contents-created')!) listener({}, contents);
    for (const event of ['will-navigate', 'will-frame-navigate', 'will-redirect', 'will-attach-webview']) {
      const preventDefault = vi.fn();
      handlers.get(event)!({ preventDefault }, 'https://evil.example');
      expect(preventDefault).toHaveBeenCalledOnce();
    }
    expect(openHandler({ url: 'https://arxiv.org/abs/2404.19756' })).toEqual({ action: 'deny' });
    expect(openHandler({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(openHandler({ url: 'https://evil.example/?next=https://arxiv.org/abs/2404.19756' })).toEqual({ action: 'deny' });
    expect(openHandler({ url: 'https://arxiv.org/abs/2404.19756.evil.example' })).toEqual({ action: 'deny' });
    expect(fake.openExternal).toEqual(['https://arxiv.org/abs/2404.19756']);
  });

  it('binds one IPC channel and answers the API from our page only', async () => {
    expect([...fake.ipcHandlers.keys()]).toEqual(['kanbench:invoke']);
    const info = await invoke({ v: 1, id: 1, op: 'app.info', payload: {} });
    expect(info).toMatchObject({ id: 1, ok: true, result: { apiVersion: 1, storePath: path.join(tmp, 'store', 'experiments.db') } });

    const refusals: [unknown, RegExp][] = [
      [{ sender: { id: 999 }, senderFrame: { url: 'app://kanbench/index.html', parent: null } }, /workbench window only/],
      [{ sender: { id: window.webContents.id }, senderFrame: { url: 'app://kanbench/index.html', parent: {} } }, /main frame only/],
      [{ sender: { id: window.webContents.id }, senderFrame: { url: 'https://evil.example/', parent: null } }, /not accepted from https:\/\/evil.example/],
      [{ sender: { id: window.webContents.id }, senderFrame: { url: 'app://kanbench.evil/', parent: null } }, /not accepted from/],
      [{ sender: { id: window.webContents.id }, senderFrame: null }, /frame is gone/],
    ];
    for (const [event, message] of refusals) {
      const response = await invoke({ v: 1, id: 2, op: 'app.info', payload: {} }, event);
      expect(response).toMatchObject({ id: null, ok: false, error: { code: 'bad_request' } });
      expect(!response.ok && response.error.message).toMatch(message);
    }
    expect(await fake.ipcHandlers.get('kanbench:invoke')!(trustedEvent())).toMatchObject({ ok: false, error: { message: expect.stringMatching(/exactly one message; got 0/) } });
    expect(await invoke({ v: 1, id: 3, op: 'app.info', payload: {} }, trustedEvent(), 'extra')).toMatchObject({ ok: false });
  });

  it('computes on a hidden, hardened device window that the backend list asks, and that closes with the workbench', async () => {
    const info = await invoke({ v: 1, id: 9, op: 'app.info', payload: {} });
    const backends = (info as { result: { backends: { name: string; available: boolean; reason?: string }[] } }).result.backends;
    expect(backends.filter((b) => b.name.startsWith('chromium-'))).toEqual([
      { name: 'chromium-webgl2', available: false, reason: 'Chromium webgl2: no GPU in the fake window' },
      { name: 'chromium-webgpu', available: false, reason: 'Chromium webgl2: no GPU in the fake window' },
    ]);
    const devices = fake.windows.filter((w) => w.loadedUrl === 'app://kanbench/device/index.html');
    expect(devices).toHaveLength(1);
    expect(devices[0].options).toMatchObject({ show: false, webPreferences: { contextIsolation: true, sandbox: true, nodeIntegration: false, backgroundThrottling: false } });
    expect(devices[0].options.webPreferences.preload).toMatch(/device-preload\.cjs$/);
    expect(fake.deviceOffers.map((o) => o.message)).toEqual([{ kanbenchDevice: 'webgl2' }, { kanbenchDevice: 'webgpu' }]);
    window.listeners.get('closed')!();
    expect(devices[0].destroyed).toBe(true);
  });

  it('rejects 1,000 hostile IPC payloads with clear errors and keeps answering', async () => {
    for (const hostile of hostileMessages(1000, 11)) expectRefusal(hostile, await invoke(hostile.value));
    // Values JSON cannot carry but IPC can.
    for (const value of [undefined, new Map([['op', 'app.info']]), new Date(), new Uint8Array(4), { v: 1, id: 1, op: 'app.info', payload: new Set() }, { v: 1, id: 2, op: 'runs.list', payload: { limit: Number.NaN } }]) {
      const response = await invoke(value);
      expect(response.ok).toBe(false);
    }
    expectPrototypeClean();
    expect(await invoke({ v: 1, id: 9, op: 'runs.list', payload: {} })).toMatchObject({ id: 9, ok: true, result: { total: 0 } });
  }, 30_000);

  it('forwards events to the window, and fails a run whose worker cannot start without taking the app down', async () => {
    const created = await invoke({ v: 1, id: 4, op: 'runs.create', payload: { recipe: { data: { formula: 'x1', vars: 1 }, kan: { width: [1, 1] }, steps: [{ fit: { steps: 1 } }] } } });
    expect(created.ok).toBe(true);
    const runId = (created as { result: { id: string } }).result.id;
    const started = Date.now();
    const statuses = () => fake.sent.filter((s) => s.channel === 'kanbench:event' && s.message.event === 'run.status' && s.message.payload.runId === runId).map((s) => s.message.payload);
    while (statuses().length < 2 && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(statuses().map((s) => s.status)).toEqual(['running', 'failed']);
    expect(statuses()[1].error).toMatch(/training worker crashed/);
    expect(await invoke({ v: 1, id: 5, op: 'app.info', payload: {} })).toMatchObject({ ok: true });
  }, 20_000);

  it('saves and opens files through the native dialogs', async () => {
    fake.saveDialogPath = path.join(tmp, 'formula.tex');
    expect(await invoke({ v: 1, id: 6, op: 'dialog.saveText', payload: { defaultName: '../../formula.tex', content: 'y = x^2' } })).toMatchObject({
      ok: true, result: { available: true, saved: true, path: fake.saveDialogPath },
    });
    expect(fs.readFileSync(fake.saveDialogPath, 'utf8')).toBe('y = x^2');
    fake.openDialogPath = path.join(tmp, 'measurements.csv');
    fs.writeFileSync(fake.openDialogPath, 'x,y\n1,2\n');
    expect(await invoke({ v: 1, id: 7, op: 'dialog.openCsv', payload: {} })).toMatchObject({
      ok: true, result: { available: true, name: 'measurements.csv', text: 'x,y\n1,2\n' },
    });
    // The data folder changes through the folder dialog, which settings.set cannot do.
    fake.openDialogPath = path.join(tmp, 'chosen-data');
    expect(await invoke({ v: 1, id: 8, op: 'dialog.chooseDataFolder', payload: {} })).toMatchObject({ ok: true, result: { available: true, dataFolder: fake.openDialogPath } });
    expect(await invoke({ v: 1, id: 9, op: 'settings.get', payload: {} })).toMatchObject({ ok: true, result: { dataFolder: fake.openDialogPath } });
  });

  it('keeps the window state and closes training and the store before quitting', async () => {
    window.listeners.get('close')();
    expect(JSON.parse(fs.readFileSync(path.join(tmp, 'store', 'window-state.json'), 'utf8'))).toEqual({ x: 10, y: 20, width: 1000, height: 700, maximized: false });
    const [beforeQuit] = fake.appListeners.get('before-quit')!;
    const preventDefault = vi.fn();
    beforeQuit!({ preventDefault });
    expect(preventDefault).toHaveBeenCalledOnce();
    const started = Date.now();
    while (fake.quit.calls === 0 && Date.now() - started < 5000) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fake.quit.calls).toBe(1);
    expect(fake.ipcHandlers.size).toBe(0);
    const again = vi.fn();
    beforeQuit!({ preventDefault: again });
    expect(again).not.toHaveBeenCalled();
  });

  it('brings the running window to the front when the app is started again', () => {
    window.calls.length = 0;
    for (const listener of fake.appListeners.get('second-instance')!) listener({}, ['kan-workbench'], tmp);
    expect(window.calls).toEqual(['restore', 'show', 'focus']);
    expect(fake.windows.filter((w) => w.options.title === 'KAN Workbench')).toHaveLength(1);
  });

  it('quits at once, touching nothing, when another instance holds the lock', () => {
    const quits = fake.quit.calls;
    const listeners = [...fake.appListeners.values()].flat().length;
    const schemes = fake.registeredSchemes.length;
    fake.singleInstanceLock = false;
    try {
      startShell();
    } finally {
      fake.singleInstanceLock = true;
    }
    expect(fake.quit.calls).toBe(quits + 1);
    expect([...fake.appListeners.values()].flat()).toHaveLength(listeners);
    expect(fake.registeredSchemes).toHaveLength(schemes);
  });

  it('loads a dev server only on an explicit --dev, and only one on this machine', () => {
    const listeners = [...fake.appListeners.values()].flat().length;
    process.argv = [...originalArgv, '--dev=https://evil.example'];
    try {
      expect(() => startShell()).toThrow(/could not start: --dev: the dev server must be http on this machine .*https:\/\/evil.example/);
    } finally {
      process.argv = originalArgv;
    }
    expect([...fake.appListeners.values()].flat()).toHaveLength(listeners);
  });
});
