// Tests the store file across process kills and schema versions: SIGKILL mid-write, upgrades from version 1, refusal of newer files.
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import Database from 'better-sqlite3';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openStore, SCHEMA_VERSION, StoreError } from '../../main/store';
import { migrations } from '../../main/store/migrations';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-crash-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

const SNAPSHOT_BYTES = 512 * 1024;
const CURVE_POINTS = 40;
const HELD_STEPS = 5;

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

// The child runs the real store code: the TypeScript is bundled to one ES module, with better-sqlite3
// imported from this repository's node_modules by absolute URL so the temp folder needs no install.
// Modes: "loop" records steps until killed; "hold" records HELD_STEPS steps inside one open transaction,
// says so, and spins, so the kill lands with the transaction's pages spilled to the WAL but uncommitted.
const CHILD_SOURCE = `
import { createHash, randomBytes } from 'node:crypto';
import { openStore } from './store.mjs';

const [file, runId, mode, snapshotBytes] = process.argv.slice(2);
const store = openStore(file);

function recordStep(idx) {
  const kan = randomBytes(Number(snapshotBytes));
  const mlp = randomBytes(${SNAPSHOT_BYTES / 4});
  if (store.getCurves(runId, idx).length === 0) {
    store.appendCurvePoints(runId, Array.from({ length: ${CURVE_POINTS} }, (_, iter) => ({
      stepIdx: idx, model: 'kan', iter, trainLoss: 1 / (iter + 1), testLoss: 2 / (iter + 1), trainMetric: null, testMetric: null,
    })));
  }
  const started = Date.now();
  store.recordStep(runId, {
    idx, kind: 'fit', params: { steps: ${CURVE_POINTS} },
    metrics: { kanSha256: createHash('sha256').update(kan).digest('hex'), mlpSha256: createHash('sha256').update(mlp).digest('hex') },
    seconds: 0.001, startedAt: started, finishedAt: Date.now(),
    snapshots: [{ model: 'kan', bytes: kan }, { model: 'mlp', bytes: mlp }],
    formulas: [{ outputIdx: 0, text: 'x1*' + idx, latex: 'x_1 ' + idx, python: 'x1*' + idx, js: 'x1*' + idx, testRmse: 0 }],
  });
}

let next = store.getRun(runId).steps.length;
if (mode === 'hold') {
  store.transaction(() => {
    for (let idx = next; idx < next + ${HELD_STEPS}; idx++) recordStep(idx);
    process.stdout.write('inside ' + next + '\\n');
    for (;;) {}
  });
} else {
  for (;;) {
    recordStep(next);
    process.stdout.write('committed ' + next + '\\n');
    next += 1;
  }
}
`;

let childScript = '';

beforeAll(async () => {
  const betterSqliteUrl = pathToFileURL(createRequire(import.meta.url).resolve('better-sqlite3')).href;
  await build({
    entryPoints: [path.join(repoRoot, 'main/store/index.ts')],
    outfile: path.join(tmpRoot, 'store.mjs'),
    bundle: true,
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
    plugins: [
      {
        name: 'better-sqlite3-from-repo',
        setup(builder) {
          builder.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: betterSqliteUrl, external: true }));
        },
      },
    ],
  });
  childScript = path.join(tmpRoot, 'child.mjs');
  fs.writeFileSync(childScript, CHILD_SOURCE);
}, 30_000);

/** Starts the child and resolves with its stdout lines once `ready` accepts them; rejects if it dies first. */
function startChild(args: string[], ready: (lines: string[]) => boolean): Promise<{ child: ChildProcess; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childScript, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let buffered = '';
    let stderr = '';
    let settled = false;
    const timer = setTimeout(() => {
      settled = true;
      child.kill('SIGKILL');
      reject(new Error(`child made no progress in 45 s; it printed ${JSON.stringify(lines)} and ${stderr}`));
    }, 45_000);
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop()!;
      lines.push(...parts);
      if (!settled && ready(lines)) {
        settled = true;
        clearTimeout(timer);
        resolve({ child, lines });
      }
    });
    child.on('exit', (code, signal) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(new Error(`child exited (${code ?? signal}) before it was ready: ${stderr}`));
    });
  });
}

