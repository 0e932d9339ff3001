/**
 * Runs CSV previews and imports in worker threads, so that the host's main thread keeps answering other clients while
 * a large file is read: previews read only the file's first lines, imports arrive in pieces and can be cancelled at any
 * moment (the worker is ended, and its memory with it), and a worker that runs out of its memory limit fails the one
 * import, never the host.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

import { ApiError } from '../../app/api';
import { DataError, DEFAULT_MAX_CSV_BYTES, PREVIEW_MAX_CHARS } from '../../app/data';
import type { ExperimentStore } from '../store';
import type { DatasetRecord } from '../store/types';
import type { CsvJob, CsvJobReply, CsvPreview } from './csv-worker';

export interface CsvWorkOptions {
  /** Imports go into this store: written by the worker through its own connection, or here for an in-memory store. */
  store: ExperimentStore;
  /** The CSV worker bundle (dist/main/csv-worker.js). */
  workerFile: string | URL;
  /** Previews parsed at once; more wait their turn. Default 2. */
  previewWorkers?: number;
  /** Imports open at once (each holds a worker); one more is refused. Default 4. */
  maxImports?: number;
  /** Heap of an import worker, in MB: a 200 MB CSV of short cells needs about 2 GB. Default 3072. */
  importHeapMb?: number;
  /** An import that receives no piece for this long is cancelled, so an abandoned upload frees its worker. Default 2 min. */
  idleImportMs?: number;
}

/** A preview reads at most PREVIEW_MAX_CHARS; its parse needs a fraction of this. */
const PREVIEW_HEAP_MB = 256;
/** A pooled worker unused this long is ended. */
const POOLED_WORKER_IDLE_MS = 30_000;

interface Upload {
  worker: Worker;
  name: string;
  size: number;
  received: number;
  finishing: boolean;
  idle: ReturnType<typeof setTimeout>;
  /** Ends a finish waiting on the worker, when the import is cancelled. */
  abandon: ((error: Error) => void) | null;
}

export class CsvWork {
  private readonly uploads = new Map<string, Upload>();
  private readonly previewQueue: (() => void)[] = [];
  private readonly idleWorkers: Worker[] = [];
  private readonly idleTimers = new Map<Worker, ReturnType<typeof setTimeout>>();
  /** Workers that ended (out of memory, crashed, or were ended), so none goes back to the pool. */
  private readonly exited = new WeakSet<Worker>();
  private previewsRunning = 0;
  private closed = false;

  constructor(private readonly options: CsvWorkOptions) {}

  /** The first rows and a profile of text's first lines, parsed in a worker. */
  async preview(text: string, maxRows: number, cut: boolean): Promise<CsvPreview> {
    // Only the preview's part of the text is copied to the worker: a 200 MB request costs what a 1 MB one does.
    const head = text.length > PREVIEW_MAX_CHARS ? text.slice(0, PREVIEW_MAX_CHARS) : text;
    const isCut = cut || head.length < text.length;
    const answer = await this.onPooledWorker((worker) => {
      worker.postMessage({ type: 'preview', text: head, maxRows, cut: isCut } satisfies CsvJob);
    });
    if (answer.type !== 'preview') throw new Error(`internal: a CSV preview worker answered ${answer.type}`);
    return answer.preview;
  }

  /**
   * A whole CSV sent in one piece, parsed, encoded and stored in a worker: a small one (the size of a preview) on a
   * pooled worker, a larger one on a worker of its own, ended afterwards with all the memory it took.
   */
  async import(name: string, text: string): Promise<DatasetRecord> {
    if (text.length <= PREVIEW_MAX_CHARS) {
      const answer = await this.onPooledWorker((worker) => {
        worker.postMessage({ type: 'chunk', text } satisfies CsvJob);
        worker.postMessage({ type: 'import', name, storeFile: this.storeFile() } satisfies CsvJob);
      });
      return this.stored(name, answer);
    }
    const uploadId = this.begin(name, text.length);
    this.append(uploadId, text);
    return this.finish(uploadId);
  }

