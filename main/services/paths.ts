/** Where the experiment store and the settings live: --db, then KANBENCH_DB, then the data folder setting, then the user data folder. */
import fs from 'node:fs';
import path from 'node:path';

import { defaultStorePath } from '../store/paths';

export interface StoreLocation {
  dbPath: string;
  /** Settings beside an explicitly chosen store (so a test or a second store keeps its own), else in the user's config folder. */
  settingsFile: string | null;
}

export const STORE_FILE_NAME = 'experiments.db';
const SETTINGS_FILE_NAME = 'settings.json';

export function resolveStoreLocation(options: { db?: string | undefined; env?: NodeJS.ProcessEnv; configDir?: string } = {}): StoreLocation {
  const env = options.env ?? process.env;
  const explicit = options.db?.trim() || env.KANBENCH_DB?.trim();
  if (explicit) {
    if (explicit === ':memory:') return { dbPath: explicit, settingsFile: null };
    const dbPath = path.resolve(explicit);
    return { dbPath, settingsFile: path.join(path.dirname(dbPath), SETTINGS_FILE_NAME) };
  }
  const configDir = options.configDir ?? path.dirname(defaultStorePath({ ...env, KANBENCH_DB: '' }));
  const settingsFile = path.join(configDir, SETTINGS_FILE_NAME);
  const dataFolder = readDataFolder(settingsFile);
  return { dbPath: dataFolder ? path.join(dataFolder, STORE_FILE_NAME) : path.join(configDir, STORE_FILE_NAME), settingsFile };
}

/** The data folder the user chose in the settings, if the file names a usable absolute one. */
function readDataFolder(settingsFile: string): string | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(settingsFile, 'utf8')) as { dataFolder?: unknown };
    return typeof parsed.dataFolder === 'string' && path.isAbsolute(parsed.dataFolder) ? parsed.dataFolder : null;
  } catch {
    return null;
  }
}
