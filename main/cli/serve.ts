/**
 * `kanbench serve`: the workbench in a browser. Starts the services and the web host on 127.0.0.1, prints the address
 * with its fresh access token on stdout, and runs until interrupted (runs still training are then marked interrupted).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { resolveStoreLocation } from '../services/paths';
import { UsageError } from './errors';

const USAGE = 'usage: kanbench serve [--port N] [--db PATH]';

export async function serveCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { port: { type: 'string' }, db: { type: 'string' } } });
  if (positionals.length > 0) throw new UsageError(USAGE);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535 (0 picks a free port), got ${values.port}`);

  const [{ startBackend }, { startWebHost }] = await Promise.all([import('../services/backend'), import('../web/server')]);
  // The bundle lives in dist/main; the worker beside it, the built page in dist/renderer.
  const here = path.dirname(fileURLToPath(import.meta.url));
  const rendererDir = path.resolve(here, '..', 'renderer');
  const location = resolveStoreLocation({ db: values.db });
  const backend = startBackend({ dbPath: location.dbPath, settingsFile: location.settingsFile, workerFile: path.join(here, 'worker.js') });
  let web;
  try {
    web = await startWebHost({ api: backend.api, events: backend.events, rendererDir, port });
  } catch (error) {
    await backend.close();
    throw error;
  }
  process.stderr.write(`experiment store: ${backend.store.path}\n`);
  if (backend.interruptedAtStart > 0) process.stderr.write(`${backend.interruptedAtStart} run(s) left unfinished by an earlier session were marked interrupted\n`);
  if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
    process.stderr.write(`the workbench page is not built (no ${rendererDir}); run \`npm run build\` for the page; the API is served meanwhile\n`);
  }
  process.stdout.write(`${web.url}\n`);

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  process.stderr.write('stopping\n');
  await web.close();
  await backend.close();
  return 0;
}
