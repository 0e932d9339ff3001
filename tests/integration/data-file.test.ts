import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { DataFileError, readDataFile } from '../../main/services/data-file';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-data-file-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function refusal(file: string, maxBytes?: number): string {
  const started = performance.now();
  try {
    readDataFile(file, maxBytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DataFileError);
    // Refused from the file's type or size, before reading: /dev/zero would otherwise be read without end.
    expect(performance.now() - started).toBeLessThan(1000);
    return (error as Error).message;
  }
  throw new Error(`expected ${file} to be refused`);
}

describe('readDataFile', () => {
  it('reads a regular CSV file as text', () => {
    const file = path.join(dir, 'ok.csv');
    fs.writeFileSync(file, 'x,y\n1,2\n');
    expect(readDataFile(file)).toBe('x,y\n1,2\n');
  });

  it('refuses devices, FIFOs and directories by their type, without blocking on a FIFO that has no writer', () => {
    expect(refusal('/dev/zero')).toMatch(/it is a device, and only regular files are read as data/);
    const fifo = path.join(dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    expect(refusal(fifo)).toMatch(/it is a FIFO \(named pipe\), and only regular files are read as data/);
    expect(refusal(dir)).toMatch(/directory, and only regular files are read as data/);
    expect(refusal(path.join(dir, 'absent.csv'))).toMatch(/there is no such file/);
  });

  it('refuses a file over the limit and a binary file, naming the file and never quoting it', () => {
    const big = path.join(dir, 'big.csv');
    fs.writeFileSync(big, 'secret-line,1\n'.repeat(1000));
    const tooBig = refusal(big, 1000);
    expect(tooBig).toMatch(/14000 bytes, more than the 1000 bytes limit\. Use a sample of its rows/);
    const binary = path.join(dir, 'image.csv');
    fs.writeFileSync(binary, Buffer.from('secret-line\u0000\u0001\u0002'));
    const notText = refusal(binary);
    expect(notText).toMatch(/not a text file/);
    for (const message of [tooBig, notText]) expect(message).not.toContain('secret-line');
  });
});
