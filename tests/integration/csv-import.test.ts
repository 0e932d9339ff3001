// CSV preview and import over the WebSocket run off the host's main thread: other clients are answered within 200 ms
// while a 55 MB CSV imports in pieces, an import cancels at once, and a preview reads only the file's first lines.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { Worker } from 'node:worker_threads';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import type { ResponseMessage } from '../../app/api/contract';
import { startBackend, type Backend } from '../../main/services/backend';
import { CsvWork, csvWorkerBeside } from '../../main/services/csv-work';
import { startWebHost, type WebHost } from '../../main/web/server';
import { bundleWorker, repoRoot } from './helpers/bundle';

const TOKEN = 'csv-import-token-0123456789';
const CHUNK = 1024 * 1024;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-csv-'));
let backend: Backend;
let web: WebHost;
let removeWorker = (): void => undefined;
let trainingWorker = '';

beforeAll(async () => {
  fs.mkdirSync(path.join(tmp, 'renderer'));
  fs.writeFileSync(path.join(tmp, 'renderer', 'index.html'), '<!doctype html><title>KAN Workbench</title>');
  const { workerFile, remove } = await bundleWorker();
  removeWorker = remove;
  trainingWorker = workerFile;
  backend = startBackend({ dbPath: path.join(tmp, 'store.db'), settingsFile: null, workerFile, log: () => undefined });
  web = await startWebHost({ api: backend.api, events: backend.events, rendererDir: path.join(tmp, 'renderer'), port: 0, token: TOKEN, log: () => undefined });
}, 60_000);

afterAll(async () => {
  await web.close();
  await backend.close();
  removeWorker();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A WebSocket client that matches answers to requests by id. */
async function connect() {
  const ws = new WebSocket(`ws://127.0.0.1:${web.port}/api?token=${TOKEN}`, { maxPayload: 64 * 1024 * 1024 });
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const waiting = new Map<number, (message: ResponseMessage) => void>();
  ws.on('message', (data) => {
    const message = JSON.parse(data.toString()) as ResponseMessage | { event: string };
    if ('id' in message && message.id !== null) waiting.get(message.id)?.(message);
  });
  let nextId = 1;
  const request = (op: string, payload: unknown): Promise<ResponseMessage> => {
    const id = nextId++;
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      ws.send(JSON.stringify({ v: 1, id, op, payload }));
    });
  };
  const ok = async <T>(op: string, payload: unknown): Promise<T> => {
    const answer = await request(op, payload);
    if (!answer.ok) throw new Error(`${op} failed: ${answer.error.message}`);
    return answer.result as T;
  };
  return { ws, request, ok };
}

/** Rows of ten numbers until the text is at least `bytes` long. */
function largeCsv(bytes: number): { text: string; rows: number } {
  const row = '0.123456,1.234567,2.345678,3.456789,4.567891,5.678912,6.789123,7.891234,8.912345,9.123456\n';
  const rows = Math.ceil(bytes / row.length);
  return { text: `a,b,c,d,e,f,g,h,i,y\n${row.repeat(rows)}`, rows };
}

