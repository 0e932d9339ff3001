// Owns the SQLite experiment store: opening the file, and every read and write of datasets, runs, steps, curves, snapshots and formulas.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';

import { assertSchemaNotNewer, migrate, readSchemaVersion, SCHEMA_VERSION } from './migrations';
import { buildRunListSql, requireMetricKey } from './run-query';
import type {
  CurvePoint,
  DatasetKind,
  DatasetRecord,
  ExperimentStore,
  FormulaRecord,
  ModelKind,
  NewDataset,
  NewRun,
  NewStep,
  RunDetail,
  RunList,
  RunQuery,
  RunRecord,
  RunStatus,
  RunSummary,
  RunSummaryRow,
  StepRecord,
  StoreOptions,
} from './types';
import { StoreError } from './types';
import {
  MAX_STEP_KIND_CHARS,
  normaliseTags,
  requireBytes,
  requireDatasetKind,
  requireFinite,
  requireHash,
  requireIndex,
  requireInteger,
  requireModel,
  requireName,
  requireNonEmptyText,
  requireNote,
  requireNumberOrNull,
  requireStatus,
  requireText,
  toJson,
} from './validate';

type Db = Database.Database;

// A stored error message is for people; a runaway stack trace must not stop a failure being recorded.
const MAX_ERROR_CHARS = 10_000;

// Which status may follow which. Terminal states have no successor: a re-run is a new run.
const NEXT_STATUSES: Record<RunStatus, readonly RunStatus[]> = {
  queued: ['running', 'failed', 'cancelled', 'interrupted'],
  running: ['done', 'failed', 'cancelled', 'interrupted'],
  done: [],
  failed: [],
  cancelled: [],
  interrupted: [],
};

interface DatasetRow {
  id: string;
  name: string;
  kind: DatasetKind;
  blob_hash: string;
  size: number;
  spec_json: string;
  columns_json: string;
  rows: number;
  created_at: number;
}

interface RunListRow {
  id: string;
  name: string;
  dataset_id: string | null;
  dataset_hash: string;
  seed: number;
  backend: string;
  app_version: string;
  status: RunStatus;
  error: string | null;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  parent_run_id: string | null;
  parent_step: number | null;
  summary_json: string;
  note: string;
}

interface RunRow extends RunListRow {
  recipe_json: string;
}

interface StepRow {
  idx: number;
  kind: string;
  params_json: string;
  metrics_json: string;
  seconds: number;
  started_at: number;
  finished_at: number;
  snapshot_models: string | null;
}

interface CurveRow {
  step_idx: number;
  model: ModelKind;
  iter: number;
  train_loss: number | null;
  test_loss: number | null;
  train_metric: number | null;
  test_metric: number | null;
  val_loss: number | null;
  val_metric: number | null;
}

interface FormulaRow {
  step_idx: number;
  output_idx: number;
  text: string;
  latex: string;
  python: string;
  js: string;
  test_rmse: number | null;
}

const DATASET_COLUMNS = `d.id, d.name, d.kind, d.blob_hash, b.size, d.spec_json, d.columns_json, d.rows, d.created_at`;
const RUN_LIST_COLUMNS = `id, name, dataset_id, dataset_hash, seed, backend, app_version, status, error,
  created_at, started_at, finished_at, parent_run_id, parent_step, summary_json, note`;
const RUN_COLUMNS = `${RUN_LIST_COLUMNS}, recipe_json`;

