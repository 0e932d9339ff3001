// A run that cannot fit in memory is refused before anything is stored or trained, in the app and in the CLI, with the
// estimate and what to shrink; the limit is a setting (the CLI: --max-memory). The CLI reads only regular files as data.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startBackend, type Backend } from '../../main/services/backend';
import { callFails, callOk } from './helpers/api';
import { bundle } from './helpers/bundle';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kanbench-admission-'));
let backend: Backend;
let runner = '';
let removeBundle = (): void => undefined;

const formula = { formula: 'x1*x2', vars: 2, train: 200, test: 100 };
const wide = { data: { ...formula, vars: 100, formula: 'x1' }, kan: { width: [100, 100_000, 1], grid: 3 }, steps: [{ fit: { steps: 5 } }] };
/** About 0.3 GB by the estimate: over a 64 MB limit, under a generous one. */
const medium = { data: formula, kan: { width: [2, 3000, 1], grid: 20 }, steps: [{ fit: { steps: 5 } }] };

beforeAll(async () => {
  const built = await bundle({ 'main/cli/index.ts': 'cli.js', 'main/training/worker.ts': 'worker.js', 'main/services/csv-worker.ts': 'csv-worker.js' });
  runner = built.file('run.js');
  fs.writeFileSync(runner, "import { main } from './cli.js';\nprocess.exitCode = await main(process.argv.slice(2));\n");
  removeBundle = built.remove;
  backend = startBackend({ dbPath: ':memory:', settingsFile: null, workerFile: built.file('worker.js'), log: () => undefined });
}, 60_000);

afterAll(async () => {
  await backend.close();
  removeBundle();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function kanbench(args: string[]): { status: number; stderr: string; seconds: number } {
  const started = performance.now();
  const result = spawnSync(process.execPath, [runner, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, HOME: tmp, KANBENCH_DB: '' }, timeout: 60_000 });
  return { status: result.status ?? -1, stderr: result.stderr, seconds: (performance.now() - started) / 1000 };
}

describe('admission control in the app', () => {
  it('refuses a [100, 100000, 1] KAN before storing it, with the estimate and the width to narrow', async () => {
    const before = (await callOk(backend, 'runs.list', {})).total;
    const error = await callFails(backend, 'runs.create', { recipe: wide });
    expect(error.code).toBe('invalid');
    expect(error.message).toMatch(/^this run would need about [\d.]+ GB of memory \(parameters [\d.]+ GB, optimiser state/);
    expect(error.message).toMatch(/raise it with the setting runMemoryLimitMb\)\. To fit, narrow kan\.width \[100, 100000, 1\] or lower the grid \(3\)/);
    expect((await callOk(backend, 'runs.list', {})).total).toBe(before);
  });

  it('follows the runMemoryLimitMb setting, also when a stored run is started', async () => {
    await callOk(backend, 'settings.set', { runMemoryLimitMb: 64 });
    const refused = await callFails(backend, 'runs.create', { recipe: medium });
    expect(refused.message).toMatch(/more than the 64 MB allowed \(the limit set to 64 MB; raise it with the setting runMemoryLimitMb\)/);
    const stored = await callOk(backend, 'runs.create', { recipe: medium, start: false });
    expect((await callFails(backend, 'runs.start', { id: stored.id })).message).toMatch(/more than the 64 MB allowed/);
    await callOk(backend, 'settings.set', { runMemoryLimitMb: 1024 });
    expect((await callOk(backend, 'runs.start', { id: stored.id })).id).toBe(stored.id);
    await callOk(backend, 'runs.cancel', { id: stored.id });
    await callOk(backend, 'settings.set', { runMemoryLimitMb: null });
  });
});

describe('admission control and data files in the CLI', () => {
  it('refuses a run over --max-memory or the free memory, exit 2, before building the models', () => {
    fs.writeFileSync(path.join(tmp, 'wide.json'), JSON.stringify(wide));
    const refused = kanbench(['run', 'wide.json', '--no-store']);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/this run would need about [\d.]+ GB of memory .* \(half of the [\d.]+ GB free now; raise it with --max-memory MB\)\. To fit, narrow kan\.width \[100, 100000, 1\]/);
    fs.writeFileSync(path.join(tmp, 'medium.json'), JSON.stringify(medium));
    expect(kanbench(['run', 'medium.json', '--no-store', '--max-memory', '64']).stderr).toMatch(/more than the 64 MB allowed \(the limit set to 64 MB; raise it with --max-memory MB\)/);
    expect(kanbench(['run', 'medium.json', '--no-store', '--max-memory', 'lots']).stderr).toMatch(/--max-memory takes a whole number of megabytes, at least 64; got "lots"/);
  }, 120_000);

  it('reads a recipe\'s CSV only from a regular file: /dev/zero, a FIFO and a folder are refused at once', () => {
    execFileSync('mkfifo', [path.join(tmp, 'pipe.csv')]);
    fs.mkdirSync(path.join(tmp, 'folder.csv'));
    const cases: [string, RegExp][] = [
      ['/dev/zero', /it is a device, and only regular files are read as data/],
      ['pipe.csv', /it is a FIFO \(named pipe\), and only regular files are read as data/],
      ['folder.csv', /it is a directory, and only regular files are read as data/],
    ];
    for (const [csv, reason] of cases) {
      fs.writeFileSync(path.join(tmp, 'data.json'), JSON.stringify({ data: { csv, target: ['y'] }, kan: { width: [1, 2, 1] }, steps: [{ fit: { steps: 1 } }] }));
      const refused = kanbench(['run', 'data.json', '--no-store']);
      expect(refused.status).toBe(2);
      expect(refused.stderr).toMatch(reason);
      expect(refused.seconds).toBeLessThan(30);
    }
  }, 120_000);

  it('never prints a file\'s contents: a non-recipe is refused by the kind of fault, a long cell is cut', () => {
    fs.writeFileSync(path.join(tmp, 'secret.json'), 'root:$6$secret-hash:19000:0:99999:7:::\n');
    const notJson = kanbench(['run', 'secret.json']);
    expect(notJson.status).toBe(2);
    expect(notJson.stderr).toMatch(/recipe secret\.json is not valid JSON \(a character where JSON does not allow one\)\. Check the recipe's syntax/);
    expect(notJson.stderr).not.toContain('secret-hash');
    fs.writeFileSync(path.join(tmp, 'long.csv'), `x,y\n1,2\n${'9'.repeat(1024 * 1024)}a,3\n`);
    fs.writeFileSync(path.join(tmp, 'long.json'), JSON.stringify({ data: { csv: 'long.csv', target: ['y'] }, kan: { width: [1, 2, 1] }, steps: [{ fit: { steps: 1 } }] }));
    const longCell = kanbench(['run', 'long.json', '--no-store']);
    expect(longCell.status).not.toBe(0);
    expect(longCell.stderr).toMatch(/\(1048577 characters\)/);
    expect(longCell.stderr.length).toBeLessThan(2000);
  }, 120_000);
});
