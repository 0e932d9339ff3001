import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type ChoiceStore, type StoredChoice, chooseBackend, pickFastest, resolveBackend, sizeClass } from '../../../app/compute/chooser';
import type { ComputeBackend, KanKernels } from '../../../app/compute/contract';
import { createReferenceBackend } from '../../../app/compute/reference';
import { registerBackend } from '../../../app/compute/registry';
import { Kan } from '../../../app/kan/model';
import { Rng } from '../../../app/util/rng';
import { fixture } from './helpers';

/** Time is what the fakes say it is: the reference costs 10 per call, each fake its own cost. */
let clock = 0;
const now = (): number => clock;

interface FakeOptions {
  cost: number;
  /** Multiplies every gradient entry (1 = agrees with the reference). */
  gradScale?: number;
  fail?: string;
  /** Rows of every batch the fake saw. */
  rows?: number[];
}

function fakeBackend(name: string, options: FakeOptions): ComputeBackend {
  const reference = createReferenceBackend();
  return {
    ...reference,
    name,
    createKanKernels: (shapes) => {
      const inner = reference.createKanKernels(shapes);
      const kernels: KanKernels = {
        ...inner,
        setParameters: (layers, params) => {
          if (options.fail) throw new Error(options.fail);
          clock += options.cost;
          return inner.setParameters(layers, params);
        },
        forwardLayer: (l, x, n, abs) => {
          options.rows?.push(n);
          return inner.forwardLayer(l, x, n, abs);
        },
        backwardLayer: (l, gy, reg, grad, wantGx) => {
          inner.backwardLayer(l, gy, reg, grad, wantGx);
          if (options.gradScale !== undefined) for (let q = 0; q < grad.length; q++) grad[q]! *= options.gradScale;
        },
        basis: (l, x, n) => inner.basis(l, x, n),
        readOutput: (l) => inner.readOutput(l),
        readInputGradient: (l) => inner.readInputGradient(l),
        dispose: () => inner.dispose(),
      };
      return kernels;
    },
  };
}

function register(name: string, options: FakeOptions, available = true, threaded = false): void {
  registerBackend({
    name, description: `fake ${name}`, precision: 'float64', synchronous: true, threaded,
    probe: async () => ({ available, reason: available ? 'fake' : 'fake says no' }),
    create: async () => fakeBackend(name, options),
  });
}

class MemoryStore implements ChoiceStore {
  readonly entries = new Map<string, StoredChoice>();
  get(key: string): StoredChoice | undefined {
    return this.entries.get(key);
  }
  set(key: string, choice: StoredChoice): void {
    this.entries.set(key, choice);
  }
}

const f = fixture([4, 5, 2], 5, 3, 'silu', 50, 'classification', 31);

beforeEach(() => {
  clock = 0;
  const original = Kan.prototype.lossAndGrad;
  vi.spyOn(Kan.prototype, 'lossAndGrad').mockImplementation(function (this: Kan, batch, task, grad) {
    clock += 10;
    return original.call(this, batch, task, grad);
  });
});
afterEach(() => vi.restoreAllMocks());

