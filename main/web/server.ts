/**
 * The web host of browser mode: on 127.0.0.1 only, it serves the built renderer and the API over a WebSocket (/api).
 * Every request must carry the start-up token (query `token=` or the HttpOnly cookie set on the first page load), or
 * gets 401. Browsers send a host's cookies to all of its ports, so the cookie is named by port (as Jupyter names its
 * own): two instances in one browser each keep their token. a request from another Origin or for another Host (DNS rebinding) gets 403.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import path from 'node:path';

import { WebSocketServer, WebSocket } from 'ws';

import { API_VERSION, type EventMessage } from '../../app/api/contract';
import type { Api } from '../services/api';
import type { EventBus } from '../services/events';
import { rendererCsp } from './csp';

export interface WebHostOptions {
  api: Api;
  events: EventBus;
  /** The built renderer (dist/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port: number;
  /** Fixed in tests; otherwise fresh and random on every start. */
  token?: string;
  /** Largest WebSocket message accepted; a bigger one closes the connection (1009). Default 256 MiB, above the CSV limit. */
  maxMessageBytes?: number;
  log?: (message: string) => void;
}

export interface WebHost {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const API_PATH = '/api';
/** Progress events are dropped for a client this far behind; the next one carries the latest figures anyway. */
const SLOW_CLIENT_BYTES = 4 * 1024 * 1024;
const MAX_IN_FLIGHT = 256;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const rendererDir = path.resolve(options.rendererDir);
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const tokenBytes = Buffer.from(token);
  let port = 0;
  const cookieName = (): string => `kanbench_token_${port}`;

  const hasToken = (request: http.IncomingMessage, url: URL): boolean => {
    const offered = url.searchParams.get('token') ?? cookieValue(request.headers.cookie, cookieName());
    if (offered === null) return false;
    const offeredBytes = Buffer.from(offered);
    return offeredBytes.length === tokenBytes.length && timingSafeEqual(offeredBytes, tokenBytes);
  };

  /** null when allowed, else the status and the reason. */
  const refusal = (request: http.IncomingMessage, url: URL): [number, string] | null => {
    const origins = [`http://${HOST}:${port}`, `http://localhost:${port}`];
    const origin = request.headers.origin;
    if (origin !== undefined && !origins.includes(origin)) return [403, `requests from ${origin.slice(0, 100)} are not allowed; open the workbench at ${origins[0]}`];
    const hostHeader = request.headers.host;
    if (hostHeader !== undefined && hostHeader !== `${HOST}:${port}` && hostHeader !== `localhost:${port}`) {
      return [403, `this server answers for ${HOST}:${port} only`];
    }
    if (!hasToken(request, url)) return [401, 'the access token is missing or wrong; open the address that `kanbench serve` printed (it ends in ?token=...)'];
    return null;
  };

