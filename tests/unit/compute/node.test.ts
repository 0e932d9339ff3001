import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sizeClass } from '../../../app/compute/chooser';
import { Kan } from '../../../app/kan/model';
import { Rng } from '../../../app/util/rng';
import { benchBackendsCommand, syntheticBatch } from '../../../main/cli/bench-backends';
import { UsageError } from '../../../main/cli/errors';
import { CHOICE_FILE_NAME, JsonChoiceStore, chooseBackendForRun, machineFingerprint } from '../../../main/compute';
import { workerScript } from '../../../main/compute/worker-script';

const folders: string[] = [];
function tempFolder(): string {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'kanbench-compute-'));
  folders.push(folder);
  return folder;
}
afterEach(() => {
  vi.restoreAllMocks();
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

const choice = { backend: 'threads', measuredAt: '2025-01-01T00:00:00.000Z', secondsPerCall: { reference: 2, threads: 1.1 }, rejected: { 'gpujs-cpu': 'clearly slower' } };

describe('the choice file in the user data folder', () => {
  it('round-trips decisions through a JSON file, created with its folder on first write', () => {
    const folder = path.join(tempFolder(), 'not', 'yet');
    const store = JsonChoiceStore.inFolder(folder);
    expect(store.get('m|c')).toBeUndefined();
    store.set('m|c', choice);
    expect(JsonChoiceStore.inFolder(folder).get('m|c')).toEqual(choice);
    expect(JSON.parse(readFileSync(path.join(folder, CHOICE_FILE_NAME), 'utf8'))).toEqual({ version: 1, choices: { 'm|c': choice } });
  });

  it('reads a damaged or foreign file as empty and replaces it on the next write', () => {
    const folder = tempFolder();
    const file = path.join(folder, CHOICE_FILE_NAME);
    for (const text of ['{ not json', '{"version": 2, "choices": {}}', '{"version": 1, "choices": {"k": {"backend": 3}}}']) {
      writeFileSync(file, text);
      expect(new JsonChoiceStore(file).get('k')).toBeUndefined();
    }
    const store = new JsonChoiceStore(file);
    store.set('k', choice);
    expect(new JsonChoiceStore(file).all()).toEqual({ k: choice });
  });
});

describe('machine fingerprint', () => {
  it('names the CPU, the cores and the backends that can run, in a stable order', () => {
    const a = machineFingerprint(['threads', 'reference']);
    expect(a).toBe(machineFingerprint(['reference', 'threads']));
    expect(a).toContain(`x${os.availableParallelism()}`);
    expect(a).toMatch(/\[reference,threads\]$/);
    expect(a).not.toBe(machineFingerprint(['reference']));
  });
});

describe('worker scripts from source', () => {
  it('bundles the threads worker once per process', async () => {
    const script = await workerScript('threads-worker');
    expect(script).toMatch(/threads-worker-\d+\.mjs$/);
    expect(await workerScript('threads-worker')).toBe(script);
    expect(readFileSync(script, 'utf8')).toContain('layerBackward');
  }, 30_000);
});

describe('choosing for a run on this machine', () => {

  it("measures on 'auto', remembers the pick in the user data folder, and recalls it next time", async () => {
    const folder = tempFolder();
    const rng = new Rng(3);
    const kan = Kan.create({ width: [3, 4, 1], grid: 5, k: 3 }, rng);
    const batch = syntheticBatch(3, 1, 200, 'regression', rng);
    // As on a quiet machine: on a busy one threads is left out and nothing is remembered (chooser.test.ts).
    const quiet = { freeCores: 2 };
    const first = await chooseBackendForRun(kan, batch, 'regression', { requested: 'auto', userDataFolder: folder, candidates: ['reference', 'threads'], ...quiet });
    // threads is either timed or left out as clearly slower (on 200 samples its messages may cost more than the work).
    expect([...Object.keys(first.secondsPerCall), ...Object.keys(first.rejected)].sort()).toEqual(['reference', 'threads']);
    expect(first.rejected.threads ?? 'clearly slower').toMatch(/^clearly slower/);
    expect(first.fromStore).toBe(false);
    const stored = JSON.parse(readFileSync(path.join(folder, CHOICE_FILE_NAME), 'utf8')) as { choices: Record<string, { backend: string }> };
    const [key, entry] = Object.entries(stored.choices)[0]!;
    expect(key.endsWith(`|${sizeClass(kan, 200)}`)).toBe(true);
    expect(entry.backend).toBe(first.backend);
    const second = await chooseBackendForRun(kan, batch, 'regression', { requested: 'auto', userDataFolder: folder, candidates: ['reference', 'threads'], ...quiet });
    expect(second.fromStore).toBe(true);
    expect(second.backend).toBe(first.backend);
    const named = await chooseBackendForRun(kan, batch, 'regression', { requested: 'threads' });
    expect(named.reason).toBe('threads (requested)');
  }, 60_000);
});

describe('kanbench bench-backends', () => {
  function capture(): { out: () => string } {
    let text = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      text += String(chunk);
      return true;
    });
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    return { out: () => text };
  }

  it('--list says for every backend whether it can run here and why', async () => {
    const { out } = capture();
    expect(await benchBackendsCommand(['--list'])).toBe(0);
    expect(out()).toMatch(/^reference +available +float64 +always available$/m);
    expect(out()).toMatch(/^gpujs-webgl2 +unavailable float32 +WebGL2 is only available in a browser/m);
  }, 60_000);

  it('times the available backends on a size, prints the table with the pick and remembers it', async () => {
    const folder = tempFolder();
    const { out } = capture();
    expect(await benchBackendsCommand(['--width', '4,6,1', '--grid', '5', '--n', '128', '--repeats', '1', '--data-dir', folder])).toBe(0);
    const text = out();
    expect(text).toMatch(/^KAN \[4,6,1\] G=5 k=3, 128 samples \(regression\)/);
    expect(text).toMatch(/^ {2}reference +[\d.e-]+ s {2}1\.00x reference/m);
    expect(text).toMatch(/^ {2}gpujs-webgl +unavailable: /m);
    const pick = /^pick: (\S+) \(remembered for this machine and (\S+) in (.+)\)$/m.exec(text);
    expect(pick).not.toBeNull();
    expect(pick![3]).toBe(path.join(folder, CHOICE_FILE_NAME));
    expect(Object.values(JsonChoiceStore.inFolder(folder).all())[0]!.backend).toBe(pick![1]);
  }, 60_000);

  it('rejects bad arguments with a usage error that says what was wrong', async () => {
    capture();
    await expect(benchBackendsCommand(['--width', '4'])).rejects.toThrow(UsageError);
    await expect(benchBackendsCommand(['--width', '4,x'])).rejects.toThrow(/--width must list at least two positive integers/);
    await expect(benchBackendsCommand(['--n', '0'])).rejects.toThrow('--n must be a positive integer; got "0"');
    await expect(benchBackendsCommand(['--task', 'ranking'])).rejects.toThrow(/--task must be classification or regression/);
    await expect(benchBackendsCommand(['--backends', 'cuda'])).rejects.toThrow(/unknown backend "cuda"; known: reference,/);
    await expect(benchBackendsCommand(['--backends', 'gpujs-webgl'])).rejects.toThrow(/backend "gpujs-webgl" cannot run here: WebGL is only available/);
  }, 60_000);
});
