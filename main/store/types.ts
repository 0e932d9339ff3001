// Owns the shapes that cross the experiment store's boundary and the one error type it throws.

export type DatasetKind = 'csv' | 'formula';
export type ModelKind = 'kan' | 'mlp';
export type RunStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';

export const RUN_STATUSES: readonly RunStatus[] = ['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted'];

/** Final metrics of a run (kanParams, kanTestRmse, mlpTestRmse, ...); keys are free-form. */
export type RunSummary = Record<string, number | string | null>;

/**
 * What went wrong, for callers that map errors onto their own protocol:
 * not_found: an id that does not exist; invalid: an argument that breaks a rule;
 * conflict: the request clashes with stored state; newer_schema / old_schema: the file's version.
 */
export type StoreErrorCode = 'not_found' | 'invalid' | 'conflict' | 'newer_schema' | 'old_schema';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface NewDataset {
  name: string;
  kind: DatasetKind;
  spec: unknown;
  columns: unknown;
  rows: number;
  bytes: Uint8Array;
}

export interface DatasetRecord {
  id: string;
  name: string;
  kind: DatasetKind;
  hash: string;
  size: number;
  spec: unknown;
  columns: unknown;
  rows: number;
  createdAt: number;
}

export interface NewRun {
  name: string;
  datasetId?: string | null;
  datasetHash: string;
  recipe: unknown;
  seed: number;
  backend: string;
  appVersion: string;
  parentRunId?: string | null;
  parentStep?: number | null;
}

export interface RunRecord {
  id: string;
  name: string;
  datasetId: string | null;
  datasetHash: string;
  recipe: unknown;
  seed: number;
  backend: string;
  appVersion: string;
  status: RunStatus;
  error: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  parentRunId: string | null;
  parentStep: number | null;
  summary: RunSummary;
  note: string;
  tags: string[];
}

/** A run in a list: everything but the recipe, which can be large. */
export type RunSummaryRow = Omit<RunRecord, 'recipe'>;

export interface FormulaInput {
  outputIdx: number;
  text: string;
  latex: string;
  python: string;
  js: string;
  testRmse: number | null;
}

export interface FormulaRecord extends FormulaInput {
  stepIdx: number;
}

export interface NewStep {
  idx: number;
  kind: string;
  params: unknown;
  metrics: unknown;
  seconds: number;
  startedAt: number;
  finishedAt: number;
  snapshots?: { model: ModelKind; bytes: Uint8Array }[];
  formulas?: FormulaInput[];
}

export interface StepRecord {
  idx: number;
  kind: string;
  params: unknown;
  metrics: unknown;
  seconds: number;
  startedAt: number;
  finishedAt: number;
  /** Models whose snapshot was kept for this step; fetch the bytes with getSnapshot. */
  snapshotModels: ModelKind[];
}

export interface RunDetail extends RunRecord {
  steps: StepRecord[];
}

/** One training iteration; losses are null where not measured (and NaN is stored as null). */
export interface CurvePoint {
  stepIdx: number;
  model: ModelKind;
  iter: number;
  trainLoss: number | null;
  testLoss: number | null;
  trainMetric: number | null;
  testMetric: number | null;
  /** Null without validation rows, and in points stored before schema version 4; may be left out when writing. */
  valLoss?: number | null;
  valMetric?: number | null;
}

export type RunSortKey = 'created_at' | 'name' | 'status' | (string & {});

export interface RunQuery {
  /** Substring match, case-insensitive, on name, note, tags and recipe text; every word must match. */
  search?: string;
  status?: RunStatus[];
  /** A run must carry every tag listed. */
  tags?: string[];
  datasetId?: string;
  /** Keeps runs whose summary holds a number under key within [min, max] (inclusive). */
  metric?: { key: string; min?: number; max?: number };
  /** created_at, name, status, or any summary metric key (runs without that metric sort last). */
  sortBy?: RunSortKey;
  sortDir?: 'asc' | 'desc';
  /** Default 100, at most 1000. */
  limit?: number;
  offset?: number;
}

export interface RunList {
  total: number;
  rows: RunSummaryRow[];
}

export interface StoreOptions {
  readonly?: boolean;
  /** Milliseconds since the epoch; injectable so tests control timestamps. */
  clock?: () => number;
  /** "host#pid" recorded as the writer of the runs this store creates and starts; default this process. */
  owner?: string;
  /**
   * better-sqlite3's native addon to load instead of the one its package finds: the unpackaged Electron app passes the
   * copy built for Electron (main/electron/electron-addon.ts).
   */
  nativeBinding?: string;
}

/**
 * Every method is synchronous. Lookups that return a record (getDataset, getRun, getSnapshot) return null
 * for an unknown id; every other method throws StoreError 'not_found' for one. Each write is one transaction.
 */
export interface ExperimentStore {
  readonly path: string;

  putDataset(dataset: NewDataset): DatasetRecord;
  getDataset(id: string): DatasetRecord | null;
  getDatasetBytes(id: string): Uint8Array;
  /** The first maxBytes of a dataset's file (a preview reads no more). */
  getDatasetHead(id: string, maxBytes: number): Uint8Array;
  listDatasets(): DatasetRecord[];
  deleteDataset(id: string): void;
  renameDataset(id: string, name: string): DatasetRecord;

  createRun(run: NewRun): RunRecord;
  setRunStatus(id: string, status: RunStatus, options?: { error?: string }): RunRecord;
  recordStep(runId: string, step: NewStep): void;
  appendCurvePoints(runId: string, points: readonly CurvePoint[]): void;
  setRunSummary(id: string, summary: RunSummary): void;
  getRun(id: string): RunDetail | null;
  getCurves(runId: string, stepIdx?: number): CurvePoint[];
  getSnapshot(runId: string, stepIdx: number, model: ModelKind): Uint8Array | null;
  getFormulas(runId: string): FormulaRecord[];
  listRuns(query?: RunQuery): RunList;
  setTags(runId: string, tags: readonly string[]): string[];
  setNote(runId: string, note: string): void;
  renameRun(runId: string, name: string): void;
  /** Records the compute backend a run actually trains on, once it is chosen. */
  setRunBackend(runId: string, backend: string): void;
  deleteRun(id: string): void;
  markInterruptedRuns(): number;
  /** Marks interrupted the runs a dead process of this machine left queued or running; openStore calls it. */
  markAbandonedRuns(): number;
  /** How many runs opening this store marked interrupted (0 for a read-only store, which cannot mark them). */
  readonly abandonedAtOpen: number;
  /** Puts a finished run back in the queue with a new recipe (interactive steps appended); its steps stay. */
  reopenRun(id: string, recipe: unknown): RunRecord;
  /** Removes every step after lastIdx (with snapshots, formulas and curves) and replaces the recipe: an undo. */
  truncateSteps(runId: string, lastIdx: number, recipe: unknown): RunRecord;
  /** Copies steps 0..lastIdx of one run (with snapshots, formulas and curves) into another, for a branch. */
  copySteps(sourceRunId: string, targetRunId: string, lastIdx: number): void;
  /** Ids of runs that start with prefix (a short id typed at the command line), at most limit of them. */
  findRunIds(prefix: string, limit: number): string[];

  /** Runs several calls as one atomic commit (calls inside nest as savepoints). */
  transaction<T>(work: () => T): T;

  integrityCheck(): string;
  close(): void;
}
