// Tests the web host: token, Origin and Host checks on HTTP and WebSocket, static files, the API and events over /api, and 1,000 hostile messages.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import type { ResponseMessage } from '../../app/api/contract';
import { startBackend, type Backend } from '../../main/services/backend';
import { startWebHost, type WebHost } from '../../main/web/server';
import { bundleWorker, tinyRecipe } from './helpers/bundle';
import { expectPrototypeClean, expectRefusal, hostileMessages } from './helpers/hostile';

const TOKEN = 'test-token-0123456789abcdef';
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-web-'));
const rendererDir = path.join(tmp, 'renderer');
let backend: Backend;
let web: WebHost;
let base = '';
let removeWorker = (): void => undefined;

beforeAll(async () => {
  fs.mkdirSync(path.join(rendererDir, 'assets'), { recursive: true });
  fs.writeFileSync(path.join(rendererDir, 'index.html'), '<!doctype html><title>KAN Workbench</title><script type="module" src="/assets/app.js"></script>');
  fs.writeFileSync(path.join(rendererDir, 'assets', 'app.js'), 'console.log("workbench")');
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'outside the renderer');
  const { workerFile, remove } = await bundleWorker();
  removeWorker = remove;
  backend = startBackend({ dbPath: ':memory:', workerFile, log: () => undefined, checkResponses: true });
  web = await startWebHost({ api: backend.api, events: backend.events, rendererDir, port: 0, token: TOKEN, maxMessageBytes: MAX_MESSAGE_BYTES, log: () => undefined });
  base = `http://127.0.0.1:${web.port}`;
}, 30_000);

afterAll(async () => {
  await web.close();
  await backend.close();
  removeWorker();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(pathAndQuery: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const request = http.request(`${base}${pathAndQuery}`, { method, headers }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

/** Opens a socket; resolves with it once open, or rejects with the HTTP status of a refused upgrade. */
function connect(query: string, headers: Record<string, string> = {}, pathname = '/api'): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${web.port}${pathname}${query}`, { headers, maxPayload: 64 * 1024 * 1024 });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
    ws.once('error', reject);
  });
}

/** Collects messages; `next()` resolves with the next response (events are kept aside). */
function client(ws: WebSocket) {
  const responses: ResponseMessage[] = [];
  const events: { event: string; payload: Record<string, unknown> }[] = [];
  let waiting: ((response: ResponseMessage) => void) | null = null;
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as ResponseMessage | { event: string; payload: Record<string, unknown> };
    if ('event' in message) {
      events.push(message);
      return;
    }
    if (waiting) {
      const resolve = waiting;
      waiting = null;
      resolve(message);
    } else {
      responses.push(message);
    }
  });
  const next = (): Promise<ResponseMessage> => {
    const queued = responses.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolve) => (waiting = resolve));
  };
  const request = async (op: string, payload: unknown, id = 1): Promise<ResponseMessage> => {
    ws.send(JSON.stringify({ v: 1, id, op, payload }));
    return next();
  };
  return { next, request, events };
}

describe('HTTP', () => {
  it('answers 401 without the token and serves the page with it, moving the token into a strict cookie', async () => {
    expect((await get('/')).status).toBe(401);
    expect((await get('/?token=wrong-token-0123456789abcd')).status).toBe(401);
    const unauthorised = await get('/assets/app.js');
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.body).toMatch(/access token is missing or wrong/);

    const page = await get(`/?token=${TOKEN}`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>KAN Workbench</title>');
    expect(page.headers['set-cookie']).toEqual([`kanbench_token_${web.port}=${TOKEN}; HttpOnly; SameSite=Strict; Path=/`]);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'; script-src 'self';.*frame-ancestors 'none'/);
    expect(page.headers['referrer-policy']).toBe('no-referrer');

    const script = await get('/assets/app.js', { Cookie: `kanbench_token_${web.port}=${TOKEN}` });
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect(script.body).toBe('console.log("workbench")');
    // Routes of the page itself get the page.
    expect((await get(`/runs/abc?token=${TOKEN}`)).body).toContain('KAN Workbench');
  });

  it('names the cookie by port, so two instances in one browser each keep their token', async () => {
    const other = await startWebHost({ api: backend.api, events: backend.events, rendererDir, port: 0, token: 'other-token-0123456789abcde', log: () => undefined });
    try {
      // A browser keeps one cookie jar for 127.0.0.1 whatever the port: open one workbench, then the other.
      const jar = new Map<string, string>();
      for (const [host, token] of [[web, TOKEN], [other, 'other-token-0123456789abcde']] as const) {
        const page = await new Promise<http.IncomingMessage>((resolve, reject) => http.get(`http://127.0.0.1:${host.port}/?token=${token}`, resolve).on('error', reject));
        page.resume();
        for (const line of page.headers['set-cookie'] ?? []) {
          const [pair] = line.split(';');
          jar.set(pair!.slice(0, pair!.indexOf('=')), pair!.slice(pair!.indexOf('=') + 1));
        }
      }
      const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
      expect(jar.size).toBe(2);
      expect((await get('/assets/app.js', { Cookie: cookie })).status).toBe(200);
      const fromOther = await new Promise<number>((resolve, reject) => http.get(`http://127.0.0.1:${other.port}/assets/app.js`, { headers: { Cookie: cookie } }, (r) => { r.resume(); resolve(r.statusCode!); }).on('error', reject));
      expect(fromOther).toBe(200);
      // Each instance reads only its own cookie.
      expect((await get('/assets/app.js', { Cookie: `kanbench_token_${other.port}=${TOKEN}` })).status).toBe(401);
    } finally {
      await other.close();
    }
  });

  it('answers 403 to a foreign Origin or Host even with the token', async () => {
    const foreign = await get(`/?token=${TOKEN}`, { Origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatch(/requests from http:\/\/evil.example are not allowed/);
    expect((await get(`/?token=${TOKEN}`, { Origin: `http://127.0.0.1:${web.port}` })).status).toBe(200);
    expect((await get(`/?token=${TOKEN}`, { Origin: 'null' })).status).toBe(403);
    expect((await get(`/?token=${TOKEN}`, { Host: `rebound.example:${web.port}` })).status).toBe(403);
  });

  it('never serves a file outside the renderer folder, and only GET and HEAD', async () => {
    for (const attempt of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/%00.js']) {
      const reply = await get(`${attempt}?token=${TOKEN}`);
      expect(reply.body).not.toContain('outside the renderer');
      expect([200, 400, 404]).toContain(reply.status);
    }
    expect((await get(`/missing.js?token=${TOKEN}`)).status).toBe(404);
    expect((await get(`/?token=${TOKEN}`, {}, 'POST')).status).toBe(405);
    expect((await get(`/api?token=${TOKEN}`)).status).toBe(426);
  });

  it('says how to build the page when it is missing', async () => {
    const bare = await startWebHost({ api: backend.api, events: backend.events, rendererDir: path.join(tmp, 'nothing'), port: 0, token: TOKEN });
    const reply = await new Promise<Reply>((resolve) => {
      http.get(`http://127.0.0.1:${bare.port}/?token=${TOKEN}`, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
      });
    });
    await bare.close();
    expect(reply.status).toBe(503);
    expect(reply.body).toMatch(/not built.*npm run build/);
  });
});

