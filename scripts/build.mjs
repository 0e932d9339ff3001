// Builds the Node side (CLI, worker, Electron main + preload, bench) and the compute device page with esbuild, and the
// renderer with Vite.
// `node scripts/build.mjs` builds everything; `node scripts/build.mjs main` only the Node side.
import { build as esbuild } from 'esbuild';
import { copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv[2];
// esbuild and playwright-core: the chromium bench suite bundles a page and starts a browser with them (dev dependencies).
const external = ['better-sqlite3', 'electron', 'gpu.js', 'ws', 'gl', 'webgpu', 'esbuild', 'playwright-core'];

/**
 * esbuild, with each output written to a temporary name and renamed over the old file: tests that rebuild dist/main
 * run beside tests that read it (the packaged-app test packs it), and a reader must see the old file or the new one,
 * never one half written.
 */
async function build(options) {
  const result = await esbuild({ ...options, write: false });
  for (const output of result.outputFiles) {
    mkdirSync(path.dirname(output.path), { recursive: true });
    const staged = `${output.path}.${process.pid}.tmp`;
    writeFileSync(staged, output.contents);
    renameSync(staged, output.path);
  }
  return result;
}

/**
 * math.js's package entry creates every one of its functions when it loads (about 0.4 s). Formula datasets, the symbolic
 * library (which the recipe schema imports for its names and custom functions) and its math.js instance need only
 * `create`, the factories and the node type checks, so in the Node bundles these files take them from their own files:
 * an instance made by `create` builds a function when it is first used, so a recipe without custom functions builds
 * none at parse time, and a run that never turns a model into a formula never loads the rest. Same files, same numbers.
 */
const mathjsEsm = path.join(root, 'node_modules/mathjs/lib/esm');
const slimImporters = new Set(['app/data/formula.ts', 'app/symbolic/library.ts', 'app/symbolic/math.ts'].map((file) => path.join(root, file)));
const slimMathjs = [
  `export { create } from ${JSON.stringify(path.join(mathjsEsm, 'core/create.js'))};`,
  `export { factory } from ${JSON.stringify(path.join(mathjsEsm, 'utils/factory.js'))};`,
  `export { all } from ${JSON.stringify(path.join(mathjsEsm, 'entry/allFactoriesAny.js'))};`,
  `export { isConstantNode, isFunctionNode, isOperatorNode, isParenthesisNode, isSymbolNode } from ${JSON.stringify(path.join(mathjsEsm, 'utils/is.js'))};`,
].join('\n');
const formulaMathjs = {
  name: 'formula-mathjs',
  setup(b) {
    b.onResolve({ filter: /^mathjs$/ }, (args) => (slimImporters.has(args.importer) ? { path: 'formula-mathjs', namespace: 'formula-mathjs' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'formula-mathjs' }, () => ({ contents: slimMathjs, resolveDir: root }));
  },
};

/**
 * The CLI loads even the slim math.js (1.4 MB of code, a tenth of a second to read and compile) only when a command uses
 * it: a recipe whose formula is plain arithmetic (app/data/formula-arithmetic.ts) and that has no custom function never
 * does. The three files' math.js is then a small module that requires CLI_MATHJS (the same exports, bundled as CommonJS
 * beside the CLI) on its first call; \`all\` stands for math.js's own until create() is given it.
 */
const CLI_MATHJS = 'cli-mathjs.cjs';
const lazyFormulaMathjs = {
  name: 'lazy-formula-mathjs',
  setup(b) {
    b.onResolve({ filter: /^mathjs$/ }, (args) => (slimImporters.has(args.importer) ? { path: 'lazy-formula-mathjs', namespace: 'lazy-formula-mathjs' } : undefined));
    b.onResolve({ filter: new RegExp(`^\\./${CLI_MATHJS.replace('.', '\\.')}$`) }, (args) => ({ path: args.path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-formula-mathjs' }, () => ({
      contents: [
        'let loaded = null;',
        `const mathjs = () => (loaded ??= require('./${CLI_MATHJS}'));`,
        'export const all = Object.freeze({});',
        'export const create = (factories, config) => mathjs().create(factories === all ? mathjs().all : factories, config);',
        'export const factory = (...args) => mathjs().factory(...args);',
        ...['isConstantNode', 'isFunctionNode', 'isOperatorNode', 'isParenthesisNode', 'isSymbolNode'].map((name) => `export const ${name} = (node) => mathjs().${name}(node);`),
      ].join('\n'),
      resolveDir: root,
    }));
  },
};

const nodeEntries = [
  ['main/training/worker.ts', 'dist/main/worker.js'],
  ['main/services/csv-worker.ts', 'dist/main/csv-worker.js'],
  ['main/electron/launch.ts', 'dist/main/launch.js'],
  ['bench/index.ts', 'dist/bench/index.js'],
  // Worker threads of the compute backends, started by file.
  ['main/compute/threads-worker.ts', 'dist/main/threads-worker.mjs'],
  ['main/compute/device-worker.ts', 'dist/main/device-worker.mjs'],
].filter(([src]) => existsSync(path.join(root, src)));

/** Options of every ESM bundle for Node: the externals, a `require` for the bundled CommonJS, the slim math.js. */
const nodeEsm = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  external,
  banner: { js: "import { createRequire as __kbCreateRequire } from 'node:module'; const require = __kbCreateRequire(import.meta.url);" },
  plugins: [formulaMathjs],
  logLevel: 'warning',
};

await Promise.all(nodeEntries.map(([src, out]) => build({ ...nodeEsm, entryPoints: [path.join(root, src)], outfile: path.join(root, out) })));

// The CLI is split into chunks loaded by its commands' import() calls, so a command parses only the code it runs
// (`kanbench --help` would otherwise compile the whole 3 MB bundle). The chunks sit beside cli.js, so that code finding
// files through import.meta.url sees the same folder as before. Chunks of earlier builds are removed afterwards (not
// before: tests build in parallel, and a chunk a running CLI needs must never be missing).
const mainOut = path.join(root, 'dist/main');
const cliBuild = await build({
  ...nodeEsm,
  plugins: [lazyFormulaMathjs],
  entryPoints: { cli: path.join(root, 'main/cli/index.ts') },
  outdir: mainOut,
  splitting: true,
  chunkNames: 'cli-chunk-[hash]',
  metafile: true,
});
await build({
  stdin: { contents: slimMathjs, resolveDir: root, sourcefile: 'cli-mathjs-entry.js' },
  outfile: path.join(mainOut, CLI_MATHJS),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  logLevel: 'warning',
});
const cliOutputs = new Set(Object.keys(cliBuild.metafile.outputs).map((file) => path.basename(file)));
for (const file of readdirSync(mainOut)) if (file.startsWith('cli-chunk-') && !cliOutputs.has(file)) rmSync(path.join(mainOut, file), { force: true });

// Electron loads main and preload as CommonJS; the packaged app's worker is CommonJS too, as it lives outside the asar
// where no package.json says "type": "module".
const electronEntries = [
  ['main/electron/main.ts', 'dist/main/electron-main.cjs'],
  ['main/electron/preload.ts', 'dist/main/preload.cjs'],
  ['main/electron/device-preload.ts', 'dist/main/device-preload.cjs'],
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

// The compute device page (a hidden window in Electron, headless Chromium in tests and bench/gpu-check.sh): its own
// small browser bundle, with gpu.js inside, beside a static page, served as the renderer's device/ folder (app:// in
// Electron, the web host in browser mode). Built after Vite, which empties dist/renderer, and with the Node side too.
const deviceOut = path.join(root, 'dist/renderer/device');
await build({
  entryPoints: [path.join(root, 'renderer/device/device.ts')], outfile: path.join(deviceOut, 'device.js'), bundle: true, platform: 'browser',
  format: 'iife', target: 'es2022', minify: true, sourcemap: true, logLevel: 'warning',
});
copyFileSync(path.join(root, 'renderer/device/index.html'), path.join(deviceOut, 'index.html'));
