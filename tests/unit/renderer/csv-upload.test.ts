// The page's CSV upload: pieces that keep a character split across them whole, a percentage that reaches 100 only
// when the host has stored the rows, and Cancel that stops the pieces and ends the import on the host.
import { describe, expect, it } from 'vitest';

import type { ApiClient } from '../../../renderer/src/api';
import { CHUNK_BYTES, UploadCancelled, uploadCsvFile, uploadPercent, type UploadProgress } from '../../../renderer/src/lib/csv-upload';

interface Call {
  op: string;
  payload: Record<string, unknown>;
}

/** A host that keeps the pieces and answers finish with a dataset; `onCall` may act on each call (e.g. cancel). */
function fakeHost(onCall: (call: Call, calls: Call[]) => void = () => undefined) {
  const calls: Call[] = [];
  const invoke = (async (op: string, payload: Record<string, unknown>) => {
    const call = { op, payload };
    calls.push(call);
    onCall(call, calls);
    if (op === 'datasets.importCsvBegin') return { uploadId: 'u1' };
    if (op === 'datasets.importCsvChunk') return { received: 0 };
    if (op === 'datasets.importCsvCancel') return { cancelled: true };
    if (op === 'datasets.importCsvFinish') return { id: 'd1', name: 'x', rows: 1 };
    throw new Error(`unexpected ${op}`);
  }) as unknown as ApiClient['invoke'];
  return { invoke, calls };
}

describe('uploadCsvFile', () => {
  it('sends the file in pieces whose text joins to the file, even with a character split between two pieces', async () => {
    // "é" is two bytes in UTF-8: put its first byte last in the first piece.
    const text = `${'a'.repeat(CHUNK_BYTES - 1)}é,${'b'.repeat(CHUNK_BYTES)}\n`;
    const host = fakeHost();
    const seen: UploadProgress[] = [];
    await uploadCsvFile(host.invoke, new Blob([text]), 'x', { signal: new AbortController().signal, onProgress: (p) => seen.push(p) });
    const pieces = host.calls.filter((c) => c.op === 'datasets.importCsvChunk').map((c) => c.payload.text as string);
    expect(pieces.length).toBe(3);
    expect(pieces.join('')).toBe(text);
    expect(host.calls[0]!.payload).toEqual({ name: 'x', size: new Blob([text]).size });
    expect(host.calls.at(-1)!.op).toBe('datasets.importCsvFinish');
    expect(seen.map((p) => p.phase)).toEqual(['sending', 'sending', 'sending', 'checking']);
    expect(seen.map(uploadPercent)).toEqual([49, 99, 99, 99]);
  });

  it('stops sending and ends the import on the host when cancelled mid-way', async () => {
    const controller = new AbortController();
    const host = fakeHost((call, calls) => {
      if (call.op === 'datasets.importCsvChunk' && calls.filter((c) => c.op === 'datasets.importCsvChunk').length === 2) controller.abort();
    });
    const upload = uploadCsvFile(host.invoke, new Blob(['x'.repeat(5 * CHUNK_BYTES)]), 'x', { signal: controller.signal, onProgress: () => undefined });
    await expect(upload).rejects.toBeInstanceOf(UploadCancelled);
    expect(host.calls.filter((c) => c.op === 'datasets.importCsvChunk')).toHaveLength(2);
    expect(host.calls.filter((c) => c.op === 'datasets.importCsvCancel')).toEqual([{ op: 'datasets.importCsvCancel', payload: { uploadId: 'u1' } }]);
    expect(host.calls.some((c) => c.op === 'datasets.importCsvFinish')).toBe(false);
  });

  it('answers Cancel at once while a piece waits on a slow host, and reports no progress after it', async () => {
    const controller = new AbortController();
    const calls: string[] = [];
    let acknowledge: () => void = () => undefined;
    const invoke = ((op: string) => {
      calls.push(op);
      if (op === 'datasets.importCsvBegin') return Promise.resolve({ uploadId: 'u1' });
      if (op === 'datasets.importCsvCancel') return Promise.resolve({ cancelled: true });
      return new Promise<{ received: number }>((resolve) => (acknowledge = () => resolve({ received: 1 })));
    }) as unknown as ApiClient['invoke'];
    const seen: UploadProgress[] = [];
    const upload = uploadCsvFile(invoke, new Blob(['x'.repeat(4 * CHUNK_BYTES)]), 'x', { signal: controller.signal, onProgress: (p) => seen.push(p) });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    await expect(upload).rejects.toBeInstanceOf(UploadCancelled);
    expect(calls).toContain('datasets.importCsvCancel');
    acknowledge();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(seen).toEqual([]);
  });
});