/** The default page cache of this build of SQLite (cache_size < 0 is in KiB, > 0 in pages). */
function pageCacheBytes(): number {
  const raw = new Database(':memory:');
  const cacheSize = raw.pragma('cache_size', { simple: true }) as number;
  const pageSize = raw.pragma('page_size', { simple: true }) as number;
  raw.close();
  return cacheSize < 0 ? -cacheSize * 1024 : cacheSize * pageSize;
}

/**
 * Counts the frames at the end of a WAL file written after its last commit frame: pages a transaction
 * spilled before committing. Layout (sqlite.org/fileformat2.html#walformat): a 32-byte header with the
 * page size at 8 and the salts at 16 and 20; then frames of a 24-byte header (commit size at 4, non-zero
 * only on a commit frame; salts at 8 and 12) and one page. Frames with other salts are left from before a reset.
 */
function uncommittedWalFrames(walFile: string): number {
  const wal = fs.readFileSync(walFile);
  const pageSize = wal.readUInt32BE(8);
  const salt1 = wal.readUInt32BE(16);
  const salt2 = wal.readUInt32BE(20);
  let frames = 0;
  let lastCommit = 0;
  for (let offset = 32; offset + 24 + pageSize <= wal.length; offset += 24 + pageSize) {
    if (wal.readUInt32BE(offset + 8) !== salt1 || wal.readUInt32BE(offset + 12) !== salt2) break;
    frames += 1;
    if (wal.readUInt32BE(offset + 4) !== 0) lastCommit = frames;
  }
  return frames - lastCommit;
}

