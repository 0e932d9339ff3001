// Owns the checks on arguments entering the experiment store, each failing with a message that says how to fix it.
import type { DatasetKind, ModelKind, RunStatus } from './types';
import { RUN_STATUSES, StoreError } from './types';

export const MAX_NAME_CHARS = 200;
export const MAX_TAG_CHARS = 64;
export const MAX_TAGS_PER_RUN = 100;
export const MAX_NOTE_CHARS = 100_000;
export const MAX_METRIC_KEY_CHARS = 64;
export const MAX_STEP_KIND_CHARS = 64;

function invalid(message: string): never {
  throw new StoreError('invalid', message);
}

export function requireName(value: unknown, what: string): string {
  if (typeof value !== 'string') invalid(`${what} must be a string, got ${typeof value}.`);
  const name = value.trim();
  if (name.length === 0) invalid(`${what} is empty; give it a name.`);
  if (name.length > MAX_NAME_CHARS) {
    invalid(`${what} is ${name.length} characters long; shorten it to at most ${MAX_NAME_CHARS}.`);
  }
  return name;
}

export function requireText(value: unknown, what: string): string {
  if (typeof value !== 'string') invalid(`${what} must be a string, got ${typeof value}.`);
  return value;
}

export function requireNonEmptyText(value: unknown, what: string, maxChars: number): string {
  const text = requireText(value, what);
  if (text.trim().length === 0) invalid(`${what} is empty.`);
  if (text.length > maxChars) invalid(`${what} is ${text.length} characters long; the limit is ${maxChars}.`);
  return text;
}

/** Trims, drops duplicates and sorts, so a tag set has one spelling. */
export function normaliseTags(tags: unknown): string[] {
  if (!Array.isArray(tags)) invalid(`tags must be an array of strings.`);
  const unique = new Set<string>();
  for (const raw of tags) {
    if (typeof raw !== 'string') invalid(`every tag must be a string; got ${typeof raw}.`);
    const tag = raw.trim();
    if (tag.length === 0) invalid(`a tag is empty; remove it or type some text.`);
    if (tag.length > MAX_TAG_CHARS) {
      invalid(`the tag "${tag.slice(0, 20)}…" is ${tag.length} characters long; tags are at most ${MAX_TAG_CHARS}.`);
    }
    unique.add(tag);
  }
  if (unique.size > MAX_TAGS_PER_RUN) invalid(`a run can carry at most ${MAX_TAGS_PER_RUN} tags; got ${unique.size}.`);
  return [...unique].sort();
}

export function requireNote(value: unknown): string {
  const note = requireText(value, 'note');
  if (note.length > MAX_NOTE_CHARS) {
    invalid(`the note is ${note.length} characters long; shorten it to at most ${MAX_NOTE_CHARS}.`);
  }
  return note;
}

export function requireIndex(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    invalid(`${what} must be a whole number >= 0, got ${String(value)}.`);
  }
  return value;
}

export function requireInteger(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    invalid(`${what} must be a whole number, got ${String(value)}.`);
  }
  return value;
}

export function requireFinite(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) invalid(`${what} must be a finite number, got ${String(value)}.`);
  return value;
}

/** NaN is accepted and read back as null: SQLite has no NaN, and a diverged loss is still worth a point. */
export function requireNumberOrNull(value: unknown, what: string): number | null {
  if (value === null) return null;
  if (typeof value !== 'number') invalid(`${what} must be a number or null, got ${typeof value}.`);
  return value;
}

export function requireBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) invalid(`${what} must be a Uint8Array.`);
  return value;
}

export function requireHash(value: unknown, what: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{64}$/.test(value)) {
    invalid(`${what} must be a sha256 digest in lowercase hex (64 characters), got ${JSON.stringify(value)}.`);
  }
  return value;
}

export function requireDatasetKind(value: unknown): DatasetKind {
  if (value !== 'csv' && value !== 'formula') invalid(`dataset kind must be 'csv' or 'formula', got ${JSON.stringify(value)}.`);
  return value;
}

export function requireModel(value: unknown): ModelKind {
  if (value !== 'kan' && value !== 'mlp') invalid(`model must be 'kan' or 'mlp', got ${JSON.stringify(value)}.`);
  return value;
}

export function requireStatus(value: unknown): RunStatus {
  if (!RUN_STATUSES.includes(value as RunStatus)) {
    invalid(`run status must be one of ${RUN_STATUSES.join(', ')}; got ${JSON.stringify(value)}.`);
  }
  return value as RunStatus;
}

/** Serialises opaque content; rejects what JSON cannot hold rather than storing a silent "undefined". */
export function toJson(value: unknown, what: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (error) {
    invalid(`${what} cannot be saved as JSON: ${(error as Error).message}`);
  }
  if (json === undefined) invalid(`${what} is missing or not representable as JSON.`);
  return json;
}
