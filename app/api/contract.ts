/**
 * The typed contract between the renderer and the main process: every operation's request and response, and the events
 * main pushes, as zod schemas. One transport carries it (Electron IPC through the preload, or the local WebSocket);
 * both ends validate, and a payload that fails its schema is rejected with the path of the bad field.
 */
import * as z from 'zod';
import { recipeSchema, stepSchema } from '../recipe/schema';

/** Bumped on any incompatible change; a client and a host of different versions refuse each other with a clear error. */
export const API_VERSION = 1;

const id = z.string().min(1).max(100);
const name = z.string().trim().min(1).max(200);
const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const runStatus = z.enum(['queued', 'running', 'done', 'failed', 'cancelled', 'interrupted']);
const modelKind = z.enum(['kan', 'mlp']);
/** A step of a run; omitted means the latest step. */
const stepRef = z.number().int().min(0).optional();
/** Per output, a row of a discover step's Pareto front (index into the front by complexity ascending). */
const paretoRows = z.array(z.number().int().min(0)).max(1000).optional();
const edgeRef = { layer: z.number().int().min(0), input: z.number().int().min(0), output: z.number().int().min(0) };

export const datasetInfo = z.object({
  id, name: z.string(), kind: z.enum(['csv', 'formula']), hash: z.string(), rows: z.number(), size: z.number(),
  columns: z.array(z.string()), spec: z.unknown(), createdAt: z.number(),
});
export const runRow = z.object({
  id, name: z.string(), datasetId: z.string().nullable(), datasetHash: z.string(), seed: z.number(), backend: z.string(),
  appVersion: z.string(), status: runStatus, error: z.string().nullable(), createdAt: z.number(),
  startedAt: z.number().nullable(), finishedAt: z.number().nullable(), parentRunId: z.string().nullable(),
  parentStep: z.number().nullable(), summary: z.record(z.string(), z.union([z.number(), z.string(), z.null()])),
  note: z.string(), tags: z.array(z.string()),
});
/** NaN and Infinity travel as null (JSON). */
const figure = z.number().nullable();
/** One split's figures: RMSE, MAE, R^2 (regression, target units) or accuracy, log-loss, macro-F1 (classification). */
const splitMetrics = z.object({
  rmse: figure.optional(), mae: figure.optional(), r2: figure.optional(),
  accuracy: figure.optional(), logLoss: figure.optional(), macroF1: figure.optional(),
});
const splitScores = z.object({ train: splitMetrics, validation: splitMetrics.nullable(), test: splitMetrics.nullable() });
/**
 * A model's figures after a step. status 'not trained' (no fit has trained it) comes with params only; runs stored
 * before validation splits have no status, val* figures, scores or overfit flag.
 */
