/**
 * `npm start`: launches the Electron app from the built dist/, first building (once per Electron version) the copy of
 * better-sqlite3's addon that Electron loads, beside the Node build the command line keeps. Where Electron cannot start
 * (its binary was not downloaded, there is no display, the addon cannot be built) it says so in one line and points to
 * `kanbench serve`.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { buildElectronAddon, electronAddonFile } from './electron-addon';

const FALLBACK = 'run `npx kanbench serve` and open the address it prints in a browser instead.';

function cannotStart(reason: string): never {
  process.stderr.write(`kanbench: Electron cannot start here (${reason}); ${FALLBACK}\n`);
  process.exit(1);
}

/**
 * The binary the electron package's install step downloaded, as its entry finds it (path.txt names it under dist/), but
 * without that entry's attempt to download it right now, which hangs or fails where there is no network.
 */
function electronBinary(packageDir: string | null): string | null {
  if (packageDir === null) return null;
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  const pathFile = path.join(packageDir, 'path.txt');
  const relative = fs.existsSync(pathFile) ? fs.readFileSync(pathFile, 'utf8').trim() : null;
  if (override) return path.join(override, relative ?? 'electron');
  return relative ? path.join(packageDir, 'dist', relative) : null;
}

function electronPackageDir(): string | null {
  try {
    return path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

const appRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const packageDir = electronPackageDir();
const binary = electronBinary(packageDir);
if (packageDir === null || binary === null || !fs.existsSync(binary)) {
  cannotStart('the Electron binary is not installed; `npm install` downloads it on a machine with internet access');
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) cannotStart('there is no display: DISPLAY and WAYLAND_DISPLAY are unset');

const electronVersion = (JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')) as { version: string }).version;
if (!fs.existsSync(electronAddonFile(appRoot, electronVersion))) {
  process.stderr.write(`kanbench: building better-sqlite3 for Electron ${electronVersion} (once; the command line keeps its Node build)\n`);
  try {
    await buildElectronAddon(appRoot, electronVersion);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    cannotStart(`better-sqlite3 could not be built for Electron ${electronVersion}: ${reason}; this needs internet access once, for its prebuilt addon or Electron's headers`);
  }
}

const child = spawn(binary, [appRoot, ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('error', (error) => cannotStart(error.message));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
