// Owns the store's schema: the ordered migrations that take a database from any older version to the current one.
import type Database from 'better-sqlite3';

import { StoreError } from './types';

type Migration = (db: Database.Database) => void;

// Version 1: the tables as first shipped. Timestamps are milliseconds since the epoch.
// JSON columns hold content the store does not interpret (recipes, metrics, specs).
const createInitialSchema: Migration = (db) => {
  db.exec(`
    CREATE TABLE dataset_blobs (
      hash  TEXT PRIMARY KEY,            -- sha256 of bytes, lowercase hex
      bytes BLOB NOT NULL,
      size  INTEGER NOT NULL
    );

    CREATE TABLE datasets (
      id           TEXT PRIMARY KEY,
      name         TEXT NOT NULL,
      kind         TEXT NOT NULL CHECK (kind IN ('csv', 'formula')),
      blob_hash    TEXT NOT NULL REFERENCES dataset_blobs(hash),
      spec_json    TEXT NOT NULL,
      columns_json TEXT NOT NULL,
      rows         INTEGER NOT NULL,
      created_at   INTEGER NOT NULL
    );
    CREATE INDEX datasets_by_blob ON datasets(blob_hash);

    CREATE TABLE runs (
      id            TEXT PRIMARY KEY,
      name          TEXT NOT NULL,
      dataset_id    TEXT REFERENCES datasets(id) ON DELETE RESTRICT,
      dataset_hash  TEXT NOT NULL,
      recipe_json   TEXT NOT NULL,
      seed          INTEGER NOT NULL,
      backend       TEXT NOT NULL,
      app_version   TEXT NOT NULL,
      status        TEXT NOT NULL
                    CHECK (status IN ('queued', 'running', 'done', 'failed', 'cancelled', 'interrupted')),
      error         TEXT,
      created_at    INTEGER NOT NULL,
      started_at    INTEGER,
      finished_at   INTEGER,
      parent_run_id TEXT REFERENCES runs(id) ON DELETE SET NULL,
      parent_step   INTEGER,
      summary_json  TEXT NOT NULL DEFAULT '{}',
      note          TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX runs_by_created ON runs(created_at);
    CREATE INDEX runs_by_dataset ON runs(dataset_id);
    CREATE INDEX runs_by_status ON runs(status, created_at);
    CREATE INDEX runs_by_parent ON runs(parent_run_id);
    -- Lets a list filter and sort runs found through run_tags or run_metrics without reading whole rows.
    CREATE INDEX runs_listing ON runs(id, status, created_at, dataset_id);

    CREATE TABLE run_tags (
      run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      tag    TEXT NOT NULL,
      PRIMARY KEY (run_id, tag)
    ) WITHOUT ROWID;
    CREATE INDEX run_tags_by_tag ON run_tags(tag, run_id);

    -- One row per summary metric, mirroring runs.summary_json, so filters and sorts use an index.
    CREATE TABLE run_metrics (
      run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      key    TEXT NOT NULL,
      num    REAL,                       -- the value when it is a number, else NULL
      text   TEXT,                       -- the value when it is a string, else NULL
      PRIMARY KEY (run_id, key)
    ) WITHOUT ROWID;
    CREATE INDEX run_metrics_by_key_num ON run_metrics(key, num);

    CREATE TABLE steps (
      run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      idx          INTEGER NOT NULL,
      kind         TEXT NOT NULL,
      params_json  TEXT NOT NULL,
      metrics_json TEXT NOT NULL,
      seconds      REAL NOT NULL,
      started_at   INTEGER NOT NULL,
      finished_at  INTEGER NOT NULL,
      PRIMARY KEY (run_id, idx)
    );

    -- Curves arrive while a step trains, before the step row exists, so they hang off the run.
    CREATE TABLE curves (
      run_id       TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
      step_idx     INTEGER NOT NULL,
      model        TEXT NOT NULL CHECK (model IN ('kan', 'mlp')),
      iter         INTEGER NOT NULL,
      train_loss   REAL,
      test_loss    REAL,
      train_metric REAL,
      test_metric  REAL,
      PRIMARY KEY (run_id, step_idx, model, iter)
    ) WITHOUT ROWID;

    CREATE TABLE snapshots (
      run_id   TEXT NOT NULL,
      step_idx INTEGER NOT NULL,
      model    TEXT NOT NULL CHECK (model IN ('kan', 'mlp')),
      bytes    BLOB NOT NULL,
      PRIMARY KEY (run_id, step_idx, model),
      FOREIGN KEY (run_id, step_idx) REFERENCES steps(run_id, idx) ON DELETE CASCADE
    );

    CREATE TABLE formulas (
      run_id     TEXT NOT NULL,
      step_idx   INTEGER NOT NULL,
      output_idx INTEGER NOT NULL,
      text       TEXT NOT NULL,
      latex      TEXT NOT NULL,
      python     TEXT NOT NULL,
      js         TEXT NOT NULL,
      test_rmse  REAL,
      PRIMARY KEY (run_id, step_idx, output_idx),
      FOREIGN KEY (run_id, step_idx) REFERENCES steps(run_id, idx) ON DELETE CASCADE
    );
  `);
};