const modelMetrics = z.object({
  status: z.enum(['trained', 'not trained']).optional(),
  params: z.number(), trainLoss: figure.optional(), valLoss: figure.optional(), testLoss: figure.optional(),
  trainRmse: figure.optional(), valRmse: figure.optional(), testRmse: figure.optional(),
  trainAccuracy: figure.optional(), valAccuracy: figure.optional(), testAccuracy: figure.optional(),
  scores: splitScores.optional(),
  /** Validation loss far above the training loss (app/recipe/runner.ts isOverfit). */
  overfit: z.boolean().optional(),
});
const baselineScores = splitScores.extend({ params: z.number() });
/** Trained on the run's training split, strength chosen on its validation split: mean and ridge, or majority and logistic. */
export const baselines = z.union([
  z.object({ mean: baselineScores, ridge: baselineScores.extend({ alpha: z.number(), trainRows: z.number() }) }),
  z.object({ majority: baselineScores, logistic: baselineScores.extend({ C: z.number(), trainRows: z.number() }) }),
]);
export const stepInfo = z.object({
  idx: z.number(), kind: z.string(), params: z.unknown(), seconds: z.number(),
  metrics: z.object({
    kan: modelMetrics, mlp: modelMetrics.nullable(), details: z.record(z.string(), z.unknown()),
    /** Why a fit of the step diverged (its model was restored to its best parameters); null or absent when none did. */
    diverged: z.string().nullable(),
    baselines,
  }).partial().passthrough(),
  snapshotModels: z.array(modelKind),
});
export const curvePoint = z.object({
  stepIdx: z.number(), model: modelKind, iter: z.number(), trainLoss: z.number().nullable(), testLoss: z.number().nullable(),
  trainMetric: z.number().nullable(), testMetric: z.number().nullable(),
  /** Null without validation rows or in runs stored before validation splits. */
  valLoss: z.number().nullable().optional(), valMetric: z.number().nullable().optional(),
});
export const formulaOutput = z.object({
  outputIdx: z.number(), text: z.string(), latex: z.string(), python: z.string(), js: z.string(), testRmse: z.number().nullable(),
});
/** One formula of a discover step's Pareto front (app/recipe/discover-step.ts ParetoRow), as stored with the step. */
export const paretoRow = z.object({
  text: z.string(), latex: z.string(), python: z.string(), js: z.string(), complexity: z.number(),
  trainRmse: z.number().nullable(), valRmse: z.number().nullable(), testRmse: z.number().nullable(), source: z.string(),
  /** What ranks the front (discover/select.ts); absent in runs stored before it existed, whose fronts were ranked by valRmse. */
  selectionRmse: z.number().nullable().optional(),
  /** The symbolic function of each edge ("layer.input.output") of the KAN the formula came from; empty for closed forms. */
  edges: z.record(z.string(), z.string()), chosen: z.boolean(),
});
/** What a discover step keeps in its details: the front by complexity ascending, one list per output when several. */
export const discoveryDetails = z.object({
  pareto: z.union([z.array(paretoRow), z.array(z.array(paretoRow))]), tried: z.number(), timedOut: z.boolean(),
});
export interface Discovery {
  /** One front per output, each by complexity ascending. */
  fronts: z.output<typeof paretoRow>[][];
  tried: number;
  timedOut: boolean;
}
/** A discover step's details read once at the boundary; null for a step that is not a discovery. */
export function readDiscovery(details: unknown): Discovery | null {
  const parsed = discoveryDetails.safeParse(details);
  if (!parsed.success) return null;
  const { pareto, tried, timedOut } = parsed.data;
  const fronts = pareto.length > 0 && Array.isArray(pareto[0]) ? (pareto as z.output<typeof paretoRow>[][]) : [pareto as z.output<typeof paretoRow>[]];
  return { fronts, tried, timedOut };
}
const symbolicCandidate = z.object({
  name: z.string(), r2: z.number(), complexity: z.number(), score: z.number(),
  params: z.object({ a: z.number(), b: z.number(), c: z.number(), d: z.number() }), formula: z.string(), latex: z.string(),
  /** The fitted c*f(a*x+b)+d on the same x grid as the edge's curve. */
  curve: z.array(z.number()),
});
export const edgeView = z.object({
  layer: z.number(), input: z.number(), output: z.number(),
  /** 'numeric', 'symbolic' (with its function), or 'pruned'. */
  kind: z.enum(['numeric', 'symbolic', 'pruned']),
  symbolic: z.object({ name: z.string(), a: z.number(), b: z.number(), c: z.number(), d: z.number() }).nullable(),
  importance: z.number(),
  /** Activation curve phi(x) on an even grid over the edge's input range. */
  curveX: z.array(z.number()), curveY: z.array(z.number()),
  /** A sample of the training activations (x, phi(x)). */
  dataX: z.array(z.number()), dataY: z.array(z.number()),
});
export const networkView = z.object({
  runId: id, step: z.number(), width: z.array(z.number()), inputNames: z.array(z.string()), outputNames: z.array(z.string()),
  nodeScores: z.array(z.array(z.number())), edges: z.array(edgeView), params: z.number(), task: z.enum(['regression', 'classification']),
});
export const settings = z.object({
  backend: z.string().min(1),
  threads: z.number().int().min(1).max(256),
  dataFolder: z.string(),
  theme: z.enum(['light', 'dark', 'system']),
  /** Largest estimated peak memory of a run, in MB; null: half the memory free when the run is asked for. */
  runMemoryLimitMb: z.number().int().min(64).max(16 * 1024 * 1024).nullable(),
});
const runQuery = z.strictObject({
  search: z.string().max(1000).optional(),
  status: z.array(runStatus).optional(),
  tags: z.array(z.string().max(64)).optional(),
  datasetId: id.optional(),
  metric: z.strictObject({ key: z.string().max(100), min: finite.optional(), max: finite.optional() }).optional(),
  sortBy: z.string().max(100).optional(),
  sortDir: z.enum(['asc', 'desc']).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
  offset: z.number().int().min(0).optional(),
});

