// The desktop app's Chromium compute device, wired as the Electron main process wires it, with Electron faked (a fake
// BrowserWindow whose page is served in this process, Node ports standing in for MessageChannelMain): the hidden window,
// the offers its preload forwards, the relay to each training worker, and the backends the chooser, the speed probe and a
// run see. The page's own code in real Chromium is tests/unit/compute/chromium-device.test.ts.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';

import type { MessagePortMain } from 'electron';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

import { createGpuJsBackend } from '../../app/compute/gpujs/backend';
import { loadGpuJs } from '../../app/compute/gpujs/load';
import { type BridgeRequest, type DeviceOffer, isDeviceOffer } from '../../app/compute/device/protocol';
import { servePort } from '../../app/compute/device/page';
import { createDeviceServer } from '../../app/compute/device/server';
import { DEVICE_CHANNEL } from '../../main/electron/channels';
import { type DeviceBrowserWindow, openDeviceWindow } from '../../main/electron/device-window';
import { startBackend, type Backend } from '../../main/services/backend';
import { callOk } from './helpers/api';
import { bundleWorker, tinyRecipe } from './helpers/bundle';

/** Electron's MessagePortMain over a Node port: messages arrive as { data } events, and only after start(). */
class FakePortMain {
  constructor(readonly port: MessagePort) {}
  postMessage(message: unknown): void {
    this.port.postMessage(message);
  }
  on(event: 'message' | 'close', listener: (event: { data: unknown }) => void): this {
    if (event === 'message') this.port.on('message', (data) => listener({ data }));
    else this.port.on('close', () => listener({ data: null }));
    return this;
  }
  start(): void {
    this.port.start();
  }
  close(): void {
    this.port.close();
  }
}

/**
 * A hidden window whose "page" is served here: chromium-webgl2 by a device server on gpu.js's CPU mode (Node has no
 * WebGL2), chromium-webgpu by the real page code, which says why it cannot run in Node.
 */
class FakeDeviceWindow implements DeviceBrowserWindow {
  static made: FakeDeviceWindow[] = [];
  loadedUrl: string | null = null;
  destroyed = false;
  offers: { channel: string; message: unknown; ports: number }[] = [];
  private gone: (() => void) | null = null;
  readonly webContents = {
    postMessage: (channel: string, message: unknown, transfer: MessagePortMain[]) => {
      this.offers.push({ channel, message, ports: transfer.length });
      if (channel !== DEVICE_CHANNEL || !isDeviceOffer(message) || transfer.length !== 1) return;
      const port = (transfer[0] as unknown as FakePortMain).port;
      void this.serve(port, message);
    },
    once: (_event: 'render-process-gone', listener: () => void) => {
      this.gone = listener;
    },
  };

  constructor(readonly options: Electron.BrowserWindowConstructorOptions) {
    FakeDeviceWindow.made.push(this);
  }
  async loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  destroy(): void {
    this.destroyed = true;
  }
  crash(): void {
    this.gone?.();
  }

  private async serve(port: MessagePort, offer: DeviceOffer): Promise<void> {
    if (offer.kanbenchDevice === 'webgpu') return servePort(port as unknown as Parameters<typeof servePort>[0], 'webgpu');
    const server = createDeviceServer(createGpuJsBackend(await loadGpuJs(), 'cpu'));
    port.on('message', (request: BridgeRequest) => void server.handle(request).then((reply) => port.postMessage(reply)));
    port.postMessage({ available: true, reason: 'fake page: gpu.js cpu mode standing in for WebGL2' });
  }
}

