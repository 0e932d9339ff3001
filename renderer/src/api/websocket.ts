/**
 * Browser transport: one WebSocket to the local `kanbench serve` host speaking the contract's wire messages
 * (RequestMessage out; ResponseMessage and EventMessage in), reconnecting with exponential backoff when it drops.
 */
import type { API_VERSION, ApiErrorBody, EventName, RequestMessage } from '../../../app/api/contract';
import { ApiCallError, type ApiEventListener, type ConnectionState, type Transport } from './client';

/** Must equal the contract's API_VERSION; typed so a bump there fails the renderer's typecheck until this follows. */
const WIRE_VERSION: typeof API_VERSION = 1;

/** The parts of the DOM WebSocket this transport uses, so tests can hand it a fake. */
export interface SocketLike {
  readyState: number;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface WebSocketTransportOptions {
  url: string;
  createSocket?: (url: string) => SocketLike;
  /** First reconnect delay; doubles per failed attempt up to maxBackoffMs. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  setTimer?: (fn: () => void, ms: number) => unknown;
}

export interface WebSocketTransport extends Transport {
  readonly state: ConnectionState;
  close(): void;
}

interface Pending {
  op: string;
  message: string;
  sent: boolean;
  resolve: (value: unknown) => void;
  reject: (error: ApiCallError) => void;
}

const OPEN = 1;

/**
 * The /api address for the page's own origin, with the session token the host printed (…/?token=T). Without one in the
 * address the host's cookie, set when the page loaded, authorises the connection.
 */
export function apiUrlFromLocation(location: { origin: string; search: string }): string {
  const token = new URLSearchParams(location.search).get('token');
  return `${location.origin.replace(/^http/, 'ws')}/api${token ? `?token=${encodeURIComponent(token)}` : ''}`;
}

export function createWebSocketTransport(options: WebSocketTransportOptions): WebSocketTransport {
  const createSocket = options.createSocket ?? ((url: string) => new WebSocket(url) as unknown as SocketLike);
  const initialBackoffMs = options.initialBackoffMs ?? 250;
  const maxBackoffMs = options.maxBackoffMs ?? 5000;
  const setTimer = options.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
  const pending = new Map<number, Pending>();
  const listeners = new Set<ApiEventListener>();
  const stateListeners = new Set<(state: ConnectionState, detail: string | null) => void>();
  let nextId = 1;
  let socket: SocketLike | null = null;
  let state: ConnectionState = 'connecting';
  let failedAttempts = 0;
  let closedByUser = false;

  function setState(next: ConnectionState, detail: string | null): void {
    state = next;
    for (const listener of stateListeners) listener(next, detail);
  }

  function flush(): void {
    if (!socket || socket.readyState !== OPEN) return;
    for (const request of pending.values()) {
      if (request.sent) continue;
      socket.send(request.message);
      request.sent = true;
    }
  }

  function connect(): void {
    const ws = createSocket(options.url);
    socket = ws;
    ws.onopen = () => {
      failedAttempts = 0;
      setState('open', null);
      flush();
    };
    ws.onmessage = (event) => receive(event.data);
    ws.onerror = () => undefined; // onclose follows and handles it
    ws.onclose = (event) => {
      if (socket !== ws) return;
      socket = null;
      // A request already sent may or may not have run; repeating it could create a run twice, so it fails instead.
      for (const [id, request] of pending) {
        if (!request.sent) continue;
        pending.delete(id);
        request.reject(new ApiCallError({ code: 'failed', message: `the connection to KAN Workbench closed while "${request.op}" was running; check whether it took effect and try again` }));
      }
      if (closedByUser) return;
      const delay = Math.min(maxBackoffMs, initialBackoffMs * 2 ** failedAttempts);
      failedAttempts++;
      setState('reconnecting', event.code === 1008 || event.code === 4001
        ? `the host refused the connection (${event.reason || 'bad token'}); open the address that \`kanbench serve\` printed`
        : `connection lost; retrying in ${Math.round(delay / 100) / 10} s`);
      setTimer(connect, delay);
    };
  }

  function receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let message: unknown;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (typeof message !== 'object' || message === null) return;
    const m = message as Record<string, unknown>;
    if (typeof m.event === 'string') {
      for (const listener of listeners) listener(m.event as EventName, m.payload);
      return;
    }
    if (typeof m.id === 'number') {
      const request = pending.get(m.id);
      if (!request) return;
      pending.delete(m.id);
      if (m.ok === true) request.resolve(m.result);
      else request.reject(new ApiCallError(m.error as ApiErrorBody));
      return;
    }
    // id null: the host could not read a request at all (bad JSON, version mismatch); it cannot say which one.
    if (m.ok === false && typeof m.error === 'object' && m.error !== null) {
      const error = m.error as ApiErrorBody;
      setState(state, error.message);
    }
  }

  connect();

  return {
    platform: 'browser',
    get state() {
      return state;
    },
    invoke(op: string, payload: unknown): Promise<unknown> {
      if (closedByUser) return Promise.reject(new ApiCallError({ code: 'failed', message: 'the connection to KAN Workbench was closed' }));
      const id = nextId++;
      const request: RequestMessage = { v: WIRE_VERSION, id, op, payload };
      return new Promise((resolve, reject) => {
        pending.set(id, { op, message: JSON.stringify(request), sent: false, resolve, reject });
        flush();
      });
    },
    subscribe(listener: ApiEventListener): () => void {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onConnectionChange(listener) {
      stateListeners.add(listener);
      return () => stateListeners.delete(listener);
    },
    close(): void {
      closedByUser = true;
      socket?.close(1000, 'closed by the page');
    },
  };
}