/** What a CSV's columns hold (app/data/profile.ts), told at import all at once. */
const csvProfile = z.object({
  constant: z.array(z.string()),
  duplicate: z.array(z.object({ column: z.string(), sameAs: z.string() })),
  missing: z.record(z.string(), z.number()),
  tasks: z.record(z.string(), z.object({ task: z.enum(['regression', 'classification']), reason: z.string() })),
});

/**
 * partial: only the file's first lines were read (app/data PREVIEW_MAX_CHARS); the profile then describes those rows, and
 * so does rowCount, except for a stored dataset, whose row count is known.
 */
const csvPreview = z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.string())), numericColumns: z.array(z.string()), rowCount: z.number(), profile: csvProfile, partial: z.boolean() });
const maxCsvCharacters = 200 * 1024 * 1024;
/** Largest piece of a CSV upload; a client sends a file in pieces of about 1 MB so that no message stalls either end. */
export const MAX_CSV_CHUNK_CHARACTERS = 8 * 1024 * 1024;
const uploadId = z.string().min(1).max(100);

/** Every operation: request schema (strict: unknown keys are rejected) and response schema. */
export const operations = {
  'app.info': { request: z.strictObject({}), response: z.object({ version: z.string(), apiVersion: z.number(), storePath: z.string(), backends: z.array(z.object({ name: z.string(), available: z.boolean(), reason: z.string().optional() })) }) },

  'datasets.previewCsv': {
    /** Only the first lines of text are read; cut: text is the start of a larger file (its last line may be incomplete). */
    request: z.strictObject({ text: z.string().max(maxCsvCharacters), maxRows: z.number().int().min(1).max(1000).default(20), cut: z.boolean().default(false) }),
    response: csvPreview,
  },
  'datasets.importCsv': { request: z.strictObject({ name, text: z.string().max(maxCsvCharacters) }), response: datasetInfo },
  /**
   * A CSV import in pieces, parsed in a worker thread: begin (size: at most this many characters will follow; a file's
   * size in bytes is such a bound), append chunks in order, finish (answers when the rows are checked and stored), or
   * cancel at any time.
   */
  'datasets.importCsvBegin': { request: z.strictObject({ name, size: z.number().int().min(1).max(maxCsvCharacters) }), response: z.object({ uploadId }) },
  'datasets.importCsvChunk': { request: z.strictObject({ uploadId, text: z.string().min(1).max(MAX_CSV_CHUNK_CHARACTERS) }), response: z.object({ received: z.number() }) },
  'datasets.importCsvFinish': { request: z.strictObject({ uploadId }), response: datasetInfo },
  'datasets.importCsvCancel': { request: z.strictObject({ uploadId }), response: z.object({ cancelled: z.boolean() }) },
  'datasets.createFormula': { request: z.strictObject({ name, formula: z.string().min(1).max(10_000), vars: z.number().int().min(1).max(100), range: z.union([z.tuple([finite, finite]), z.array(z.tuple([finite, finite]))]), train: z.number().int().min(1).max(1_000_000), test: z.number().int().min(0).max(1_000_000), noise: finite.min(0).default(0), seed: z.number().int().min(0).default(0) }), response: datasetInfo },
  'datasets.sampleFormula': { request: z.strictObject({ formula: z.string().min(1).max(10_000), vars: z.number().int().min(1).max(100), range: z.union([z.tuple([finite, finite]), z.array(z.tuple([finite, finite]))]), variable: z.number().int().min(0), points: z.number().int().min(2).max(2000).default(200) }), response: z.object({ x: z.array(z.number()), y: z.array(z.number().nullable()) }) },
  'datasets.samples': { request: z.strictObject({}), response: z.array(z.object({ id: z.string(), name: z.string(), description: z.string(), kind: z.enum(['csv', 'formula']) })) },
  'datasets.addSample': { request: z.strictObject({ sampleId: z.string().min(1).max(100) }), response: datasetInfo },
  'datasets.list': { request: z.strictObject({}), response: z.array(datasetInfo) },
  'datasets.preview': { request: z.strictObject({ id, maxRows: z.number().int().min(1).max(1000).default(20) }), response: csvPreview },
  'datasets.delete': { request: z.strictObject({ id }), response: z.object({ deleted: z.boolean() }) },

  /** Creates a run from a recipe; data.csv may be "dataset:<id>". start (default true) queues it for training. */
  'runs.create': { request: z.strictObject({ recipe: recipeSchema, name: name.optional(), datasetId: id.optional(), start: z.boolean().default(true) }), response: runRow },
  /** Queues a run created with start: false. */
  'runs.start': { request: z.strictObject({ id }), response: runRow },
  'runs.cancel': { request: z.strictObject({ id }), response: z.object({ cancelled: z.boolean() }) },
  'runs.list': { request: runQuery, response: z.object({ total: z.number(), rows: z.array(runRow) }) },
  'runs.get': { request: z.strictObject({ id }), response: runRow.extend({ recipe: z.unknown(), steps: z.array(stepInfo) }) },
  'runs.curves': { request: z.strictObject({ id, stepIdx: z.number().int().min(0).optional() }), response: z.array(curvePoint) },
  'runs.delete': { request: z.strictObject({ id }), response: z.object({ deleted: z.boolean() }) },
  'runs.rename': { request: z.strictObject({ id, name }), response: runRow },
  'runs.setTags': { request: z.strictObject({ id, tags: z.array(z.string().trim().min(1).max(64)).max(50) }), response: runRow },
  'runs.setNote': { request: z.strictObject({ id, note: z.string().max(100_000) }), response: runRow },
  /** A new run with the same recipe (and seed). */
  'runs.rerun': { request: z.strictObject({ id }), response: runRow },
  /** A new run that starts from the state after `step` of run `id` and then runs `steps`. */
  'runs.branch': { request: z.strictObject({ id, step: z.number().int().min(0), steps: z.array(stepSchema).max(1000).default([]), name: name.optional() }), response: runRow },
  /** Interactive edit: runs `steps` after the run's last step (prune, fix symbolic, fine-tune...); each becomes a step. */
  'runs.applySteps': { request: z.strictObject({ id, steps: z.array(stepSchema).min(1).max(100) }), response: runRow },
  /** Undo: removes every step after `step` (the state returns to that step's snapshot). */
  'runs.revert': { request: z.strictObject({ id, step: z.number().int().min(0) }), response: runRow },

  'model.network': { request: z.strictObject({ runId: id, step: stepRef, points: z.number().int().min(2).max(500).default(41), dataPoints: z.number().int().min(0).max(2000).default(60) }), response: networkView },
  'model.edge': { request: z.strictObject({ runId: id, step: stepRef, ...edgeRef, points: z.number().int().min(2).max(2000).default(200), dataPoints: z.number().int().min(0).max(5000).default(400) }), response: edgeView },
  'prune.preview': { request: z.strictObject({ runId: id, step: stepRef, nodeThreshold: finite.min(0), edgeThreshold: finite.min(0) }), response: z.object({ nodes: z.array(z.object({ layer: z.number(), index: z.number(), score: z.number() })), edges: z.array(z.object({ layer: z.number(), input: z.number(), output: z.number(), score: z.number() })) }) },
  'symbolic.suggest': { request: z.strictObject({ runId: id, step: stepRef, ...edgeRef, topK: z.number().int().min(1).max(50).default(8), lib: z.array(z.string().min(1)).optional() }), response: z.object({ curveX: z.array(z.number()), candidates: z.array(symbolicCandidate) }) },
  'symbolic.library': { request: z.strictObject({}), response: z.array(z.object({ name: z.string(), complexity: z.number(), latex: z.string() })) },
  /**
   * The formula of a step: the network composed, or for a discover step the formula it chose per output (paretoRows: the
   * row of each output's front to take instead, in the step's own rounding).
   */
  'formula.get': { request: z.strictObject({ runId: id, step: stepRef, digits: z.number().int().min(1).max(17).default(4), paretoRows }), response: z.object({ outputs: z.array(formulaOutput), modelTestRmse: z.number().nullable(), numericEdges: z.array(z.string()) }) },
  'formula.export': { request: z.strictObject({ runId: id, step: stepRef, digits: z.number().int().min(1).max(17).default(4), paretoRows, format: z.enum(['latex', 'latex-document', 'text', 'python', 'js']) }), response: z.object({ content: z.string(), filename: z.string(), mime: z.string() }) },

  'settings.get': { request: z.strictObject({}), response: settings },
  'settings.set': { request: settings.partial().strict(), response: settings },
  'backends.bench': { request: z.strictObject({ width: z.array(z.number().int().min(1)).min(2).max(10), grid: z.number().int().min(1).max(1000), k: z.number().int().min(1).max(10), batch: z.number().int().min(1).max(100_000) }), response: z.object({ pick: z.string(), timings: z.array(z.object({ name: z.string(), secondsPerStep: z.number().nullable(), error: z.string().optional() })) }) },
  /** Native dialogs (Electron only; the web host answers with {available: false}). */
  'dialog.saveText': { request: z.strictObject({ defaultName: z.string().max(255), content: z.string().max(50 * 1024 * 1024) }), response: z.object({ available: z.boolean(), saved: z.boolean(), path: z.string().optional() }) },
  'dialog.openCsv': { request: z.strictObject({}), response: z.object({ available: z.boolean(), name: z.string().optional(), text: z.string().optional() }) },
  /** The desktop app's folder dialog sets the data folder (settings.set refuses it); the web host has no dialog. */
  'dialog.chooseDataFolder': { request: z.strictObject({}), response: z.object({ available: z.boolean(), dataFolder: z.string().optional() }) },
} as const;

