// Owns the translation of a run query (search, filters, sort, page) into SQL over runs, run_tags, run_metrics and run_search.
import type { RunQuery, RunStatus } from './types';
import { StoreError } from './types';
import { MAX_METRIC_KEY_CHARS, normaliseTags, requireFinite, requireStatus } from './validate';

export const DEFAULT_LIST_LIMIT = 100;
export const MAX_LIST_LIMIT = 1000;
const MAX_SEARCH_WORDS = 16;
// The trigram index answers words of at least this many characters; shorter ones fall back to LIKE.
const TRIGRAM = 3;

export interface RunListSql {
  /** Counts every match, ignoring the page. */
  countSql: string;
  countParams: unknown[];
  /**
   * The ids of one page of runs, in order. Sorting ids alone keeps the sorter's records small and
   * lets covering indexes answer it; the caller then reads the full rows of that page only.
   */
  pageSql: string;
  pageParams: unknown[];
}

/** The fields of a formula dataset's spec that a recipe's data repeats (app/recipe/schema.ts formula data). */
const FORMULA_SPEC_FIELDS = ['formula', 'vars', 'range', 'train', 'test', 'noise'] as const;

/** One spec field as comparable SQL: arrays as their JSON text, a missing noise as 0 (its default). */
function specValue(json: string, field: (typeof FORMULA_SPEC_FIELDS)[number]): string {
  const value = field === 'range' ? `json(json_extract(${json}, '$.range'))` : `json_extract(${json}, '$.${field}')`;
  return field === 'noise' ? `IFNULL(${value}, 0)` : value;
}

function invalid(message: string): never {
  throw new StoreError('invalid', message);
}

function escapeLike(word: string): string {
  return '%' + word.replace(/[\\%_]/g, (c) => '\\' + c) + '%';
}

