/**
 * Reads a data file that a user names (a CSV): regular files only, up to the CSV size limit, as UTF-8 text. A device, a
 * FIFO or a directory is refused before a byte is read, and no error quotes the file's contents.
 */
import fs from 'node:fs';

import { DEFAULT_MAX_CSV_BYTES } from '../../app/data/csv';

export class DataFileError extends Error {
  constructor(readonly file: string, message: string) {
    super(message);
    this.name = 'DataFileError';
  }
}

/** Bytes looked at to tell text from binary: a NUL in them means the file is not a CSV. */
const SNIFF_BYTES = 64 * 1024;

/** What a file is read as, in its errors: "the data file ... Give the path of a CSV file". */
export interface FileRole {
  noun: string;
  wanted: string;
}

const DATA_FILE: FileRole = { noun: 'data file', wanted: 'a CSV file' };

export function readDataFile(file: string, maxBytes = DEFAULT_MAX_CSV_BYTES, role: FileRole = DATA_FILE): string {
  let fd: number;
  try {
    // Non-blocking, so that opening a FIFO with no writer returns at once and is then refused by its type.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'there is no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? kindOf('directory') : `the system says ${code ?? 'it cannot'}`;
    throw new DataFileError(file, `cannot read the ${role.noun} ${file}: ${why}. Give the path of ${role.wanted} you can read.`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) throw new DataFileError(file, `cannot read the ${role.noun} ${file}: ${kindOf(describeType(stat))}. Give the path of ${role.wanted}.`);
    if (stat.size > maxBytes) {
      throw new DataFileError(file, `the ${role.noun} ${file} is ${megabytes(stat.size)}, more than the ${megabytes(maxBytes)} limit. Use a sample of its rows.`);
    }
    const bytes = Buffer.alloc(stat.size);
    let filled = 0;
    while (filled < bytes.length) {
      const read = fs.readSync(fd, bytes, filled, bytes.length - filled, filled);
      if (read === 0) break;
      filled += read;
    }
    if (bytes.subarray(0, Math.min(filled, SNIFF_BYTES)).includes(0)) {
      throw new DataFileError(file, `the ${role.noun} ${file} is not a text file (it holds NUL bytes). Export the data as CSV text.`);
    }
    return bytes.subarray(0, filled).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function describeType(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'directory';
  if (stat.isFIFO()) return 'FIFO (named pipe)';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'device';
  if (stat.isSocket()) return 'socket';
  return 'special file';
}

function kindOf(type: string): string {
  return `it is a ${type}, and only regular files are read as data`;
}

function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${bytes} bytes` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}
