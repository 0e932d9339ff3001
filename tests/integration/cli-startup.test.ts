// The CLI as built to start fast (split into chunks, loading a recipe's step code on demand, and math.js's factories
// for formula data without its entry) gives the numbers of the in-process runner, which uses math.js whole.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { initialState, runSteps, summarizeRun } from '../../app/recipe/runner';
import { parseRecipe } from '../../app/recipe/schema';
import { repoRoot } from './helpers/bundle';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-cli-startup-'));

beforeAll(() => {
  const built = spawnSync(process.execPath, [path.join(repoRoot, 'scripts/build.mjs'), 'main'], { cwd: repoRoot, encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build failed: ${built.stderr}`);
}, 60_000);
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function kanbench(args: string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'bin/kanbench.cjs'), ...args], {
    cwd: tmp, encoding: 'utf8', env: { ...process.env, HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'config'), KANBENCH_DB: '' },
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A summary as JSON text without the seconds each step took. */
function withoutTimes(summary: unknown): string {
  return JSON.stringify(summary, (key, value: unknown) => (key === 'seconds' || key === 'kanSeconds' || key === 'mlpSeconds' ? undefined : value));
}

describe('kanbench run, built for start-up', () => {
  it.each([
    ['a fit-only recipe on a formula with aliases and odd roots', [{ fit: { steps: 4 } }, { refine: { grid: 7 } }, { fit: { steps: 3 } }]],
    ['a recipe that prunes, symbolifies and writes the formula', [{ fit: { steps: 6 } }, { prune: {} }, { autoSymbolic: { lib: ['x', 'x^2', 'sin', 'exp'] } }, { formula: {} }]],
  ])('prints for %s exactly the summary the in-process runner computes', (_, steps) => {
    const recipe = {
      seed: 2,
      data: { formula: 'arcsin(x1/2) + ln(x2 + 2) + x1^(1/3) + arctanh(x2/2)', vars: 2, train: 300, test: 200 },
      kan: { width: [2, 3, 1], grid: 5, k: 3 },
      steps,
    };
    const file = path.join(tmp, 'recipe.json');
    fs.writeFileSync(file, JSON.stringify(recipe));
    const cli = kanbench(['run', file, '--json', '--quiet', '--no-store']);
    expect(cli.status, cli.stderr).toBe(0);
    const inProcess = summarizeRun(runSteps(initialState(parseRecipe(recipe), () => '')));
    expect(withoutTimes(JSON.parse(cli.stdout))).toBe(withoutTimes(inProcess));
  }, 60_000);

  it('answers --help', () => {
    const help = kanbench(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kanbench <command>/);
  });
});
