// Tests the experiment store's API against real SQLite files: datasets, runs, steps, curves, listing, validation, speed.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';

import {
  defaultStorePath,
  MAX_NOTE_CHARS,
  openStore,
  StoreError,
  type ExperimentStore,
  type NewRun,
  type RunList,
  type RunQuery,
  type StoreErrorCode,
} from '../../main/store';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-store-'));
afterAll(() => fs.rmSync(tmpRoot, { recursive: true, force: true }));

let fileCounter = 0;
function tmpDbPath(): string {
  fileCounter += 1;
  return path.join(tmpRoot, `case-${fileCounter}`, 'experiments.db');
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function storeError(action: () => unknown, code: StoreErrorCode): StoreError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).code).toBe(code);
    return error as StoreError;
  }
  throw new Error(`expected a StoreError (${code})`);
}

function countRows(file: string, table: string): number {
  const raw = new Database(file, { readonly: true });
  try {
    return raw.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
  } finally {
    raw.close();
  }
}

const csvBytes = new TextEncoder().encode('x,y\n1,2\n3,4\n');
const csvHash = sha256(csvBytes);

function makeClock(start = 1_000_000): () => number {
  let now = start;
  return () => (now += 1000);
}

function newRun(overrides: Partial<NewRun> = {}): NewRun {
  return {
    name: 'run',
    datasetHash: csvHash,
    recipe: { models: { kan: { shape: [2, 5, 1], grid: 5, k: 3 } }, steps: [{ kind: 'fit', steps: 20 }] },
    seed: 1,
    backend: 'ts',
    appVersion: '0.1.0',
    ...overrides,
  };
}