export type OperationName = keyof typeof operations;
export type RequestOf<O extends OperationName> = z.input<(typeof operations)[O]['request']>;
export type ParsedRequestOf<O extends OperationName> = z.output<(typeof operations)[O]['request']>;
export type ResponseOf<O extends OperationName> = z.output<(typeof operations)[O]['response']>;

/** Events main pushes to every subscribed renderer. */
export const events = {
  /** `at`: when the figures were measured, in milliseconds since the epoch (sub-millisecond), for latency and ETA displays. */
  'run.progress': z.object({ runId: id, stepIdx: z.number(), model: modelKind, step: z.number(), steps: z.number(), trainLoss: z.number().nullable(), testLoss: z.number().nullable(), trainMetric: z.number().nullable(), testMetric: z.number().nullable(), valLoss: z.number().nullable(), valMetric: z.number().nullable(), seconds: z.number(), at: z.number() }),
  'run.status': z.object({ runId: id, status: runStatus, error: z.string().nullable() }),
  'run.step': z.object({ runId: id, step: stepInfo }),
} as const;
export type EventName = keyof typeof events;
export type EventOf<E extends EventName> = z.output<(typeof events)[E]>;

/** Wire messages (both transports). */
export const requestMessage = z.strictObject({
  v: z.literal(API_VERSION),
  id: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  op: z.string().max(100),
  payload: z.unknown(),
});
export type RequestMessage = z.output<typeof requestMessage>;
export interface ApiErrorBody {
  code: 'bad_request' | 'unknown_operation' | 'not_found' | 'invalid' | 'conflict' | 'failed' | 'version_mismatch';
  message: string;
  /** The path of the bad field, for schema errors ("recipe.steps[0].fit.steps"). */
  path?: string;
}
export type ResponseMessage = { id: number; ok: true; result: unknown } | { id: number | null; ok: false; error: ApiErrorBody };
export interface EventMessage { event: EventName; payload: unknown }

export function isOperation(op: string): op is OperationName {
  return Object.prototype.hasOwnProperty.call(operations, op);
}
