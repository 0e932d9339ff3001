// Tests the kanbench command line as users run it (node bin/kanbench.cjs on the real build): run, list, show, export, delete, datasets, bad input.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { repoRoot, tinyRecipe } from './helpers/bundle';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-cli-'));
const db = path.join(tmp, 'store', 'experiments.db');
const recipeFile = path.join(tmp, 'product.json');
const csvRecipeFile = path.join(tmp, 'csv.json');

beforeAll(() => {
  const built = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs'), 'main'], { cwd: repoRoot, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
  fs.writeFileSync(recipeFile, JSON.stringify({ ...tinyRecipe({ mlp: true, fits: 2, fitSteps: 4 }), steps: [{ fit: { steps: 4, maxIter: 5 } }, { refine: { grid: 5 } }, { fit: { steps: 4, maxIter: 5 } }] }));
  const rows = Array.from({ length: 60 }, (_, i) => `${(i / 30 - 1).toFixed(4)},${Math.sin(i / 10).toFixed(6)}`);
  fs.writeFileSync(path.join(tmp, 'wave.csv'), `x,y\n${rows.join('\n')}\n`);
  fs.writeFileSync(csvRecipeFile, JSON.stringify({ seed: 3, data: { csv: 'wave.csv', target: ['y'] }, kan: { width: [1, 2, 1] }, steps: [{ fit: { steps: 3, maxIter: 5 } }] }));
}, 60_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs the CLI with HOME in the temp folder, so nothing touches the user's real store. */
function kanbench(args: string[], env: Record<string, string> = {}): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin/kanbench.cjs'), ...args], {
    cwd: tmp, encoding: 'utf8', env: { ...process.env, HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'config'), KANBENCH_DB: '', ...env },
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

function json<T>(text: string): T {
  return JSON.parse(text) as T;
}

