// The CLI as built to start fast (split into chunks, loading a recipe's step code on demand, plain-arithmetic formulas
// without math.js, and math.js's factories, loaded on first use, for the rest) gives the numbers of the in-process
// runner, which uses math.js whole.
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

function kanbench(args: string[], nodeArgs: string[] = []): { status: number; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...nodeArgs, path.join(repoRoot, 'bin/kanbench.cjs'), ...args], {
    cwd: tmp, encoding: 'utf8', env: { ...process.env, HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, 'config'), KANBENCH_DB: '' },
  });
  return { status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr };
}

/** A summary as JSON text without the seconds each step took. */
function withoutTimes(summary: unknown): string {
  return JSON.stringify(summary, (key, value: unknown) => (key === 'seconds' || key === 'kanSeconds' || key === 'mlpSeconds' ? undefined : value));
}

describe('kanbench run, built for start-up', () => {
  const oddRoots = 'arcsin(x1/2) + ln(x2 + 2) + x1^(1/3) + arctanh(x2/2)';
  const bump = { name: 'bump', expr: 'x * exp(-x^2)', complexity: 3 };
  it.each([
    ['a fit-only recipe on a formula with aliases and odd roots', oddRoots, [], [{ fit: { steps: 4 } }, { refine: { grid: 7 } }, { fit: { steps: 3 } }]],
    ['a recipe that prunes, symbolifies and writes the formula', oddRoots, [], [{ fit: { steps: 6 } }, { prune: {} }, { autoSymbolic: { lib: ['x', 'x^2', 'sin', 'exp'] } }, { formula: {} }]],
    ['an implicit product and a custom function on plain arithmetic', '2x1 + exp(-x2^2) * x1', [bump], [{ fit: { steps: 4 } }, { autoSymbolic: { lib: ['x', 'bump'] } }, { formula: {} }]],
  ])('prints for %s exactly the summary the in-process runner computes', (_, formula, customFunctions, steps) => {
    const recipe = {
      seed: 2,
      data: { formula, vars: 2, train: 300, test: 200 },
      kan: { width: [2, 3, 1], grid: 5, k: 3 },
      ...(customFunctions.length > 0 ? { customFunctions } : {}),
      steps,
    };
    const file = path.join(tmp, 'recipe.json');
    fs.writeFileSync(file, JSON.stringify(recipe));
    const cli = kanbench(['run', file, '--json', '--quiet', '--no-store']);
    expect(cli.status, cli.stderr).toBe(0);
    const inProcess = summarizeRun(runSteps(initialState(parseRecipe(recipe), () => '')));
    expect(withoutTimes(JSON.parse(cli.stdout))).toBe(withoutTimes(inProcess));
  }, 60_000);

  it('runs a plain-arithmetic formula recipe without loading math.js, and with --no-store without the store', () => {
    const hook = path.join(tmp, 'log-loads.cjs');
    // Logs every CommonJS file the process loads whose name says math.js or better-sqlite3.
    fs.writeFileSync(hook, `const Module = require('node:module'); const load = Module._load;
Module._load = function (request, ...rest) { if (/mathjs|better-sqlite3/.test(request)) process.stderr.write('loaded ' + request + '\\n'); return load.call(this, request, ...rest); };`);
    const file = path.join(tmp, 'plain.json');
    fs.writeFileSync(file, JSON.stringify({ seed: 1, data: { formula: 'exp(sin(pi*x1)+x2^2)', vars: 2, train: 200, test: 100 }, kan: { width: [2, 2, 1], grid: 3, k: 3 }, steps: [{ fit: { steps: 2 } }] }));
    const plain = kanbench(['run', file, '--json', '--quiet', '--no-store'], ['--require', hook]);
    expect(plain.status, plain.stderr).toBe(0);
    expect(plain.stderr).not.toMatch(/loaded/);
    // The hook does see them where a run needs them: odd roots of negative numbers are math.js's, and the store records.
    fs.writeFileSync(file, JSON.stringify({ seed: 1, data: { formula: 'x1^(1/3)', vars: 1, train: 200, test: 100 }, kan: { width: [1, 2, 1], grid: 3, k: 3 }, steps: [{ fit: { steps: 2 } }] }));
    const stored = kanbench(['run', file, '--json', '--quiet', '--db', path.join(tmp, 'hook.db')], ['--require', hook]);
    expect(stored.status, stored.stderr).toBe(0);
    expect(stored.stderr).toMatch(/loaded \.\/cli-mathjs\.cjs/);
    expect(stored.stderr).toMatch(/loaded \S*better-sqlite3/);
  }, 60_000);

  it('answers --help', () => {
    const help = kanbench(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: kanbench <command>/);
  });

  it('answers a command\'s --help with that command\'s usage, every option of it listed, and exit code 0', () => {
    const run = kanbench(['run', '--help']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^Usage:\n  kanbench run RECIPE\.json/);
    for (const option of ['--json', '--no-store', '--db', '--backend', '--max-memory', '--write-split', '--quiet']) expect(run.stdout).toContain(option);
    expect(run.stdout).not.toMatch(/kanbench runs|kanbench serve/);
    const runs = kanbench(['runs', 'show', '-h']);
    expect(runs.status).toBe(0);
    expect(runs.stdout).toMatch(/kanbench runs show ID/);
    expect(kanbench(['explode', '--help']).status).toBe(2);
  });
});
