// The e2e harness: the CLI, its worker and the page built into a private folder laid out as dist/ is (so other test
// files that rebuild dist/ at the same time cannot pull files from under the running server), `kanbench serve` started
// from it on a fresh store, and API calls over the server's WebSocket.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { bundle } from '../../integration/helpers/bundle';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** dir/main/{cli,worker}.js and dir/renderer, as scripts/build.mjs lays out dist/. */
export async function buildApp(): Promise<{ cli: string; remove: () => void }> {
  const built = await bundle({ 'main/cli/index.ts': 'main/cli.js', 'main/training/worker.ts': 'main/worker.js' });
  const vite = spawnSync(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--outDir', path.join(built.dir, 'renderer'), '--emptyOutDir', '--logLevel', 'warn'], { cwd: ROOT, encoding: 'utf8' });
  if (vite.status !== 0) {
    built.remove();
    throw new Error(`vite build failed:\n${vite.stdout}\n${vite.stderr}`);
  }
  return { cli: built.file('main/cli.js'), remove: built.remove };
}

/**
 * Runs `kanbench serve` from the private build through a launcher file that does what bin/kanbench.cjs does for dist/
 * (a file, not `node -e`: worker threads inherit the process's flags, and --input-type would break them).
 */
export function startServer(cli: string, dbPath: string): Promise<{ process: ChildProcess; url: string }> {
  const launcher = path.join(path.dirname(cli), 'kanbench.js');
  fs.writeFileSync(launcher, `import { main } from ${JSON.stringify(pathToFileURL(cli).href)};\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  const child = spawn(process.execPath, [launcher, 'serve', '--port', '0', '--db', dbPath], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`kanbench serve printed no address within 30 s; stderr: ${stderr}`)), 30_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /http:\/\/127\.0\.0\.1:\d+\/\?token=\S+/.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ process: child, url: match[0] });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`kanbench serve exited with ${code}; stderr: ${stderr}`));
    });
  });
}

/**
 * Calls one API operation of the server at appUrl over a WebSocket of its own (the same wire messages as the page) and
 * returns the result and the time it took.
 */
export async function callApi(appUrl: string, op: string, payload: unknown): Promise<{ result: unknown; ms: number }> {
  const url = new URL(appUrl);
  const ws = new WebSocket(`ws://${url.host}/api${url.search}`);
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  try {
    const t0 = performance.now();
    const reply = await new Promise<{ ok: boolean; result?: unknown; error?: { message: string } }>((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as { id?: number; ok: boolean; result?: unknown; error?: { message: string } };
        if (message.id === 1) resolve(message);
      });
      ws.send(JSON.stringify({ v: 1, id: 1, op, payload }));
    });
    const ms = performance.now() - t0;
    if (!reply.ok) throw new Error(`${op}: ${reply.error?.message}`);
    return { result: reply.result, ms };
  } finally {
    ws.close();
  }
}

