// A backend on a fresh store in a temporary folder, with the bundled training worker: started before a test file's tests
// and closed after them, for files that drive the services through the dispatcher.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll } from 'vitest';

import { startBackend, type Backend } from '../../../main/services/backend';
import { bundleWorker } from './bundle';

export interface FileBackend {
  /** The running backend (from beforeAll on). */
  readonly backend: Backend;
  /** The temporary folder holding the store; removed after the file's tests. */
  readonly tmp: string;
}

export function backendForFile(name: string): FileBackend {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `kanbench-${name}-`));
  let backend: Backend | null = null;
  let removeWorker = (): void => undefined;
  beforeAll(async () => {
    const { workerFile, remove } = await bundleWorker();
    removeWorker = remove;
    backend = startBackend({ dbPath: path.join(tmp, 'experiments.db'), workerFile, checkResponses: true, log: () => undefined, concurrency: 1, warmWorkers: 1 });
  }, 60_000);
  afterAll(async () => {
    await backend?.close();
    removeWorker();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  return {
    get backend(): Backend {
      if (!backend) throw new Error('the backend starts in beforeAll; use it inside a test');
      return backend;
    },
    tmp,
  };
}
