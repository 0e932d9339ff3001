/**
 * The IPC binding of the Electron shell: one invoke channel for API requests and one channel for pushed events. Every
 * call is checked: it must come from the main frame of our window, showing our own page; its message then goes through
 * the same validating dispatcher as the WebSocket. Written against the few Electron shapes it uses, so tests can drive
 * it with a mocked `electron`.
 */
import type { EventMessage, ResponseMessage } from '../../app/api/contract';
import type { Api } from '../services/api';
import type { EventBus } from '../services/events';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels';

export { EVENT_CHANNEL, INVOKE_CHANNEL };

export interface SenderFrame {
  url: string;
  /** null for a main frame. */
  parent: unknown;
}

export interface InvokeEvent {
  sender: { id: number };
  senderFrame: SenderFrame | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEvent, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface EventTarget {
  id: number;
  isDestroyed(): boolean;
  send(channel: string, message: EventMessage): void;
}

export interface IpcBindingOptions {
  ipcMain: IpcMainLike;
  api: Api;
  events: EventBus;
  /** The webContents of our window: the only caller, and where events go. */
  contents: EventTarget;
  /** Whether a page URL is ours (the app:// page, or the dev server in development). */
  isOurPage: (url: string) => boolean;
}

/** Binds the channels; returns the function that unbinds them (on window close). */
export function bindIpc(options: IpcBindingOptions): () => void {
  const { ipcMain, api, events, contents } = options;
  ipcMain.handle(INVOKE_CHANNEL, async (event, ...args): Promise<ResponseMessage> => {
    const refusal = senderRefusal(event, contents.id, options.isOurPage);
    if (refusal) return { id: null, ok: false, error: { code: 'bad_request', message: refusal } };
    if (args.length !== 1) {
      return { id: null, ok: false, error: { code: 'bad_request', message: `an API call carries exactly one message; got ${args.length} arguments.` } };
    }
    return api.handleMessage(args[0]);
  });
  const unsubscribe = events.subscribe((event, payload) => {
    if (!contents.isDestroyed()) contents.send(EVENT_CHANNEL, { event, payload });
  });
  return () => {
    unsubscribe();
    ipcMain.removeHandler(INVOKE_CHANNEL);
  };
}

/** Why a caller may not use the API, or null when it may. */
export function senderRefusal(event: InvokeEvent, contentsId: number, isOurPage: (url: string) => boolean): string | null {
  if (event.sender.id !== contentsId) return 'API calls are accepted from the workbench window only.';
  const frame = event.senderFrame;
  if (!frame) return 'the calling frame is gone.';
  if (frame.parent !== null) return 'API calls are accepted from the main frame only, not from embedded frames.';
  if (!isOurPage(frame.url)) return `API calls are not accepted from ${frame.url.slice(0, 100)}.`;
  return null;
}

/**
 * Accepts pages under our own roots: the app:// page and, in development, the dev server. Compared as prefixes ending
 * in "/", since a custom scheme has the opaque origin "null", which other pages (data:, sandboxed frames) share.
 */
export function pageMatcher(appRoot: string, devUrl: string | null): (url: string) => boolean {
  const roots = [appRoot.endsWith('/') ? appRoot : `${appRoot}/`];
  if (devUrl) roots.push(`${new URL(devUrl).origin}/`);
  return (url) => roots.some((root) => url.startsWith(root));
}
