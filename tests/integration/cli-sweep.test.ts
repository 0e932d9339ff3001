// Tests `kanbench run` on a sweep recipe as users run it (node bin/kanbench.cjs on the real build): every point in --json, both fronts in the text.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { repoRoot } from './helpers/bundle';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-sweep-'));
const recipeFile = path.join(tmp, 'sweep.json');
const db = path.join(tmp, 'store', 'experiments.db');

beforeAll(() => {
  const built = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs'), 'main'], { cwd: repoRoot, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
  fs.writeFileSync(recipeFile, JSON.stringify({
    seed: 1,
    data: { formula: 'exp(sin(pi*x1)+x2^2)', vars: 2, train: 100, test: 50 },
    kan: { width: [2, 2, 1] },
    steps: [{ sweep: { kan: { widths: [[1], [2]], grids: [3] }, mlp: { widths: [[4], [4, 4]] }, steps: 2 } }],
  }));
}, 60_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function kanbench(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin/kanbench.cjs'), ...args], {
    cwd: tmp, encoding: 'utf8', env: { ...process.env, HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'config'), KANBENCH_DB: '' },
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

interface Point { family: string; shape: number[]; grid?: number; params: number; metrics: Record<string, number>; seconds: number }

describe('kanbench run with a sweep step', () => {
  it('lists every point with family, shape, grid, params, metrics and seconds, and both fronts, in --json and in the stored step', () => {
    const run = kanbench(['run', recipeFile, '--json', '--quiet', '--db', db]);
    expect(run.status, run.stderr).toBe(0);
    const summary = JSON.parse(run.stdout) as { runId: string; sweep: { points: Point[]; fronts: Record<'kan' | 'mlp', Point[]>; rows: Record<string, unknown> } };
    const { points, fronts } = summary.sweep;
    expect(points.map((p) => [p.family, p.shape, p.grid ?? null])).toEqual([
      ['kan', [2, 1, 1], 3], ['kan', [2, 2, 1], 3], ['mlp', [2, 4, 1], null], ['mlp', [2, 4, 4, 1], null],
    ]);
    expect(points.map((p) => p.params)).toEqual([24, 48, 17, 37]);
    for (const p of points) {
      expect(Object.keys(p.metrics).sort()).toEqual(['testRmse', 'trainRmse', 'valRmse']);
      expect(p.seconds).toBeGreaterThan(0);
    }
    expect(fronts.kan.length).toBeGreaterThan(0);
    expect(fronts.mlp.length).toBeGreaterThan(0);
    expect([...fronts.kan, ...fronts.mlp].every((f) => points.some((p) => JSON.stringify(p) === JSON.stringify(f)))).toBe(true);
    expect(summary.sweep.rows).toEqual({ fit: 100, validation: 20, test: 50, validationFrom: 'data.validation' });

    const shown = kanbench(['runs', 'show', summary.runId, '--json', '--db', db]);
    expect(shown.status, shown.stderr).toBe(0);
    const stored = JSON.parse(shown.stdout) as { steps: { kind: string; metrics: { details: { sweep: { points: Point[] } } } }[] };
    expect(stored.steps[0]!.kind).toBe('sweep');
    expect(stored.steps[0]!.metrics.details.sweep.points).toEqual(points);
  }, 60_000);

  it('prints both fronts as tables beside the baselines, and the run\'s own models as not trained', () => {
    const run = kanbench(['run', recipeFile, '--no-store']);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.some((l) => /^sweep: 4 models, 2 L-BFGS steps each on 100 rows; fronts by validation RMSE on 20 rows \(data\.validation\)/.test(l))).toBe(true);
    expect(lines.some((l) => /^KAN\s+\d+\s+not trained$/.test(l))).toBe(true);
    expect(lines.some((l) => /^mean\s/.test(l))).toBe(true);
    expect(lines.some((l) => /^KAN front \(\d of 2\)$/.test(l))).toBe(true);
    expect(lines.some((l) => /^MLP front \(\d of 2\)$/.test(l))).toBe(true);
    expect(lines.filter((l) => /^ {2}\[2,\d(,\d)?,1\]\s/.test(l)).length).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('with repeats, prints the means over the initialisations and their standard deviations of validation and test', () => {
    const repeated = path.join(tmp, 'repeats.json');
    const recipe = JSON.parse(fs.readFileSync(recipeFile, 'utf8')) as { steps: { sweep: Record<string, unknown> }[] };
    recipe.steps[0]!.sweep.repeats = 3;
    fs.writeFileSync(repeated, JSON.stringify(recipe));
    const run = kanbench(['run', repeated, '--no-store']);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.some((l) => /figures are means of 3 initialisations each, sd their standard deviations$/.test(l))).toBe(true);
    expect(lines.some((l) => /^ {2}shape .* val RMSE {2}test RMSE {5}val sd {4}test sd {2}seconds$/.test(l))).toBe(true);
    // Each front row: shape, grid, parameters, three means and two standard deviations (positive: the runs differ), time.
    const rows = lines.filter((l) => /^ {2}\[2,\d(,\d)?,1\]\s/.test(l)).map((l) => l.trim().split(/\s+/));
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const cells of rows) {
      const sds = cells.slice(-3, -1).map(Number);
      expect(sds.every((v) => v > 0), cells.join(' ')).toBe(true);
    }
    // KAN against MLP at equal budgets: three initialisations give p-values of at least 0.1, never a verdict.
    const verdictAt = lines.findIndex((l) => /^KAN vs MLP at equal parameter budgets/.test(l));
    expect(verdictAt).toBeGreaterThan(0);
    const verdicts = lines.slice(verdictAt + 2).filter((l) => /^ +\d+ {2}\[2,/.test(l));
    expect(verdicts.length).toBeGreaterThanOrEqual(1);
    for (const row of verdicts) {
      const p = Number(/ (\d\.\d+) {2}no difference shown$/.exec(row)?.[1]);
      expect(p, row).toBeGreaterThanOrEqual(0.1);
    }
    expect(lines).toContain('  p needs at least 4 initialisations per model to fall under 0.05 (this sweep trained 3): set sweep.repeats');
  }, 60_000);
});
