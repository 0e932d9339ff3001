/**
 * Loaded with `node --import` into the packaged-app run (and so into every worker thread it starts): refuses to start a
 * worker thread from a file inside app.asar, which in the packaged app is an archive, not a folder, however the test
 * has laid it out on disk.
 */
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import threads from 'node:worker_threads';

const insideAsar = `${path.sep}app.asar${path.sep}`;
const StartWorker = threads.Worker;

threads.Worker = class extends StartWorker {
  constructor(file: string | URL, options?: threads.WorkerOptions) {
    const filePath = file instanceof URL ? fileURLToPath(file) : file;
    if (filePath.includes(insideAsar)) throw new Error(`a worker thread cannot start from inside app.asar: ${filePath}`);
    super(file, options);
  }
};
syncBuiltinESMExports();
