/**
 * The app:// scheme the workbench page is served from (Electron's advice over file://): a standard, secure origin of
 * its own, whose responses carry the page's CSP. Maps request URLs to files of the built renderer, never outside it.
 */
import fs from 'node:fs';
import path from 'node:path';

import { rendererCsp } from '../web/csp';

export const APP_SCHEME = 'app';
export const APP_ROOT = 'app://kanbench/';
export const APP_CSP = rendererCsp("'self'");

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff': 'font/woff', '.woff2': 'font/woff2', '.ttf': 'font/ttf', '.wasm': 'application/wasm',
};

/** The file an app:// URL names, index.html for the page's own routes, or null for anything outside the renderer. */
export function rendererFile(rendererDir: string, requestUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return null;
  }
  if (`${url.protocol}//${url.host}/` !== APP_ROOT) return null;
  let relative: string;
  try {
    relative = decodeURIComponent(url.pathname);
  } catch {
    return null;
  }
  if (relative.includes('\0')) return null;
  const root = path.resolve(rendererDir);
  const file = path.resolve(root, `.${path.posix.normalize(`/${relative}`)}`);
  if (file !== root && !file.startsWith(root + path.sep)) return null;
  const stat = fs.statSync(file, { throwIfNoEntry: false });
  if (stat?.isFile()) return file;
  return path.extname(relative) === '' ? path.join(root, 'index.html') : null;
}

/** A protocol handler's answer for a request: the file with its type and the CSP, or 404. */
export async function serveAppRequest(rendererDir: string, requestUrl: string): Promise<Response> {
  const file = rendererFile(rendererDir, requestUrl);
  if (!file || !fs.existsSync(file)) return new Response('not found', { status: 404, headers: { 'Content-Type': 'text/plain' } });
  const body = await fs.promises.readFile(file);
  return new Response(body, {
    status: 200,
    headers: {
      'Content-Type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
      'Content-Security-Policy': APP_CSP,
      'X-Content-Type-Options': 'nosniff',
    },
  });
}