describe('kanbench', () => {
  let runId = '';

  it('records a run and prints the same summary as an unrecorded one, plus its id', () => {
    const stored = kanbench(['run', recipeFile, '--json', '--quiet', '--db', db]);
    expect(stored.status).toBe(0);
    const summary = json<Record<string, unknown>>(stored.stdout);
    runId = summary.runId as string;
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    const plain = kanbench(['run', recipeFile, '--json', '--quiet', '--no-store']);
    const unstored = json<Record<string, unknown>>(plain.stdout);
    expect(unstored.runId).toBeUndefined();
    expect(Object.keys(summary).filter((k) => k !== 'runId')).toEqual(Object.keys(unstored));
    expect(summary.kan).toEqual(unstored.kan);
    expect(summary.mlp).toEqual(unstored.mlp);
  }, 30_000);

  it('lists, shows and exports the run, by full id or a short prefix', () => {
    const list = kanbench(['runs', 'list', '--db', db]);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(new RegExp(`${runId}\\s+done\\s+.*rmse .*product`));
    const listed = json<{ total: number; rows: { id: string; summary: Record<string, unknown> }[] }>(kanbench(['runs', 'list', '--json', '--status', 'done', '--db', db]).stdout);
    expect(listed.total).toBe(1);
    expect(listed.rows[0]!.summary).toMatchObject({ steps: 3, lastStep: 'fit' });

    const show = kanbench(['runs', 'show', runId.slice(0, 8), '--db', db]);
    expect(show.status).toBe(0);
    expect(show.stdout).toContain(`run       ${runId}`);
    expect(show.stdout).toMatch(/^1\s+refine\s+/m);

    const exported = json<{ format: string; run: { id: string; steps: { kind: string }[]; recipe: unknown }; curves: { model: string }[] }>(
      kanbench(['runs', 'export', runId, '--json', '--db', db]).stdout,
    );
    expect(exported.format).toBe('kan-workbench-run');
    expect(exported.run.id).toBe(runId);
    expect(exported.run.steps.map((s) => s.kind)).toEqual(['fit', 'refine', 'fit']);
    expect(exported.curves.filter((c) => c.model === 'kan')).toHaveLength(8);
    expect(exported.run.recipe).toMatchObject({ seed: 1, kan: { width: [2, 3, 1] } });

    const latexFile = path.join(tmp, 'run.tex');
    expect(kanbench(['runs', 'export', runId.slice(0, 6), '--latex', '--out', latexFile, '--db', db]).status).toBe(0);
    const latex = fs.readFileSync(latexFile, 'utf8');
    expect(latex).toContain('\\begin{tabular}{rlrrrr}');
    expect(latex).toContain('Step & Kind & KAN params & KAN test RMSE & MLP params & MLP test RMSE \\\\');
    expect(latex.match(/^\d & (fit|refine) & /gm)).toHaveLength(3);
  }, 30_000);

  it('stores a CSV recipe\'s data as a dataset, found through KANBENCH_DB too', () => {
    const run = kanbench(['run', csvRecipeFile, '--quiet', '--db', db]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/saved in /);
    const datasets = json<{ id: string; name: string; rows: number }[]>(kanbench(['datasets', '--json'], { KANBENCH_DB: db }).stdout);
    expect(datasets).toMatchObject([{ name: 'wave.csv', rows: 60, columns: ['x', 'y'] }]);
    const refused = kanbench(['datasets', 'delete', datasets[0]!.id, '--db', db]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(/^kanbench: dataset "wave.csv" is used by 1 run; delete those runs first.\n$/);
  }, 30_000);

  it('trains digits as classification with no task field, naming every dropped constant column in one warning line', () => {
    fs.copyFileSync(path.join(repoRoot, 'tests/integration/fixtures/digits-514.csv'), path.join(tmp, 'digits.csv'));
    const digitsRecipe = path.join(tmp, 'digits.json');
    fs.writeFileSync(digitsRecipe, JSON.stringify({ data: { csv: 'digits.csv', target: ['digit'] }, kan: { width: [64, 2, 10] }, mlp: { width: [64, 4, 10] }, steps: [{ fit: { steps: 2, maxIter: 3 } }] }));
    const run = kanbench(['run', digitsRecipe, '--json', '--no-store']);
    expect(run.status).toBe(0);
    const warnings = run.stderr.split('\n').filter((line) => line.startsWith('warning:'));
    expect(warnings).toEqual(['warning: ignored 3 constant input columns (px0, px32, px39); 61 inputs remain (set data.dropConstant to false to keep every column)']);
    const summary = json<{ data: Record<string, unknown>; kan: { testAccuracy: number } }>(run.stdout);
    expect(summary.data).toEqual({ task: 'classification', taskInferredFrom: '10 distinct integer labels', inputs: 61, dropped: { constant: ['px0', 'px32', 'px39'], duplicate: [] }, missing: { handling: 'drop', cells: {}, rowsDropped: 0, imputed: {} } });
    expect(summary.kan.testAccuracy).toBeGreaterThanOrEqual(0);
    const human = kanbench(['run', digitsRecipe, '--quiet', '--no-store']);
    expect(human.stdout).toMatch(/^task: classification \(inferred: 10 distinct integer labels; set data.task to change it\)\n/);
    expect(human.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  }, 60_000);

  it('writes the rows of each split for another tool, as the run read them, with class labels as in the CSV', () => {
    const labelled = Array.from({ length: 40 }, (_, i) => `${i},${(i * 7) % 5},${i % 4 === 0 ? 'small' : '"big, round"'}`);
    fs.writeFileSync(path.join(tmp, 'shapes.csv'), `size,colour,kind\n${labelled.join('\n')}\n`);
    const shapesRecipe = path.join(tmp, 'shapes.json');
    fs.writeFileSync(shapesRecipe, JSON.stringify({ seed: 5, data: { csv: 'shapes.csv', target: ['kind'] }, kan: { width: [2, 2, 2] }, steps: [{ fit: { steps: 2, maxIter: 3 } }] }));
    const dir = path.join(tmp, 'split');
    const run = kanbench(['run', shapesRecipe, '--no-store', '--write-split', dir]);
    expect(run.status).toBe(0);
    expect(run.stderr).toContain(`split written: ${path.join(dir, 'train.csv')}, ${path.join(dir, 'validation.csv')}, ${path.join(dir, 'test.csv')}`);
    const read = (name: string): string[] => fs.readFileSync(path.join(dir, `${name}.csv`), 'utf8').trim().split('\n');
    const parts = ['train', 'validation', 'test'].map(read);
    for (const lines of parts) expect(lines[0]).toBe('size,colour,kind');
    // 40 rows, each in exactly one split (20% test, then a stratified 20% of the rest for validation), unchanged.
    const rows = parts.flatMap((lines) => lines.slice(1));
    expect(parts.map((lines) => lines.length - 1)).toEqual([26, 6, 8]);
    expect(rows.sort()).toEqual([...labelled].sort());
    // The same recipe without validation rows writes no validation file.
    fs.writeFileSync(shapesRecipe, JSON.stringify({ seed: 5, data: { csv: 'shapes.csv', target: ['kind'], validationFraction: 0 }, kan: { width: [2, 2, 2] }, steps: [{ fit: { steps: 2, maxIter: 3, earlyStopping: false } }] }));
    const other = path.join(tmp, 'split-no-validation');
    expect(kanbench(['run', shapesRecipe, '--no-store', '--quiet', '--write-split', other]).status).toBe(0);
    expect(fs.readdirSync(other).sort()).toEqual(['test.csv', 'train.csv']);
    const unwritable = kanbench(['run', shapesRecipe, '--no-store', '--write-split', path.join(tmp, 'shapes.csv', 'inside')]);
    expect(unwritable.status).toBe(2);
    expect(unwritable.stderr).toMatch(/^kanbench: --write-split: cannot create the folder .* \(ENOTDIR\); choose a writable folder\n$/);
  }, 60_000);

  it('deletes a run', () => {
    expect(kanbench(['runs', 'delete', runId, '--db', db]).stdout).toBe(`deleted run ${runId} (product)\n`);
    expect(json<{ total: number }>(kanbench(['runs', 'list', '--json', '--db', db]).stdout).total).toBe(1);
  }, 20_000);

  it('ends bad input with one line saying what is wrong and a non-zero exit code', () => {
    fs.writeFileSync(path.join(tmp, 'bad.json'), JSON.stringify({ ...tinyRecipe(), steps: [{ fit: { steps: 'many' } }] }));
    const cases: [string[], number, RegExp][] = [
      [['run', 'missing.json', '--db', db], 2, /cannot read the recipe missing.json: there is no such file/],
      [['run', 'bad.json', '--db', db], 2, /recipe field steps\[0\]\.fit\.steps/],
      [['runs', 'show', 'nope', '--db', db], 2, /no run has the id "nope"/],
      [['runs', 'export', 'abcdef', '--db', db], 2, /say which format/],
      [['runs', 'list', '--limit', '0', '--db', db], 2, /--limit must be a whole number from 1 to 1000/],
      [['runs', 'list', '--status', 'finished', '--db', db], 2, /unknown status "finished"/],
      [['runs', 'frobnicate'], 2, /unknown runs command "frobnicate"/],
      [['run', recipeFile, '--frobnicate'], 2, /Unknown option '--frobnicate'/],
      [['serve', '--port', '99999'], 2, /--port must be a whole number from 0 to 65535/],
      [['nonsense'], 2, /unknown command "nonsense"/],
    ];
    for (const [args, status, message] of cases) {
      const result = kanbench(args);
      expect(result.status, args.join(' ')).toBe(status);
      expect(result.stderr.split('\n').filter(Boolean), args.join(' ')).toHaveLength(1);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    // The bad recipe recorded nothing.
    expect(json<{ total: number }>(kanbench(['runs', 'list', '--json', '--db', db]).stdout).total).toBe(1);
  }, 30_000);
  it('prints the baselines beside the models, and a diverged run says so, exits 1 and is stored as failed', () => {
    const file = path.join(tmp, 'diverge.json');
    fs.writeFileSync(file, JSON.stringify({
      ...tinyRecipe({ mlp: true, fits: 1, fitSteps: 3 }),
      steps: [{ fit: { steps: 3, maxIter: 5 } }, { fit: { opt: 'adam', lr: 1e6, steps: 20, models: ['kan'] } }],
    }));
    const text = kanbench(['run', file, '--db', db, '--quiet']);
    expect(text.status).toBe(1);
    expect(text.stdout).toMatch(/^model\s+params\s+train RMSE\s+val RMSE\s+test RMSE\s+test R2$/m);
    expect(text.stdout).toMatch(/^mean\s+1\s+/m);
    expect(text.stdout).toMatch(/^ridge\s+3\s+/m);
    expect(text.stdout).toMatch(/^DIVERGED in step 2: KAN diverged at iteration \d+ of 20: .* were restored/m);
    expect(text.stderr).toMatch(/^kanbench: training diverged: step 2 \(fit\): KAN diverged/m);
    const failed = json<{ rows: { error: string; summary: Record<string, unknown> }[] }>(kanbench(['runs', 'list', '--json', '--status', 'failed', '--db', db]).stdout);
    expect(failed.rows).toHaveLength(1);
    expect(failed.rows[0]!.error).toMatch(/^training diverged: step 2 \(fit\)/);
    expect(failed.rows[0]!.summary.baselineMeanTestRmse).toBeGreaterThan(0);

    const summary = json<{ baselines: { mean: { test: { rmse: number } }; ridge: { alpha: number } }; diverged: unknown[] }>(kanbench(['run', file, '--json', '--no-store']).stdout);
    expect(summary.baselines.mean.test.rmse).toBeGreaterThan(0);
    expect(summary.baselines.ridge.alpha).toBeGreaterThan(0);
    expect(summary.diverged).toHaveLength(1);
  }, 30_000);
});