function killHard(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function createRunningRun(file: string): string {
  const store = openStore(file);
  const bytes = new TextEncoder().encode('x,y\n0,0\n1,1\n');
  const dataset = store.putDataset({ name: 'crash data', kind: 'csv', spec: {}, columns: ['x', 'y'], rows: 2, bytes });
  const run = store.createRun({
    name: 'crash victim', datasetId: dataset.id, datasetHash: dataset.hash, recipe: { steps: [] },
    seed: 0, backend: 'ts', appVersion: '0.1.0',
  });
  store.setRunStatus(run.id, 'running');
  store.close();
  return run.id;
}

describe('a training process killed mid-write', () => {
  it('leaves every committed step whole, across repeated kills, and the run marked interrupted', async () => {
    const file = path.join(tmpRoot, 'killed', 'experiments.db');
    const runId = createRunningRun(file);
    let lastReported = -1;
    for (let round = 0; round < 3; round++) {
      const target = lastReported + 6;
      const { child, lines } = await startChild([file, runId, 'loop', String(SNAPSHOT_BYTES)], (seen) =>
        seen.some((line) => line === `committed ${target}`),
      );
      await killHard(child);
      lastReported = Math.max(...lines.map((line) => Number(line.split(' ')[1])));
      // A killed writer never checkpoints on close, so recovery has to replay the WAL.
      expect(fs.existsSync(`${file}-wal`)).toBe(true);
    }

    const store = openStore(file);
    expect(store.integrityCheck()).toBe('ok');
    expect(store.markInterruptedRuns()).toBe(1);
    const run = store.getRun(runId)!;
    expect(run.status).toBe('interrupted');
    expect(run.steps.length).toBeGreaterThanOrEqual(lastReported + 1);
    expect(run.steps.map((s) => s.idx)).toEqual(run.steps.map((_, i) => i));
    const formulas = store.getFormulas(runId);
    for (const step of run.steps) {
      const metrics = step.metrics as { kanSha256: string; mlpSha256: string };
      expect(step.snapshotModels).toEqual(['kan', 'mlp']);
      expect(sha256(store.getSnapshot(runId, step.idx, 'kan')!)).toBe(metrics.kanSha256);
      expect(sha256(store.getSnapshot(runId, step.idx, 'mlp')!)).toBe(metrics.mlpSha256);
      expect(formulas.filter((f) => f.stepIdx === step.idx).map((f) => f.js)).toEqual([`x1*${step.idx}`]);
      expect(store.getCurves(runId, step.idx)).toHaveLength(CURVE_POINTS);
    }
    // Curves of the step in flight are a batch of their own: all there or none.
    expect([0, CURVE_POINTS]).toContain(store.getCurves(runId, run.steps.length).length);
    store.close();
  }, 90_000);

  it('drops a transaction killed before its commit, even after its pages spilled to the WAL', async () => {
    const file = path.join(tmpRoot, 'held', 'experiments.db');
    const runId = createRunningRun(file);
    const first = await startChild([file, runId, 'loop', String(SNAPSHOT_BYTES)], (lines) => lines.includes('committed 2'));
    await killHard(first.child);
    const before = openStore(file);
    const committed = before.getRun(runId)!.steps.length;
    // The kill may land after the curves of the next step were written (a batch of their own) and before the step: those
    // stay, all or nothing. What the held transaction adds must not.
    const curvesBefore = Array.from({ length: HELD_STEPS }, (_, q) => before.getCurves(runId, committed + q));
    expect(curvesBefore.map((c) => c.length).every((len, q) => len === 0 || (q === 0 && len === CURVE_POINTS))).toBe(true);
    before.close();

    // Enough bytes to overflow the page cache, which makes SQLite spill pages into the WAL before the commit.
    const heldSnapshotBytes = Math.ceil((1.5 * pageCacheBytes()) / HELD_STEPS);
    const held = await startChild([file, runId, 'hold', String(heldSnapshotBytes)], (lines) => lines.some((line) => line.startsWith('inside')));
    expect(held.lines).toContain(`inside ${committed}`);
    await killHard(held.child);
    expect(uncommittedWalFrames(`${file}-wal`)).toBeGreaterThan(0);

    const store = openStore(file);
    expect(store.integrityCheck()).toBe('ok');
    expect(store.getRun(runId)!.steps).toHaveLength(committed);
    for (let idx = committed; idx < committed + HELD_STEPS; idx++) {
      expect(store.getSnapshot(runId, idx, 'kan')).toBeNull();
      expect(store.getCurves(runId, idx)).toEqual(curvesBefore[idx - committed]);
    }
    expect(store.markInterruptedRuns()).toBe(1);
    store.close();
  }, 60_000);
});

describe('schema versions', () => {
  function tableNames(file: string): string[] {
    const raw = new Database(file, { readonly: true });
    const names = raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all() as string[];
    raw.close();
    return names;
  }

  function userVersion(file: string): number {
    const raw = new Database(file, { readonly: true });
    const version = raw.pragma('user_version', { simple: true }) as number;
    raw.close();
    return version;
  }

  /** A store as version 1 of the app left it: schema 1, filled by plain SQL. */
  function buildVersionOneStore(file: string): { runId: string; snapshot: Uint8Array; csv: Uint8Array } {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const raw = new Database(file);
    raw.pragma('journal_mode = WAL');
    migrations[0]!(raw);
    raw.pragma('user_version = 1');
    const csv = new TextEncoder().encode('a,b\n1,2\n');
    const hash = sha256(csv);
    const snapshot = Uint8Array.from([1, 2, 3, 4, 5]);
    raw.prepare(`INSERT INTO dataset_blobs VALUES (?, ?, ?)`).run(hash, csv, csv.byteLength);
    raw.prepare(`INSERT INTO datasets VALUES ('ds1', 'legacy data', 'csv', ?, '{}', '["a","b"]', 1, 100)`).run(hash);
    const runId = 'run-v1';
    raw.prepare(
      `INSERT INTO runs (id, name, dataset_id, dataset_hash, recipe_json, seed, backend, app_version, status,
         created_at, started_at, finished_at, summary_json, note)
       VALUES (?, 'legacy sweep', 'ds1', ?, '{"steps":[{"kind":"fixSymbolic"}]}', 7, 'ts', '0.0.9', 'done',
         200, 210, 300, '{"kanTestRmse":0.05}', 'from the old days')`,
    ).run(runId, hash);
    raw.prepare(`INSERT INTO run_metrics VALUES (?, 'kanTestRmse', 0.05, NULL)`).run(runId);
    raw.prepare(`INSERT INTO run_tags VALUES (?, 'archive')`).run(runId);
    raw.prepare(`INSERT INTO steps VALUES (?, 0, 'fit', '{}', '{"loss":0.1}', 2.5, 210, 300)`).run(runId);
    raw.prepare(`INSERT INTO snapshots VALUES (?, 0, 'kan', ?)`).run(runId, snapshot);
    raw.prepare(`INSERT INTO formulas VALUES (?, 0, 0, 'x', 'x', 'x', 'x', 0.01)`).run(runId);
    raw.prepare(`INSERT INTO curves VALUES (?, 0, 'kan', 0, 1.0, 1.5, NULL, NULL)`).run(runId);
    raw.close();
    return { runId, snapshot, csv };
  }

  it('builds the current schema from an empty file', () => {
    const file = path.join(tmpRoot, 'fresh', 'experiments.db');
    openStore(file).close();
    expect(userVersion(file)).toBe(SCHEMA_VERSION);
    expect(tableNames(file)).toEqual(
      expect.arrayContaining(['dataset_blobs', 'datasets', 'runs', 'run_tags', 'run_metrics', 'steps', 'curves',
        'snapshots', 'formulas', 'run_search', 'run_search_docs']),
    );
  });

  it('upgrades a version-1 store with data to the current version and keeps every row', () => {
    const file = path.join(tmpRoot, 'v1', 'experiments.db');
    const { runId, snapshot, csv } = buildVersionOneStore(file);
    expect(tableNames(file)).not.toContain('run_search');

    const store = openStore(file);
    expect(userVersion(file)).toBe(SCHEMA_VERSION);
    expect(store.getDatasetBytes('ds1')).toEqual(csv);
    const run = store.getRun(runId)!;
    expect(run).toMatchObject({
      name: 'legacy sweep', status: 'done', seed: 7, appVersion: '0.0.9', note: 'from the old days',
      tags: ['archive'], summary: { kanTestRmse: 0.05 }, recipe: { steps: [{ kind: 'fixSymbolic' }] },
    });
    expect(run.steps).toMatchObject([{ idx: 0, kind: 'fit', metrics: { loss: 0.1 }, snapshotModels: ['kan'] }]);
    expect(store.getSnapshot(runId, 0, 'kan')).toEqual(snapshot);
    expect(store.getFormulas(runId)).toHaveLength(1);
    // Points from before validation figures were recorded read back with null there.
    expect(store.getCurves(runId)).toEqual([
      { stepIdx: 0, model: 'kan', iter: 0, trainLoss: 1, testLoss: 1.5, trainMetric: null, testMetric: null, valLoss: null, valMetric: null },
    ]);
    // The search index was filled from the old rows, and follows new writes.
    for (const search of ['legacy', 'archive', 'old days', 'fixSymbolic']) {
      expect(store.listRuns({ search }).rows.map((r) => r.id)).toEqual([runId]);
    }
    store.setTags(runId, ['renewed']);
    expect(store.listRuns({ search: 'archive' }).total).toBe(0);
    expect(store.listRuns({ search: 'renewed', metric: { key: 'kanTestRmse', max: 0.1 } }).total).toBe(1);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('rolls a failing migration back and leaves the file at its last good version', () => {
    const file = path.join(tmpRoot, 'clash', 'experiments.db');
    const { runId } = buildVersionOneStore(file);
    const raw = new Database(file);
    raw.exec(`CREATE TABLE run_search_docs (whatever TEXT)`);
    raw.close();

    expect(() => openStore(file)).toThrow(/run_search_docs/);
    expect(userVersion(file)).toBe(1);
    expect(tableNames(file)).not.toContain('run_search');
    const reader = new Database(file, { readonly: true });
    expect(reader.prepare(`SELECT name FROM runs WHERE id = ?`).pluck().get(runId)).toBe('legacy sweep');
    reader.close();
  });

  it('refuses a store from a newer KAN Workbench without touching it', () => {
    const file = path.join(tmpRoot, 'future', 'experiments.db');
    openStore(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();

    for (const readonly of [false, true]) {
      let error: unknown;
      try {
        openStore(file, { readonly });
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(StoreError);
      expect((error as StoreError).code).toBe('newer_schema');
      expect((error as StoreError).message).toMatch(/created by a newer KAN Workbench.*Upgrade KAN Workbench/s);
    }
    expect(userVersion(file)).toBe(SCHEMA_VERSION + 1);
  });

  it('asks for a writable open before reading an old store read-only', () => {
    const file = path.join(tmpRoot, 'old-readonly', 'experiments.db');
    buildVersionOneStore(file);
    expect(() => openStore(file, { readonly: true })).toThrow(new RegExp(`schema version 1 and needs upgrading to ${SCHEMA_VERSION}; open it once without read-only`));
    expect(userVersion(file)).toBe(1);
  });
});