// Version 2: full-text search over a run's name, note, tags and recipe. The trigram tokenizer
// makes MATCH a case-insensitive substring search, which is what a search box promises.
// runs has a TEXT key and its rowid may change on VACUUM, so run_search_docs gives each run a
// stable integer that is the search row's rowid. Triggers keep the index in step with every
// writer, including ones that bypass this module.
const addRunSearch: Migration = (db) => {
  db.exec(`
    CREATE TABLE run_search_docs (
      doc_id INTEGER PRIMARY KEY,
      run_id TEXT NOT NULL UNIQUE REFERENCES runs(id) ON DELETE CASCADE
    );
    CREATE VIRTUAL TABLE run_search USING fts5(name, note, tags, recipe, tokenize = 'trigram');

    CREATE TRIGGER run_search_after_run_insert AFTER INSERT ON runs BEGIN
      INSERT INTO run_search_docs (run_id) VALUES (new.id);
      INSERT INTO run_search (rowid, name, note, tags, recipe)
        VALUES ((SELECT doc_id FROM run_search_docs WHERE run_id = new.id), new.name, new.note, '', new.recipe_json);
    END;

    CREATE TRIGGER run_search_after_run_update AFTER UPDATE OF name, note, recipe_json ON runs BEGIN
      UPDATE run_search SET name = new.name, note = new.note, recipe = new.recipe_json
        WHERE rowid = (SELECT doc_id FROM run_search_docs WHERE run_id = new.id);
    END;

    CREATE TRIGGER run_search_before_run_delete BEFORE DELETE ON runs BEGIN
      DELETE FROM run_search WHERE rowid = (SELECT doc_id FROM run_search_docs WHERE run_id = old.id);
    END;

    CREATE TRIGGER run_search_after_tag_insert AFTER INSERT ON run_tags BEGIN
      UPDATE run_search
        SET tags = (SELECT coalesce(group_concat(tag, ' '), '') FROM run_tags WHERE run_id = new.run_id)
        WHERE rowid = (SELECT doc_id FROM run_search_docs WHERE run_id = new.run_id);
    END;

    CREATE TRIGGER run_search_after_tag_delete AFTER DELETE ON run_tags BEGIN
      UPDATE run_search
        SET tags = (SELECT coalesce(group_concat(tag, ' '), '') FROM run_tags WHERE run_id = old.run_id)
        WHERE rowid = (SELECT doc_id FROM run_search_docs WHERE run_id = old.run_id);
    END;

    INSERT INTO run_search_docs (run_id) SELECT id FROM runs ORDER BY created_at, id;
    INSERT INTO run_search (rowid, name, note, tags, recipe)
      SELECT d.doc_id, r.name, r.note,
             (SELECT coalesce(group_concat(tag, ' '), '') FROM run_tags t WHERE t.run_id = r.id),
             r.recipe_json
      FROM run_search_docs d JOIN runs r ON r.id = d.run_id;
  `);
};

// Version 3: which process writes a run ("host#pid"), so that a process starting up marks as interrupted only the runs
// whose writer is gone, not those a live CLI or second app is still training on the same file.
const addRunOwner: Migration = (db) => {
  db.exec(`ALTER TABLE runs ADD COLUMN owner TEXT`);
};

// Version 4: the validation loss and metric of each training iteration (model selection reads them); older points
// keep null there.
const addValidationCurves: Migration = (db) => {
  db.exec(`
    ALTER TABLE curves ADD COLUMN val_loss REAL;
    ALTER TABLE curves ADD COLUMN val_metric REAL;
  `);
};

/** migrations[i] takes a database from user_version i to i + 1. Append only; never edit a shipped one. */
export const migrations: readonly Migration[] = [createInitialSchema, addRunSearch, addRunOwner, addValidationCurves];

export const SCHEMA_VERSION = migrations.length;

export function readSchemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Refuses a database from a newer app before touching it, so an old build never damages new data. */
export function assertSchemaNotNewer(db: Database.Database): number {
  const version = readSchemaVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new StoreError(
      'newer_schema',
      `The experiment store ${db.name} was created by a newer KAN Workbench (schema version ${version}; ` +
        `this build knows up to ${SCHEMA_VERSION}). Upgrade KAN Workbench to open it.`,
    );
  }
  return version;
}

/** Applies each missing migration in its own transaction; a failure leaves the last good version. */
export function migrate(db: Database.Database): number {
  const from = assertSchemaNotNewer(db);
  for (let version = from; version < SCHEMA_VERSION; version++) {
    const step = migrations[version]!;
    db.transaction(() => {
      step(db);
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
  return from;
}
