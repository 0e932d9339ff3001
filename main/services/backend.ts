/**
 * The composition root of the main side: opens the store (marking runs a dead process left behind as interrupted),
 * starts the training host, builds every service and the API dispatcher. The Electron shell, `kanbench serve` and the
 * tests all start the app through here, each with its own paths, dialogs and worker file.
 */
import path from 'node:path';

import { backendNames } from '../../app/compute/registry';
import { registerNodeBackends } from '../compute';
import { type ChromiumDevice, chromiumDeviceLinks, registerChromiumBackends } from '../compute/chromium-device';
import { openStore, type ExperimentStore } from '../store';
import { TrainingHost } from '../training/host';
import { APP_VERSION } from '../version';
import { Api, type Handlers } from './api';
import { AppService } from './app-info';
import { DialogService, type DialogProvider } from './dialogs';
import { CsvWork, csvWorkerBeside } from './csv-work';
import { DatasetService } from './datasets';
import { EventBus } from './events';
import { ModelService } from './model';
import { ModelStates } from './model-states';
import { RunService } from './runs';
import { SettingsService } from './settings';
import { SymbolicService } from './symbolic';

export interface BackendOptions {
  /** The experiment store file, or ':memory:'. */
  dbPath: string;
  /** The bundled training worker (dist/main/worker.js). */
  workerFile: string | URL;
  /** better-sqlite3's native addon to load instead of its package's own (the unpackaged Electron app's copy). */
  sqliteAddon?: string;
  /** The bundled CSV worker; default csv-worker.js (or .cjs) beside workerFile. */
  csvWorkerFile?: string | URL;
  /** Settings file; default settings.json beside the store (none for ':memory:'). */
  settingsFile?: string | null;
  dialogs?: DialogProvider | null;
  appVersion?: string;
  /** Runs trained at once; default the threads setting. */
  concurrency?: number;
  progressIntervalMs?: number;
  curveBatchMs?: number;
  /** Worker threads started at once, so the first run does not wait for one; default 1. */
  warmWorkers?: number;
  checkResponses?: boolean;
  /** The desktop app's Chromium compute device: its modes become backends, trained on through links to each worker. */
  chromiumDevice?: ChromiumDevice;
  clock?: () => number;
  log?: (message: string) => void;
}

export interface Backend {
  store: ExperimentStore;
  host: TrainingHost;
  events: EventBus;
  api: Api;
  settings: SettingsService;
  /** Runs found queued or running at start, now marked interrupted. */
  interruptedAtStart: number;
  /** Stops training (runs in flight become interrupted) and closes the store. */
  close(): Promise<void>;
}

