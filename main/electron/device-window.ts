/**
 * The desktop app's Chromium compute device: a hidden window, owned by the main process, that loads the device page
 * (app://kanbench/device/index.html) and is offered one MessagePortMain per connection through its preload. It opens on
 * the first connection (asking the backend list whether a mode runs counts) and again after its page crashed. Electron's
 * classes come in as arguments, so tests drive it with fakes.
 */
import type { BrowserWindowConstructorOptions, MessagePortMain, WebPreferences } from 'electron';

import type { BridgeRequest, ChromiumDeviceMode, DeviceOffer } from '../../app/compute/device/protocol';
import type { ChromiumDevice } from '../compute/chromium-device';
import type { PageEnd } from '../compute/device-relay';
import { DEVICE_CHANNEL } from './channels';

/** The members of a BrowserWindow the device uses. */
export interface DeviceBrowserWindow {
  loadURL(url: string): Promise<void>;
  isDestroyed(): boolean;
  destroy(): void;
  webContents: {
    postMessage(channel: string, message: unknown, transfer: MessagePortMain[]): void;
    once(event: 'render-process-gone', listener: () => void): unknown;
  };
}

export interface DeviceWindowOptions {
  createWindow(options: BrowserWindowConstructorOptions): DeviceBrowserWindow;
  createChannel(): { port1: MessagePortMain; port2: MessagePortMain };
  url: string;
  /** The hardened preferences of every app window, with the device preload. */
  webPreferences: WebPreferences;
}

export interface DeviceWindow extends ChromiumDevice {
  close(): void;
}

export function openDeviceWindow(options: DeviceWindowOptions): DeviceWindow {
  let current: { window: DeviceBrowserWindow; loaded: Promise<void> } | null = null;
  let closed = false;

  const page = (): { window: DeviceBrowserWindow; loaded: Promise<void> } => {
    if (current && !current.window.isDestroyed()) return current;
    const window = options.createWindow({
      show: false,
      width: 320,
      height: 240,
      title: 'KAN Workbench compute device',
      // Hidden, it would otherwise have its timers and message handling throttled like a background tab.
      webPreferences: { ...options.webPreferences, backgroundThrottling: false },
    });
    const opened = { window, loaded: window.loadURL(options.url) };
    window.webContents.once('render-process-gone', () => {
      if (current === opened) current = null;
    });
    current = opened;
    return opened;
  };

  return {
    async open(mode: ChromiumDeviceMode): Promise<PageEnd> {
      if (closed) throw new Error('the compute device window was closed');
      const { window, loaded } = page();
      await loaded;
      const { port1, port2 } = options.createChannel();
      window.webContents.postMessage(DEVICE_CHANNEL, { kanbenchDevice: mode } satisfies DeviceOffer, [port2]);
      return pageEnd(port1);
    },
    close() {
      closed = true;
      if (current && !current.window.isDestroyed()) current.window.destroy();
      current = null;
    },
  };
}

function pageEnd(port: MessagePortMain): PageEnd {
  return {
    post: (request: BridgeRequest) => port.postMessage(request),
    onMessage: (listener) => {
      port.on('message', (event) => listener(event.data));
      // Messages queue until the port starts: start once a listener is there to take the page's first answer.
      port.start();
    },
    onClose: (listener) => void port.on('close', listener),
    close: () => port.close(),
  };
}