function fakeElectronDevice() {
  return openDeviceWindow({
    createWindow: (options) => new FakeDeviceWindow(options),
    createChannel: () => {
      const { port1, port2 } = new MessageChannel();
      return { port1: new FakePortMain(port1) as unknown as MessagePortMain, port2: new FakePortMain(port2) as unknown as MessagePortMain };
    },
    url: 'app://kanbench/device/index.html',
    webPreferences: { preload: '/app/dist/main/device-preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false },
  });
}

describe('the device window', () => {
  it('opens hidden and hardened on the first connection, offers one port per connection, and reopens after its page crashed', async () => {
    FakeDeviceWindow.made = [];
    const device = fakeElectronDevice();
    expect(FakeDeviceWindow.made).toHaveLength(0);
    const first = await device.open('webgl2');
    const window = FakeDeviceWindow.made[0]!;
    expect(window.options).toMatchObject({
      show: false,
      webPreferences: { preload: '/app/dist/main/device-preload.cjs', contextIsolation: true, sandbox: true, nodeIntegration: false, backgroundThrottling: false },
    });
    expect(window.loadedUrl).toBe('app://kanbench/device/index.html');
    const second = await device.open('webgpu');
    expect(FakeDeviceWindow.made).toHaveLength(1);
    expect(window.offers).toEqual([
      { channel: DEVICE_CHANNEL, message: { kanbenchDevice: 'webgl2' }, ports: 1 },
      { channel: DEVICE_CHANNEL, message: { kanbenchDevice: 'webgpu' }, ports: 1 },
    ]);
    const answers = await Promise.all([first, second].map((end) => new Promise((resolve) => end.onMessage(resolve))));
    expect(answers[0]).toEqual({ available: true, reason: expect.stringContaining('fake page') });
    expect(answers[1]).toEqual({ available: false, reason: expect.stringMatching(/^Chromium webgpu: WebGPU is not available/) });
    first.close();
    second.close();

    window.crash();
    await device.open('webgl2').then((end) => end.close());
    expect(FakeDeviceWindow.made).toHaveLength(2);
    device.close();
    expect(FakeDeviceWindow.made[1]!.destroyed).toBe(true);
    await expect(device.open('webgl2')).rejects.toThrow(/closed/);
  });

  it('has a preload that hands the page only well-formed offers with one port', async () => {
    const handlers: ((event: { ports: unknown[] }, offer: unknown) => void)[] = [];
    const posted: unknown[][] = [];
    vi.doMock('electron', () => ({ ipcRenderer: { on: (channel: string, handler: (typeof handlers)[number]) => channel === DEVICE_CHANNEL && handlers.push(handler) } }));
    vi.stubGlobal('window', { postMessage: (...args: unknown[]) => posted.push(args) });
    try {
      await import('../../main/electron/device-preload');
      expect(handlers).toHaveLength(1);
      const port = {};
      handlers[0]!({ ports: [port] }, { kanbenchDevice: 'webgl2' });
      handlers[0]!({ ports: [port] }, { kanbenchDevice: 'cuda' });
      handlers[0]!({ ports: [port, port] }, { kanbenchDevice: 'webgpu' });
      handlers[0]!({ ports: [] }, { kanbenchDevice: 'webgpu' });
      expect(posted).toEqual([[{ kanbenchDevice: 'webgl2' }, '*', [port]]]);
    } finally {
      vi.doUnmock('electron');
      vi.unstubAllGlobals();
    }
  });
});

describe('training on the Chromium device through the main process', () => {
  let backend: Backend;
  let removeWorker = (): void => undefined;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-chromium-'));
  const device = fakeElectronDevice();

  beforeAll(async () => {
    const { workerFile, remove } = await bundleWorker();
    removeWorker = remove;
    backend = startBackend({ dbPath: path.join(tmp, 'experiments.db'), workerFile, checkResponses: true, log: () => undefined, warmWorkers: 0, chromiumDevice: device });
  }, 30_000);
  afterAll(async () => {
    await backend.close();
    device.close();
    removeWorker();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('lists the Chromium modes among the backends, with whether the page runs them', async () => {
    const info = await callOk(backend, 'app.info', {});
    expect(info.backends).toEqual(expect.arrayContaining([
      { name: 'chromium-webgl2', available: true, reason: expect.stringContaining('fake page') },
      { name: 'chromium-webgpu', available: false, reason: expect.stringContaining('WebGPU is not available') },
    ]));
  }, 60_000);

  it('measures it in the speed probe and checks it against the reference', async () => {
    const probe = await callOk(backend, 'backends.bench', { width: [3, 4, 2], grid: 4, k: 3, batch: 64 });
    const timing = probe.timings.find((t) => t.name === 'chromium-webgl2');
    expect(timing).toBeDefined();
    // It agreed with the reference (checked first); on gpu.js's CPU mode it may then lose by the first call's time.
    if (timing!.error === undefined) expect(timing!.secondsPerStep).toBeGreaterThan(0);
    else expect(timing!.error).toMatch(/^clearly slower: its first call took/);
    expect(probe.timings.find((t) => t.name === 'chromium-webgpu')).toBeUndefined();
  }, 120_000);

  it('trains a run on it, records it with the run, and ends where the reference ends (to float32 precision)', async () => {
    const losses: Record<string, number> = {};
    for (const name of ['chromium-webgl2', 'reference']) {
      const { id } = await callOk(backend, 'runs.create', { recipe: { ...tinyRecipe({ fits: 1, fitSteps: 5 }), backend: name } });
      expect(await backend.host.waitFor(id)).toBe('done');
      const run = await callOk(backend, 'runs.get', { id });
      expect(run.backend).toBe(name);
      losses[name] = (run.steps[0]!.metrics as { kan: { testRmse: number } }).kan.testRmse;
    }
    expect(losses.reference).toBeLessThan(0.5);
    // Not the same number: the device's float32 kernels computed that run, not the reference's.
    expect(losses['chromium-webgl2']).not.toBe(losses.reference);
    expect(Math.abs(losses['chromium-webgl2']! - losses.reference!) / losses.reference!).toBeLessThan(1e-3);
  }, 120_000);
});