export function startBackend(options: BackendOptions): Backend {
  const log = options.log ?? ((message: string) => process.stderr.write(`${message}\n`));
  const appVersion = options.appVersion ?? APP_VERSION;
  const inMemory = options.dbPath === ':memory:';
  const store = openStore(options.dbPath, {
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.sqliteAddon ? { nativeBinding: options.sqliteAddon } : {}),
  });
  let host: TrainingHost | null = null;
  try {
    const interruptedAtStart = store.abandonedAtOpen + store.markInterruptedRuns();
    const events = new EventBus(log);
    const settingsFile = options.settingsFile !== undefined ? options.settingsFile : inMemory ? null : path.join(path.dirname(path.resolve(options.dbPath)), 'settings.json');
    if (options.chromiumDevice) registerChromiumBackends(options.chromiumDevice);
    const knownBackends = (): readonly string[] => {
      registerNodeBackends();
      return backendNames();
    };
    const settings = new SettingsService({
      file: settingsFile,
      defaultDataFolder: inMemory ? '' : path.dirname(path.resolve(options.dbPath)),
      knownBackends,
      onChange: (next) => host?.setConcurrency(next.threads),
      log,
    });
    host = new TrainingHost({
      store,
      workerFile: options.workerFile,
      emit: events.emit,
      concurrency: options.concurrency ?? settings.get().threads,
      warmWorkers: options.warmWorkers ?? 1,
      backend: () => ({ requested: settings.get().backend, dataFolder: settings.get().dataFolder || null }),
      ...(options.chromiumDevice ? { devices: chromiumDeviceLinks(options.chromiumDevice) } : {}),
      ...(options.progressIntervalMs === undefined ? {} : { progressIntervalMs: options.progressIntervalMs }),
      ...(options.curveBatchMs === undefined ? {} : { curveBatchMs: options.curveBatchMs }),
      log,
    });
    const app = new AppService({ appVersion, storePath: store.path, host });
    const csvWork = new CsvWork({ store, workerFile: options.csvWorkerFile ?? csvWorkerBeside(options.workerFile) });
    const datasets = new DatasetService(store, csvWork);
    const runs = new RunService({ store, host, emit: events.emit, appVersion, memoryLimitMb: () => settings.get().runMemoryLimitMb, knownBackends });
    const states = new ModelStates(store);
    const model = new ModelService(states);
    const symbolic = new SymbolicService(states);
    const dialogs = new DialogService(options.dialogs ?? null);
    const handlers: Handlers = {
      'app.info': () => app.info(),
      'datasets.previewCsv': (r) => datasets.previewCsv(r),
      'datasets.importCsv': (r) => datasets.importCsv(r),
      'datasets.importCsvBegin': (r) => datasets.importCsvBegin(r),
      'datasets.importCsvChunk': (r) => datasets.importCsvChunk(r),
      'datasets.importCsvFinish': (r) => datasets.importCsvFinish(r),
      'datasets.importCsvCancel': (r) => datasets.importCsvCancel(r),
      'datasets.createFormula': (r) => datasets.createFormula(r),
      'datasets.sampleFormula': (r) => datasets.sampleFormula(r),
      'datasets.samples': () => datasets.samples(),
      'datasets.addSample': (r) => datasets.addSample(r),
      'datasets.list': () => datasets.list(),
      'datasets.preview': (r) => datasets.preview(r),
      'datasets.delete': (r) => datasets.delete(r),
      'runs.create': (r) => runs.create(r),
      'runs.start': (r) => runs.start(r),
      'runs.cancel': (r) => runs.cancel(r),
      'runs.list': (r) => runs.list(r),
      'runs.get': (r) => runs.get(r),
      'runs.curves': (r) => runs.curves(r),
      'runs.delete': (r) => runs.delete(r),
      'runs.rename': (r) => runs.rename(r),
      'runs.setTags': (r) => runs.setTags(r),
      'runs.setNote': (r) => runs.setNote(r),
      'runs.rerun': (r) => runs.rerun(r),
      'runs.branch': (r) => runs.branch(r),
      'runs.applySteps': (r) => runs.applySteps(r),
      'runs.revert': (r) => runs.revert(r),
      'model.network': (r) => model.network(r),
      'model.edge': (r) => model.edge(r),
      'prune.preview': (r) => model.prunePreview(r),
      'symbolic.suggest': (r) => symbolic.suggest(r),
      'symbolic.library': () => symbolic.library(),
      'formula.get': (r) => symbolic.formula(r),
      'formula.export': (r) => symbolic.exportFormula(r),
      'settings.get': () => settings.get(),
      'settings.set': (r) => settings.set(r),
      'backends.bench': (r) => app.benchBackends(r),
      'dialog.saveText': (r) => dialogs.saveText(r),
      'dialog.openCsv': () => dialogs.openCsv(),
      'dialog.chooseDataFolder': () => dialogs.chooseDataFolder(settings),
    };
    const api = new Api(handlers, { checkResponses: options.checkResponses ?? false, log });
    const trainingHost = host;
    return {
      store, host: trainingHost, events, api, settings, interruptedAtStart,
      async close() {
        csvWork.close();
        await trainingHost.close();
        store.close();
      },
    };
  } catch (error) {
    store.close();
    throw error;
  }
}
