// The renderer's API transport: wire messages over a (fake) WebSocket, reconnecting, and error normalisation.
import { describe, expect, it } from 'vitest';
import { ApiCallError, createClient, toApiCallError } from '../../../renderer/src/api/client';
import { apiUrlFromLocation, createWebSocketTransport, type SocketLike } from '../../../renderer/src/api/websocket';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  onopen: ((event: unknown) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string): void {
    this.sent.push(data);
  }
  close(): void {
    this.drop(1000);
  }
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code = 1006): void {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  reply(message: unknown): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
}

function setup() {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const transport = createWebSocketTransport({
    url: 'ws://127.0.0.1:1/api?token=t',
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    initialBackoffMs: 100,
    maxBackoffMs: 1000,
    setTimer: (fn, ms) => timers.push({ fn, ms }),
  });
  return { transport, sockets, timers, client: createClient(transport) };
}

describe('WebSocket transport', () => {
  it('builds the /api address from the page address and its token', () => {
    expect(apiUrlFromLocation({ origin: 'http://127.0.0.1:5123', search: '?token=a%2Bb' })).toBe('ws://127.0.0.1:5123/api?token=a%2Bb');
    expect(apiUrlFromLocation({ origin: 'https://host', search: '' })).toBe('wss://host/api');
  });

  it('queues requests until the socket opens, then sends versioned request messages and resolves by id', async () => {
    const { sockets, client } = setup();
    const first = client.invoke('datasets.list', {});
    const second = client.invoke('app.info', {});
    expect(sockets[0]!.sent).toEqual([]);
    sockets[0]!.open();
    const messages = sockets[0]!.sent.map((s) => JSON.parse(s) as { v: number; id: number; op: string; payload: unknown });
    expect(messages.map((m) => [m.v, m.op])).toEqual([[1, 'datasets.list'], [1, 'app.info']]);
    expect(messages[0]!.id).not.toBe(messages[1]!.id);
    // Replies may come in any order.
    sockets[0]!.reply({ id: messages[1]!.id, ok: true, result: { version: '9' } });
    sockets[0]!.reply({ id: messages[0]!.id, ok: true, result: [] });
    await expect(second).resolves.toEqual({ version: '9' });
    await expect(first).resolves.toEqual([]);
  });

  it('rejects with the error code, message and field path main sent', async () => {
    const { sockets, client } = setup();
    sockets[0]!.open();
    const call = client.invoke('datasets.importCsv', { name: 'x', text: '' });
    const { id } = JSON.parse(sockets[0]!.sent[0]!) as { id: number };
    sockets[0]!.reply({ id, ok: false, error: { code: 'bad_request', message: 'request of datasets.importCsv, field text: empty', path: 'text' } });
    const error = await call.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiCallError);
    expect(error).toMatchObject({ code: 'bad_request', path: 'text', message: 'request of datasets.importCsv, field text: empty' });
  });

  it('delivers events to subscribers until they unsubscribe', () => {
    const { sockets, client } = setup();
    sockets[0]!.open();
    const seen: unknown[] = [];
    const off = client.on('run.status', (p) => seen.push(p.status));
    sockets[0]!.reply({ event: 'run.status', payload: { runId: 'r', status: 'done', error: null } });
    sockets[0]!.reply({ event: 'run.step', payload: { runId: 'r' } });
    off();
    sockets[0]!.reply({ event: 'run.status', payload: { runId: 'r', status: 'failed', error: 'x' } });
    expect(seen).toEqual(['done']);
  });

  it('fails requests in flight when the connection drops, keeps unsent ones, and reconnects with doubling delays', async () => {
    const { sockets, timers, client, transport } = setup();
    const states: string[] = [];
    transport.onConnectionChange?.((state) => states.push(state));
    sockets[0]!.open();
    const inFlight = client.invoke('runs.list', {});
    sockets[0]!.drop();
    await expect(inFlight).rejects.toMatchObject({ code: 'failed' });
    const queued = client.invoke('datasets.list', {});
    expect(timers.map((t) => t.ms)).toEqual([100]);
    timers[0]!.fn();
    sockets[1]!.drop();
    expect(timers.map((t) => t.ms)).toEqual([100, 200]);
    timers[1]!.fn();
    sockets[2]!.open();
    expect(states).toEqual(['open', 'reconnecting', 'reconnecting', 'open']);
    const { id, op } = JSON.parse(sockets[2]!.sent[0]!) as { id: number; op: string };
    expect(op).toBe('datasets.list');
    sockets[2]!.reply({ id, ok: true, result: ['ok'] });
    await expect(queued).resolves.toEqual(['ok']);
    // A successful connection resets the backoff.
    sockets[2]!.drop();
    expect(timers[2]!.ms).toBe(100);
  });

  it('stops reconnecting once closed by the page', () => {
    const { sockets, timers, transport } = setup();
    sockets[0]!.open();
    transport.close();
    expect(timers).toEqual([]);
  });
});

describe('toApiCallError', () => {
  it('reads the code and field the Electron preload writes into the message', () => {
    const error = toApiCallError(new Error('[bad_request recipe.kan.width] recipe field kan.width: the KAN has 2 inputs but the data has 3'));
    expect(error).toMatchObject({ code: 'bad_request', path: 'recipe.kan.width', message: 'recipe field kan.width: the KAN has 2 inputs but the data has 3' });
    expect(toApiCallError(new Error('[not_found] run x does not exist'))).toMatchObject({ code: 'not_found', path: undefined, message: 'run x does not exist' });
  });

  it('keeps any other message whole and marks it failed', () => {
    expect(toApiCallError(new Error('[bracketed] but not a code'))).toMatchObject({ code: 'failed', message: '[bracketed] but not a code' });
    expect(toApiCallError('boom')).toMatchObject({ code: 'failed', message: 'boom' });
  });

  it('accepts an error body object as it is', () => {
    expect(toApiCallError({ code: 'conflict', message: 'run is running', path: 'id' })).toMatchObject({ code: 'conflict', path: 'id' });
  });
});
