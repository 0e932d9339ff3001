/** Electron transport: the preload exposes `window.kanbench`, which forwards to main over IPC. */
import type { EventName } from '../../../app/api/contract';
import type { Transport } from './client';

/** What the preload script exposes on window (see main/electron/preload.ts). */
export interface KanbenchBridge {
  readonly platform: 'electron';
  invoke(op: string, payload: unknown): Promise<unknown>;
  subscribe(listener: (event: string, payload: unknown) => void): () => void;
}

export function createElectronTransport(bridge: KanbenchBridge): Transport {
  return {
    platform: 'electron',
    invoke: (op, payload) => bridge.invoke(op, payload),
    subscribe: (listener) => bridge.subscribe((event, payload) => listener(event as EventName, payload)),
  };
}
