/** `kanbench runs list|show|export|delete`: the experiment store from the command line. Ids may be shortened to a unique prefix. */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import { openStore, openStoreForReading, RUN_STATUSES, type ExperimentStore, type RunDetail, type RunQuery, type RunStatus, type RunSummaryRow } from '../store';
import { resolveStoreLocation } from '../services/paths';
import { UsageError } from './errors';
import { runToJson, runToLatex } from './export';
import { formatNumber } from './progress';

const USAGE = `usage: kanbench runs list [--status S[,S]] [--search TEXT] [--tag T] [--sort KEY] [--asc] [--limit N] [--json] [--db PATH]
       kanbench runs show ID [--json] [--db PATH]
       kanbench runs export ID --latex|--json [--out FILE] [--db PATH]
       kanbench runs delete ID [--db PATH]`;

export async function runsCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list':
    case undefined:
      return withStore(rest, listOptions, 'read', (store, values) => listRuns(store, values));
    case 'show':
      return withStore(rest, { json: { type: 'boolean', default: false } }, 'read', (store, values, id) => showRun(store, resolveRun(store, id), values.json === true));
    case 'export':
      return withStore(rest, { latex: { type: 'boolean', default: false }, json: { type: 'boolean', default: false }, out: { type: 'string' } }, 'read', (store, values, id) => {
        if (values.latex === values.json) throw new UsageError('say which format: kanbench runs export ID --latex or --json');
        const run = resolveRun(store, id);
        const text = values.latex ? runToLatex(run, store.getFormulas(run.id)) : runToJson(run, store.getCurves(run.id), store.getFormulas(run.id));
        if (typeof values.out === 'string') {
          writeFileSync(values.out, text);
          process.stderr.write(`wrote ${values.out}\n`);
        } else {
          process.stdout.write(text);
        }
        return 0;
      });
    case 'delete':
      return withStore(rest, {}, 'write', (store, _values, id) => {
        const run = resolveRun(store, id);
        if (run.status === 'running' || run.status === 'queued') {
          throw new UsageError(`run ${run.id} is ${run.status}; cancel it in the app first (or wait for it to finish).`);
        }
        store.deleteRun(run.id);
        process.stdout.write(`deleted run ${run.id} (${run.name})\n`);
        return 0;
      });
    default:
      throw new UsageError(`unknown runs command "${sub}"\n${USAGE}`);
  }
}

type OptionSpec = Record<string, { type: 'boolean' | 'string'; default?: boolean | string; multiple?: boolean }>;
type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

const listOptions: OptionSpec = {
  status: { type: 'string' },
  search: { type: 'string' },
  tag: { type: 'string', multiple: true },
  sort: { type: 'string' },
  asc: { type: 'boolean', default: false },
  limit: { type: 'string' },
  json: { type: 'boolean', default: false },
};

/**
 * Parses options (plus --db), opens the store (a command that only reads also works on a store it may not write), runs
 * the action with the positional id (required unless listing).
 */
function withStore(args: string[], options: OptionSpec, access: 'read' | 'write', action: (store: ExperimentStore, values: Values, id: string) => number): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { ...options, db: { type: 'string' } } });
  const needsId = options !== listOptions;
  if (needsId ? positionals.length !== 1 : positionals.length > 0) throw new UsageError(USAGE);
  const file = resolveStoreLocation({ db: values.db as string | undefined }).dbPath;
  const store = access === 'read' ? openStoreForReading(file) : openStore(file);
  try {
    return action(store, values as Values, positionals[0] ?? '');
  } finally {
    store.close();
  }
}