describe('choosing a backend by measurement', () => {
  it('picks the fastest backend that agrees with the reference, and says why the others were left out', async () => {
    register('fast', { cost: 4 });
    register('faster-but-wrong', { cost: 1, gradScale: 1.01 });
    register('broken', { cost: 1, fail: 'no device' });
    register('slow', { cost: 50 });
    register('unavailable', { cost: 1 }, false);
    const decision = await chooseBackend(f.kan, f.batch, f.task, { machine: 'm', now, candidates: ['fast', 'faster-but-wrong', 'broken', 'slow'] });
    expect(decision.backend).toBe('fast');
    expect(decision.secondsPerCall).toEqual({ reference: 0.01, fast: 0.004 });
    expect(decision.rejected['faster-but-wrong']).toMatch(/^disagrees with the reference: relative error \d\.\d\de-2 > 1e-8$/);
    expect(decision.rejected.broken).toBe('failed: no device');
    expect(decision.rejected.slow).toMatch(/clearly slower/);
    expect(decision.reason).toMatch(/^fast: fastest measured on this machine for .*, 2\.50x the reference$/);
    expect(decision.choice).not.toBe('reference');
  });

  it('by default considers every available synchronous backend (an unavailable one is not even loaded)', async () => {
    register('fast', { cost: 4 });
    register('unavailable', { cost: 1 }, false);
    const decision = await chooseBackend(f.kan, f.batch, f.task, { machine: 'm', now });
    expect(Object.keys(decision.secondsPerCall)).toContain('fast');
    expect(decision.secondsPerCall.unavailable).toBeUndefined();
    expect(decision.rejected.unavailable).toBeUndefined();
  });

  it('keeps the reference unless another backend takes at most 95% of its time', async () => {
    register('marginal', { cost: 9.7 });
    const decision = await chooseBackend(f.kan, f.batch, f.task, { machine: 'm', now, candidates: ['marginal'] });
    expect(decision.secondsPerCall.marginal).toBeCloseTo(0.0097, 12);
    expect(decision.backend).toBe('reference');
    expect(decision.choice).toBe('reference');
    expect(pickFastest({ reference: 10, a: 9.5 }, 0.95)).toBe('a');
    expect(pickFastest({ reference: 10, a: 9.6, b: 2 }, 0.95)).toBe('b');
    expect(pickFastest({ a: 3, b: 2 }, 0.95)).toBe('b');
  });

  it('times a batch of the real width but at most maxTimingPairs samples x edges (never under 64 rows)', async () => {
    const rows: number[] = [];
    register('fast', { cost: 1, rows });
    await chooseBackend(f.kan, f.batch, f.task, { machine: 'm', now, candidates: ['fast'], maxTimingPairs: 10 });
    expect(new Set(rows)).toEqual(new Set([f.batch.n]));
    rows.length = 0;
    const big = fixture([4, 5, 2], 5, 3, 'silu', 300, 'classification', 32);
    await chooseBackend(big.kan, big.batch, big.task, { machine: 'm', now, candidates: ['fast'], maxTimingPairs: 100 * 30 });
    expect(new Set(rows)).toEqual(new Set([100]));
  });

  it('remembers the decision per machine and size class, measures again when forced or on another machine', async () => {
    register('fast', { cost: 4 });
    const store = new MemoryStore();
    const first = await chooseBackend(f.kan, f.batch, f.task, { machine: 'laptop', store, now, candidates: ['fast'] });
    expect(first.fromStore).toBe(false);
    const key = `laptop|${sizeClass(f.kan, f.batch.n)}`;
    expect(store.get(key)?.backend).toBe('fast');
    expect(store.get(key)?.secondsPerCall).toEqual({ reference: 0.01, fast: 0.004 });

    clock = 0;
    const again = await chooseBackend(f.kan, f.batch, f.task, { machine: 'laptop', store, now, candidates: ['fast'] });
    expect(again.fromStore).toBe(true);
    expect(again.backend).toBe('fast');
    expect(again.reason).toMatch(/^fast: fastest on this machine for .* \(measured \d{4}-/);
    expect(clock).toBe(0);

    const forced = await chooseBackend(f.kan, f.batch, f.task, { machine: 'laptop', store, now, candidates: ['fast'], force: true });
    expect(forced.fromStore).toBe(false);
    const elsewhere = await chooseBackend(f.kan, f.batch, f.task, { machine: 'desktop', store, now, candidates: ['fast'] });
    expect(elsewhere.fromStore).toBe(false);
    expect(store.entries.size).toBe(2);
  });

  it('measures again when the remembered backend can no longer run', async () => {
    const store = new MemoryStore();
    store.set(`m|${sizeClass(f.kan, f.batch.n)}`, { backend: 'gone', measuredAt: '2020-01-01T00:00:00.000Z', secondsPerCall: {}, rejected: {} });
    register('fast', { cost: 4 });
    const lines: string[] = [];
    const decision = await chooseBackend(f.kan, f.batch, f.task, { machine: 'm', store, now, candidates: ['fast'], log: (l) => lines.push(l) });
    expect(decision.fromStore).toBe(false);
    expect(decision.backend).toBe('fast');
    expect(lines[0]).toMatch(/stored choice gone cannot be loaded \(unknown compute backend "gone"/);
  });

  it('leaves threaded backends out while fewer than 2 cores are free, without remembering that, and keeps a remembered one-core pick', async () => {
    register('many-cores', { cost: 2 }, true, true);
    register('one-core', { cost: 5 });
    const store = new MemoryStore();
    const key = `m|${sizeClass(f.kan, f.batch.n)}`;
    const quiet = await chooseBackend(f.kan, f.batch, f.task, { machine: 'm', store, now, candidates: ['many-cores', 'one-core'], freeCores: 2 });
    expect(quiet.backend).toBe('many-cores');
    expect(store.get(key)?.secondsPerCall).toEqual({ reference: 0.01, 'many-cores': 0.002, 'one-core': 0.005 });

    // Remembered threaded choice, busy machine: the fastest one-core backend of the same measurement, nothing re-measured.
    clock = 0;
    const recalled = await chooseBackend(f.kan, f.batch, f.task, { machine: 'm', store, now, candidates: ['many-cores', 'one-core'], freeCores: 1.3 });
    expect(recalled.backend).toBe('one-core');
    expect(recalled.fromStore).toBe(true);
    expect(recalled.reason).toMatch(/^one-core: fastest on one core \(many-cores with every core\) .*; threaded backends left out, as only 1\.3 CPU cores are free$/);
    expect(clock).toBe(0);
    expect(store.get(key)?.backend).toBe('many-cores');

    // Nothing remembered, busy machine: the threaded backend is not even measured, and the decision is not kept.
    const fresh = new MemoryStore();
    const busy = await chooseBackend(f.kan, f.batch, f.task, { machine: 'm', store: fresh, now, candidates: ['many-cores', 'one-core'], freeCores: 0.5 });
    expect(busy.backend).toBe('one-core');
    expect(Object.keys(busy.secondsPerCall).sort()).toEqual(['one-core', 'reference']);
    expect(busy.reason).toMatch(/; threaded backends left out, as only 0\.5 CPU cores are free$/);
    expect(fresh.entries.size).toBe(0);
  });

  it('resolves a requested name without measuring, and explains an unknown or unavailable one', async () => {
    register('off', { cost: 1 }, false);
    const decision = await resolveBackend('reference', f.kan, f.batch, f.task, { machine: 'm', now });
    expect(decision.choice).toBe('reference');
    expect(decision.reason).toBe('reference (requested)');
    expect(clock).toBe(0);
    await expect(resolveBackend('cuda', f.kan, f.batch, f.task, { machine: 'm' })).rejects.toThrow(/unknown compute backend "cuda"; known backends: reference, .*\(or "auto" to measure and pick\)/);
    await expect(resolveBackend('off', f.kan, f.batch, f.task, { machine: 'm' })).rejects.toThrow('compute backend "off" cannot run here: fake says no');
  });
});

describe('size classes', () => {
  it('group problems by work per step and bases per edge', () => {
    const kan = Kan.create({ width: [784, 64, 10], grid: 5, k: 3 }, new Rng(1));
    expect(sizeClass(kan, 1024)).toBe('pairs-2^26_bases-2^3_k3');
    expect(sizeClass(kan, 1100)).toBe(sizeClass(kan, 1024));
    expect(sizeClass(kan, 16384)).toBe('pairs-2^30_bases-2^3_k3');
  });
});
