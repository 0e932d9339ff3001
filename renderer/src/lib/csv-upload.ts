/**
 * A CSV file from disk to the host without holding it on the page: the preview reads only the file's first megabyte,
 * the import sends it in pieces of a megabyte (datasets.importCsvBegin/Chunk/Finish), each read and decoded as it goes,
 * reports how far it got, and cancels on request. No step takes the page's main thread for more than a few
 * milliseconds, whatever the file's size; the parsing is done by the host, in a worker.
 */
import type { ApiClient } from '../api';
import type { DatasetInfo, Preview } from '../stores/datasets';

/** The host previews at most this much of a file (app/data PREVIEW_MAX_CHARS), so the page sends no more. */
export const PREVIEW_BYTES = 1024 * 1024;
/** Bytes per piece: small enough that reading, decoding and sending one is a short task, under the contract's 8 MB cap. */
export const CHUNK_BYTES = 1024 * 1024;
/** Pieces sent before the first is acknowledged. */
export const PIECES_IN_FLIGHT = 3;

export type UploadPhase = 'sending' | 'checking';

export interface UploadProgress {
  phase: UploadPhase;
  /** Bytes of the file sent so far. */
  sent: number;
  total: number;
}

export class UploadCancelled extends Error {
  constructor() {
    super('The import was cancelled.');
    this.name = 'UploadCancelled';
  }
}

type Invoke = ApiClient['invoke'];

/** The first rows and a profile of the file's first megabyte; preview.partial says whether that was all of it. */
export async function previewCsvFile(invoke: Invoke, file: Blob, maxRows: number): Promise<Preview> {
  const cut = file.size > PREVIEW_BYTES;
  const text = await (cut ? file.slice(0, PREVIEW_BYTES) : file).text();
  return invoke('datasets.previewCsv', { text, maxRows, cut });
}

/** Whole percent of the bytes sent, never 100 before the host has checked and stored every row. */
export function uploadPercent(progress: UploadProgress): number {
  if (progress.total === 0) return 0;
  return Math.min(99, Math.floor((100 * progress.sent) / progress.total));
}

/**
 * Sends the file and waits for the host to check and store it. signal cancels at any point: pieces stop, and the host
 * ends the import (its worker, mid-parse if need be); the promise then rejects with UploadCancelled.
 */
export async function uploadCsvFile(invoke: Invoke, file: Blob, name: string, options: { signal: AbortSignal; onProgress: (progress: UploadProgress) => void }): Promise<DatasetInfo> {
  const { signal } = options;
  if (signal.aborted) throw new UploadCancelled();
  // Cancel answers at once, whatever a piece in flight or the host's check is waiting on; the work behind stops at its next step.
  let cancelled: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => (cancelled = () => reject(new UploadCancelled())));
  signal.addEventListener('abort', cancelled, { once: true });
  const work = sendPieces(invoke, file, name, options);
  work.catch(() => undefined);
  try {
    return await Promise.race([work, aborted]);
  } finally {
    signal.removeEventListener('abort', cancelled);
  }
}

async function sendPieces(invoke: Invoke, file: Blob, name: string, { signal, onProgress }: { signal: AbortSignal; onProgress: (progress: UploadProgress) => void }): Promise<DatasetInfo> {
  const total = file.size;
  // Pieces acknowledged after a cancel report nothing: the caller has already put its progress away.
  const report = (progress: UploadProgress): void => {
    if (!signal.aborted) onProgress(progress);
  };
  // A file's byte count bounds its length in characters (UTF-16 units never outnumber UTF-8 bytes).
  const { uploadId } = await invoke('datasets.importCsvBegin', { name, size: Math.max(1, total) });
  const cancel = (): void => void invoke('datasets.importCsvCancel', { uploadId }).catch(() => undefined);
  if (signal.aborted) cancel();
  signal.addEventListener('abort', cancel, { once: true });
  try {
    // Streaming decoding keeps a character whose bytes straddle two pieces whole. A few pieces are in flight at once, so
    // reading the next one from disk overlaps the host taking the last; the host appends them in the order sent.
    const decoder = new TextDecoder('utf-8');
    const inFlight: Promise<void>[] = [];
    try {
      for (let at = 0; at < total; at += CHUNK_BYTES) {
        if (signal.aborted) throw new UploadCancelled();
        const end = Math.min(total, at + CHUNK_BYTES);
        const text = decoder.decode(await file.slice(at, end).arrayBuffer(), { stream: end < total });
        const acknowledged = text.length > 0 ? invoke('datasets.importCsvChunk', { uploadId, text }) : Promise.resolve();
        inFlight.push(acknowledged.then(() => report({ phase: 'sending', sent: end, total })));
        if (inFlight.length >= PIECES_IN_FLIGHT) await inFlight.shift();
      }
      while (inFlight.length > 0) await inFlight.shift();
    } finally {
      // A piece that failed leaves the others to settle unobserved; they must not surface as unhandled rejections.
      for (const piece of inFlight) piece.catch(() => undefined);
    }
    if (signal.aborted) throw new UploadCancelled();
    report({ phase: 'checking', sent: total, total });
    return await invoke('datasets.importCsvFinish', { uploadId });
  } catch (error) {
    if (signal.aborted) throw new UploadCancelled();
    // A piece the host refused leaves nothing to finish: the import is ended there too, not left to time out.
    cancel();
    throw error;
  } finally {
    signal.removeEventListener('abort', cancel);
  }
}