/** Each word becomes a quoted FTS5 phrase, so user text is never parsed as query syntax. */
function ftsPhrase(word: string): string {
  return '"' + word.replace(/"/g, '""') + '"';
}

export function buildRunListSql(query: RunQuery): RunListSql {
  const where: string[] = [];
  const params: unknown[] = [];

  if (query.search !== undefined) {
    if (typeof query.search !== 'string') invalid('search must be a string.');
    const words = query.search.trim().split(/\s+/).filter((w) => w.length > 0);
    if (words.length > MAX_SEARCH_WORDS) invalid(`search has ${words.length} words; use at most ${MAX_SEARCH_WORDS}.`);
    const longWords = words.filter((w) => [...w].length >= TRIGRAM);
    const shortWords = words.filter((w) => [...w].length < TRIGRAM);
    if (longWords.length > 0) {
      where.push(`r.id IN (SELECT d.run_id FROM run_search JOIN run_search_docs d ON d.doc_id = run_search.rowid
                           WHERE run_search MATCH ?)`);
      params.push(longWords.map(ftsPhrase).join(' AND '));
    }
    if (shortWords.length > 0) {
      // Every short word must appear somewhere: no word may be missing from all four fields.
      where.push(`NOT EXISTS (SELECT 1 FROM json_each(?) w WHERE NOT (
                    r.name LIKE w.value ESCAPE '\\' OR r.note LIKE w.value ESCAPE '\\'
                    OR r.recipe_json LIKE w.value ESCAPE '\\'
                    OR EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.tag LIKE w.value ESCAPE '\\')))`);
      params.push(JSON.stringify(shortWords.map(escapeLike)));
    }
  }

  if (query.status !== undefined && query.status.length > 0) {
    const statuses: RunStatus[] = query.status.map(requireStatus);
    where.push(`r.status IN (SELECT value FROM json_each(?))`);
    params.push(JSON.stringify(statuses));
  }

  if (query.tags !== undefined) {
    const tags = normaliseTags(query.tags);
    // One lookup per tag beats grouping: each is a range of the tag index.
    for (const tag of tags) {
      where.push(`r.id IN (SELECT run_id FROM run_tags WHERE tag = ?)`);
      params.push(tag);
    }
  }

  if (query.datasetId !== undefined) {
    if (typeof query.datasetId !== 'string') invalid('datasetId must be a string.');
    // A formula run stores no dataset id (its recipe regenerates the rows), so it belongs to the formula dataset whose
    // spec its recipe's data repeats.
    where.push(`(r.dataset_id = ? OR (r.dataset_id IS NULL AND EXISTS (SELECT 1 FROM datasets d WHERE d.id = ? AND d.kind = 'formula'
      AND ${FORMULA_SPEC_FIELDS.map((f) => `${specValue('d.spec_json', f)} IS ${specValue(`json_extract(r.recipe_json, '$.data')`, f)}`).join(' AND ')})))`);
    params.push(query.datasetId, query.datasetId);
  }

  let metricRange: { key: string; min: number; max: number } | null = null;
  if (query.metric !== undefined) {
    const key = requireMetricKey(query.metric.key);
    const min = query.metric.min === undefined ? -Infinity : requireFinite(query.metric.min, `metric.min`);
    const max = query.metric.max === undefined ? Infinity : requireFinite(query.metric.max, `metric.max`);
    if (min > max) invalid(`metric.min (${min}) is above metric.max (${max}); swap them.`);
    metricRange = { key, min, max };
  }
  const metricWhere = `r.id IN (SELECT run_id FROM run_metrics WHERE key = ? AND num >= ? AND num <= ?)`;
  const metricParams = metricRange ? [metricRange.key, metricRange.min, metricRange.max] : [];

  const sortDir = query.sortDir ?? 'desc';
  if (sortDir !== 'asc' && sortDir !== 'desc') invalid(`sortDir must be 'asc' or 'desc', got ${JSON.stringify(sortDir)}.`);
  const dir = sortDir === 'asc' ? 'ASC' : 'DESC';
  const sortBy = query.sortBy ?? 'created_at';

  const limit = query.limit ?? DEFAULT_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    invalid(`limit must be a whole number from 1 to ${MAX_LIST_LIMIT}, got ${String(limit)}.`);
  }
  const offset = query.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) invalid(`offset must be a whole number >= 0, got ${String(offset)}.`);

  const allWhere = metricRange ? [...where, metricWhere] : where;
  const countSql = `SELECT count(*) AS total FROM runs r ${whereClause(allWhere)}`;
  const countParams = [...params, ...metricParams];

  if (sortBy === 'created_at' || sortBy === 'name' || sortBy === 'status') {
    const orderBy = {
      created_at: `r.created_at ${dir}, r.id ${dir}`,
      name: `r.name COLLATE NOCASE ${dir}, r.created_at DESC, r.id`,
      status: `r.status ${dir}, r.created_at DESC, r.id`,
    }[sortBy as 'created_at' | 'name' | 'status'];
    return {
      countSql,
      countParams,
      pageSql: `SELECT r.id FROM runs r ${whereClause(allWhere)} ORDER BY ${orderBy} LIMIT ? OFFSET ?`,
      pageParams: [...countParams, limit, offset],
    };
  }
  if (metricRange !== null && metricRange.key === sortBy) {
    // Filtering and sorting on one metric: walk its (key, num) index in order and stop after one page.
    return {
      countSql,
      countParams,
      pageSql: `SELECT r.id FROM run_metrics sm JOIN runs r ON r.id = sm.run_id
                ${whereClause(['sm.key = ? AND sm.num >= ? AND sm.num <= ?', ...where])}
                ORDER BY sm.num ${dir}, r.created_at DESC, r.id LIMIT ? OFFSET ?`,
      pageParams: [...metricParams, ...params, limit, offset],
    };
  }
  // Numbers first, then strings, then runs that lack the metric, whatever the direction.
  return {
    countSql,
    countParams,
    pageSql: `SELECT r.id FROM runs r LEFT JOIN run_metrics sm ON sm.run_id = r.id AND sm.key = ?
              ${whereClause(allWhere)}
              ORDER BY sm.run_id IS NULL, sm.num IS NULL, sm.num ${dir}, sm.text ${dir}, r.created_at DESC, r.id
              LIMIT ? OFFSET ?`,
    pageParams: [requireMetricKey(sortBy), ...countParams, limit, offset],
  };
}

function whereClause(conditions: string[]): string {
  return conditions.length > 0 ? `WHERE ${conditions.join('\n  AND ')}` : '';
}

export function requireMetricKey(value: unknown): string {
  if (typeof value !== 'string' || value.trim().length === 0) invalid(`a metric key must be a non-empty string.`);
  if (value.length > MAX_METRIC_KEY_CHARS) {
    invalid(`the metric key "${value.slice(0, 20)}…" is longer than ${MAX_METRIC_KEY_CHARS} characters.`);
  }
  return value;
}
