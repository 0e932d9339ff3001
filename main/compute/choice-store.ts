/**
 * The chooser's memory on disk: one JSON file in the user data folder, keyed by machine and size class. A missing or
 * damaged file reads as empty (the next measurement rewrites it); writes go to a temporary file renamed into place.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import * as z from 'zod';
import type { ChoiceStore, StoredChoice } from '../../app/compute/chooser';

export const CHOICE_FILE_NAME = 'compute-backends.json';

const storedChoiceSchema = z.object({
  backend: z.string().min(1),
  measuredAt: z.string(),
  secondsPerCall: z.record(z.string(), z.number()),
  rejected: z.record(z.string(), z.string()),
});

const fileSchema = z.object({
  version: z.literal(1),
  choices: z.record(z.string(), storedChoiceSchema),
});

export class JsonChoiceStore implements ChoiceStore {
  private choices: Record<string, StoredChoice> | null = null;

  constructor(readonly file: string) {}

  /** The store in a user data folder (created on first write). */
  static inFolder(userDataFolder: string): JsonChoiceStore {
    return new JsonChoiceStore(path.join(userDataFolder, CHOICE_FILE_NAME));
  }

  get(key: string): StoredChoice | undefined {
    return this.load()[key];
  }

  set(key: string, choice: StoredChoice): void {
    const choices = { ...this.load(), [key]: choice };
    mkdirSync(path.dirname(this.file), { recursive: true });
    const temporary = `${this.file}.${process.pid}.tmp`;
    writeFileSync(temporary, `${JSON.stringify({ version: 1, choices }, null, 2)}\n`);
    renameSync(temporary, this.file);
    this.choices = choices;
  }

  /** Every stored decision, for settings screens and `kanbench bench-backends`. */
  all(): Record<string, StoredChoice> {
    return { ...this.load() };
  }

  private load(): Record<string, StoredChoice> {
    if (this.choices) return this.choices;
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      this.choices = {};
      return this.choices;
    }
    try {
      const parsed = fileSchema.safeParse(JSON.parse(text));
      this.choices = parsed.success ? parsed.data.choices : {};
    } catch {
      this.choices = {};
    }
    return this.choices;
  }
}
