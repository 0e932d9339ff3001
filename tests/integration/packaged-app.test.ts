// Packages the Linux app (electron-builder's `dir` target, against a placeholder Electron distribution) and checks the
// package: every file the packaged code loads lies where that code looks for it, nothing else ships, the fuses are set,
// and the packaged main process, run under Node from the packaged layout, serves its page and trains on every CPU backend.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

import asar from '@electron/asar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { KERNELS_WASM_BASE64 } from '../../app/compute/wasm/kernels-wasm';
import { bundle, repoRoot } from './helpers/bundle';

/** What @electron/fuses looks for in an Electron binary; the fuse wire (version 1, then one byte per fuse) follows it. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSES = ['RunAsNode', 'EnableCookieEncryption', 'EnableNodeOptionsEnvironmentVariable', 'EnableNodeCliInspectArguments', 'EnableEmbeddedAsarIntegrityValidation', 'OnlyLoadAppFromAsar', 'LoadBrowserProcessSpecificV8Snapshot', 'GrantFileProtocolExtraPrivileges'] as const;
/** Electron's own defaults, which the stub binary starts from ('1' on, '0' off). */
const DEFAULT_WIRE = '10110001';
const CPU_BACKENDS = ['reference', 'wasm', 'gpujs-webasm', 'gpujs-cpu', ...(os.availableParallelism() >= 2 ? ['threads', 'threads-wasm'] : [])];
const WORKERS = ['worker.cjs', 'threads-worker.mjs', 'device-worker.mjs'];
/** The placeholder distribution is a Linux one (an `electron` executable, not Electron.app or electron.exe). */
const onLinux = process.platform === 'linux' && process.arch === 'x64';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-package-'));
let appOutDir = '';
let resources = '';
let inAsar = '';
let unpacked = '';

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Why the built dist/ cannot be packaged as it is (missing, or older than a source file it is built from), or null. */
function staleBuild(): string | null {
  const groups = [
    { outputs: ['dist/main/electron-main.cjs', 'dist/main/preload.cjs', 'dist/main/device-preload.cjs', ...WORKERS.map((w) => `dist/main/${w}`)], sources: ['app', 'main'] },
    { outputs: ['dist/renderer/index.html', 'dist/renderer/device/device.js'], sources: ['app', 'renderer'] },
  ];
  for (const { outputs, sources } of groups) {
    const missing = outputs.find((file) => !fs.existsSync(path.join(repoRoot, file)));
    if (missing) return `${missing} is missing`;
    const built = Math.min(...outputs.map((file) => fs.statSync(path.join(repoRoot, file)).mtimeMs));
    for (const folder of sources) {
      for (const file of fs.readdirSync(path.join(repoRoot, folder), { recursive: true, encoding: 'utf8' })) {
        if (fs.statSync(path.join(repoRoot, folder, file)).mtimeMs > built) return `${folder}/${file} is newer than ${outputs[0]}`;
      }
    }
  }
  return null;
}

/** A stand-in for Electron's distribution: an executable carrying a fuse wire, and an empty resources folder. */
function placeholderElectron(dir: string): void {
  fs.mkdirSync(path.join(dir, 'resources'), { recursive: true });
  const wire = Buffer.concat([Buffer.from(FUSE_SENTINEL), Buffer.from([1, DEFAULT_WIRE.length]), Buffer.from(DEFAULT_WIRE)]);
  fs.writeFileSync(path.join(dir, 'electron'), Buffer.concat([Buffer.from('#!/bin/sh\nexit 0\n# '), wire, Buffer.from('\n')]), { mode: 0o755 });
}

interface AsarDirectory {
  files: Record<string, AsarDirectory | { unpacked?: boolean }>;
}

/**
 * Replaces each extracted file the archive marks unpacked by a link to its copy in app.asar.unpacked: Electron reads such
 * a file from there, so it is missing for the main process too when it is missing there.
 */
function linkUnpacked(directory: AsarDirectory, extracted: string, unpackedRoot: string): void {
  for (const [name, entry] of Object.entries(directory.files)) {
    if ('files' in entry) linkUnpacked(entry, path.join(extracted, name), path.join(unpackedRoot, name));
    else if (entry.unpacked) {
      fs.rmSync(path.join(extracted, name));
      fs.symlinkSync(path.join(unpackedRoot, name), path.join(extracted, name));
    }
  }
}

/** The real files under a folder, not the links to app.asar.unpacked. */
function filesUnder(root: string): string[] {
  return fs.readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => fs.lstatSync(path.join(root, file)).isFile());
}

