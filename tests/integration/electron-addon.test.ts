// Tests the copy of better-sqlite3's addon that `npm start` keeps for Electron, through the Node build path (building
// for Electron needs its headers or its prebuilt addon from the internet): where it lives, how it is built beside the
// Node build without touching it, that the store loads it through nativeBinding, and that the launcher uses it.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

import { buildElectronAddon, electronAddonFile, unpackagedAddon } from '../../main/electron/electron-addon';
import { startBackend } from '../../main/services/backend';
import { openStore } from '../../main/store';
import { repoRoot } from './helpers/bundle';

const nodeAddon = path.join(repoRoot, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
const version = `0.0.0-test-${process.pid}`;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-addon-'));

afterAll(() => {
  fs.rmSync(path.dirname(electronAddonFile(repoRoot, version)), { recursive: true, force: true });
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** What a rebuild for Node leaves in the scratch copy: the addon built for this runtime (here, the one npm ci built). */
async function nodeBuild(buildPath: string): Promise<void> {
  const copy = path.join(buildPath, 'node_modules', 'better-sqlite3');
  fs.mkdirSync(path.join(copy, 'build', 'Release'), { recursive: true });
  fs.copyFileSync(nodeAddon, path.join(copy, 'build', 'Release', 'better_sqlite3.node'));
}

describe("better-sqlite3's addon for Electron", () => {
  it('is built from a scratch copy of the package into its own place, leaving the Node build alone', async () => {
    const before = fs.statSync(nodeAddon);
    expect(unpackagedAddon(repoRoot, version)).toBeUndefined();
    const seen: { sources: string[]; manifest: unknown; electronVersion: string }[] = [];
    const file = await buildElectronAddon(repoRoot, version, async (buildPath, electronVersion) => {
      const copy = path.join(buildPath, 'node_modules', 'better-sqlite3');
      seen.push({ sources: fs.readdirSync(copy).sort(), manifest: JSON.parse(fs.readFileSync(path.join(buildPath, 'package.json'), 'utf8')), electronVersion });
      await nodeBuild(buildPath);
    });
    expect(file).toBe(electronAddonFile(repoRoot, version));
    expect(file).toBe(path.join(repoRoot, 'node_modules', '.cache', 'kanbench-electron-addon', `electron-${version}-${process.platform}-${process.arch}`, 'better_sqlite3.node'));
    expect(unpackagedAddon(repoRoot, version)).toBe(file);
    expect(fs.readFileSync(file).equals(fs.readFileSync(nodeAddon))).toBe(true);
    // The rebuild saw the package's sources (what node-gyp and prebuild-install need) and none of the Node build.
    expect(seen).toHaveLength(1);
    expect(seen[0]!.electronVersion).toBe(version);
    expect(seen[0]!.sources).toEqual(expect.arrayContaining(['binding.gyp', 'deps', 'lib', 'package.json', 'src']));
    expect(seen[0]!.sources).not.toContain('build');
    expect(seen[0]!.manifest).toMatchObject({ dependencies: { 'better-sqlite3': expect.any(String) } });
    // Only the addon stays: the scratch copy is gone, and the Node build is the same file as before.
    expect(fs.readdirSync(path.dirname(path.dirname(file))).filter((name) => name.startsWith('build-'))).toEqual([]);
    expect(fs.statSync(nodeAddon).mtimeMs).toBe(before.mtimeMs);
  });

  it('leaves nothing behind when the rebuild fails, and says why', async () => {
    const failing = `${version}-failing`;
    await expect(buildElectronAddon(repoRoot, failing, async () => { throw new Error('no network'); })).rejects.toThrow('no network');
    await expect(buildElectronAddon(repoRoot, failing, async () => undefined)).rejects.toThrow(/finished without producing better_sqlite3.node/);
    expect(fs.existsSync(electronAddonFile(repoRoot, failing))).toBe(false);
    expect(fs.readdirSync(path.dirname(path.dirname(electronAddonFile(repoRoot, failing)))).filter((name) => name.startsWith('build-'))).toEqual([]);
  });

  it('is what the store loads when given as nativeBinding, and a wrong one is named', () => {
    const file = electronAddonFile(repoRoot, version);
    const store = openStore(path.join(tmp, 'experiments.db'), { nativeBinding: file });
    try {
      expect(store.listRuns({}).total).toBe(0);
      if (process.platform === 'linux') expect(fs.readFileSync('/proc/self/maps', 'utf8')).toContain(file);
    } finally {
      store.close();
    }
    const missing = path.join(tmp, 'missing', 'better_sqlite3.node');
    expect(() => startBackend({ dbPath: ':memory:', workerFile: path.join(tmp, 'worker.js'), sqliteAddon: missing, warmWorkers: 0, log: () => undefined })).toThrow(missing);
  });

  it('is what `npm start` starts Electron with, without building it again', async () => {
    // The launcher as dist/main/launch.js of a project whose addon for the installed Electron is already built.
    const project = fs.mkdtempSync(path.join(repoRoot, 'node_modules', '.cache', 'kanbench-launch-'));
    try {
      await build({ entryPoints: [path.join(repoRoot, 'main/electron/launch.ts')], outfile: path.join(project, 'dist/main/launch.js'), bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent' });
      fs.writeFileSync(path.join(project, 'package.json'), '{"type": "module"}\n');
      const electronVersion = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'node_modules/electron/package.json'), 'utf8')) as { version: string }).version;
      const addon = electronAddonFile(project, electronVersion);
      fs.mkdirSync(path.dirname(addon), { recursive: true });
      fs.copyFileSync(nodeAddon, addon);
      const electronDist = path.join(project, 'electron-dist');
      fs.mkdirSync(electronDist);
      fs.writeFileSync(path.join(electronDist, 'electron'), '#!/bin/sh\necho "electron $*"\n', { mode: 0o755 });
      const result = spawnSync(process.execPath, [path.join(project, 'dist/main/launch.js'), '--db', 'x.db'], {
        env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: electronDist, DISPLAY: ':0' },
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(result.stdout.trim()).toBe(`electron ${project} --db x.db`);
      expect(result.status).toBe(0);
    } finally {
      fs.rmSync(project, { recursive: true, force: true });
    }
  }, 30_000);
});
