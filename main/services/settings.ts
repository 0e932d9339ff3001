/**
 * User settings (compute backend, runs trained at once, data folder, theme), kept as one JSON file and validated on
 * read and write: the backend must be one this build knows, and the data folder (where the app writes) is chosen only
 * through the desktop app's folder dialog, never set by an API request, which a web page could forge.
 */
import fs from 'node:fs';
import path from 'node:path';

import type { z } from 'zod';

import { settings as settingsSchema } from '../../app/api/contract';
import { badRequest } from './errors';

export type Settings = z.output<typeof settingsSchema>;

export interface SettingsServiceOptions {
  /** Where the settings live; null keeps them in memory (tests, a throwaway store). */
  file: string | null;
  /** The folder of the experiment store in use, the default data folder. */
  defaultDataFolder: string;
  /** Names of the compute backends a setting may choose, besides 'auto'. */
  knownBackends: () => readonly string[];
  /** Called after every change, e.g. to apply threads to the training host. */
  onChange?: (settings: Settings) => void;
  log?: (message: string) => void;
}

export class SettingsService {
  private current: Settings;

  constructor(private readonly options: SettingsServiceOptions) {
    const defaults: Settings = { backend: 'auto', threads: 1, dataFolder: options.defaultDataFolder, theme: 'system', runMemoryLimitMb: null };
    this.current = { ...defaults, ...this.readFile() };
  }

  get(): Settings {
    return { ...this.current };
  }

  /** A change asked for through the API: any setting but the data folder, which only the folder dialog changes. */
  set(changes: Partial<Settings>): Settings {
    if (changes.dataFolder !== undefined && changes.dataFolder !== this.current.dataFolder) {
      badRequest('the data folder is chosen in the desktop app with its folder dialog (dialog.chooseDataFolder); a request cannot set it, so no page can make the app write to a folder of its choosing. Leave dataFolder out.', 'dataFolder');
    }
    if (changes.backend !== undefined && changes.backend !== 'auto' && !this.options.knownBackends().includes(changes.backend)) {
      badRequest(`unknown compute backend "${changes.backend.slice(0, 100)}"; choose "auto" (measure and pick) or one of ${this.options.knownBackends().join(', ')}.`, 'backend');
    }
    return this.save({ ...this.current, ...changes });
  }

  /** The folder the user picked in the desktop app's folder dialog (Electron main calls this, never the API). */
  setDataFolder(folder: string): Settings {
    if (!path.isAbsolute(folder)) badRequest(`the data folder must be an absolute path; got "${folder.slice(0, 200)}".`, 'dataFolder');
    return this.save({ ...this.current, dataFolder: folder });
  }

  private save(value: Settings): Settings {
    const next = settingsSchema.parse(value);
    this.current = next;
    this.writeFile(next);
    this.options.onChange?.(this.get());
    return this.get();
  }

  /** A missing or damaged file gives the defaults: settings are a convenience and must never keep the app from starting. */
  private readFile(): Partial<Settings> {
    if (this.options.file === null || !fs.existsSync(this.options.file)) return {};
    try {
      const parsed = settingsSchema.partial().safeParse(JSON.parse(fs.readFileSync(this.options.file, 'utf8')));
      if (parsed.success) return parsed.data;
      this.options.log?.(`kanbench: ignoring the settings in ${this.options.file}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    } catch (error) {
      this.options.log?.(`kanbench: ignoring the settings in ${this.options.file}: ${(error as Error).message}`);
    }
    return {};
  }

  private writeFile(value: Settings): void {
    const file = this.options.file;
    if (file === null) return;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    // Write then rename, so a crash mid-write leaves the old file, never half a file.
    const temp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(temp, `${JSON.stringify(value, null, 2)}\n`);
    fs.renameSync(temp, file);
  }
}
