/** The messages between the training host (main thread) and a training worker thread, both directions. */
import type { Recipe } from '../../app/recipe/schema';
import type { CurvePoint, ModelKind, NewStep, RunSummary } from '../store';
import type { DeviceLink } from '../compute/device-bridge';
import type { ProbeResult } from './speed-probe';

/** What a training worker starts with: its links to the compute devices the main process relays to (Chromium pages). */
export interface TrainingWorkerData {
  devices: DeviceLink[];
}

/** Where a run starts: step `from` of its recipe, on fresh models (restore null) or on the stored models of the step before. */
export interface StartJob {
  type: 'start';
  runId: string;
  /**
   * The run's parsed recipe. postMessage copies it by structured clone inside this process (no JSON, no outside
   * sender), so the worker uses it as it is.
   */
  recipe: Recipe;
  /** The CSV bytes of the run's stored dataset, or null for a formula recipe. */
  csv: Uint8Array | null;
  from: number;
  restore: { kan: Uint8Array; mlp: Uint8Array | null } | null;
  /** One Int32 set to 1 by the host to cancel; read between training iterations. */
  abortFlag: SharedArrayBuffer;
  /** Least milliseconds between two progress messages. */
  progressIntervalMs: number;
  /** Least milliseconds between two batches of curve points. */
  curveBatchMs: number;
  /** 'auto' or a backend name (the settings' choice, else the recipe's). */
  backend: string;
  /** Where backend decisions are remembered, or null to measure without remembering. */
  backendDataFolder: string | null;
}

export interface SpeedProbeJob {
  type: 'probe';
  width: number[];
  grid: number;
  k: number;
  batch: number;
  dataFolder: string | null;
}

export type HostToWorker = StartJob | SpeedProbeJob;

export interface ProgressMessage {
  type: 'progress';
  stepIdx: number;
  model: ModelKind;
  step: number;
  steps: number;
  trainLoss: number | null;
  testLoss: number | null;
  trainMetric: number | null;
  testMetric: number | null;
  /** Null without validation rows. */
  valLoss: number | null;
  valMetric: number | null;
  seconds: number;
  /** When the figures were measured, ms since the epoch (comparable across threads, unlike performance.now()). */
  at: number;
}

export type WorkerToHost =
  | { type: 'stepStart'; stepIdx: number; kind: string }
  /** The backend chosen for the run, before its first step. */
  | { type: 'backend'; backend: string; reason: string }
  | ProgressMessage
  | { type: 'curves'; points: CurvePoint[] }
  /** A finished step, with its snapshots, and the run's summary after it. */
  | { type: 'step'; step: NewStep; summary: RunSummary }
  /** diverged: why stages of the run diverged (the run is recorded as failed with it), or null. */
  | { type: 'end'; status: 'done' | 'cancelled'; diverged: string | null }
  | { type: 'failed'; message: string }
  | ({ type: 'probe' } & ProbeResult);
