/**
 * Where the compute workers' JavaScript comes from: the bundle built next to the running code (dist/main/<name>.mjs,
 * built by scripts/build.mjs), or, when running from source (tests, development), the TypeScript entry bundled on the
 * fly with esbuild into node_modules/.cache, once per process (removed when it exits).
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { unpackedPath } from '../unpacked-path';

export type WorkerName = 'threads-worker' | 'device-worker';

const builds = new Map<WorkerName, Promise<string>>();

/** Absolute path of a runnable worker script, or a rejection saying how to make one. */
export function workerScript(name: WorkerName): Promise<string> {
  let build = builds.get(name);
  if (!build) {
    build = locate(name);
    builds.set(name, build);
    build.catch(() => builds.delete(name));
  }
  return build;
}

async function locate(name: WorkerName): Promise<string> {
  const here = hereFolder();
  // ESM bundles (.mjs: the packaged app has no package.json "type" next to them); top-level await needs ESM. In the
  // packaged app the main process runs from inside app.asar, but a worker thread must start from a real file, whose
  // imports (gpu.js, webgpu) Node then resolves from app.asar.unpacked/node_modules.
  const built = unpackedPath(path.join(here, `${name}.mjs`));
  if (existsSync(built)) return built;
  // From source: this file is main/compute/worker-script.ts; from a bundle in dist/main the sources are at
  // ../../main/compute; from a bundle elsewhere (bench/gpu-check.sh) they are under the working folder, the project root.
  const source = [
    path.join(here, `${name}.ts`),
    path.join(here, '..', '..', 'main', 'compute', `${name}.ts`),
    path.join(process.cwd(), 'main', 'compute', `${name}.ts`),
  ].find((file) => existsSync(file));
  if (!source) throw new Error(`the ${name} script is missing: neither ${built} nor its TypeScript source exists; run \`npm run build\``);
  let esbuild: { build(options: Record<string, unknown>): Promise<unknown> };
  try {
    // A computed specifier, so that bundling this file does not pull esbuild itself into the bundle.
    const builder = 'esbuild';
    esbuild = (await import(builder)) as typeof esbuild;
  } catch {
    throw new Error(`the ${name} script is not built (${built}) and esbuild is not installed to build it from source; run \`npm run build\``);
  }
  // Inside the project's node_modules, so that the bundle's external packages (gpu.js, webgpu) resolve from it.
  const root = path.resolve(path.dirname(source), '..', '..');
  const folder = cacheFolder(root);
  removeOrphans(folder);
  const outfile = path.join(folder, `${name}-${process.pid}.mjs`);
  await esbuild.build({
    entryPoints: [source],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    external: ['gpu.js', 'gl', 'webgpu', 'electron'],
    banner: { js: "import { createRequire as __kbCreateRequire } from 'node:module'; const require = __kbCreateRequire(import.meta.url);" },
    logLevel: 'silent',
  });
  process.once('exit', () => rmSync(outfile, { force: true }));
  return outfile;
}

/** The folder of the running code: CommonJS bundles (Electron's main, its training worker) have __dirname, ES modules import.meta. */
function hereFolder(): string {
  if (typeof __dirname === 'string') return __dirname;
  return path.dirname(fileURLToPath(import.meta.url));
}

/** Bundles left by processes that ended without running their exit handlers (killed test workers). */
function removeOrphans(folder: string): void {
  for (const file of readdirSync(folder)) {
    const pid = /^(?:threads|device)-worker-(\d+)\.mjs$/.exec(file)?.[1];
    if (pid && Number(pid) !== process.pid && !isRunning(Number(pid))) rmSync(path.join(folder, file), { force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function cacheFolder(root: string): string {
  const folder = path.join(root, 'node_modules', '.cache', 'kanbench-workers');
  try {
    mkdirSync(folder, { recursive: true });
    return folder;
  } catch {
    return os.tmpdir();
  }
}