  begin(name: string, size: number): string {
    if (this.closed) throw new ApiError({ code: 'conflict', message: 'the app is closing; import the CSV after it starts again.' });
    if (size > DEFAULT_MAX_CSV_BYTES) throw tooLarge(size);
    const maxImports = this.options.maxImports ?? 4;
    if (this.uploads.size >= maxImports) {
      throw new ApiError({ code: 'conflict', message: `${maxImports} CSV imports are under way; wait for one to finish, or cancel one, then import again.` });
    }
    const uploadId = randomUUID();
    const heap = this.options.importHeapMb ?? 3072;
    const worker = this.start(heap);
    const upload: Upload = { worker, name, size, received: 0, finishing: false, idle: this.idleTimer(uploadId), abandon: null };
    // A worker that fails before finish is asked for is reported then; until then the import only waits for pieces.
    worker.on('error', () => undefined);
    this.uploads.set(uploadId, upload);
    return uploadId;
  }

  append(uploadId: string, text: string): number {
    const upload = this.upload(uploadId);
    if (upload.finishing) throw new ApiError({ code: 'conflict', message: 'this CSV import is already being finished; start a new import to send more.' });
    upload.received += text.length;
    if (upload.received > upload.size) {
      this.cancel(uploadId);
      throw new ApiError({ code: 'bad_request', message: `the pieces add up to more than the ${upload.size} characters announced at begin; the import is cancelled. Begin again with the file's full length.` });
    }
    clearTimeout(upload.idle);
    upload.idle = this.idleTimer(uploadId);
    upload.worker.postMessage({ type: 'chunk', text } satisfies CsvJob);
    return upload.received;
  }

  /** Parses and stores the pieces received; answers with the stored dataset once its rows are checked. */
  async finish(uploadId: string): Promise<DatasetRecord> {
    const upload = this.upload(uploadId);
    if (upload.finishing) throw new ApiError({ code: 'conflict', message: 'this CSV import is already being finished; wait for its answer.' });
    upload.finishing = true;
    clearTimeout(upload.idle);
    const abandoned = new Promise<never>((_, reject) => (upload.abandon = reject));
    const reply = waitForReply(upload.worker, this.options.importHeapMb ?? 3072);
    upload.worker.postMessage({ type: 'import', name: upload.name, storeFile: this.storeFile() } satisfies CsvJob);
    try {
      return this.stored(upload.name, await Promise.race([reply, abandoned]));
    } finally {
      this.forget(uploadId);
    }
  }

  /** Ends an import at once, whatever it is doing; false when there is no such import (finished, or never begun). */
  cancel(uploadId: string): boolean {
    const upload = this.uploads.get(uploadId);
    if (!upload) return false;
    upload.abandon?.(new ApiError({ code: 'conflict', message: 'the CSV import was cancelled.' }));
    this.forget(uploadId);
    return true;
  }

  close(): void {
    this.closed = true;
    for (const uploadId of [...this.uploads.keys()]) this.cancel(uploadId);
    for (const worker of this.idleWorkers.splice(0)) void worker.terminate();
  }

  /** The worker writes to the store file itself; an in-memory store cannot be opened there, so its bytes come back. */
  private storeFile(): string | null {
    return this.options.store.path === ':memory:' ? null : this.options.store.path;
  }

  private stored(name: string, answer: Exclude<CsvJobReply, { type: 'failed' }>): DatasetRecord {
    if (answer.type === 'imported') return answer.dataset;
    if (answer.type === 'parsed') {
      return this.options.store.putDataset({ name, kind: 'csv', spec: { source: 'csv' }, columns: answer.columns, rows: answer.rows, bytes: answer.bytes });
    }
    throw new Error(`internal: a CSV import worker answered ${answer.type}`);
  }

  /**
   * Runs one small job (a preview, a small import) on a worker of the pool: at most previewWorkers at once, kept for
   * the next job while they answer, and ended after a while unused. Their memory stays small: a job reads a megabyte.
   */
  private async onPooledWorker(post: (worker: Worker) => void): Promise<Exclude<CsvJobReply, { type: 'failed' }>> {
    await this.previewTurn();
    const worker = this.idleWorkers.pop() ?? this.start(PREVIEW_HEAP_MB);
    clearTimeout(this.idleTimers.get(worker));
    this.idleTimers.delete(worker);
    try {
      const reply = waitForReply(worker, PREVIEW_HEAP_MB);
      post(worker);
      return await reply;
    } finally {
      if (!this.exited.has(worker) && !this.closed) {
        this.idleWorkers.push(worker);
        const timer = setTimeout(() => void worker.terminate(), POOLED_WORKER_IDLE_MS);
        timer.unref();
        this.idleTimers.set(worker, timer);
      } else {
        void worker.terminate();
      }
      this.previewsRunning -= 1;
      this.previewQueue.shift()?.();
    }
  }

