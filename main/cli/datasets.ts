/** `kanbench datasets [list|delete ID]`: the stored datasets from the command line. */
import { parseArgs } from 'node:util';

import { openStore, openStoreForReading, type DatasetRecord, type ExperimentStore } from '../store';
import { resolveStoreLocation } from '../services/paths';
import { UsageError } from './errors';
import { formatDate, table } from './runs';

const USAGE = `usage: kanbench datasets [list] [--json] [--db PATH]
       kanbench datasets delete ID [--db PATH]`;

export async function datasetsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, db: { type: 'string' } },
  });
  const [sub = 'list', ...rest] = positionals;
  if (sub !== 'list' && sub !== 'delete') throw new UsageError(`unknown datasets command "${sub}"\n${USAGE}`);
  if (sub === 'list' ? rest.length > 0 : rest.length !== 1) throw new UsageError(USAGE);
  const file = resolveStoreLocation({ db: values.db }).dbPath;
  const store = sub === 'list' ? openStoreForReading(file) : openStore(file);
  try {
    if (sub === 'delete') {
      const dataset = resolveDataset(store, rest[0]!);
      store.deleteDataset(dataset.id);
      process.stdout.write(`deleted dataset ${dataset.id} (${dataset.name})\n`);
      return 0;
    }
    const datasets = store.listDatasets();
    if (values.json) process.stdout.write(`${JSON.stringify(datasets)}\n`);
    else if (datasets.length === 0) process.stdout.write('no datasets\n');
    else {
      const rows = datasets.map((d) => [d.id, d.kind, String(d.rows), formatBytes(d.size), formatDate(d.createdAt), d.name]);
      process.stdout.write(table(['id', 'kind', 'rows', 'size', 'created', 'name'], rows));
    }
    return 0;
  } finally {
    store.close();
  }
}

function resolveDataset(store: ExperimentStore, id: string): DatasetRecord {
  const exact = store.getDataset(id);
  if (exact) return exact;
  const matches = id.length >= 4 ? store.listDatasets().filter((d) => d.id.startsWith(id)) : [];
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new UsageError(`the id prefix "${id}" matches several datasets; type more of the id`);
  throw new UsageError(`no dataset has the id "${id.slice(0, 100)}"; \`kanbench datasets\` lists them`);
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