describe('defaultStorePath', () => {
  it('lets KANBENCH_DB override every platform', () => {
    expect(defaultStorePath({ KANBENCH_DB: '/data/x.db', XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/a')).toBe('/data/x.db');
    expect(defaultStorePath({ KANBENCH_DB: 'C:\\x.db', APPDATA: 'C:\\AppData' }, 'win32', 'C:\\Users\\a')).toBe('C:\\x.db');
  });

  it('follows XDG on Linux and ignores a relative XDG_CONFIG_HOME', () => {
    expect(defaultStorePath({ XDG_CONFIG_HOME: '/xdg' }, 'linux', '/home/a')).toBe('/xdg/kan-workbench/experiments.db');
    expect(defaultStorePath({}, 'linux', '/home/a')).toBe('/home/a/.config/kan-workbench/experiments.db');
    expect(defaultStorePath({ XDG_CONFIG_HOME: 'relative' }, 'linux', '/home/a')).toBe(
      '/home/a/.config/kan-workbench/experiments.db',
    );
  });

  it('uses Application Support on macOS and APPDATA on Windows', () => {
    expect(defaultStorePath({}, 'darwin', '/Users/a')).toBe(
      '/Users/a/Library/Application Support/kan-workbench/experiments.db',
    );
    expect(defaultStorePath({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32', 'C:\\Users\\a')).toBe(
      'C:\\Users\\a\\AppData\\Roaming\\kan-workbench\\experiments.db',
    );
    expect(defaultStorePath({}, 'win32', 'C:\\Users\\a')).toBe('C:\\Users\\a\\AppData\\Roaming\\kan-workbench\\experiments.db');
  });
});

describe('opening a store', () => {
  it('creates missing folders and a WAL-mode file at the current schema', () => {
    const file = tmpDbPath();
    const store = openStore(file);
    store.close();
    const raw = new Database(file, { readonly: true });
    expect(raw.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(raw.pragma('user_version', { simple: true })).toBe(4);
    raw.close();
  });

  it('works in memory', () => {
    const store = openStore(':memory:');
    const dataset = store.putDataset({ name: 'mem', kind: 'csv', spec: {}, columns: ['x', 'y'], rows: 2, bytes: csvBytes });
    expect(store.getDatasetBytes(dataset.id)).toEqual(csvBytes);
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  });

  it('refuses a file that is not SQLite, and an SQLite file of another program', () => {
    const notDb = path.join(tmpRoot, 'notes.txt');
    fs.writeFileSync(notDb, 'this is not a database, just some text that is long enough to fill a header '.repeat(20));
    expect(storeError(() => openStore(notDb), 'invalid').message).toMatch(/not a KAN Workbench experiment store/);

    const foreign = path.join(tmpRoot, 'foreign.db');
    const raw = new Database(foreign);
    raw.exec('CREATE TABLE invoices (id INTEGER PRIMARY KEY)');
    raw.close();
    expect(storeError(() => openStore(foreign), 'invalid').message).toMatch(/another program/);
    expect(countRows(foreign, 'sqlite_schema')).toBe(1);
  });

  it('opens read-only for reading and refuses writes with advice', () => {
    const file = tmpDbPath();
    const writer = openStore(file);
    const run = writer.createRun(newRun({ name: 'kept' }));
    writer.close();
    const reader = openStore(file, { readonly: true });
    expect(reader.getRun(run.id)?.name).toBe('kept');
    expect(storeError(() => reader.renameRun(run.id, 'other'), 'invalid').message).toMatch(/read-only/);
    reader.close();
    expect(storeError(() => openStore(path.join(tmpRoot, 'absent.db'), { readonly: true }), 'not_found').message).toMatch(
      /no experiment store/,
    );
  });
});

describe('datasets', () => {
  let file: string;
  let store: ExperimentStore;
  beforeEach(() => {
    file = tmpDbPath();
    store = openStore(file, { clock: makeClock() });
    return () => store.close();
  });

  it('stores bytes once per content hash and returns them intact', () => {
    const a = store.putDataset({ name: 'housing', kind: 'csv', spec: { sep: ',' }, columns: ['x', 'y'], rows: 2, bytes: csvBytes });
    expect(a.hash).toBe(csvHash);
    expect(a.size).toBe(csvBytes.byteLength);
    expect(a.spec).toEqual({ sep: ',' });
    expect(store.getDatasetBytes(a.id)).toEqual(csvBytes);

    const again = store.putDataset({ name: 'housing', kind: 'csv', spec: { sep: ';' }, columns: [], rows: 2, bytes: csvBytes });
    expect(again.id).toBe(a.id);
    expect(again.spec).toEqual({ sep: ',' });

    const copy = store.putDataset({ name: 'housing copy', kind: 'csv', spec: {}, columns: ['x', 'y'], rows: 2, bytes: csvBytes });
    expect(copy.id).not.toBe(a.id);
    expect(copy.hash).toBe(a.hash);
    expect(store.listDatasets().map((d) => d.name).sort()).toEqual(['housing', 'housing copy']);
    expect(countRows(file, 'dataset_blobs')).toBe(1);
  });

  it('frees a blob only when its last dataset goes', () => {
    const a = store.putDataset({ name: 'a', kind: 'csv', spec: {}, columns: [], rows: 2, bytes: csvBytes });
    const b = store.putDataset({ name: 'b', kind: 'csv', spec: {}, columns: [], rows: 2, bytes: csvBytes });
    store.deleteDataset(a.id);
    expect(store.getDataset(a.id)).toBeNull();
    expect(store.getDatasetBytes(b.id)).toEqual(csvBytes);
    expect(countRows(file, 'dataset_blobs')).toBe(1);
    store.deleteDataset(b.id);
    expect(countRows(file, 'dataset_blobs')).toBe(0);
  });

  it('refuses to delete a dataset that runs use, until the runs are gone', () => {
    const dataset = store.putDataset({ name: 'used', kind: 'formula', spec: { formula: 'x1*x2' }, columns: [], rows: 2, bytes: csvBytes });
    const run = store.createRun(newRun({ datasetId: dataset.id }));
    expect(storeError(() => store.deleteDataset(dataset.id), 'conflict').message).toMatch(/used by 1 run; delete those runs first/);
    store.deleteRun(run.id);
    store.deleteDataset(dataset.id);
    expect(store.listDatasets()).toEqual([]);
  });

  it('renames, and names the missing id in errors', () => {
    const dataset = store.putDataset({ name: 'old', kind: 'csv', spec: {}, columns: [], rows: 2, bytes: csvBytes });
    expect(store.renameDataset(dataset.id, '  new name ').name).toBe('new name');
    expect(storeError(() => store.renameDataset('nope', 'x'), 'not_found').message).toMatch(/dataset nope not found/);
    expect(storeError(() => store.getDatasetBytes('nope'), 'not_found').message).toMatch(/dataset nope not found/);
    storeError(() => store.renameDataset(dataset.id, '   '), 'invalid');
  });
});

describe('runs, steps and curves', () => {
  let file: string;
  let store: ExperimentStore;
  beforeEach(() => {
    file = tmpDbPath();
    store = openStore(file, { clock: makeClock() });
    return () => store.close();
  });

  it('creates a queued run that keeps its recipe and provenance', () => {
    const dataset = store.putDataset({ name: 'd', kind: 'csv', spec: {}, columns: [], rows: 2, bytes: csvBytes });
    const recipe = { steps: [{ kind: 'fit', steps: 50, lambda: 0.01 }], nested: { list: [1, 2, 3] } };
    const run = store.createRun(newRun({ name: ' first ', datasetId: dataset.id, recipe, seed: 42, backend: 'gpu.js' }));
    expect(run).toMatchObject({
      name: 'first',
      status: 'queued',
      datasetId: dataset.id,
      datasetHash: csvHash,
      seed: 42,
      backend: 'gpu.js',
      appVersion: '0.1.0',
      startedAt: null,
      finishedAt: null,
      note: '',
      tags: [],
      summary: {},
    });
    expect(store.getRun(run.id)?.recipe).toEqual(recipe);
    expect(store.getRun('missing')).toBeNull();
  });

  it('checks the dataset hash, the dataset id and the parent step', () => {
    const dataset = store.putDataset({ name: 'd', kind: 'csv', spec: {}, columns: [], rows: 2, bytes: csvBytes });
    storeError(() => store.createRun(newRun({ datasetHash: 'abc' })), 'invalid');
    expect(storeError(() => store.createRun(newRun({ datasetId: dataset.id, datasetHash: 'f'.repeat(64) })), 'invalid').message).toMatch(
      /does not match dataset "d"/,
    );
    storeError(() => store.createRun(newRun({ datasetId: 'gone' })), 'not_found');
    storeError(() => store.createRun(newRun({ parentStep: 0 })), 'invalid');
    const parent = store.createRun(newRun());
    expect(storeError(() => store.createRun(newRun({ parentRunId: parent.id, parentStep: 3 })), 'not_found').message).toMatch(
      /step 3 of run/,
    );
    storeError(() => store.createRun(newRun({ recipe: undefined })), 'invalid');
    storeError(() => store.createRun(newRun({ seed: 1.5 })), 'invalid');
  });

  it('stamps start and finish times and refuses impossible status changes', () => {
    const run = store.createRun(newRun());
    const running = store.setRunStatus(run.id, 'running');
    expect(running.startedAt).toBe(run.createdAt + 1000);
    expect(running.finishedAt).toBeNull();
    const failed = store.setRunStatus(run.id, 'failed', { error: 'NaN in loss at iteration 12' });
    expect(failed).toMatchObject({ status: 'failed', error: 'NaN in loss at iteration 12', startedAt: running.startedAt });
    expect(failed.finishedAt).toBe(running.startedAt! + 1000);
    expect(storeError(() => store.setRunStatus(run.id, 'running'), 'conflict').message).toMatch(
      /is failed; it cannot become running \(a finished run is re-run as a new run\)/,
    );
    storeError(() => store.setRunStatus(run.id, 'paused' as never), 'invalid');
    storeError(() => store.setRunStatus('ghost', 'running'), 'not_found');
    const queued = store.createRun(newRun());
    storeError(() => store.setRunStatus(queued.id, 'done'), 'conflict');
  });

  it('records a step with its snapshots and formulas, and reads them back', () => {
    const run = store.createRun(newRun());
    store.setRunStatus(run.id, 'running');
    const kanBytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 255);
    const mlpBytes = Uint8Array.from([9, 8, 7]);
    store.recordStep(run.id, {
      idx: 0,
      kind: 'fit',
      params: { steps: 20 },
      metrics: { trainLoss: 0.5, testLoss: 0.6 },
      seconds: 1.25,
      startedAt: 10,
      finishedAt: 1260,
      snapshots: [
        { model: 'kan', bytes: kanBytes },
        { model: 'mlp', bytes: mlpBytes },
      ],
    });
    store.recordStep(run.id, {
      idx: 1,
      kind: 'formula',
      params: {},
      metrics: { r2: 0.999 },
      seconds: 0.1,
      startedAt: 1300,
      finishedAt: 1400,
      formulas: [
        { outputIdx: 1, text: 'x2^2', latex: 'x_{2}^{2}', python: 'x2**2', js: 'x2**2', testRmse: null },
        { outputIdx: 0, text: 'sin(x1)', latex: '\\sin{x_1}', python: 'sin(x1)', js: 'Math.sin(x1)', testRmse: 1e-9 },
      ],
    });
    const detail = store.getRun(run.id)!;
    expect(detail.steps.map((s) => [s.idx, s.kind, s.snapshotModels])).toEqual([
      [0, 'fit', ['kan', 'mlp']],
      [1, 'formula', []],
    ]);
    expect(detail.steps[0]).toMatchObject({ params: { steps: 20 }, metrics: { trainLoss: 0.5, testLoss: 0.6 }, seconds: 1.25 });
    expect(store.getSnapshot(run.id, 0, 'kan')).toEqual(kanBytes);
    expect(store.getSnapshot(run.id, 0, 'mlp')).toEqual(mlpBytes);
    expect(store.getSnapshot(run.id, 1, 'kan')).toBeNull();
    expect(store.getFormulas(run.id).map((f) => [f.stepIdx, f.outputIdx, f.js, f.testRmse])).toEqual([
      [1, 0, 'Math.sin(x1)', 1e-9],
      [1, 1, 'x2**2', null],
    ]);
    expect(storeError(() => store.recordStep(run.id, { ...detail.steps[0]!, snapshots: [] }), 'conflict').message).toMatch(
      /step 0 of run .* is already recorded/,
    );
    storeError(
      () =>
        store.recordStep(run.id, {
          idx: 2, kind: 'fit', params: {}, metrics: {}, seconds: 0, startedAt: 0, finishedAt: 0,
          snapshots: [{ model: 'kan', bytes: kanBytes }, { model: 'kan', bytes: kanBytes }],
        }),
      'invalid',
    );
    storeError(() => store.recordStep('ghost', { idx: 0, kind: 'fit', params: {}, metrics: {}, seconds: 0, startedAt: 0, finishedAt: 0 }), 'not_found');
  });

  it('rolls a step back whole when any part of it fails to land', () => {
    const run = store.createRun(newRun());
    // Another connection plants a trigger that fails the formula insert, the last write of the step.
    const raw = new Database(file);
    raw.exec(`CREATE TRIGGER fail_formula BEFORE INSERT ON formulas WHEN new.output_idx = 99
              BEGIN SELECT RAISE(ABORT, 'disk said no'); END`);
    raw.close();
    expect(() =>
      store.recordStep(run.id, {
        idx: 0, kind: 'autoSymbolic', params: {}, metrics: {}, seconds: 1, startedAt: 0, finishedAt: 1,
        snapshots: [{ model: 'kan', bytes: Uint8Array.from([1, 2, 3]) }],
        formulas: [{ outputIdx: 99, text: 'x', latex: 'x', python: 'x', js: 'x', testRmse: 0 }],
      }),
    ).toThrow(/disk said no/);
    expect(store.getRun(run.id)!.steps).toEqual([]);
    expect(store.getSnapshot(run.id, 0, 'kan')).toBeNull();
    expect(countRows(file, 'snapshots')).toBe(0);
  });

  it('appends curve batches in order, stores NaN as null and rejects a repeated batch whole', () => {
    const run = store.createRun(newRun());
    const batch = (stepIdx: number, from: number, to: number) =>
      Array.from({ length: to - from }, (_, i) => ({
        stepIdx,
        model: 'kan' as const,
        iter: from + i,
        trainLoss: 1 / (from + i + 1),
        testLoss: 2 / (from + i + 1),
        trainMetric: null,
        testMetric: null,
      }));
    store.appendCurvePoints(run.id, batch(0, 0, 50));
    store.appendCurvePoints(run.id, batch(0, 50, 100));
    store.appendCurvePoints(run.id, [{ stepIdx: 0, model: 'mlp', iter: 0, trainLoss: Number.NaN, testLoss: 3, trainMetric: 0.5, testMetric: 0.25, valLoss: 4, valMetric: Number.NaN }]);
    store.appendCurvePoints(run.id, batch(2, 0, 10));

    const all = store.getCurves(run.id);
    expect(all).toHaveLength(111);
    // A point written without validation figures reads back with null there.
    expect(all[0]).toEqual({ stepIdx: 0, model: 'kan', iter: 0, trainLoss: 1, testLoss: 2, trainMetric: null, testMetric: null, valLoss: null, valMetric: null });
    expect(all[99]!.iter).toBe(99);
    expect(all[99]!.testLoss).toBeCloseTo(2 / 100, 15);
    expect(all[100]).toEqual({ stepIdx: 0, model: 'mlp', iter: 0, trainLoss: null, testLoss: 3, trainMetric: 0.5, testMetric: 0.25, valLoss: 4, valMetric: null });
    expect(store.getCurves(run.id, 2).map((p) => p.iter)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);

    expect(storeError(() => store.appendCurvePoints(run.id, batch(2, 5, 15)), 'conflict').message).toMatch(
      /iteration 5 of the kan curve of step 2/,
    );
    expect(store.getCurves(run.id, 2)).toHaveLength(10);
    storeError(() => store.getCurves('ghost'), 'not_found');
  });

  it('commits a transaction of several calls whole, or not at all', () => {
    const kept = store.transaction(() => {
      const run = store.createRun(newRun({ name: 'kept' }));
      store.setTags(run.id, ['batch']);
      return run;
    });
    expect(store.getRun(kept.id)!.tags).toEqual(['batch']);
    expect(() =>
      store.transaction(() => {
        store.createRun(newRun({ name: 'lost' }));
        store.setNote(kept.id, 'changed');
        store.setTags('ghost', ['x']);
      }),
    ).toThrow(/run ghost not found/);
    expect(store.listRuns().rows.map((r) => r.name)).toEqual(['kept']);
    expect(store.getRun(kept.id)!.note).toBe('');
  });

  it('marks unfinished runs interrupted and leaves finished ones alone', () => {
    const running = store.createRun(newRun({ name: 'was running' }));
    store.setRunStatus(running.id, 'running');
    store.recordStep(running.id, { idx: 0, kind: 'fit', params: {}, metrics: { loss: 1 }, seconds: 1, startedAt: 0, finishedAt: 1 });
    const queued = store.createRun(newRun({ name: 'was queued' }));
    const done = store.createRun(newRun({ name: 'done' }));
    store.setRunStatus(done.id, 'running');
    store.setRunStatus(done.id, 'done');

    expect(store.markInterruptedRuns()).toBe(2);
    expect(store.getRun(running.id)).toMatchObject({ status: 'interrupted', finishedAt: null });
    expect(store.getRun(running.id)!.error).toMatch(/stopped while this run was training/);
    expect(store.getRun(running.id)!.steps).toHaveLength(1);
    expect(store.getRun(queued.id)!.error).toMatch(/before this run started/);
    expect(store.getRun(done.id)!.status).toBe('done');
    expect(store.markInterruptedRuns()).toBe(0);
  });

  it('leaves alone the unfinished runs of another live process, and marks them once it is gone', async () => {
    const { spawn } = await import('node:child_process');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    const otherStore = openStore(store.path, { owner: `${os.hostname()}#${other.pid}` });
    const live = otherStore.createRun(newRun({ name: 'trained by a live CLI' }));
    otherStore.setRunStatus(live.id, 'running');
    const elsewhere = openStore(store.path, { owner: 'another-machine#1' });
    const remote = elsewhere.createRun(newRun({ name: 'left by another machine' }));
    elsewhere.close();

    expect(store.markInterruptedRuns()).toBe(1);
    expect(store.getRun(live.id)!.status).toBe('running');
    expect(store.getRun(remote.id)!.status).toBe('interrupted');

    await new Promise<void>((resolve) => {
      other.once('exit', () => resolve());
      other.kill('SIGKILL');
    });
    expect(store.markInterruptedRuns()).toBe(1);
    expect(store.getRun(live.id)!.status).toBe('interrupted');
    otherStore.close();
  });

  it('marks, on opening, the unfinished runs a dead process of this machine left, and only those', async () => {
    const { spawn } = await import('node:child_process');
    const gone = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
    await new Promise<void>((resolve) => gone.once('exit', () => resolve()));
    const writer = openStore(store.path, { owner: `${os.hostname()}#${gone.pid}` });
    const abandoned = writer.createRun(newRun({ name: 'left by a killed CLI' }));
    writer.setRunStatus(abandoned.id, 'running');
    const queued = writer.createRun(newRun({ name: 'queued by it' }));
    writer.close();
    const remote = openStore(store.path, { owner: 'another-machine#1' });
    const elsewhere = remote.createRun(newRun({ name: 'another machine' }));
    remote.close();
    const own = store.createRun(newRun({ name: 'this process' }));

    const reopened = openStore(store.path);
    expect(reopened.getRun(abandoned.id)).toMatchObject({ status: 'interrupted', error: expect.stringMatching(new RegExp(`pid ${gone.pid}\\) ended without finishing it`)) });
    expect(reopened.getRun(queued.id)).toMatchObject({ status: 'interrupted', error: expect.stringMatching(/ended before it started; re-run it/) });
    expect(reopened.getRun(elsewhere.id)!.status).toBe('queued');
    expect(reopened.getRun(own.id)!.status).toBe('queued');
    expect(reopened.markAbandonedRuns()).toBe(0);
    reopened.close();
  });

  it('deletes a run with everything hanging off it and unlinks its branches', () => {
    const parent = store.createRun(newRun({ name: 'parent' }));
    store.recordStep(parent.id, {
      idx: 0, kind: 'fit', params: {}, metrics: {}, seconds: 1, startedAt: 0, finishedAt: 1,
      snapshots: [{ model: 'kan', bytes: Uint8Array.from([1]) }],
      formulas: [{ outputIdx: 0, text: 'x', latex: 'x', python: 'x', js: 'x', testRmse: 0 }],
    });
    store.appendCurvePoints(parent.id, [{ stepIdx: 0, model: 'kan', iter: 0, trainLoss: 1, testLoss: 1, trainMetric: null, testMetric: null }]);
    store.setTags(parent.id, ['a', 'b']);
    store.setRunSummary(parent.id, { kanTestRmse: 0.1 });
    const child = store.createRun(newRun({ name: 'child', parentRunId: parent.id, parentStep: 0 }));
    expect(child).toMatchObject({ parentRunId: parent.id, parentStep: 0 });

    store.deleteRun(parent.id);
    expect(store.getRun(parent.id)).toBeNull();
    expect(store.getRun(child.id)).toMatchObject({ parentRunId: null, parentStep: null });
    for (const table of ['steps', 'snapshots', 'formulas', 'curves', 'run_tags', 'run_metrics']) {
      expect(countRows(file, table)).toBe(0);
    }
    expect(countRows(file, 'run_search')).toBe(1);
    storeError(() => store.deleteRun(parent.id), 'not_found');
  });

  it('normalises tags and limits tags and notes', () => {
    const run = store.createRun(newRun());
    expect(store.setTags(run.id, ['  sweep ', 'baseline', 'sweep'])).toEqual(['baseline', 'sweep']);
    expect(store.getRun(run.id)!.tags).toEqual(['baseline', 'sweep']);
    expect(storeError(() => store.setTags(run.id, ['ok', ' ']), 'invalid').message).toMatch(/a tag is empty/);
    expect(storeError(() => store.setTags(run.id, ['x'.repeat(65)]), 'invalid').message).toMatch(/at most 64/);
    expect(store.getRun(run.id)!.tags).toEqual(['baseline', 'sweep']);
    store.setTags(run.id, []);
    expect(store.getRun(run.id)!.tags).toEqual([]);

    store.setNote(run.id, 'n'.repeat(MAX_NOTE_CHARS));
    expect(store.getRun(run.id)!.note).toHaveLength(MAX_NOTE_CHARS);
    storeError(() => store.setNote(run.id, 'n'.repeat(MAX_NOTE_CHARS + 1)), 'invalid');
    store.renameRun(run.id, 'renamed');
    expect(store.getRun(run.id)!.name).toBe('renamed');
    storeError(() => store.setTags('ghost', ['a']), 'not_found');
  });
});

describe('listing runs', () => {
  let store: ExperimentStore;
  const ids: Record<string, string> = {};
  beforeEach(() => {
    store = openStore(tmpDbPath(), { clock: makeClock() });
    const dataset = store.putDataset({ name: 'd', kind: 'csv', spec: {}, columns: [], rows: 2, bytes: csvBytes });
    const specs = [
      { name: 'Alpha sweep', status: 'done', tags: ['sweep', 'paper'], rmse: 0.3, note: 'wide grid', dataset: true },
      { name: 'beta', status: 'done', tags: ['sweep'], rmse: 0.1, note: '', dataset: false },
      { name: 'Gamma', status: 'failed', tags: ['paper'], rmse: 'diverged', note: 'lr too high', dataset: true },
      { name: 'delta 100%', status: 'running', tags: [], rmse: null, note: '', dataset: false },
      { name: 'epsilon', status: 'done', tags: ['sweep', 'paper'], rmse: 0.2, note: 'x_y "quoted"', dataset: false },
    ] as const;
    for (const spec of specs) {
      const run = store.createRun(
        newRun({
          name: spec.name,
          datasetId: spec.dataset ? dataset.id : null,
          recipe: { steps: [{ kind: spec.name === 'beta' ? 'autoSymbolic' : 'fit' }] },
        }),
      );
      ids[spec.name] = run.id;
      store.setRunStatus(run.id, 'running');
      if (spec.status !== 'running') store.setRunStatus(run.id, spec.status);
      store.setTags(run.id, [...spec.tags]);
      store.setNote(run.id, spec.note);
      if (spec.rmse !== null) store.setRunSummary(run.id, { kanTestRmse: spec.rmse, kanParams: 100 });
    }
    return () => store.close();
  });

  const names = (query: Parameters<ExperimentStore['listRuns']>[0]) => store.listRuns(query).rows.map((r) => r.name);

  it('lists newest first by default, with tags and summary on each row', () => {
    const list = store.listRuns();
    expect(list.total).toBe(5);
    expect(list.rows.map((r) => r.name)).toEqual(['epsilon', 'delta 100%', 'Gamma', 'beta', 'Alpha sweep']);
    expect(list.rows[0]).toMatchObject({ tags: ['paper', 'sweep'], summary: { kanTestRmse: 0.2, kanParams: 100 } });
    expect('recipe' in list.rows[0]!).toBe(false);
  });

  it('filters by status, by every listed tag, by dataset and by a metric range', () => {
    expect(names({ status: ['done'], sortBy: 'name', sortDir: 'asc' })).toEqual(['Alpha sweep', 'beta', 'epsilon']);
    expect(names({ status: ['failed', 'running'], sortBy: 'name', sortDir: 'asc' })).toEqual(['delta 100%', 'Gamma']);
    expect(names({ tags: ['sweep', ' paper'], sortBy: 'name', sortDir: 'asc' })).toEqual(['Alpha sweep', 'epsilon']);
    const datasetId = store.getRun(ids['Gamma']!)!.datasetId!;
    expect(names({ datasetId, sortBy: 'name', sortDir: 'asc' })).toEqual(['Alpha sweep', 'Gamma']);
    expect(names({ metric: { key: 'kanTestRmse', min: 0.15, max: 0.3 }, sortBy: 'name', sortDir: 'asc' })).toEqual([
      'Alpha sweep',
      'epsilon',
    ]);
    expect(names({ metric: { key: 'kanTestRmse' }, sortBy: 'name', sortDir: 'asc' })).toEqual(['Alpha sweep', 'beta', 'epsilon']);
  });

  it('finds the runs of a formula dataset: their recipes repeat its spec instead of naming its id', () => {
    const spec = { formula: 'exp(sin(pi*x1) + x2^2)', vars: 2, range: [-1, 1], train: 1000, test: 1000, noise: 0, seed: 0 };
    const toy = store.putDataset({ name: 'toy exp-sin', kind: 'formula', spec, columns: ['x1', 'x2', 'y'], rows: 2000, bytes: csvBytes });
    const data = { formula: spec.formula, vars: 2, range: [-1, 1], train: 1000, test: 1000, validationFraction: 0.2 };
    store.createRun(newRun({ name: 'toy run', recipe: { data, steps: [] } }));
    store.createRun(newRun({ name: 'toy noisy', recipe: { data: { ...data, noise: 0.1 }, steps: [] } }));
    store.createRun(newRun({ name: 'other formula', recipe: { data: { ...data, formula: 'x1*x2' }, steps: [] } }));
    store.createRun(newRun({ name: 'other range', recipe: { data: { ...data, range: [-2, 2] }, steps: [] } }));
    expect(names({ datasetId: toy.id })).toEqual(['toy run']);
    expect(store.listRuns({ datasetId: toy.id }).total).toBe(1);
  });

  it('sorts by a summary metric with numbers first, then text, then runs without it', () => {
    expect(names({ sortBy: 'kanTestRmse', sortDir: 'asc' })).toEqual(['beta', 'epsilon', 'Alpha sweep', 'Gamma', 'delta 100%']);
    expect(names({ sortBy: 'kanTestRmse', sortDir: 'desc' })).toEqual(['Alpha sweep', 'epsilon', 'beta', 'Gamma', 'delta 100%']);
    expect(names({ sortBy: 'status', sortDir: 'asc' }).slice(3)).toEqual(['Gamma', 'delta 100%']);
  });

  it('searches names, notes, tags and recipe text by case-insensitive substring', () => {
    expect(names({ search: 'ALPH' })).toEqual(['Alpha sweep']);
    expect(names({ search: 'sweep', sortBy: 'name', sortDir: 'asc' })).toEqual(['Alpha sweep', 'beta', 'epsilon']);
    expect(names({ search: 'too high' })).toEqual(['Gamma']);
    expect(names({ search: 'autoSymbolic' })).toEqual(['beta']);
    expect(names({ search: 'pap swe', sortBy: 'name', sortDir: 'asc' })).toEqual(['Alpha sweep', 'epsilon']);
    // Short words and query syntax take other paths: LIKE with escaped wildcards, quoted FTS phrases.
    expect(names({ search: '0%' })).toEqual(['delta 100%']);
    expect(names({ search: 'x_' })).toEqual(['epsilon']);
    expect(names({ search: '"quoted"' })).toEqual(['epsilon']);
    expect(names({ search: 'NEAR OR' })).toEqual([]);
    store.renameRun(ids['beta']!, 'renamed zeta');
    store.setTags(ids['Gamma']!, ['rerun']);
    expect(names({ search: 'zeta' })).toEqual(['renamed zeta']);
    expect(names({ search: 'rerun' })).toEqual(['Gamma']);
  });

  it('pages with a stable total and checks the page bounds', () => {
    const page1 = store.listRuns({ sortBy: 'name', sortDir: 'asc', limit: 2 });
    const page2 = store.listRuns({ sortBy: 'name', sortDir: 'asc', limit: 2, offset: 2 });
    expect(page1.total).toBe(5);
    expect(page2.total).toBe(5);
    expect([...page1.rows, ...page2.rows].map((r) => r.name)).toEqual(['Alpha sweep', 'beta', 'delta 100%', 'epsilon']);
    storeError(() => store.listRuns({ limit: 1001 }), 'invalid');
    storeError(() => store.listRuns({ limit: 0 }), 'invalid');
    storeError(() => store.listRuns({ offset: -1 }), 'invalid');
    storeError(() => store.listRuns({ metric: { key: 'kanTestRmse', min: 2, max: 1 } }), 'invalid');
    storeError(() => store.listRuns({ status: ['lost' as never] }), 'invalid');
  });

  it('replaces the summary and stores non-finite numbers as null', () => {
    const id = ids['beta']!;
    store.setRunSummary(id, { kanTestRmse: Number.POSITIVE_INFINITY, formula: 'sin(x)' });
    expect(store.getRun(id)!.summary).toEqual({ kanTestRmse: null, formula: 'sin(x)' });
    expect(names({ metric: { key: 'kanTestRmse' }, sortBy: 'name', sortDir: 'asc' })).toEqual(['Alpha sweep', 'epsilon']);
    storeError(() => store.setRunSummary(id, { bad: [1] as never }), 'invalid');
  });
});

describe('listing 10,000 runs', () => {
  it('filters, sorts and pages in well under the time budget', () => {
    const store = openStore(tmpDbPath(), { clock: makeClock() });
    const runCount = 10_000;
    const runs: { id: string; rmse: number; done: boolean; tagged: boolean }[] = [];
    const started = performance.now();
    const batchSize = 500;
    for (let first = 0; first < runCount; first += batchSize) {
      store.transaction(() => {
        for (let i = first; i < first + batchSize; i++) {
          const run = store.createRun(newRun({ name: `sweep ${i}`, seed: i, recipe: { steps: [{ kind: 'fit', grid: 3 + (i % 10) }] } }));
          // rmse runs through a permutation of 0..runCount-1 (7919 is prime), so the expected order has no ties.
          const rmse = ((i * 7919) % runCount) / runCount;
          store.setRunSummary(run.id, { kanTestRmse: rmse, kanParams: 100 + (i % 50), mlpTestRmse: rmse * 2 });
          if (i % 3 === 0) store.setTags(run.id, ['sweep']);
          store.setRunStatus(run.id, 'running');
          store.setRunStatus(run.id, i % 10 === 0 ? 'failed' : 'done');
          runs.push({ id: run.id, rmse, done: i % 10 !== 0, tagged: i % 3 === 0 });
        }
      });
    }
    console.log(`store: inserted ${runCount} runs in ${(performance.now() - started).toFixed(0)} ms`);

    const medianMs = (query: RunQuery): { ms: number; list: RunList } => {
      let list = store.listRuns(query);
      const times: number[] = [];
      for (let repeat = 0; repeat < 7; repeat++) {
        const t0 = performance.now();
        list = store.listRuns(query);
        times.push(performance.now() - t0);
      }
      return { ms: times.sort((a, b) => a - b)[3]!, list };
    };

    const sameMetric = medianMs({
      status: ['done'], tags: ['sweep'], metric: { key: 'kanTestRmse', max: 0.5 }, sortBy: 'kanTestRmse', sortDir: 'asc', limit: 100,
    });
    console.log(`store: listRuns over ${runCount} runs, status + tag + kanTestRmse <= 0.5, sorted by kanTestRmse, limit 100: median ${sameMetric.ms.toFixed(1)} ms`);
    const matching = runs.filter((r) => r.done && r.tagged && r.rmse <= 0.5).sort((a, b) => a.rmse - b.rmse);
    expect(sameMetric.list.total).toBe(matching.length);
    expect(sameMetric.list.rows.map((r) => r.id)).toEqual(matching.slice(0, 100).map((r) => r.id));
    expect(sameMetric.ms).toBeLessThan(500);

    const otherMetric = medianMs({ status: ['done'], tags: ['sweep'], sortBy: 'mlpTestRmse', sortDir: 'desc', limit: 100, offset: 100 });
    console.log(`store: listRuns over ${runCount} runs, status + tag, sorted by mlpTestRmse, page 2: median ${otherMetric.ms.toFixed(1)} ms`);
    const tagged = runs.filter((r) => r.done && r.tagged).sort((a, b) => b.rmse - a.rmse);
    expect(otherMetric.list.total).toBe(tagged.length);
    expect(otherMetric.list.rows.map((r) => r.id)).toEqual(tagged.slice(100, 200).map((r) => r.id));
    expect(otherMetric.ms).toBeLessThan(500);

    const searched = medianMs({ search: 'sweep 999' });
    console.log(`store: search over ${runCount} runs: median ${searched.ms.toFixed(1)} ms`);
    const expectedNames = Array.from({ length: runCount }, (_, i) => `sweep ${i}`).filter((name) => name.includes('999'));
    expect(searched.list.rows.map((r) => r.name).sort()).toEqual(expectedNames.sort());
    expect(store.integrityCheck()).toBe('ok');
    store.close();
  }, 60_000);
});