  const server = http.createServer((request, response) => {
    const url = parseUrl(request.url);
    if (!url) return sendText(response, 400, 'bad request path');
    const refused = refusal(request, url);
    if (refused) return sendText(response, refused[0], refused[1]);
    if (url.pathname === API_PATH) return sendText(response, 426, 'this address speaks WebSocket only', { Upgrade: 'websocket' });
    if (request.method !== 'GET' && request.method !== 'HEAD') return sendText(response, 405, 'only GET and HEAD are served', { Allow: 'GET, HEAD' });
    // The token moves into a cookie, so the page's own requests (scripts, the WebSocket) are authorised without it.
    const cookie = url.searchParams.has('token') ? `${cookieName()}=${token}; HttpOnly; SameSite=Strict; Path=/` : null;
    serveStatic(rendererDir, url.pathname, request.method === 'HEAD', response, port, cookie);
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  const sockets = new WebSocketServer({ noServer: true, maxPayload: options.maxMessageBytes ?? 256 * 1024 * 1024 });
  server.on('upgrade', (request: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = parseUrl(request.url);
    if (!url) return rejectUpgrade(socket, 400, 'bad request path');
    const refused = refusal(request, url);
    if (refused) return rejectUpgrade(socket, refused[0], refused[1]);
    if (url.pathname !== API_PATH) return rejectUpgrade(socket, 404, `the API is at ${API_PATH}`);
    sockets.handleUpgrade(request, socket, head, (ws) => serveConnection(ws, options, log));
  });

  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${options.port} on ${HOST} is in use; choose another with --port`)
          : error,
      );
    });
    server.listen(options.port, HOST, () => {
      port = (server.address() as AddressInfo).port;
      resolve({
        url: `http://${HOST}:${port}/?token=${token}`,
        port,
        token,
        close: () =>
          new Promise<void>((done) => {
            for (const client of sockets.clients) client.terminate();
            sockets.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

function serveConnection(ws: WebSocket, options: WebHostOptions, log: (message: string) => void): void {
  let inFlight = 0;
  const send = (message: unknown): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  };
  const unsubscribe = options.events.subscribe((event, payload) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    if (event === 'run.progress' && ws.bufferedAmount > SLOW_CLIENT_BYTES) return;
    send({ event, payload } satisfies EventMessage);
  });
  ws.on('message', (data, isBinary) => {
    if (isBinary) {
      send({ id: null, ok: false, error: { code: 'bad_request', message: `binary frames are not accepted; send JSON text like {"v": ${API_VERSION}, "id": 1, "op": "app.info", "payload": {}}.` } });
      return;
    }
    if (inFlight >= MAX_IN_FLIGHT) {
      send({ id: null, ok: false, error: { code: 'bad_request', message: `more than ${MAX_IN_FLIGHT} requests are waiting for answers; wait for some before sending more.` } });
      return;
    }
    inFlight += 1;
    const text = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.from(data).toString('utf8');
    options.api
      .handleText(text)
      .then(send, (error: unknown) => log(`kanbench: a WebSocket request failed: ${(error as Error).message}`))
      .finally(() => (inFlight -= 1));
  });
  ws.on('close', unsubscribe);
  ws.on('error', (error) => {
    unsubscribe();
    log(`kanbench: WebSocket connection closed: ${error.message}`);
  });
}

function serveStatic(rendererDir: string, pathname: string, headOnly: boolean, response: http.ServerResponse, port: number, cookie: string | null): void {
  const index = path.join(rendererDir, 'index.html');
  if (!fs.existsSync(index)) {
    return sendText(response, 503, `The workbench page is not built (no ${index}). Run \`npm run build\` in the KAN Workbench folder, then restart \`kanbench serve\`.`);
  }
  let relative: string;
  try {
    relative = decodeURIComponent(pathname);
  } catch {
    return sendText(response, 400, 'bad request path');
  }
  if (relative.includes('\0')) return sendText(response, 400, 'bad request path');
  const file = path.resolve(rendererDir, `.${path.posix.normalize(`/${relative}`)}`);
  if (file !== rendererDir && !file.startsWith(rendererDir + path.sep)) return sendText(response, 404, 'not found');
  let target = file;
  const stat = fs.statSync(target, { throwIfNoEntry: false });
  if (!stat || stat.isDirectory()) {
    // Paths without an extension are the page's own routes: the single-page app answers them.
    if (path.extname(relative) !== '' && !stat) return sendText(response, 404, 'not found');
    target = index;
  }
  const headers: http.OutgoingHttpHeaders = {
    'Content-Type': CONTENT_TYPES[path.extname(target).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': fs.statSync(target).size,
    ...securityHeaders(port),
    'Cache-Control': target === index ? 'no-store' : 'no-cache',
  };
  if (cookie) headers['Set-Cookie'] = cookie;
  response.writeHead(200, headers);
  if (headOnly) return void response.end();
  fs.createReadStream(target).pipe(response);
}

/** The page may load only its own files and talk only to this server; nothing may frame it; no Referer leaks the token. */
function securityHeaders(port: number): http.OutgoingHttpHeaders {
  return {
    'Content-Security-Policy': rendererCsp(`'self' ws://${HOST}:${port} ws://localhost:${port}`),
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
  };
}

function sendText(response: http.ServerResponse, status: number, text: string, extra: http.OutgoingHttpHeaders = {}): void {
  const body = `${text}\n`;
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'X-Content-Type-Options': 'nosniff', ...extra });
  response.end(body);
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  const body = `${text}\n`;
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function parseUrl(raw: string | undefined): URL | null {
  try {
    return new URL(raw ?? '/', `http://${HOST}`);
  } catch {
    return null;
  }
}

function cookieValue(header: string | undefined, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}
