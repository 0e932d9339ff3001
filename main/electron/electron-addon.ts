/**
 * better-sqlite3's native addon for Electron, kept apart from the Node build in node_modules: `npm start` builds it once
 * per Electron version into node_modules/.cache and the unpackaged app passes it to better-sqlite3 (its nativeBinding
 * option), so the command line and the tests keep loading the Node build. The packaged app needs none of this:
 * electron-builder rebuilds the packaged copy for Electron.
 */
import fs from 'node:fs';
import path from 'node:path';

const ADDON_NAME = 'better_sqlite3.node';

/** Rebuilds the native modules of the node_modules folder under `buildPath` for an Electron version, in place. */
export type RebuildForElectron = (buildPath: string, electronVersion: string) => Promise<void>;

/** Where the addon built for this Electron version, platform and architecture lives. */
export function electronAddonFile(projectRoot: string, electronVersion: string, platform: string = process.platform, arch: string = process.arch): string {
  return path.join(projectRoot, 'node_modules', '.cache', 'kanbench-electron-addon', `electron-${electronVersion}-${platform}-${arch}`, ADDON_NAME);
}

/** The addon the unpackaged app passes to better-sqlite3, when `npm start` has built it; otherwise the package's own. */
export function unpackagedAddon(projectRoot: string, electronVersion: string): string | undefined {
  const file = electronAddonFile(projectRoot, electronVersion);
  return fs.existsSync(file) ? file : undefined;
}

/**
 * Builds the addon for an Electron version: better-sqlite3's sources are copied to a scratch folder, rebuilt there
 * (`rebuild`, by default @electron/rebuild: the published prebuilt addon for that Electron, else a compile against
 * Electron's headers; either needs the internet once), and the result moved into place. Returns its path.
 */
export async function buildElectronAddon(projectRoot: string, electronVersion: string, rebuild: RebuildForElectron = electronRebuild): Promise<string> {
  const target = electronAddonFile(projectRoot, electronVersion);
  const cache = path.dirname(path.dirname(target));
  fs.mkdirSync(cache, { recursive: true });
  const scratch = fs.mkdtempSync(path.join(cache, 'build-'));
  try {
    const source = path.join(projectRoot, 'node_modules', 'better-sqlite3');
    const copy = path.join(scratch, 'node_modules', 'better-sqlite3');
    const manifest = JSON.parse(fs.readFileSync(path.join(source, 'package.json'), 'utf8')) as { version: string };
    fs.cpSync(source, copy, { recursive: true, filter: (file) => path.relative(source, file).split(path.sep)[0] !== 'build' });
    fs.writeFileSync(path.join(scratch, 'package.json'), JSON.stringify({ name: 'kanbench-electron-addon', private: true, dependencies: { 'better-sqlite3': manifest.version } }));
    await rebuild(scratch, electronVersion);
    const built = path.join(copy, 'build', 'Release', ADDON_NAME);
    if (!fs.existsSync(built)) throw new Error(`the rebuild finished without producing ${ADDON_NAME}`);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    // Renamed into place, so that a build cut short never leaves a half-written addon where the app looks for it.
    const staged = `${target}.${process.pid}`;
    fs.copyFileSync(built, staged);
    fs.renameSync(staged, target);
    return target;
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

async function electronRebuild(buildPath: string, electronVersion: string): Promise<void> {
  // A computed name keeps the bundler from pulling @electron/rebuild (a build tool, installed with electron-builder) into dist/.
  const name = '@electron/rebuild';
  const { rebuild } = (await import(name)) as { rebuild(options: { buildPath: string; electronVersion: string; onlyModules: string[]; force: boolean }): Promise<void> };
  await rebuild({ buildPath, electronVersion, onlyModules: ['better-sqlite3'], force: true });
}
