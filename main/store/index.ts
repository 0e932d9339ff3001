// Owns the public face of the experiment store: open it, find its default file, and the types it speaks.
export { openStore, openStoreForReading } from './store';
export { defaultStorePath } from './paths';
export { SCHEMA_VERSION } from './migrations';
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from './run-query';
export { MAX_NOTE_CHARS, MAX_TAG_CHARS } from './validate';
export { RUN_STATUSES, StoreError } from './types';
export type * from './types';