describe('WebSocket', () => {
  it('refuses upgrades without the token (401), from a foreign Origin (403), or off /api (404)', async () => {
    await expect(connect('')).rejects.toThrow('HTTP 401');
    await expect(connect('?token=nope')).rejects.toThrow('HTTP 401');
    await expect(connect(`?token=${TOKEN}`, { Origin: 'https://evil.example' })).rejects.toThrow('HTTP 403');
    await expect(connect(`?token=${TOKEN}`, {}, '/other')).rejects.toThrow('HTTP 404');
    const byCookie = await connect('', { Cookie: `kanbench_token_${web.port}=${TOKEN}`, Origin: `http://localhost:${web.port}` });
    const { request } = client(byCookie);
    expect(await request('app.info', {})).toMatchObject({ id: 1, ok: true, result: { apiVersion: 1 } });
    byCookie.close();
  });

  it('answers malformed JSON and binary frames with an error and keeps the connection', async () => {
    const ws = await connect(`?token=${TOKEN}`);
    const { next, request } = client(ws);
    ws.send('{"v": 1, "id": 3, "op": ');
    const broken = await next();
    expect(broken).toMatchObject({ id: null, ok: false, error: { code: 'bad_request' } });
    expect(!broken.ok && broken.error.message).toMatch(/not valid JSON/);
    ws.send(Buffer.from([1, 2, 3]), { binary: true });
    expect(await next()).toMatchObject({ id: null, ok: false, error: { code: 'bad_request', message: expect.stringMatching(/binary frames/) } });
    expect(await request('runs.list', { limit: 5 }, 9)).toMatchObject({ id: 9, ok: true, result: { total: 0, rows: [] } });
    ws.close();
  });

  it('closes a connection that sends more than the message limit, and keeps serving others', async () => {
    const ws = await connect(`?token=${TOKEN}`);
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    ws.send(JSON.stringify({ v: 1, id: 1, op: 'datasets.previewCsv', payload: { text: 'a'.repeat(MAX_MESSAGE_BYTES + 10) } }));
    expect(await closed).toBe(1009);
    const other = await connect(`?token=${TOKEN}`);
    expect(await client(other).request('app.info', {})).toMatchObject({ ok: true });
    other.close();
  });

  it('streams the events of a run to every connected client', async () => {
    const [a, b] = [await connect(`?token=${TOKEN}`), await connect(`?token=${TOKEN}`)];
    const [first, second] = [client(a), client(b)];
    const created = await first.request('runs.create', { recipe: tinyRecipe({ fits: 2, fitSteps: 10, rows: 300 }) });
    expect(created.ok).toBe(true);
    const runId = (created as { result: { id: string } }).result.id;
    await backend.host.waitFor(runId);
    await new Promise((resolve) => setTimeout(resolve, 50));
    for (const { events } of [first, second]) {
      const mine = events.filter((e) => e.payload.runId === runId);
      expect(mine.filter((e) => e.event === 'run.status').map((e) => e.payload.status)).toEqual(['running', 'done']);
      expect(mine.filter((e) => e.event === 'run.step').map((e) => (e.payload.step as { idx: number }).idx)).toEqual([0, 1]);
      expect(mine.filter((e) => e.event === 'run.progress').length).toBeGreaterThan(0);
    }
    a.close();
    b.close();
  }, 20_000);

  it('rejects 1,000 malformed and hostile messages with clear errors and keeps serving', async () => {
    const ws = await connect(`?token=${TOKEN}`);
    const { next, request } = client(ws);
    const before = (await request('runs.list', {})) as { result: { total: number } };
    for (const hostile of hostileMessages(1000, 7)) {
      ws.send(hostile.text);
      expectRefusal(hostile, await next());
    }
    expectPrototypeClean();
    expect(await request('runs.list', {}, 5)).toMatchObject({ id: 5, ok: true, result: { total: before.result.total } });
    expect(backend.store.listDatasets().filter((d) => d.name === 'ok' || d.name === 'f')).toEqual([]);
    expect(backend.store.integrityCheck()).toBe('ok');
    ws.close();
  }, 30_000);
});