  private upload(uploadId: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (!upload) {
      throw new ApiError({ code: 'not_found', message: `no CSV import ${uploadId.slice(0, 100)} is under way (it finished, was cancelled, or waited too long for its next piece); begin the import again.` });
    }
    if (this.exited.has(upload.worker)) {
      this.forget(uploadId);
      throw new DataError('too_large', `The CSV import stopped: its worker ran out of the ${this.options.importHeapMb ?? 3072} MB it may use. Import a sample of its rows, or fewer columns.`);
    }
    return upload;
  }

  private forget(uploadId: string): void {
    const upload = this.uploads.get(uploadId);
    if (!upload) return;
    this.uploads.delete(uploadId);
    clearTimeout(upload.idle);
    void upload.worker.terminate();
  }

  private idleTimer(uploadId: string): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => this.cancel(uploadId), this.options.idleImportMs ?? 120_000);
    timer.unref();
    return timer;
  }

  private start(heapMb: number): Worker {
    const worker = new Worker(this.options.workerFile, { resourceLimits: { maxOldGenerationSizeMb: heapMb } });
    worker.unref();
    worker.once('exit', () => {
      this.exited.add(worker);
      const idleAt = this.idleWorkers.indexOf(worker);
      if (idleAt >= 0) this.idleWorkers.splice(idleAt, 1);
      clearTimeout(this.idleTimers.get(worker));
      this.idleTimers.delete(worker);
    });
    return worker;
  }

  private previewTurn(): Promise<void> {
    const limit = this.options.previewWorkers ?? 2;
    if (this.previewsRunning < limit) {
      this.previewsRunning += 1;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.previewQueue.push(() => {
      this.previewsRunning += 1;
      resolve();
    }));
  }
}

/** The worker's answer to one job; a DataError it reports is thrown again here, so the API maps it as if it had been thrown in place. */
function waitForReply(worker: Worker, heapMb: number): Promise<Exclude<CsvJobReply, { type: 'failed' }>> {
  return new Promise((resolve, reject) => {
    const settle = (): void => {
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const onMessage = (reply: CsvJobReply): void => {
      settle();
      if (reply.type !== 'failed') resolve(reply);
      else if (reply.code) reject(new DataError(reply.code, reply.message, reply.details ?? undefined));
      else reject(new Error(reply.message));
    };
    const onError = (error: Error & { code?: string }): void => {
      settle();
      if (error.code === 'ERR_WORKER_OUT_OF_MEMORY') {
        reject(new DataError('too_large', `Reading this CSV needs more than the ${heapMb} MB a CSV import may use. Import a sample of its rows, or fewer columns.`, { limitMb: heapMb }));
      } else reject(new Error(`the CSV worker failed: ${error.message}`));
    };
    const onExit = (): void => {
      settle();
      reject(new Error('the CSV worker stopped before it answered'));
    };
    worker.on('message', onMessage);
    worker.on('error', onError);
    worker.on('exit', onExit);
  });
}

function tooLarge(size: number): DataError {
  const mb = (n: number): string => `${(n / (1024 * 1024)).toFixed(1)} MB`;
  return new DataError('too_large', `The file is ${mb(size)}, more than the ${mb(DEFAULT_MAX_CSV_BYTES)} limit. Use a smaller file or a sample of its rows.`, { size, limit: DEFAULT_MAX_CSV_BYTES });
}

/** The CSV worker beside a training worker file (worker.js -> csv-worker.js, worker.cjs -> csv-worker.cjs), as the builds lay them out. */
export function csvWorkerBeside(trainingWorkerFile: string | URL): string {
  const file = trainingWorkerFile instanceof URL ? fileURLToPath(trainingWorkerFile) : trainingWorkerFile;
  return path.join(path.dirname(file), `csv-worker${path.extname(file)}`);
}
