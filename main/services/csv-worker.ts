/**
 * Entry of a CSV worker thread (dist/main/csv-worker.js, kept apart from the training worker so it starts in a fraction
 * of the time): previews, or one import per worker, so that parsing a large file never runs on the host's main thread
 * and all the memory an import took goes when its worker ends. An import into a store file is written here
 * too, through a connection of the worker's own: writing a 50 MB blob takes seconds of disk time.
 */
import { parentPort, type MessagePort } from 'node:worker_threads';

import type { ResponseOf } from '../../app/api/contract';
import { openStore } from '../store';
import type { DatasetRecord } from '../store/types';
import { DataError, parseCsvText, previewCsv, previewSlice, profileCsv, type DataErrorCode, type DataErrorDetails } from '../../app/data';

export type CsvPreview = ResponseOf<'datasets.previewCsv'>;

export type CsvJob =
  | { type: 'preview'; text: string; maxRows: number; cut: boolean }
  /** A piece of an import, in order; the import starts on 'import'. */
  | { type: 'chunk'; text: string }
  /** store: where to write the dataset; null (an in-memory store) sends the bytes back for the host to write. */
  | { type: 'import'; name: string; storeFile: string | null };

export type CsvJobReply =
  | { type: 'preview'; preview: CsvPreview }
  | { type: 'imported'; dataset: DatasetRecord }
  /** bytes: the file as UTF-8, the form the store keeps, encoded here so the host's thread does not. */
  | { type: 'parsed'; columns: string[]; rows: number; bytes: Uint8Array }
  | { type: 'failed'; code: DataErrorCode | null; message: string; details: DataErrorDetails | null };

/** The first rows, and every constant or duplicate column, missing count and suggested task at once, so nothing bounces later. */
export function csvPreviewOf(text: string, maxRows: number, cut: boolean): CsvPreview {
  const slice = previewSlice(text, undefined, cut);
  const parsed = parseCsvText(slice.text);
  return { ...previewCsv(parsed, maxRows), rowCount: parsed.rows, profile: profileCsv(parsed), partial: slice.partial };
}

function serveCsvJobs(port: MessagePort): void {
  const chunks: string[] = [];
  const reply = (message: CsvJobReply, transfer: ArrayBuffer[] = []): void => port.postMessage(message, transfer);
  port.on('message', (job: CsvJob) => {
    if (job.type === 'chunk') {
      chunks.push(job.text);
      return;
    }
    try {
      if (job.type === 'preview') {
        reply({ type: 'preview', preview: csvPreviewOf(job.text, job.maxRows, job.cut) });
        return;
      }
      const text = chunks.join('');
      chunks.length = 0;
      const parsed = parseCsvText(text);
      const bytes = new TextEncoder().encode(text);
      const dataset = { name: job.name, kind: 'csv' as const, spec: { source: 'csv' }, columns: parsed.columns, rows: parsed.rows, bytes };
      if (job.storeFile === null) {
        reply({ type: 'parsed', columns: parsed.columns, rows: parsed.rows, bytes }, [bytes.buffer as ArrayBuffer]);
        return;
      }
      const store = openStore(job.storeFile);
      try {
        reply({ type: 'imported', dataset: store.putDataset(dataset) });
      } finally {
        store.close();
      }
    } catch (error) {
      if (error instanceof DataError) reply({ type: 'failed', code: error.code, message: error.message, details: error.details ?? null });
      else reply({ type: 'failed', code: null, message: error instanceof Error ? error.message : String(error), details: null });
    }
  });
}

if (parentPort) serveCsvJobs(parentPort);