function listRuns(store: ExperimentStore, values: Values): number {
  const query: RunQuery = { sortDir: values.asc ? 'asc' : 'desc' };
  if (typeof values.status === 'string') {
    const statuses = values.status.split(',').map((s) => s.trim());
    for (const status of statuses) {
      if (!RUN_STATUSES.includes(status as RunStatus)) throw new UsageError(`unknown status "${status}"; use ${RUN_STATUSES.join(', ')}`);
    }
    query.status = statuses as RunStatus[];
  }
  if (typeof values.search === 'string') query.search = values.search;
  if (Array.isArray(values.tag)) query.tags = values.tag as string[];
  if (typeof values.sort === 'string') query.sortBy = values.sort;
  if (typeof values.limit === 'string') {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new UsageError(`--limit must be a whole number from 1 to 1000, got ${values.limit}`);
    query.limit = limit;
  }
  const { total, rows } = store.listRuns(query);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ total, rows })}\n`);
    return 0;
  }
  if (rows.length === 0) {
    process.stdout.write(total === 0 ? 'no runs\n' : `no runs on this page of ${total}\n`);
    return 0;
  }
  const lines = rows.map((row) => [row.id, row.status, formatDate(row.createdAt), testFigure(row, 'kan'), testFigure(row, 'mlp'), row.name]);
  process.stdout.write(table(['id', 'status', 'created', 'KAN test', 'MLP test', 'name'], lines));
  if (total > rows.length) process.stdout.write(`(${rows.length} of ${total}; use --limit)\n`);
  return 0;
}

function showRun(store: ExperimentStore, run: RunDetail, json: boolean): number {
  if (json) {
    process.stdout.write(`${JSON.stringify(run)}\n`);
    return 0;
  }
  const out: string[] = [
    `run       ${run.id}`,
    `name      ${run.name}`,
    `status    ${run.status}${run.error ? ` (${run.error})` : ''}`,
    `created   ${formatDate(run.createdAt)}${run.finishedAt ? `, finished ${formatDate(run.finishedAt)}` : ''}`,
    `data      ${run.datasetId ? `dataset ${run.datasetId}` : 'formula'} (sha256 ${run.datasetHash.slice(0, 12)})`,
    `seed      ${run.seed}, backend ${run.backend}, KAN Workbench ${run.appVersion}`,
  ];
  if (run.parentRunId) out.push(`branched  from run ${run.parentRunId} at step ${run.parentStep}`);
  if (run.tags.length) out.push(`tags      ${run.tags.join(', ')}`);
  if (run.note) out.push(`note      ${run.note.replace(/\s*\n\s*/g, ' ')}`);
  process.stdout.write(`${out.join('\n')}\n\n`);
  if (run.steps.length === 0) {
    process.stdout.write('no finished steps\n');
  } else {
    const rows = run.steps.map((step) => {
      const metrics = step.metrics as { kan?: Record<string, unknown>; mlp?: Record<string, unknown> | null };
      return [String(step.idx), step.kind, step.seconds.toFixed(2), String(metrics.kan?.params ?? '-'), modelFigure(metrics.kan), modelFigure(metrics.mlp ?? undefined)];
    });
    process.stdout.write(table(['step', 'kind', 'seconds', 'KAN params', 'KAN test', 'MLP test'], rows));
  }
  for (const formula of store.getFormulas(run.id).filter((f) => f.stepIdx === run.steps[run.steps.length - 1]?.idx)) {
    process.stdout.write(`formula y${formula.outputIdx + 1} = ${formula.text}\n`);
  }
  return 0;
}

/** An exact id, or a unique prefix of one. */
function resolveRun(store: ExperimentStore, id: string): RunDetail {
  const exact = store.getRun(id);
  if (exact) return exact;
  const matches = id.length >= 4 ? store.findRunIds(id, 2) : [];
  if (matches.length === 1) return store.getRun(matches[0]!)!;
  if (matches.length > 1) throw new UsageError(`the id prefix "${id}" matches several runs; type more of the id`);
  throw new UsageError(`no run has the id "${id.slice(0, 100)}"; \`kanbench runs list\` shows the ids${id.length < 4 ? ' (a shortened id needs at least 4 characters)' : ''}`);
}

function testFigure(row: RunSummaryRow, model: 'kan' | 'mlp'): string {
  const rmse = row.summary[`${model}TestRmse`];
  if (typeof rmse === 'number') return `rmse ${formatNumber(rmse)}`;
  const accuracy = row.summary[`${model}TestAccuracy`];
  if (typeof accuracy === 'number') return `acc ${formatNumber(accuracy)}`;
  return '-';
}

function modelFigure(metrics: Record<string, unknown> | undefined): string {
  if (!metrics) return '-';
  if (metrics.status === 'not trained') return 'not trained';
  if (typeof metrics.testRmse === 'number') return `rmse ${formatNumber(metrics.testRmse)}`;
  if (typeof metrics.testAccuracy === 'number') return `acc ${formatNumber(metrics.testAccuracy)}`;
  return '-';
}

export function formatDate(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
}

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((row) => (row[c] ?? '').length)));
  const line = (cells: string[]): string => cells.map((cell, c) => (c === cells.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}