function prepareStatements(db: Db) {
  return {
    datasetById: db.prepare<[string], DatasetRow>(
      `SELECT ${DATASET_COLUMNS} FROM datasets d JOIN dataset_blobs b ON b.hash = d.blob_hash WHERE d.id = ?`,
    ),
    datasetByContent: db.prepare<[string, string, string], DatasetRow>(
      `SELECT ${DATASET_COLUMNS} FROM datasets d JOIN dataset_blobs b ON b.hash = d.blob_hash
       WHERE d.blob_hash = ? AND d.name = ? AND d.kind = ? ORDER BY d.created_at LIMIT 1`,
    ),
    listDatasets: db.prepare<[], DatasetRow>(
      `SELECT ${DATASET_COLUMNS} FROM datasets d JOIN dataset_blobs b ON b.hash = d.blob_hash
       ORDER BY d.created_at DESC, d.id`,
    ),
    datasetBytes: db.prepare<[string], { bytes: Buffer }>(
      `SELECT b.bytes FROM datasets d JOIN dataset_blobs b ON b.hash = d.blob_hash WHERE d.id = ?`,
    ),
    datasetHead: db.prepare<[number, string], { bytes: Buffer }>(
      `SELECT substr(b.bytes, 1, ?) AS bytes FROM datasets d JOIN dataset_blobs b ON b.hash = d.blob_hash WHERE d.id = ?`,
    ),
    insertBlob: db.prepare<[string, Uint8Array, number]>(
      `INSERT INTO dataset_blobs (hash, bytes, size) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING`,
    ),
    insertDataset: db.prepare<[string, string, DatasetKind, string, string, string, number, number]>(
      `INSERT INTO datasets (id, name, kind, blob_hash, spec_json, columns_json, rows, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    renameDataset: db.prepare<[string, string]>(`UPDATE datasets SET name = ? WHERE id = ?`),
    countRunsOfDataset: db.prepare<[string], number>(`SELECT count(*) FROM runs WHERE dataset_id = ?`).pluck(),
    deleteDataset: db.prepare<[string]>(`DELETE FROM datasets WHERE id = ?`),
    deleteOrphanBlob: db.prepare<[string, string]>(
      `DELETE FROM dataset_blobs WHERE hash = ? AND NOT EXISTS (SELECT 1 FROM datasets WHERE blob_hash = ?)`,
    ),

    runById: db.prepare<[string], RunRow>(`SELECT ${RUN_COLUMNS} FROM runs WHERE id = ?`),
    runsByIds: db.prepare<[string], RunListRow>(
      `SELECT ${RUN_LIST_COLUMNS} FROM runs WHERE id IN (SELECT value FROM json_each(?))`,
    ),
    runStatus: db.prepare<[string], RunStatus>(`SELECT status FROM runs WHERE id = ?`).pluck(),
    insertRun: db.prepare<
      [string, string, string | null, string, string, number, string, string, number, string | null, number | null, string]
    >(
      `INSERT INTO runs (id, name, dataset_id, dataset_hash, recipe_json, seed, backend, app_version, status,
                         created_at, parent_run_id, parent_step, owner)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?, ?)`,
    ),
    setStatus: db.prepare<[RunStatus, string | null, RunStatus, number, RunStatus, number, RunStatus, string, string]>(
      `UPDATE runs SET status = ?, error = ?,
         started_at = CASE WHEN ? = 'running' THEN ? ELSE started_at END,
         finished_at = CASE WHEN ? IN ('done', 'failed', 'cancelled') THEN ? ELSE finished_at END,
         owner = CASE WHEN ? = 'running' THEN ? ELSE owner END
       WHERE id = ?`,
    ),
    unfinishedRuns: db.prepare<[], { id: string; owner: string | null }>(`SELECT id, owner FROM runs WHERE status IN ('queued', 'running')`),
    markInterrupted: db.prepare<[string]>(
      `UPDATE runs SET status = 'interrupted',
         error = CASE status
           WHEN 'running' THEN 'KAN Workbench stopped while this run was training; its finished steps were kept.'
           ELSE 'KAN Workbench stopped before this run started.' END
       WHERE id = ? AND status IN ('queued', 'running')`,
    ),
    markAbandoned: db.prepare<[string, string, string]>(
      `UPDATE runs SET status = 'interrupted',
         error = CASE status WHEN 'running' THEN ? ELSE ? END
       WHERE id = ? AND status IN ('queued', 'running')`,
    ),
    setSummary: db.prepare<[string, string]>(`UPDATE runs SET summary_json = ? WHERE id = ?`),
    deleteMetrics: db.prepare<[string]>(`DELETE FROM run_metrics WHERE run_id = ?`),
    insertMetric: db.prepare<[string, string, number | null, string | null]>(
      `INSERT INTO run_metrics (run_id, key, num, text) VALUES (?, ?, ?, ?)`,
    ),
    setNote: db.prepare<[string, string]>(`UPDATE runs SET note = ? WHERE id = ?`),
    renameRun: db.prepare<[string, string]>(`UPDATE runs SET name = ? WHERE id = ?`),
    setBackend: db.prepare<[string, string]>(`UPDATE runs SET backend = ? WHERE id = ?`),
    detachChildren: db.prepare<[string]>(`UPDATE runs SET parent_run_id = NULL, parent_step = NULL WHERE parent_run_id = ?`),
    deleteRun: db.prepare<[string]>(`DELETE FROM runs WHERE id = ?`),
    reopenRun: db.prepare<[string, string]>(
      `UPDATE runs SET status = 'queued', error = NULL, finished_at = NULL, recipe_json = ? WHERE id = ?`,
    ),
    setRecipe: db.prepare<[string, string]>(`UPDATE runs SET recipe_json = ? WHERE id = ?`),
    deleteStepsAfter: db.prepare<[string, number]>(`DELETE FROM steps WHERE run_id = ? AND idx > ?`),
    deleteCurvesAfter: db.prepare<[string, number]>(`DELETE FROM curves WHERE run_id = ? AND step_idx > ?`),
    copySteps: db.prepare<[string, string, number]>(
      `INSERT INTO steps (run_id, idx, kind, params_json, metrics_json, seconds, started_at, finished_at)
       SELECT ?, idx, kind, params_json, metrics_json, seconds, started_at, finished_at FROM steps
       WHERE run_id = ? AND idx <= ?`,
    ),
    copySnapshots: db.prepare<[string, string, number]>(
      `INSERT INTO snapshots (run_id, step_idx, model, bytes)
       SELECT ?, step_idx, model, bytes FROM snapshots WHERE run_id = ? AND step_idx <= ?`,
    ),
    copyFormulas: db.prepare<[string, string, number]>(
      `INSERT INTO formulas (run_id, step_idx, output_idx, text, latex, python, js, test_rmse)
       SELECT ?, step_idx, output_idx, text, latex, python, js, test_rmse FROM formulas WHERE run_id = ? AND step_idx <= ?`,
    ),
    copyCurves: db.prepare<[string, string, number]>(
      `INSERT INTO curves (run_id, step_idx, model, iter, train_loss, test_loss, train_metric, test_metric, val_loss, val_metric)
       SELECT ?, step_idx, model, iter, train_loss, test_loss, train_metric, test_metric, val_loss, val_metric FROM curves
       WHERE run_id = ? AND step_idx <= ?`,
    ),
    runIdsByPrefix: db.prepare<[string, string, number], string>(
      `SELECT id FROM runs WHERE id >= ? AND id < ? || char(1114111) ORDER BY id LIMIT ?`,
    ).pluck(),

    tagsOfRun: db.prepare<[string], string>(`SELECT tag FROM run_tags WHERE run_id = ? ORDER BY tag`).pluck(),
    tagsOfRuns: db.prepare<[string], { run_id: string; tag: string }>(
      `SELECT run_id, tag FROM run_tags WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY run_id, tag`,
    ),
    deleteTags: db.prepare<[string]>(`DELETE FROM run_tags WHERE run_id = ?`),
    insertTag: db.prepare<[string, string]>(`INSERT INTO run_tags (run_id, tag) VALUES (?, ?)`),

    stepExists: db.prepare<[string, number], number>(`SELECT 1 FROM steps WHERE run_id = ? AND idx = ?`).pluck(),
    stepsOfRun: db.prepare<[string], StepRow>(
      `SELECT s.idx, s.kind, s.params_json, s.metrics_json, s.seconds, s.started_at, s.finished_at,
         (SELECT group_concat(model, ',') FROM (SELECT model FROM snapshots n
            WHERE n.run_id = s.run_id AND n.step_idx = s.idx ORDER BY model)) AS snapshot_models
       FROM steps s WHERE s.run_id = ? ORDER BY s.idx`,
    ),
    insertStep: db.prepare<[string, number, string, string, string, number, number, number]>(
      `INSERT INTO steps (run_id, idx, kind, params_json, metrics_json, seconds, started_at, finished_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertSnapshot: db.prepare<[string, number, ModelKind, Uint8Array]>(
      `INSERT INTO snapshots (run_id, step_idx, model, bytes) VALUES (?, ?, ?, ?)`,
    ),
    snapshot: db.prepare<[string, number, ModelKind], Buffer>(
      `SELECT bytes FROM snapshots WHERE run_id = ? AND step_idx = ? AND model = ?`,
    ).pluck(),
    insertFormula: db.prepare<[string, number, number, string, string, string, string, number | null]>(
      `INSERT INTO formulas (run_id, step_idx, output_idx, text, latex, python, js, test_rmse)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    formulasOfRun: db.prepare<[string], FormulaRow>(
      `SELECT step_idx, output_idx, text, latex, python, js, test_rmse FROM formulas
       WHERE run_id = ? ORDER BY step_idx, output_idx`,
    ),

    insertCurvePoint: db.prepare<
      [string, number, ModelKind, number, number | null, number | null, number | null, number | null, number | null, number | null]
    >(
      `INSERT INTO curves (run_id, step_idx, model, iter, train_loss, test_loss, train_metric, test_metric, val_loss, val_metric)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    curvesOfRun: db.prepare<[string], CurveRow>(
      `SELECT step_idx, model, iter, train_loss, test_loss, train_metric, test_metric, val_loss, val_metric FROM curves
       WHERE run_id = ? ORDER BY step_idx, model, iter`,
    ),
    curvesOfStep: db.prepare<[string, number], CurveRow>(
      `SELECT step_idx, model, iter, train_loss, test_loss, train_metric, test_metric, val_loss, val_metric FROM curves
       WHERE run_id = ? AND step_idx = ? ORDER BY model, iter`,
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

/** A view of a blob's bytes typed as a plain Uint8Array, so callers never depend on Node's Buffer. */
function asUint8Array(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

function notFound(what: string): never {
  throw new StoreError('not_found', `${what} not found; it may have been deleted. Refresh and try again.`);
}

function toDatasetRecord(row: DatasetRow): DatasetRecord {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    hash: row.blob_hash,
    size: row.size,
    spec: JSON.parse(row.spec_json) as unknown,
    columns: JSON.parse(row.columns_json) as unknown,
    rows: row.rows,
    createdAt: row.created_at,
  };
}

function toRunSummaryRow(row: RunListRow, tags: string[]): RunSummaryRow {
  return {
    id: row.id,
    name: row.name,
    datasetId: row.dataset_id,
    datasetHash: row.dataset_hash,
    seed: row.seed,
    backend: row.backend,
    appVersion: row.app_version,
    status: row.status,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    parentRunId: row.parent_run_id,
    parentStep: row.parent_step,
    summary: JSON.parse(row.summary_json) as RunSummary,
    note: row.note,
    tags,
  };
}

function toStepRecord(row: StepRow): StepRecord {
  return {
    idx: row.idx,
    kind: row.kind,
    params: JSON.parse(row.params_json) as unknown,
    metrics: JSON.parse(row.metrics_json) as unknown,
    seconds: row.seconds,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    snapshotModels: row.snapshot_models === null ? [] : (row.snapshot_models.split(',') as ModelKind[]),
  };
}

function toCurvePoint(row: CurveRow): CurvePoint {
  return {
    stepIdx: row.step_idx,
    model: row.model,
    iter: row.iter,
    trainLoss: row.train_loss,
    testLoss: row.test_loss,
    trainMetric: row.train_metric,
    testMetric: row.test_metric,
    valLoss: row.val_loss,
    valMetric: row.val_metric,
  };
}

function isSqliteConstraint(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code.startsWith('SQLITE_CONSTRAINT');
}

class SqliteExperimentStore implements ExperimentStore {
  abandonedAtOpen = 0;
  private readonly sql: Statements;
  private readonly listStatements = new Map<string, Database.Statement>();
  private readonly inTransaction: Database.Transaction<(work: () => unknown) => unknown>;

  constructor(
    private readonly db: Db,
    readonly path: string,
    private readonly clock: () => number,
    /** "host#pid" of the process writing through this store, recorded on the runs it creates and starts. */
    private readonly owner: string,
  ) {
    this.sql = prepareStatements(db);
    this.inTransaction = db.transaction((work: () => unknown) => work());
  }

  /** Runs several store calls as one commit: all land or none do, and a bulk import pays for one write. */
  transaction<T>(work: () => T): T {
    return this.write(work);
  }

  // ---- datasets

  /**
   * Bytes are kept once per sha256. Putting the same bytes under the same name and kind again returns the
   * dataset already stored (its spec and columns unchanged); under another name it makes a new dataset
   * that shares the blob.
   */
  putDataset(dataset: NewDataset): DatasetRecord {
    const name = requireName(dataset.name, 'dataset name');
    const kind = requireDatasetKind(dataset.kind);
    const bytes = requireBytes(dataset.bytes, 'dataset bytes');
    const rows = requireIndex(dataset.rows, 'dataset rows');
    const specJson = toJson(dataset.spec, 'dataset spec');
    const columnsJson = toJson(dataset.columns, 'dataset columns');
    const hash = createHash('sha256').update(bytes).digest('hex');
    return this.write(() => {
      const existing = this.sql.datasetByContent.get(hash, name, kind);
      if (existing) return toDatasetRecord(existing);
      this.sql.insertBlob.run(hash, bytes, bytes.byteLength);
      const id = randomUUID();
      this.sql.insertDataset.run(id, name, kind, hash, specJson, columnsJson, rows, this.clock());
      return toDatasetRecord(this.sql.datasetById.get(id)!);
    });
  }

  getDataset(id: string): DatasetRecord | null {
    const row = this.sql.datasetById.get(requireText(id, 'dataset id'));
    return row ? toDatasetRecord(row) : null;
  }

  getDatasetBytes(id: string): Uint8Array {
    const row = this.sql.datasetBytes.get(requireText(id, 'dataset id'));
    if (!row) notFound(`dataset ${id}`);
    return asUint8Array(row.bytes);
  }

  /** The first maxBytes of a dataset's file, for a preview: a large file is not copied whole into the host's memory. */
  getDatasetHead(id: string, maxBytes: number): Uint8Array {
    const row = this.sql.datasetHead.get(requireIndex(maxBytes, 'byte count'), requireText(id, 'dataset id'));
    if (!row) notFound(`dataset ${id}`);
    return asUint8Array(row.bytes);
  }

  listDatasets(): DatasetRecord[] {
    return this.sql.listDatasets.all().map(toDatasetRecord);
  }

  /** Refuses while runs use the dataset (they could no longer be re-run); frees the blob when no dataset shares it. */
  deleteDataset(id: string): void {
    this.write(() => {
      const dataset = this.requireDataset(id);
      const users = this.sql.countRunsOfDataset.get(id)!;
      if (users > 0) {
        throw new StoreError(
          'conflict',
          `dataset "${dataset.name}" is used by ${users} run${users === 1 ? '' : 's'}; delete those runs first.`,
        );
      }
      this.sql.deleteDataset.run(id);
      this.sql.deleteOrphanBlob.run(dataset.blob_hash, dataset.blob_hash);
    });
  }

  renameDataset(id: string, name: string): DatasetRecord {
    const newName = requireName(name, 'dataset name');
    return this.write(() => {
      this.requireDataset(id);
      this.sql.renameDataset.run(newName, id);
      return toDatasetRecord(this.sql.datasetById.get(id)!);
    });
  }

  // ---- runs

  createRun(run: NewRun): RunRecord {
    const name = requireName(run.name, 'run name');
    const datasetHash = requireHash(run.datasetHash, 'datasetHash');
    const recipeJson = toJson(run.recipe, 'recipe');
    const seed = requireInteger(run.seed, 'seed');
    const backend = requireNonEmptyText(run.backend, 'backend', 64);
    const appVersion = requireNonEmptyText(run.appVersion, 'appVersion', 64);
    const datasetId = run.datasetId ?? null;
    const parentRunId = run.parentRunId ?? null;
    const parentStep = run.parentStep === undefined || run.parentStep === null ? null : requireIndex(run.parentStep, 'parentStep');
    if (parentStep !== null && parentRunId === null) {
      throw new StoreError('invalid', `parentStep ${parentStep} was given without parentRunId; name the run it branches from.`);
    }
    return this.write(() => {
      if (datasetId !== null) {
        const dataset = this.requireDataset(datasetId);
        if (dataset.blob_hash !== datasetHash) {
          throw new StoreError(
            'invalid',
            `datasetHash ${datasetHash} does not match dataset "${dataset.name}" (${dataset.blob_hash}); ` +
              `pass the hash of the data the run trains on.`,
          );
        }
      }
      if (parentRunId !== null) {
        this.requireRun(parentRunId);
        if (parentStep !== null && !this.sql.stepExists.get(parentRunId, parentStep)) {
          notFound(`step ${parentStep} of run ${parentRunId}`);
        }
      }
      const id = randomUUID();
      this.sql.insertRun.run(
        id, name, datasetId, datasetHash, recipeJson, seed, backend, appVersion, this.clock(), parentRunId, parentStep, this.owner,
      );
      return this.readRun(id);
    });
  }

  /** running stamps started_at; done, failed and cancelled stamp finished_at; interrupted leaves it empty (the end is unknown). */
  setRunStatus(id: string, status: RunStatus, options: { error?: string } = {}): RunRecord {
    const next = requireStatus(status);
    const error = options.error === undefined ? null : requireText(options.error, 'error').slice(0, MAX_ERROR_CHARS);
    return this.write(() => {
      const current = this.requireRunStatus(id);
      if (!NEXT_STATUSES[current].includes(next)) {
        throw new StoreError(
          'conflict',
          `run ${id} is ${current}; it cannot become ${next}` +
            (NEXT_STATUSES[current].length === 0 ? ' (a finished run is re-run as a new run).' : '.'),
        );
      }
      const now = this.clock();
      this.sql.setStatus.run(next, error, next, now, next, now, next, this.owner, id);
      return this.readRun(id);
    });
  }

  /** The step, its snapshots and its formulas are committed together or not at all. */
  recordStep(runId: string, step: NewStep): void {
    const idx = requireIndex(step.idx, 'step idx');
    const kind = requireNonEmptyText(step.kind, 'step kind', MAX_STEP_KIND_CHARS);
    const paramsJson = toJson(step.params, `params of step ${idx}`);
    const metricsJson = toJson(step.metrics, `metrics of step ${idx}`);
    const seconds = requireFinite(step.seconds, 'step seconds');
    const startedAt = requireFinite(step.startedAt, 'step startedAt');
    const finishedAt = requireFinite(step.finishedAt, 'step finishedAt');
    const snapshots = (step.snapshots ?? []).map((s) => ({
      model: requireModel(s.model),
      bytes: requireBytes(s.bytes, `snapshot bytes of step ${idx}`),
    }));
    if (new Set(snapshots.map((s) => s.model)).size !== snapshots.length) {
      throw new StoreError('invalid', `step ${idx} has two snapshots of the same model; keep one per model.`);
    }
    const formulas = (step.formulas ?? []).map((f) => ({
      outputIdx: requireIndex(f.outputIdx, 'formula outputIdx'),
      text: requireText(f.text, 'formula text'),
      latex: requireText(f.latex, 'formula latex'),
      python: requireText(f.python, 'formula python'),
      js: requireText(f.js, 'formula js'),
      testRmse: requireNumberOrNull(f.testRmse, 'formula testRmse'),
    }));
    if (new Set(formulas.map((f) => f.outputIdx)).size !== formulas.length) {
      throw new StoreError('invalid', `step ${idx} has two formulas for the same output; keep one per output.`);
    }
    this.write(() => {
      this.requireRunStatus(runId);
      if (this.sql.stepExists.get(runId, idx)) {
        throw new StoreError('conflict', `step ${idx} of run ${runId} is already recorded; steps are written once.`);
      }
      this.sql.insertStep.run(runId, idx, kind, paramsJson, metricsJson, seconds, startedAt, finishedAt);
      for (const s of snapshots) this.sql.insertSnapshot.run(runId, idx, s.model, s.bytes);
      for (const f of formulas) {
        this.sql.insertFormula.run(runId, idx, f.outputIdx, f.text, f.latex, f.python, f.js, f.testRmse);
      }
    });
  }

  appendCurvePoints(runId: string, points: readonly CurvePoint[]): void {
    if (!Array.isArray(points)) throw new StoreError('invalid', 'curve points must be an array.');
    const checked = points.map((p) => ({
      stepIdx: requireIndex(p.stepIdx, 'curve stepIdx'),
      model: requireModel(p.model),
      iter: requireIndex(p.iter, 'curve iter'),
      trainLoss: requireNumberOrNull(p.trainLoss, 'curve trainLoss'),
      testLoss: requireNumberOrNull(p.testLoss, 'curve testLoss'),
      trainMetric: requireNumberOrNull(p.trainMetric, 'curve trainMetric'),
      testMetric: requireNumberOrNull(p.testMetric, 'curve testMetric'),
      valLoss: requireNumberOrNull(p.valLoss ?? null, 'curve valLoss'),
      valMetric: requireNumberOrNull(p.valMetric ?? null, 'curve valMetric'),
    }));
    this.write(() => {
      this.requireRunStatus(runId);
      for (const p of checked) {
        try {
          this.sql.insertCurvePoint.run(
            runId, p.stepIdx, p.model, p.iter, p.trainLoss, p.testLoss, p.trainMetric, p.testMetric, p.valLoss, p.valMetric,
          );
        } catch (error) {
          if (!isSqliteConstraint(error)) throw error;
          throw new StoreError(
            'conflict',
            `iteration ${p.iter} of the ${p.model} curve of step ${p.stepIdx} of run ${runId} is already recorded.`,
          );
        }
      }
    });
  }

  /**
   * Replaces the run's summary. Non-finite numbers are stored as null: JSON cannot hold them and they
   * have no place in an ordering.
   */
  setRunSummary(id: string, summary: RunSummary): void {
    if (typeof summary !== 'object' || summary === null || Array.isArray(summary)) {
      throw new StoreError('invalid', 'summary must be an object of metric name to number, string or null.');
    }
    const entries = Object.entries(summary).map(([key, value]): [string, number | string | null] => {
      requireMetricKey(key);
      if (typeof value === 'number') return [key, Number.isFinite(value) ? value : null];
      if (typeof value === 'string' || value === null) return [key, value];
      throw new StoreError('invalid', `summary metric "${key}" must be a number, a string or null; got ${typeof value}.`);
    });
    this.write(() => {
      this.requireRunStatus(id);
      this.sql.setSummary.run(JSON.stringify(Object.fromEntries(entries)), id);
      this.sql.deleteMetrics.run(id);
      for (const [key, value] of entries) {
        this.sql.insertMetric.run(id, key, typeof value === 'number' ? value : null, typeof value === 'string' ? value : null);
      }
    });
  }

  getRun(id: string): RunDetail | null {
    const row = this.sql.runById.get(requireText(id, 'run id'));
    if (!row) return null;
    return {
      ...this.toRunRecord(row),
      steps: this.sql.stepsOfRun.all(id).map(toStepRecord),
    };
  }

  getCurves(runId: string, stepIdx?: number): CurvePoint[] {
    this.requireRunStatus(runId);
    const rows =
      stepIdx === undefined
        ? this.sql.curvesOfRun.all(runId)
        : this.sql.curvesOfStep.all(runId, requireIndex(stepIdx, 'stepIdx'));
    return rows.map(toCurvePoint);
  }

  getSnapshot(runId: string, stepIdx: number, model: ModelKind): Uint8Array | null {
    const bytes = this.sql.snapshot.get(requireText(runId, 'run id'), requireIndex(stepIdx, 'stepIdx'), requireModel(model));
    return bytes ? asUint8Array(bytes) : null;
  }

  getFormulas(runId: string): FormulaRecord[] {
    this.requireRunStatus(runId);
    return this.sql.formulasOfRun.all(runId).map((row) => ({
      stepIdx: row.step_idx,
      outputIdx: row.output_idx,
      text: row.text,
      latex: row.latex,
      python: row.python,
      js: row.js,
      testRmse: row.test_rmse,
    }));
  }

  listRuns(query: RunQuery = {}): RunList {
    const built = buildRunListSql(query);
    // Count and page read one snapshot, so total never disagrees with rows.
    return this.inTransaction.deferred((): RunList => {
      const total = this.listStatement(built.countSql).pluck().get(...built.countParams) as number;
      const pageIds = this.listStatement(built.pageSql).pluck().all(...built.pageParams) as string[];
      if (pageIds.length === 0) return { total, rows: [] };
      const idsJson = JSON.stringify(pageIds);
      const rowsById = new Map(this.sql.runsByIds.all(idsJson).map((row) => [row.id, row]));
      const tagsByRun = new Map<string, string[]>();
      for (const { run_id, tag } of this.sql.tagsOfRuns.all(idsJson)) {
        const tags = tagsByRun.get(run_id);
        if (tags) tags.push(tag);
        else tagsByRun.set(run_id, [tag]);
      }
      return { total, rows: pageIds.map((id) => toRunSummaryRow(rowsById.get(id)!, tagsByRun.get(id) ?? [])) };
    }) as RunList;
  }

  /** Replaces the run's tags; returns them trimmed, deduplicated and sorted. */
  setTags(runId: string, tags: readonly string[]): string[] {
    const normalised = normaliseTags(tags);
    this.write(() => {
      this.requireRunStatus(runId);
      this.sql.deleteTags.run(runId);
      for (const tag of normalised) this.sql.insertTag.run(runId, tag);
    });
    return normalised;
  }

  setNote(runId: string, note: string): void {
    const text = requireNote(note);
    this.write(() => {
      this.requireRunStatus(runId);
      this.sql.setNote.run(text, runId);
    });
  }

  /** Records the compute backend a run actually trains on, once it is chosen (a run is created with the one requested). */
  setRunBackend(runId: string, backend: string): void {
    const name = requireName(backend, 'backend name');
    this.write(() => {
      this.requireRunStatus(runId);
      this.sql.setBackend.run(name, runId);
    });
  }

  renameRun(runId: string, name: string): void {
    const newName = requireName(name, 'run name');
    this.write(() => {
      this.requireRunStatus(runId);
      this.sql.renameRun.run(newName, runId);
    });
  }

  /** Deletes the run with its steps, curves, snapshots and formulas; runs branched from it keep their data but lose the link. */
  deleteRun(id: string): void {
    this.write(() => {
      this.requireRunStatus(id);
      this.sql.detachChildren.run(id);
      this.sql.deleteRun.run(id);
    });
  }

  reopenRun(id: string, recipe: unknown): RunRecord {
    const recipeJson = toJson(recipe, 'recipe');
    return this.write(() => {
      const current = this.requireRunStatus(id);
      if (current === 'queued' || current === 'running') {
        throw new StoreError('conflict', `run ${id} is ${current}; wait for it to finish or cancel it first.`);
      }
      this.sql.reopenRun.run(recipeJson, id);
      return this.readRun(id);
    });
  }

  truncateSteps(runId: string, lastIdx: number, recipe: unknown): RunRecord {
    const last = requireIndex(lastIdx, 'step');
    const recipeJson = toJson(recipe, 'recipe');
    return this.write(() => {
      const current = this.requireRunStatus(runId);
      if (current === 'queued' || current === 'running') {
        throw new StoreError('conflict', `run ${runId} is ${current}; wait for it to finish or cancel it before reverting.`);
      }
      if (!this.sql.stepExists.get(runId, last)) notFound(`step ${last} of run ${runId}`);
      this.sql.deleteStepsAfter.run(runId, last);
      this.sql.deleteCurvesAfter.run(runId, last);
      this.sql.setRecipe.run(recipeJson, runId);
      return this.readRun(runId);
    });
  }

  copySteps(sourceRunId: string, targetRunId: string, lastIdx: number): void {
    const last = requireIndex(lastIdx, 'step');
    this.write(() => {
      this.requireRunStatus(sourceRunId);
      this.requireRunStatus(targetRunId);
      if (!this.sql.stepExists.get(sourceRunId, last)) notFound(`step ${last} of run ${sourceRunId}`);
      // Steps first: snapshots and formulas reference them.
      this.sql.copySteps.run(targetRunId, sourceRunId, last);
      this.sql.copySnapshots.run(targetRunId, sourceRunId, last);
      this.sql.copyFormulas.run(targetRunId, sourceRunId, last);
      this.sql.copyCurves.run(targetRunId, sourceRunId, last);
    });
  }

  findRunIds(prefix: string, limit: number): string[] {
    const text = requireText(prefix, 'run id prefix');
    if (text.length === 0) return [];
    // A range on the primary key rather than LIKE, so the index answers it and % or _ in the prefix mean nothing.
    return this.sql.runIdsByPrefix.all(text, text, requireIndex(limit, 'limit'));
  }

  /**
   * Call once at startup, before any training starts. Queued and running runs become interrupted unless another live
   * process on this machine owns them (a `kanbench run` training while the app starts); runs this process owned, or
   * whose owner is gone or on another machine, are stale.
   */
  markInterruptedRuns(): number {
    return this.write(() => {
      let marked = 0;
      for (const run of this.sql.unfinishedRuns.all()) {
        if (run.owner !== null && run.owner !== this.owner && ownerIsAlive(run.owner)) continue;
        marked += this.sql.markInterrupted.run(run.id).changes;
      }
      return marked;
    });
  }

  /**
   * Runs left queued or running by a process of this machine that no longer exists (a `kanbench run` killed, a crash)
   * become interrupted, with their finished steps. openStore calls it, so every command sees the truth; runs of live
   * processes, and of other machines (whose processes cannot be checked), are left alone.
   */
  markAbandonedRuns(): number {
    const deadOwnerPid = (owner: string | null): number | null => {
      const pid = owner === null || owner === this.owner ? null : pidOnThisHost(owner);
      return pid === null || processIsAlive(pid) ? null : pid;
    };
    // Read first: most opens find nothing to mark and need not wait for the write lock another process may hold.
    if (!this.sql.unfinishedRuns.all().some((run) => deadOwnerPid(run.owner) !== null)) return 0;
    return this.write(() => {
      let marked = 0;
      for (const run of this.sql.unfinishedRuns.all()) {
        const pid = deadOwnerPid(run.owner);
        if (pid === null) continue;
        marked += this.sql.markAbandoned.run(
          `the process that was training this run (pid ${pid}) ended without finishing it; its finished steps were kept. Branch from its last step or re-run it.`,
          `the process that queued this run (pid ${pid}) ended before it started; re-run it.`,
          run.id,
        ).changes;
      }
      return marked;
    });
  }

  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[];
    return rows.map((row) => row.integrity_check).join('\n');
  }

  close(): void {
    if (!this.db.open) return;
    // Refreshes the planner's statistics where they have gone stale, as SQLite advises before closing.
    if (!this.db.readonly) this.db.pragma('optimize');
    this.db.close();
  }

  // ---- helpers

  private write<T>(work: () => T): T {
    if (this.db.readonly) {
      throw new StoreError('invalid', `the experiment store ${this.path} was opened read-only; reopen it writable to change it.`);
    }
    // IMMEDIATE takes the write lock up front, so two writers queue on busy_timeout instead of deadlocking.
    return this.inTransaction.immediate(work) as T;
  }

  private requireDataset(id: string): DatasetRow {
    const row = this.sql.datasetById.get(requireText(id, 'dataset id'));
    if (!row) notFound(`dataset ${id}`);
    return row;
  }

  private requireRunStatus(id: string): RunStatus {
    const status = this.sql.runStatus.get(requireText(id, 'run id'));
    if (status === undefined) notFound(`run ${id}`);
    return status;
  }

  private requireRun(id: string): RunRow {
    const row = this.sql.runById.get(requireText(id, 'run id'));
    if (!row) notFound(`run ${id}`);
    return row;
  }

  private readRun(id: string): RunRecord {
    return this.toRunRecord(this.requireRun(id));
  }

  private toRunRecord(row: RunRow): RunRecord {
    return { ...toRunSummaryRow(row, this.sql.tagsOfRun.all(row.id)), recipe: JSON.parse(row.recipe_json) as unknown };
  }

  // Query shapes are few (one per combination of filters), so statements are kept; the cap guards odd callers.
  private listStatement(sql: string): Database.Statement {
    let statement = this.listStatements.get(sql);
    if (!statement) {
      if (this.listStatements.size >= 64) this.listStatements.clear();
      statement = this.db.prepare(sql);
      this.listStatements.set(sql, statement);
    }
    return statement;
  }
}

function openDatabase(file: string, readonly: boolean, nativeBinding: string | undefined): Db {
  const addon = nativeBinding === undefined ? {} : { nativeBinding };
  if (readonly) {
    if (file === ':memory:') throw new StoreError('invalid', 'an in-memory store cannot be opened read-only; it would be empty.');
    if (!fs.existsSync(file)) throw new StoreError('not_found', `no experiment store at ${file}; check the path.`);
    const db = new Database(file, { readonly: true, fileMustExist: true, timeout: 5000, ...addon });
    try {
      db.pragma('schema_version');
      return db;
    } catch (error) {
      db.close();
      if ((error as { code?: unknown }).code !== 'SQLITE_READONLY_DIRECTORY') throw error;
      return snapshotOfUnwritableStore(file, addon);
    }
  }
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  return new Database(file, { timeout: 5000, ...addon });
}

/**
 * A WAL store in a folder this process may not write cannot be opened in place, as SQLite must create its shared-memory
 * index beside it (https://sqlite.org/wal.html#readonly). Without that index no writer is connected, and without a WAL
 * file every commit is in the main file, so an in-memory copy of it is the whole store as it stands (its header is set
 * to the rollback journal, which an in-memory database needs). It costs memory of the store's size, only in this case.
 */
function snapshotOfUnwritableStore(file: string, addon: { nativeBinding?: string }): Db {
  if (fs.existsSync(`${file}-wal`)) {
    throw new StoreError('invalid', `the experiment store ${file} has unsaved changes in ${file}-wal, and this process may not write its folder to read them; open it once as a user who may write there.`);
  }
  const bytes = fs.readFileSync(file);
  // Bytes 18 and 19 of the header are the file format's write and read versions: 1 is rollback journal, 2 is WAL.
  bytes[18] = 1;
  bytes[19] = 1;
  return new Database(bytes, { readonly: true, ...addon });
}

/** Reads the schema version, turning "not a database" into advice about the path. */
function checkIsStore(db: Db, file: string): number {
  let version: number;
  let tableCount: number;
  try {
    version = readSchemaVersion(db);
    tableCount = db.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).pluck().get() as number;
  } catch (error) {
    if (error instanceof Database.SqliteError && error.code === 'SQLITE_NOTADB') {
      throw new StoreError('invalid', `${file} is not a KAN Workbench experiment store (not an SQLite file); check the path.`);
    }
    throw error;
  }
  // An SQLite file with tables but no version is someone else's database; migrating it would litter it.
  if (version === 0 && tableCount > 0) {
    throw new StoreError('invalid', `${file} is an SQLite database of another program, not a KAN Workbench store; choose another path.`);
  }
  return version;
}

/**
 * Opens (creating it and its folder if needed) and migrates the store at `file`; ':memory:' gives a private
 * in-memory one. Read-only stores are not migrated, so they must already be at this build's schema version.
 */
export function openStore(file: string, options: StoreOptions = {}): ExperimentStore {
  const readonly = options.readonly ?? false;
  const db = openDatabase(file, readonly, options.nativeBinding);
  try {
    const version = checkIsStore(db, file);
    assertSchemaNotNewer(db);
    db.pragma('foreign_keys = ON');
    if (readonly) {
      if (version < SCHEMA_VERSION) {
        throw new StoreError(
          'old_schema',
          `the experiment store ${file} uses schema version ${version} and needs upgrading to ${SCHEMA_VERSION}; ` +
            `open it once without read-only.`,
        );
      }
    } else {
      // WAL lets the UI read while a training worker writes. With WAL, synchronous NORMAL keeps every
      // commit through a process crash and at worst loses the latest commits on power loss, never corrupting.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      migrate(db);
      db.pragma('optimize = 0x10002');
    }
    const store = new SqliteExperimentStore(db, file, options.clock ?? Date.now, options.owner ?? processOwner());
    if (!readonly) store.abandonedAtOpen = store.markAbandonedRuns();
    return store;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * For commands that only read: the store opened writable, so runs a dead process abandoned are marked first; or, when
 * this process may not write it (a read-only file, folder or disk), read-only as it is.
 */
export function openStoreForReading(file: string): ExperimentStore {
  try {
    return openStore(file);
  } catch (error) {
    if (!isNotWritable(error)) throw error;
    return openStore(file, { readonly: true });
  }
}

function isNotWritable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN') || ['EACCES', 'EPERM', 'EROFS'].includes(code));
}

/** This process as a run owner: "host#pid". */
export function processOwner(): string {
  return `${os.hostname()}#${process.pid}`;
}

/** Whether the process named by an owner string still runs on this machine (a pid on another host cannot be checked). */
function ownerIsAlive(owner: string): boolean {
  const pid = pidOnThisHost(owner);
  return pid !== null && processIsAlive(pid);
}

/** The pid of an owner string ("host#pid") when the host is this machine, else null. */
function pidOnThisHost(owner: string): number | null {
  const at = owner.lastIndexOf('#');
  const pid = Number(owner.slice(at + 1));
  return at >= 0 && owner.slice(0, at) === os.hostname() && Number.isInteger(pid) && pid > 0 ? pid : null;
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
