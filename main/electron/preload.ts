/**
 * The preload of the workbench window (sandboxed, context-isolated): exposes ONLY the typed API as window.kanbench
 * (invoke an operation, subscribe to events, the platform), never ipcRenderer itself.
 */
import { contextBridge, ipcRenderer } from 'electron';

import { API_VERSION, type EventMessage, type ResponseMessage } from '../../app/api/contract';
import { EVENT_CHANNEL, INVOKE_CHANNEL } from './channels';

type Listener = (event: string, payload: unknown) => void;

const listeners = new Set<Listener>();
let nextId = 1;

ipcRenderer.on(EVENT_CHANNEL, (_event, message: EventMessage) => {
  for (const listener of [...listeners]) {
    try {
      listener(message.event, message.payload);
    } catch (error) {
      console.error('kanbench: an event listener failed', error);
    }
  }
});

contextBridge.exposeInMainWorld('kanbench', {
  /** Resolves with the operation's result; rejects with an Error whose message says what was wrong (and names the bad field). */
  async invoke(op: string, payload: unknown): Promise<unknown> {
    const response = (await ipcRenderer.invoke(INVOKE_CHANNEL, { v: API_VERSION, id: nextId++, op, payload })) as ResponseMessage;
    if (response.ok) return response.result;
    // Only an Error's message survives the context bridge, so the code and field travel inside it.
    const { code, message, path } = response.error;
    throw new Error(`[${code}${path ? ` ${path}` : ''}] ${message}`);
  },
  subscribe(listener: Listener): () => void {
    if (typeof listener !== 'function') throw new TypeError('kanbench.subscribe needs a function (event, payload) => void');
    listeners.add(listener);
    return () => {
      listeners.delete(listener);
    };
  },
  platform: 'electron',
});
