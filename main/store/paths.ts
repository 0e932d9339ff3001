// Owns where the experiment store lives on each platform when the user has not said.
import os from 'node:os';
import path from 'node:path';

const APP_DIR = 'kan-workbench';
const FILE_NAME = 'experiments.db';

/** KANBENCH_DB wins; otherwise the platform's per-user configuration folder. Pure: creates nothing. */
export function defaultStorePath(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
  home: string = os.homedir(),
): string {
  const override = env.KANBENCH_DB?.trim();
  if (override) return override;

  if (platform === 'win32') {
    const appData = env.APPDATA?.trim() || path.win32.join(home, 'AppData', 'Roaming');
    return path.win32.join(appData, APP_DIR, FILE_NAME);
  }
  if (platform === 'darwin') {
    return path.posix.join(home, 'Library', 'Application Support', APP_DIR, FILE_NAME);
  }
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME?.trim();
  const configHome = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, '.config');
  return path.posix.join(configHome, APP_DIR, FILE_NAME);
}
