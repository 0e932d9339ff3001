// Tests the command line against faults and hostile input (issue 12): recipes refused before anything trains, runs a killed process abandoned, a store that cannot be written, data that would overflow, very long formulas.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { repoRoot, tinyRecipe } from './helpers/bundle';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-hard-'));

beforeAll(() => {
  const built = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs'), 'main'], { cwd: repoRoot, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
}, 60_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const cliEnv = (): NodeJS.ProcessEnv => ({ ...process.env, HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'config'), KANBENCH_DB: '' });

function kanbench(args: string[], options: { uid?: number } = {}): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin/kanbench.cjs'), ...args], {
    cwd: tmp, encoding: 'utf8', env: cliEnv(), ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function writeRecipe(name: string, recipe: unknown): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, JSON.stringify(recipe));
  return file;
}

function listed(db: string): { total: number; rows: { id: string; status: string; error: string | null }[] } {
  const result = kanbench(['runs', 'list', '--json', '--db', db]);
  if (result.status !== 0) throw new Error(`runs list failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as { total: number; rows: { id: string; status: string; error: string | null }[] };
}

describe('a recipe is checked whole before anything trains', () => {
  it('exits 2 with the field path and stores nothing, for every kind of meaning error', () => {
    const db = path.join(tmp, 'refused', 'experiments.db');
    const base = tinyRecipe({ fits: 1 });
    const cases: [unknown, RegExp][] = [
      [{ ...base, steps: [...base.steps, { fixSymbolic: { layer: 0, input: 0, output: 0, fn: 'constructor' } }] }, /recipe field steps\[1\]\.fixSymbolic\.fn: unknown symbolic function "constructor"/],
      [{ ...base, steps: [...base.steps, { fixSymbolic: { layer: 99, input: 0, output: 0, fn: 'sin' } }] }, /recipe field steps\[1\]\.fixSymbolic\.layer: the KAN \[2, 3, 1\] has edge layers 0 to 1/],
      [{ ...base, steps: [...base.steps, { prune: { nodes: ['99.99'] } }] }, /recipe field steps\[1\]\.prune\.nodes\[0\]: node "99\.99"/],
      [{ ...base, steps: [...base.steps, { autoSymbolic: { lib: ['sin', '__proto__'] } }] }, /recipe field steps\[1\]\.autoSymbolic\.lib\[1\]: unknown symbolic function "__proto__"/],
      [{ ...base, customFunctions: [{ name: 'f', expr: 'import("fs")', complexity: 1 }] }, /recipe field customFunctions\[0\]\.expr: .*"import" .* is not an allowed function/],
      [{ ...base, customFunctions: [{ name: 'sin', expr: 'x', complexity: 1 }] }, /recipe field customFunctions\[0\]\.name: "sin" is a built-in library function/],
    ];
    for (const [recipe, message] of cases) {
      const result = kanbench(['run', writeRecipe('refused.json', recipe), '--db', db, '--quiet']);
      expect(result.status, String(message)).toBe(2);
      expect(result.stderr, String(message)).toMatch(message);
      expect(result.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
    expect(fs.existsSync(db) ? listed(db).total : 0).toBe(0);
  }, 60_000);
});

describe('runs a dead process left behind', () => {
  it('shows a killed CLI run as interrupted at the next command, and deletes it', async () => {
    const db = path.join(tmp, 'killed', 'experiments.db');
    const file = writeRecipe('long.json', { ...tinyRecipe({ rows: 400 }), steps: Array.from({ length: 400 }, () => ({ fit: { steps: 20 } })) });
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin/kanbench.cjs'), 'run', file, '--db', db, '--quiet'], { cwd: tmp, env: cliEnv(), stdio: 'ignore' });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const started = Date.now();
    // Killed once its run is recorded and training (its first step stored).
    for (;;) {
      if (Date.now() - started > 30_000) throw new Error('the CLI run never stored a step');
      await new Promise((resolve) => setTimeout(resolve, 100));
      if (!fs.existsSync(db)) continue;
      const reader = new Database(db, { readonly: true });
      // The file exists a moment before the CLI has created its tables.
      const hasSteps = reader.prepare("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'steps'").pluck().get() === 1;
      const steps = hasSteps ? (reader.prepare('SELECT count(*) FROM steps').pluck().get() as number) : 0;
      reader.close();
      if (steps > 0) break;
    }
    child.kill('SIGKILL');
    await exited;
    const { rows } = listed(db);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.status).toBe('interrupted');
    expect(rows[0]!.error).toMatch(new RegExp(`the process that was training this run \\(pid ${child.pid}\\) ended without finishing it; its finished steps were kept`));
    const deleted = kanbench(['runs', 'delete', rows[0]!.id, '--db', db]);
    expect(deleted.status).toBe(0);
    expect(listed(db).total).toBe(0);
  }, 60_000);

  it('marks a run failed with the reason when the store refuses a write, and says so when even that fails', () => {
    const db = path.join(tmp, 'full', 'experiments.db');
    const file = writeRecipe('two-fits.json', tinyRecipe({ fits: 2 }));
    expect(kanbench(['runs', 'list', '--db', db]).status).toBe(0);
    // SQLite's own "disk full" error, raised where a full disk would raise it: when a step is written.
    const admin = new Database(db);
    admin.exec(`CREATE TRIGGER disk_full BEFORE INSERT ON steps BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END`);
    const failed = kanbench(['run', file, '--db', db, '--quiet']);
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/could not save step 1 of the run in .*experiments\.db: database or disk is full; free some space or choose another store with --db/);
    expect(listed(db).rows[0]).toMatchObject({ status: 'failed', error: expect.stringMatching(/could not save step 1 .*database or disk is full/) });

    // The disk stays full: marking the run failed fails too. The user still learns why, and the next command cleans up.
    admin.exec(`CREATE TRIGGER status_full BEFORE UPDATE OF status ON runs WHEN NEW.status = 'failed' BEGIN SELECT RAISE(FAIL, 'database or disk is full'); END`);
    const stuck = kanbench(['run', file, '--db', db, '--quiet']);
    expect(stuck.status).toBe(1);
    expect(stuck.stderr).toMatch(/could not mark run .* as failed \(database or disk is full\); the next command that opens the store marks it interrupted/);
    expect(stuck.stderr).toMatch(/kanbench: could not save step 1 of the run/);
    admin.close();
    const statuses = listed(db).rows.map((row) => row.status).sort();
    expect(statuses).toEqual(['failed', 'interrupted']);
  }, 60_000);
});

describe('stores this process may not write', () => {
  it('lists, shows and exports a read-only store, and refuses to change it', () => {
    const folder = path.join(tmp, 'readonly');
    const db = path.join(folder, 'experiments.db');
    expect(kanbench(['run', writeRecipe('tiny.json', tinyRecipe()), '--db', db, '--quiet']).status).toBe(0);
    fs.chmodSync(db, 0o444);
    fs.chmodSync(folder, 0o555);
    // Root ignores file modes, so the commands run as nobody there (who may pass through the test's folder, not write it).
    const as = process.getuid?.() === 0 ? { uid: 65534 } : {};
    fs.chmodSync(tmp, 0o755);
    try {
      const list = kanbench(['runs', 'list', '--db', db], as);
      expect(list.stderr).toBe('');
      expect(list.status).toBe(0);
      expect(list.stdout).toMatch(/done .*tiny/);
      const id = /^([0-9a-f-]{36})/m.exec(list.stdout)![1]!;
      expect(kanbench(['runs', 'show', id, '--db', db], as).stdout).toContain(`run       ${id}`);
      expect(kanbench(['runs', 'export', id, '--json', '--db', db], as).status).toBe(0);
      expect(kanbench(['datasets', '--db', db], as).status).toBe(0);
      const deleted = kanbench(['runs', 'delete', id, '--db', db], as);
      expect(deleted.status).not.toBe(0);
      expect(deleted.stderr).toMatch(/readonly/);
    } finally {
      fs.chmodSync(folder, 0o755);
      fs.chmodSync(db, 0o644);
    }
  }, 60_000);
});

describe('data that would break training', () => {
  it('refuses a CSV of ±1e308 before training, saying which cell and how to fix it', () => {
    fs.writeFileSync(path.join(tmp, 'huge.csv'), `x,y\n${Array.from({ length: 20 }, (_, i) => `${i % 2 ? '-' : ''}1e308,${i}`).join('\n')}\n`);
    const db = path.join(tmp, 'huge', 'experiments.db');
    const result = kanbench(['run', writeRecipe('huge.json', { data: { csv: 'huge.csv', target: ['y'] }, kan: { width: [1, 2, 1] }, steps: [{ fit: { steps: 2 } }] }), '--db', db, '--quiet']);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/Row 2, column "x": 1e\+308 is too large in magnitude; .*Rescale the column/);
    expect(fs.existsSync(db) ? listed(db).total : 0).toBe(0);
  }, 30_000);

  it('trains on a formula of 2,000 terms within the length limit', () => {
    const formula = Array.from({ length: 2000 }, (_, i) => (i % 2 ? 'x2' : 'x1')).join('+');
    expect(formula.length).toBeLessThanOrEqual(10_000);
    const result = kanbench(['run', writeRecipe('long-formula.json', { ...tinyRecipe({ fits: 1 }), data: { formula, vars: 2, train: 60, test: 20 } }), '--no-store', '--json', '--quiet']);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toHaveProperty('kan');
  }, 30_000);
});