beforeAll(() => {
  if (!onLinux) return;
  const stale = staleBuild();
  if (stale) throw new Error(`the packaged-app test packs dist/ as built, and ${stale}: run \`npm run build\` first`);
  const electronDist = path.join(tmp, 'electron-dist');
  placeholderElectron(electronDist);
  const builder = spawnSync(process.execPath, [
    path.join(repoRoot, 'node_modules', 'electron-builder', 'cli.js'), '--linux', 'dir', '--x64', '--projectDir', repoRoot,
    `--config.electronDist=${electronDist}`, '--config.npmRebuild=false', `--config.directories.output=${path.join(tmp, 'out')}`,
  ], { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  if (builder.status !== 0) throw new Error(`electron-builder failed:\n${builder.stdout}\n${builder.stderr}`);
  appOutDir = path.join(tmp, 'out', 'linux-unpacked');
  resources = path.join(appOutDir, 'resources');
  unpacked = path.join(resources, 'app.asar.unpacked');
  const archive = path.join(resources, 'app.asar');
  const sizes = { asar: fs.statSync(archive).size, unpacked: filesUnder(unpacked).reduce((sum, file) => sum + fs.statSync(path.join(unpacked, file)).size, 0) };
  console.log(`packaged app: app.asar ${(sizes.asar / 2 ** 20).toFixed(1)} MiB, app.asar.unpacked ${(sizes.unpacked / 2 ** 20).toFixed(1)} MiB`);
  // Laid out where Electron reads it: the archive's files under resources/app.asar/, the unpacked ones beside it.
  const extracted = path.join(tmp, 'extracted');
  asar.extractAll(archive, extracted);
  linkUnpacked(asar.getRawHeader(archive).header as AsarDirectory, extracted, unpacked);
  fs.rmSync(archive);
  fs.renameSync(extracted, archive);
  inAsar = archive;
}, 120_000);

describe.skipIf(!onLinux)('the packaged app (Linux x64 only: it packs against a placeholder Linux Electron)', () => {
  it('holds every file its code loads, where that code looks for it', () => {
    const packageJson = JSON.parse(fs.readFileSync(path.join(inAsar, 'package.json'), 'utf8')) as { main: string };
    expect(packageJson.main).toBe('dist/main/electron-main.cjs');
    expect(fs.existsSync(path.join(inAsar, packageJson.main))).toBe(true);
    expect(fs.existsSync(path.join(inAsar, 'dist/main/preload.cjs'))).toBe(true);
    expect(fs.existsSync(path.join(inAsar, 'dist/main/device-preload.cjs'))).toBe(true);
    const renderer = filesUnder(path.join(repoRoot, 'dist/renderer')).filter((file) => !file.endsWith('.map'));
    expect(renderer).toEqual(expect.arrayContaining(['index.html', path.join('device', 'index.html'), path.join('device', 'device.js')]));
    for (const file of renderer) expect(fs.existsSync(path.join(inAsar, 'dist/renderer', file)), `dist/renderer/${file}`).toBe(true);

    // Worker threads start from real files, and Node resolves what they import from there: app.asar.unpacked.
    for (const worker of WORKERS) expect(fs.existsSync(path.join(unpacked, 'dist/main', worker)), worker).toBe(true);
    const fromWorkers = createRequire(path.join(unpacked, 'dist/main/device-worker.mjs'));
    expect(fromWorkers.resolve('gpu.js')).toBe(path.join(unpacked, 'node_modules/gpu.js/src/index.js'));
    expect(fromWorkers.resolve('webgpu')).toBe(path.join(unpacked, 'node_modules/webgpu/index.js'));
    expect(fs.existsSync(path.join(unpacked, 'node_modules/webgpu/dist/linux-x64.dawn.node'))).toBe(true);
    // The main process (inside the asar) loads better-sqlite3, whose addon must be a real file.
    const fromMain = createRequire(path.join(inAsar, packageJson.main));
    expect(fromMain.resolve('better-sqlite3')).toBe(path.join(unpacked, 'node_modules/better-sqlite3/lib/index.js'));
    expect(fs.existsSync(path.join(unpacked, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node'))).toBe(true);
    // The WebAssembly kernels travel inside the bundles that run them.
    for (const bundleFile of [path.join(inAsar, packageJson.main), path.join(unpacked, 'dist/main/worker.cjs'), path.join(unpacked, 'dist/main/threads-worker.mjs')]) {
      expect(fs.readFileSync(bundleFile, 'utf8').includes(KERNELS_WASM_BASE64), `${path.basename(bundleFile)} embeds the wasm kernels`).toBe(true);
    }
  });

  it('ships no sources, source maps, tests, build leftovers or binaries for other platforms', () => {
    const shipped = [...filesUnder(inAsar), ...filesUnder(unpacked)].map((file) => file.split(path.sep).join('/'));
    const unwanted = shipped.filter((file) =>
      /\.(ts|mts|cts|tsx|vue|c|cc|cpp|h|hpp|gyp|gypi|map|mk|o|a|obj|pdb|dll|dylib|exe)$/.test(file)
      || /(^|\/)(tests?|__tests__|deps|benchmarks?|examples?)\//.test(file)
      || /\.(test|spec)\.[cm]?js$|test_extension/.test(file)
      || (file.endsWith('.node') && !/(^|\/)(better_sqlite3|linux-x64\.dawn)\.node$/.test(file)));
    expect(unwanted).toEqual([]);
    expect(shipped.filter((file) => /^(app|main|renderer|tests|bench|scripts)\//.test(file))).toEqual([]);
    expect(shipped.some((file) => file.startsWith('node_modules/mathjs/'))).toBe(false);
  });

  it('flips the Electron fuses', () => {
    const binary = fs.readFileSync(path.join(appOutDir, 'kan-workbench'));
    const at = binary.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
    const wire = binary.subarray(at + 2, at + 2 + binary[at + 1]!).toString('latin1');
    const fuses = Object.fromEntries(FUSES.map((name, i) => [name, wire[i] === '1']));
    expect(fuses).toEqual({
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      LoadBrowserProcessSpecificV8Snapshot: false,
      GrantFileProtocolExtraPrivileges: false,
    });
  });

  it('starts its main process from the packaged layout: serves the page, bridges the API, trains on every CPU backend', async () => {
    const harness = await bundle({ 'tests/integration/helpers/packaged-main.ts': 'packaged-main.js', 'tests/integration/helpers/asar-guard.ts': 'asar-guard.js' });
    const userData = fs.mkdtempSync(path.join(tmp, 'user-'));
    // Outside the repository, so nothing resolves from its node_modules or its sources; without NODE_PATH for the same reason.
    const { NODE_PATH: _unused, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--import', harness.file('asar-guard.js'), harness.file('packaged-main.js'), resources, userData, ...CPU_BACKENDS], {
      cwd: userData, env, encoding: 'utf8', timeout: 90_000,
    });
    harness.remove();
    expect(run.status, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as {
      loadedUrl: string; platform: string; storePath: string;
      pages: { url: string; status: number; bytes: number }[];
      backends: { name: string; available: boolean; reason?: string }[];
      timings: { name: string; secondsPerStep: number | null; error?: string }[];
      runs: { requested: string; status: string; error: string | null; recordedBackend: string; steps: number }[];
    };
    expect(report.loadedUrl).toBe('app://kanbench/index.html');
    expect(report.platform).toBe('electron');
    expect(report.storePath).toBe(path.join(userData, 'experiments.db'));
    expect(report.pages.length).toBeGreaterThan(2);
    for (const page of report.pages) expect(page, page.url).toMatchObject({ status: 200, bytes: expect.any(Number) });
    expect(report.pages.every((page) => page.bytes > 0)).toBe(true);

    const available = Object.fromEntries(report.backends.map((b) => [b.name, b]));
    for (const name of CPU_BACKENDS) expect(available[name], name).toMatchObject({ available: true });
    // A GPU backend may be unavailable on this machine, but never because its code is missing from the package.
    for (const backend of report.backends) expect(backend.reason ?? '', backend.name).not.toMatch(/Cannot find (module|package)|is missing|not built|inside app\.asar/);
    // The training worker's own view: every CPU backend measured (timed, or dropped after a first call clearly slower
    // than the reference), no backend refused for want of a file.
    const timed = Object.fromEntries(report.timings.map((t) => [t.name, t]));
    for (const name of CPU_BACKENDS) {
      const timing = timed[name];
      expect(timing, name).toBeDefined();
      expect(timing!.secondsPerStep !== null ? 'timed' : timing!.error, name).toMatch(/^(timed|clearly slower)/);
    }
    for (const timing of report.timings) expect(timing.error ?? '', timing.name).not.toMatch(/Cannot find (module|package)|is missing|not built|inside app\.asar/);
    expect(report.runs).toEqual(CPU_BACKENDS.map((name) => ({ requested: name, status: 'done', error: null, recordedBackend: name, steps: 1 })));
  }, 120_000);
});