/** Asks app.info every 20 ms until `until` settles; returns every answer time in ms. */
async function probeWhile(until: Promise<unknown>): Promise<number[]> {
  const prober = await connect();
  // The first app.info lists the compute backends (seconds, once); the figures are of the calls after it.
  await prober.ok('app.info', {});
  const latencies: number[] = [];
  let done = false;
  void until.finally(() => (done = true));
  while (!done) {
    const started = performance.now();
    await prober.ok('app.info', {});
    latencies.push(performance.now() - started);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  prober.ws.close();
  return latencies;
}

function percentile(values: number[], p: number): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function upload(client: Awaited<ReturnType<typeof connect>>, name: string, text: string): Promise<string> {
  const { uploadId } = await client.ok<{ uploadId: string }>('datasets.importCsvBegin', { name, size: text.length });
  for (let at = 0; at < text.length; at += CHUNK) {
    await client.ok('datasets.importCsvChunk', { uploadId, text: text.slice(at, at + CHUNK) });
  }
  return uploadId;
}

/** A client thread that imports a CSV of `megabytes` MB in pieces and posts the stored dataset. */
const UPLOADER = `
const { workerData, parentPort } = require('node:worker_threads');
const { createRequire } = require('node:module');
const WebSocket = createRequire(require('node:path').join(workerData.root, 'package.json'))('ws');
const row = '0.123456,1.234567,2.345678,3.456789,4.567891,5.678912,6.789123,7.891234,8.912345,9.123456\\n';
const rows = Math.ceil((workerData.megabytes * 1024 * 1024) / row.length);
const text = 'a,b,c,d,e,f,g,h,i,y\\n' + row.repeat(rows);
const ws = new WebSocket(workerData.url);
let id = 0;
const waiting = new Map();
ws.on('message', (data) => { const m = JSON.parse(data.toString()); if (m.id !== undefined && waiting.has(m.id)) waiting.get(m.id)(m); });
const call = (op, payload) => new Promise((resolve, reject) => {
  id += 1;
  waiting.set(id, (m) => (m.ok ? resolve(m.result) : reject(new Error(op + ': ' + m.error.message))));
  ws.send(JSON.stringify({ v: 1, id, op, payload }));
});
ws.once('open', async () => {
  const { uploadId } = await call('datasets.importCsvBegin', { name: 'large', size: text.length });
  for (let at = 0; at < text.length; at += workerData.chunk) await call('datasets.importCsvChunk', { uploadId, text: text.slice(at, at + workerData.chunk) });
  const dataset = await call('datasets.importCsvFinish', { uploadId });
  parentPort.postMessage({ dataset, rows, size: text.length });
  ws.close();
});
`;

/** Size of the large import in MiB; KANBENCH_CSV_TEST_MB=190.7 measures the 200 MB (26 s here), under the 200 MiB import limit. */
const IMPORT_MB = Number(process.env.KANBENCH_CSV_TEST_MB ?? 55);

describe('CSV import off the main thread', () => {
  it(`answers app.info with p99 under 200 ms while a ${IMPORT_MB} MB CSV imports in pieces, and stores every row`, async () => {
    // The uploading client runs in a thread of its own, so that the main thread, the host's, does only the host's work.
    const uploader = new Worker(UPLOADER, { eval: true, workerData: { url: `ws://127.0.0.1:${web.port}/api?token=${TOKEN}`, megabytes: IMPORT_MB, chunk: CHUNK, root: repoRoot } });
    const imported = new Promise<{ dataset: { id: string; rows: number; columns: string[]; size: number }; rows: number; size: number }>((resolve, reject) => {
      uploader.once('message', resolve);
      uploader.once('error', reject);
    });
    const latencies = await probeWhile(imported);
    const { dataset, rows, size } = await imported;
    await uploader.terminate();
    expect(dataset.rows).toBe(rows);
    expect(dataset.columns).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'y']);
    expect(dataset.size).toBe(size);
    // The stored file's preview reads its first megabyte; its row count is the whole file's.
    const stored = await connect();
    const preview = await stored.ok<{ partial: boolean; rowCount: number; rows: string[][] }>('datasets.preview', { id: dataset.id, maxRows: 2 });
    expect(preview).toMatchObject({ partial: true, rowCount: rows });
    expect(preview.rows).toHaveLength(2);
    stored.ws.close();
    const p99 = percentile(latencies, 99);
    console.log(`app.info during a ${IMPORT_MB} MB import: ${latencies.length} answers, p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms`);
    expect(latencies.length).toBeGreaterThan(10);
    expect(p99).toBeLessThan(200);
  }, 180_000 * Math.max(1, IMPORT_MB / 55));

  it('cancels an import within a second, while its rows are being checked, and then knows it no more', async () => {
    const { text } = largeCsv(30 * 1024 * 1024);
    const client = await connect();
    const uploadId = await upload(client, 'cancelled', text);
    const finishing = client.request('datasets.importCsvFinish', { uploadId });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const asked = performance.now();
    const cancelled = await client.ok<{ cancelled: boolean }>('datasets.importCsvCancel', { uploadId });
    const finished = await finishing;
    const seconds = (performance.now() - asked) / 1000;
    expect(cancelled.cancelled).toBe(true);
    expect(finished.ok).toBe(false);
    expect(!finished.ok && finished.error.message).toMatch(/the CSV import was cancelled/);
    expect(seconds).toBeLessThan(1);
    const again = await client.request('datasets.importCsvChunk', { uploadId, text: 'x' });
    expect(!again.ok && again.error.code).toBe('not_found');
    expect((await client.ok<{ name: string }[]>('datasets.list', {})).map((d) => d.name)).not.toContain('cancelled');
    client.ws.close();
  }, 120_000);

  it('refuses pieces beyond the announced size and a size over the limit, saying what to do', async () => {
    const client = await connect();
    const { uploadId } = await client.ok<{ uploadId: string }>('datasets.importCsvBegin', { name: 'short', size: 5 });
    const over = await client.request('datasets.importCsvChunk', { uploadId, text: 'a,b\n1,2\n' });
    expect(!over.ok && over.error.message).toMatch(/more than the 5 characters announced at begin; the import is cancelled/);
    const huge = await client.request('datasets.importCsvBegin', { name: 'huge', size: 300 * 1024 * 1024 });
    expect(!huge.ok && huge.error.path).toBe('size');
    client.ws.close();
  });

  it('previews only the first lines of a large text, and reports the errors of a bad one from the worker', async () => {
    const { text } = largeCsv(20 * 1024 * 1024);
    const client = await connect();
    const preview = await client.ok<{ partial: boolean; rowCount: number; rows: string[][]; numericColumns: string[] }>('datasets.previewCsv', { text: text.slice(0, 2 * CHUNK), maxRows: 3, cut: true });
    expect(preview.partial).toBe(true);
    expect(preview.rows).toHaveLength(3);
    expect(preview.rowCount).toBeLessThan(20_000);
    expect(preview.numericColumns).toHaveLength(10);
    const digits = await client.ok<{ partial: boolean; rowCount: number }>('datasets.previewCsv', { text: `x,y\n1,2\n${'9'.repeat(1024 * 1024)}a,3\n`, maxRows: 3 });
    expect(digits).toMatchObject({ partial: true, rowCount: 1 });
    const ragged = await client.request('datasets.previewCsv', { text: 'a,b\n1,2\n3\n', maxRows: 3 });
    expect(!ragged.ok && ragged.error).toMatchObject({ code: 'invalid' });
    expect(!ragged.ok && ragged.error.message).toMatch(/Row 3 has 1 field but the header has 2/);
    client.ws.close();
  }, 60_000);

  it('fails an import whose worker runs out of its memory limit with a message that says so, and keeps serving', async () => {
    const work = new CsvWork({ store: backend.store, workerFile: csvWorkerBeside(trainingWorker), importHeapMb: 64 });
    try {
      const { text } = largeCsv(30 * 1024 * 1024);
      await expect(work.import('too big', text)).rejects.toThrow(/ran out of the 64 MB|needs more than the 64 MB a CSV import may use/);
      expect((await work.preview('a,b\n1,2\n', 5, false)).rowCount).toBe(1);
    } finally {
      work.close();
    }
  }, 120_000);
});
