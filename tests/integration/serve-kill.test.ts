// Kills `kanbench serve` (and with it the worker) mid-fit: the store must stay intact, finished steps recoverable, the run interrupted.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

import { deserializeKan } from '../../app/kan/serialize';
import { resolveSymbolicFunction } from '../../app/symbolic/library';
import { openStore } from '../../main/store';
import { bundle, tinyRecipe } from './helpers/bundle';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-kill-'));
const db = path.join(tmp, 'experiments.db');
let runner = '';
let removeBundle = (): void => undefined;

beforeAll(async () => {
  const built = await bundle({ 'main/cli/index.ts': 'cli.js', 'main/training/worker.ts': 'worker.js', 'main/services/csv-worker.ts': 'csv-worker.js' });
  runner = built.file('run.js');
  fs.writeFileSync(runner, "import { main } from './cli.js';\nprocess.exitCode = await main(process.argv.slice(2));\n");
  removeBundle = built.remove;
}, 30_000);
afterAll(() => {
  removeBundle();
  fs.rmSync(tmp, { recursive: true, force: true });
});

interface Served {
  child: ChildProcess;
  url: URL;
  stderr: () => string;
}

function serve(): Promise<Served> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [runner, 'serve', '--db', db], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: tmp } });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('http://'));
      if (line) resolve({ child, url: new URL(line.trim()), stderr: () => stderr });
    });
    child.on('exit', (code) => reject(new Error(`serve exited (${code}): ${stderr}`)));
  });
}

function open(url: URL): Promise<{ ws: WebSocket; request: (op: string, payload: unknown) => Promise<any>; events: any[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${url.host}/api?token=${url.searchParams.get('token')}`);
    const events: any[] = [];
    const pending = new Map<number, (response: any) => void>();
    let nextId = 1;
    ws.on('message', (data) => {
      const message = JSON.parse(data.toString());
      if ('event' in message) events.push(message);
      else pending.get(message.id)?.(message);
    });
    ws.once('error', reject);
    ws.once('open', () =>
      resolve({
        ws,
        events,
        request: (op, payload) =>
          new Promise((done) => {
            const id = nextId++;
            pending.set(id, done);
            ws.send(JSON.stringify({ v: 1, id, op, payload }));
          }),
      }),
    );
  });
}

async function until(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('kanbench serve killed mid-fit', () => {
  it('leaves the store intact with the finished steps, the run interrupted at the next start, and continuable', async () => {
    const first = await serve();
    const client = await open(first.url);
    const fitSteps = 30;
    const created = await client.request('runs.create', { recipe: tinyRecipe({ fits: 40, fitSteps, rows: 400 }) });
    expect(created.ok).toBe(true);
    const runId: string = created.result.id;
    await until(() => client.events.filter((e) => e.event === 'run.step').length >= 2, 'two finished steps');
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.once('exit', resolve));

    // Read-only, so as not to mark the run itself: the next start must find it.
    const store = openStore(db, { readonly: true });
    expect(store.integrityCheck()).toBe('ok');
    const killed = store.getRun(runId)!;
    expect(killed.status).toBe('running');
    expect(killed.steps.length).toBeGreaterThanOrEqual(2);
    expect(killed.steps.length).toBeLessThan(40);
    for (const step of killed.steps) {
      expect(step.snapshotModels).toEqual(['kan']);
      const kan = deserializeKan(store.getSnapshot(runId, step.idx, 'kan')!, (name) => resolveSymbolicFunction(name));
      expect(Array.from(kan.forward(Float64Array.from([0.5, -0.5]), 1)).every(Number.isFinite)).toBe(true);
      expect(store.getCurves(runId, step.idx)).toHaveLength(fitSteps);
    }
    store.close();

    // The next start marks it interrupted, and a branch from its last step trains on.
    const second = await serve();
    await until(() => second.stderr().includes('1 run(s) left unfinished'), 'the interrupted notice');
    const again = await open(second.url);
    const run = await again.request('runs.get', { id: runId });
    expect(run.result).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/the process that was training this run \(pid \d+\) ended without finishing it; its finished steps were kept/) });
    const lastStep = run.result.steps.length - 1;
    const branch = await again.request('runs.branch', { id: runId, step: lastStep, steps: [{ fit: { steps: 3, maxIter: 5 } }] });
    expect(branch.ok).toBe(true);
    await until(() => again.events.some((e) => e.event === 'run.status' && e.payload.runId === branch.result.id && e.payload.status === 'done'), 'the branch to finish');
    const continued = await again.request('runs.get', { id: branch.result.id });
    expect(continued.result.steps.map((s: { idx: number }) => s.idx)).toEqual(Array.from({ length: lastStep + 2 }, (_, i) => i));
    again.ws.close();
    second.child.kill('SIGTERM');
    expect(await new Promise((resolve) => second.child.once('exit', resolve))).toBe(0);
  }, 60_000);
});
