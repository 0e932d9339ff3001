// Builds the Node side (CLI, worker, Electron main + preload, bench) with esbuild, and the renderer with Vite.
// `node scripts/build.mjs` builds everything; `node scripts/build.mjs main` only the Node side.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv[2];
const external = ['better-sqlite3', 'electron', 'gpu.js', 'ws', 'gl', 'webgpu'];

const nodeEntries = [
  ['main/cli/index.ts', 'dist/main/cli.js'],
  ['main/training/worker.ts', 'dist/main/worker.js'],
  ['main/services/csv-worker.ts', 'dist/main/csv-worker.js'],
  ['main/electron/launch.ts', 'dist/main/launch.js'],
  ['bench/index.ts', 'dist/bench/index.js'],
  // Worker threads of the compute backends, started by file.
  ['main/compute/threads-worker.ts', 'dist/main/threads-worker.mjs'],
  ['main/compute/device-worker.ts', 'dist/main/device-worker.mjs'],
].filter(([src]) => existsSync(path.join(root, src)));

await Promise.all(nodeEntries.map(([src, out]) => build({
  entryPoints: [path.join(root, src)],
  outfile: path.join(root, out),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external,
  banner: { js: "import { createRequire as __kbCreateRequire } from 'node:module'; const require = __kbCreateRequire(import.meta.url);" },
  logLevel: 'warning',
})));

// Electron loads main and preload as CommonJS; the packaged app's worker is CommonJS too, as it lives outside the asar
// where no package.json says "type": "module".
const electronEntries = [
  ['main/electron/main.ts', 'dist/main/electron-main.cjs'],
  ['main/electron/preload.ts', 'dist/main/preload.cjs'],
  ['main/training/worker.ts', 'dist/main/worker.cjs'],
  ['main/services/csv-worker.ts', 'dist/main/csv-worker.cjs'],
].filter(([src]) => existsSync(path.join(root, src)));
await Promise.all(electronEntries.map(([src, out]) => build({
  entryPoints: [path.join(root, src)],
  outfile: path.join(root, out),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: true,
  external,
  // Code shared with the ESM bundles finds its files through import.meta.url; in CommonJS that is this file's URL.
  define: { 'import.meta.url': '__kbImportMetaUrl' },
  banner: { js: "const __kbImportMetaUrl = require('node:url').pathToFileURL(__filename).href;" },
  logLevel: 'warning',
})));

if (only !== 'main' && existsSync(path.join(root, 'renderer/index.html'))) {
  const vite = spawnSync(process.execPath, [path.join(root, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  if (vite.status !== 0) process.exit(vite.status ?? 1);
}
