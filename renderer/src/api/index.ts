/** The one API client of the page, over Electron IPC when the preload bridge is present and the WebSocket otherwise. */
import { createClient, type ApiClient } from './client';
import { createElectronTransport, type KanbenchBridge } from './electron';
import { apiUrlFromLocation, createWebSocketTransport } from './websocket';

declare global {
  interface Window {
    kanbench?: KanbenchBridge;
  }
}

export { ApiCallError, type ApiClient, type ConnectionState } from './client';

let client: ApiClient | null = null;

export function api(): ApiClient {
  client ??= createClient(window.kanbench ? createElectronTransport(window.kanbench) : createWebSocketTransport({ url: apiUrlFromLocation(window.location) }));
  return client;
}
