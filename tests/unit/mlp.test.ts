/** Tests of the MLP baseline: hand-computed forward values, gradients against finite differences, initialisation, snapshots, parameter-count matching and speed. */
import { describe, it, expect } from 'vitest';
import { Mlp, matchMlpWidth, mlpParameterCount, type MlpActivation, type MlpSpec } from '../../app/mlp';
import type { Batch, Task } from '../../app/train/types';
import { Rng } from '../../app/util/rng';

const ACTIVATIONS: MlpActivation[] = ['silu', 'tanh', 'relu'];
const TASKS: Task[] = ['regression', 'classification'];

function randomBatch(rng: Rng, nIn: number, nOut: number, n: number, task: Task, zeroFraction = 0): Batch {
  const x = new Float64Array(n * nIn);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform() < zeroFraction ? 0 : rng.range(-1.5, 1.5);
  const y = new Float64Array(task === 'regression' ? n * nOut : n);
  for (let i = 0; i < y.length; i++) y[i] = task === 'regression' ? rng.normal() : rng.int(nOut);
  return { x, y, n };
}

function objectiveAt(mlp: Mlp, batch: Batch, task: Task): number {
  return mlp.lossAndGrad(batch, task, new Float64Array(mlp.params.length)).objective;
}

/** Largest violation of |analytic - central difference| <= 1e-6 * max(|analytic|, |fd|) + 1e-9 over the given parameters, as a ratio (< 1 passes). */
function worstGradientError(mlp: Mlp, batch: Batch, task: Task, indices: Iterable<number>): number {
  const grad = new Float64Array(mlp.params.length);
  mlp.lossAndGrad(batch, task, grad);
  const h = 1e-5;
  let worst = 0;
  for (const i of indices) {
    const saved = mlp.params[i]!;
    mlp.params[i] = saved + h;
    const up = objectiveAt(mlp, batch, task);
    mlp.params[i] = saved - h;
    const down = objectiveAt(mlp, batch, task);
    mlp.params[i] = saved;
    const fd = (up - down) / (2 * h);
    const g = grad[i]!;
    worst = Math.max(worst, Math.abs(g - fd) / (1e-6 * Math.max(Math.abs(g), Math.abs(fd)) + 1e-9));
  }
  return worst;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** Plain triple-loop forward pass, independent of the model's kernels and layout helpers. */
function referenceForward(spec: MlpSpec, params: Float64Array, x: Float64Array, n: number): { output: Float64Array; hidden: Float64Array[] } {
  const act = (z: number): number => (spec.activation === 'tanh' ? Math.tanh(z) : spec.activation === 'relu' ? Math.max(0, z) : z / (1 + Math.exp(-z)));
  let current = x;
  let offset = 0;
  const hidden: Float64Array[] = [];
  for (let l = 0; l + 1 < spec.width.length; l++) {
    const nIn = spec.width[l]!;
    const nOut = spec.width[l + 1]!;
    const next = new Float64Array(n * nOut);
    for (let s = 0; s < n; s++) {
      for (let o = 0; o < nOut; o++) {
        let z = params[offset + nIn * nOut + o]!;
        for (let i = 0; i < nIn; i++) z += params[offset + o * nIn + i]! * current[s * nIn + i]!;
        next[s * nOut + o] = l + 2 < spec.width.length ? act(z) : z;
      }
    }
    if (l + 2 < spec.width.length) hidden.push(next);
    offset += nIn * nOut + nOut;
    current = next;
  }
  return { output: current, hidden };
}

function zeroFraction(values: Float64Array): number {
  return values.filter((v) => v === 0).length / values.length;
}

describe('parameter counts', () => {
  it('counts weights and biases of every layer', () => {
    expect(mlpParameterCount([2, 5, 1])).toBe(2 * 5 + 5 + 5 * 1 + 1);
    expect(mlpParameterCount([784, 256, 10])).toBe(784 * 256 + 256 + 256 * 10 + 10);
    expect(mlpParameterCount([3, 1])).toBe(4);
    const mlp = Mlp.create({ width: [4, 7, 6, 2], activation: 'tanh' }, new Rng(1));
    expect(mlp.parameterCount()).toBe(4 * 7 + 7 + 7 * 6 + 6 + 6 * 2 + 2);
    expect(mlp.params.length).toBe(mlp.parameterCount());
    expect([mlp.nIn, mlp.nOut]).toEqual([4, 2]);
  });

  it('rejects widths that are not a network', () => {
    expect(() => mlpParameterCount([3])).toThrow(/at least an input and an output/);
    expect(() => mlpParameterCount([3, 0, 1])).toThrow(/width\[1\] must be a positive integer/);
    expect(() => mlpParameterCount([3, 2.5, 1])).toThrow(/width\[1\]/);
    expect(() => Mlp.create({ width: [2, 3], activation: 'gelu' as MlpActivation }, new Rng(1))).toThrow(/activation must be one of silu, tanh, relu/);
    expect(() => Mlp.create({ width: [2, 3], activation: 'relu', weightDecay: -1 }, new Rng(1))).toThrow(/weightDecay/);
  });
});

describe('matchMlpWidth', () => {
  const count = (nIn: number, nOut: number, layers: number, h: number): number => mlpParameterCount([nIn, ...Array<number>(layers).fill(h), nOut]);

  it('returns the width whose count is closest to the target, no neighbour being closer', () => {
    const cases: [number, number, number, number][] = [
      [2, 1, 1, 100], [2, 1, 2, 100], [5, 3, 3, 1234], [784, 10, 1, 50_000], [784, 10, 2, 203_530], [1, 1, 4, 77], [10, 2, 1, 13],
    ];
    for (const [nIn, nOut, layers, target] of cases) {
      const h = matchMlpWidth(nIn, nOut, layers, target);
      expect(h).toBeGreaterThanOrEqual(1);
      const distance = Math.abs(count(nIn, nOut, layers, h) - target);
      expect(distance).toBeLessThanOrEqual(Math.abs(count(nIn, nOut, layers, h + 1) - target));
      if (h > 1) expect(distance).toBeLessThanOrEqual(Math.abs(count(nIn, nOut, layers, h - 1) - target));
    }
  });

  it('hits an exactly reachable count and clamps small targets to width 1', () => {
    expect(matchMlpWidth(784, 10, 1, mlpParameterCount([784, 256, 10]))).toBe(256);
    expect(matchMlpWidth(3, 2, 3, mlpParameterCount([3, 17, 17, 17, 2]))).toBe(17);
    expect(matchMlpWidth(2, 1, 2, 0)).toBe(1);
  });

  it('explains bad arguments', () => {
    expect(() => matchMlpWidth(2, 1, 0, 100)).toThrow(/at least one hidden layer/);
    expect(() => matchMlpWidth(2, 1, 1, Number.NaN)).toThrow(/target parameter count/);
  });
});

describe('forward', () => {
  // [2, 2, 1]: W1 = [[1, 2], [3, -1]], b1 = [0.5, -0.5], W2 = [[2, -1]], b2 = [0.25]
  const params = Float64Array.from([1, 2, 3, -1, 0.5, -0.5, 2, -1, 0.25]);
  const x = Float64Array.from([1, -1, 0.5, 0.25]);
  // sample 0: z1 = [1 - 2 + 0.5, 3 + 1 - 0.5] = [-0.5, 3.5]; sample 1: z1 = [0.5 + 0.5 + 0.5, 1.5 - 0.25 - 0.5] = [1.5, 0.75]
  const out = (a: (z: number) => number): number[] => [2 * a(-0.5) - a(3.5) + 0.25, 2 * a(1.5) - a(0.75) + 0.25];

  it('matches a hand-computed network for each activation', () => {
    const silu = (z: number): number => z / (1 + Math.exp(-z));
    const expected: Record<MlpActivation, number[]> = { relu: [-3.25, 2.5], tanh: out(Math.tanh), silu: out(silu) };
    for (const activation of ACTIVATIONS) {
      const y = Mlp.fromParams({ width: [2, 2, 1], activation }, params).forward(x, 2);
      expect(y.length).toBe(2);
      expect(y[0]).toBeCloseTo(expected[activation][0]!, 14);
      expect(y[1]).toBeCloseTo(expected[activation][1]!, 14);
    }
    expect(out((z) => Math.max(0, z))).toEqual([-3.25, 2.5]);
  });

  it('agrees with a plain triple loop on odd sizes, dense and sparse inputs', () => {
    const rng = new Rng(5);
    for (const [width, n, zeros] of [[[60, 50, 7], 31, 0], [[60, 50, 7], 31, 0.8], [[40, 50, 52, 3], 100, 0.5], [[1, 1], 2, 0]] as [number[], number, number][]) {
      for (const activation of ACTIVATIONS) {
        const spec = { width, activation };
        const mlp = Mlp.create(spec, rng);
        const batch = randomBatch(rng, width[0]!, width[width.length - 1]!, n, 'regression', zeros);
        const expected = referenceForward(spec, mlp.params, batch.x, n).output;
        const y = mlp.forward(batch.x, n);
        for (let i = 0; i < y.length; i++) expect(Math.abs(y[i]! - expected[i]!)).toBeLessThan(1e-12 * (1 + Math.abs(expected[i]!)));
      }
    }
  });

  it('gives the same answer for a smaller batch after a larger one (buffers are reused)', () => {
    const rng = new Rng(6);
    const mlp = Mlp.create({ width: [5, 8, 3], activation: 'silu' }, rng);
    const big = randomBatch(rng, 5, 3, 20, 'regression');
    const first = mlp.forward(big.x.subarray(0, 5 * 4), 4);
    mlp.forward(big.x, 20);
    expect(Array.from(mlp.forward(big.x.subarray(0, 5 * 4), 4))).toEqual(Array.from(first));
    expect(mlp.forward(new Float64Array(0), 0).length).toBe(0);
  });
});

describe('lossAndGrad', () => {
  for (const activation of ACTIVATIONS) {
    for (const task of TASKS) {
      it(`matches central differences for every parameter (${activation}, ${task}, weight decay)`, () => {
        const rng = new Rng(11);
        const mlp = Mlp.create({ width: [3, 5, 4, 3], activation, weightDecay: 0.03 }, rng);
        for (let i = 0; i < mlp.params.length; i++) mlp.params[i] = mlp.params[i]! + 0.1 * rng.normal(); // non-zero biases
        const batch = randomBatch(rng, 3, 3, 7, task);
        expect(worstGradientError(mlp, batch, task, range(mlp.params.length))).toBeLessThan(1);
      });
    }
  }

  it('matches central differences through the sparse paths (mostly-zero inputs, mostly-dead ReLU units)', () => {
    const rng = new Rng(12);
    const spec: MlpSpec = { width: [12, 10, 9, 4], activation: 'relu', weightDecay: 0.01 };
    const mlp = Mlp.create(spec, rng);
    // Hidden biases pushed negative so most units are off: sparse hidden activations and sparse back-propagated deltas.
    for (const [offset, count] of [[12 * 10, 10], [12 * 10 + 10 + 10 * 9, 9]] as const) for (let o = 0; o < count; o++) mlp.params[offset + o] = -0.6;
    for (const task of TASKS) {
      const batch = randomBatch(rng, 12, 4, 9, task, 0.8);
      const { hidden } = referenceForward(spec, mlp.params, batch.x, batch.n);
      expect(zeroFraction(batch.x)).toBeGreaterThan(0.65);
      for (const h of hidden) expect(zeroFraction(h)).toBeGreaterThan(0.65);
      expect(worstGradientError(mlp, batch, task, range(mlp.params.length))).toBeLessThan(1);
    }
  });

  it('matches central differences on larger odd-sized layers (sampled parameters, dense and sparse inputs)', () => {
    const rng = new Rng(13);
    for (const zeros of [0, 0.8]) {
      const mlp = Mlp.create({ width: [40, 50, 52, 5], activation: 'tanh', weightDecay: 0.02 }, rng);
      const batch = randomBatch(rng, 40, 5, 31, 'classification', zeros);
      const sample = range(120).map(() => rng.int(mlp.params.length));
      expect(worstGradientError(mlp, batch, 'classification', sample)).toBeLessThan(1);
    }
  });

  it('separates the prediction loss from the weight-decay term, which skips biases', () => {
    const params = Float64Array.from([1, 2, 3, -1, 0.5, -0.5, 2, -1, 0.25]);
    const batch: Batch = { x: Float64Array.from([1, -1]), y: Float64Array.from([0]), n: 1 };
    const plain = Mlp.fromParams({ width: [2, 2, 1], activation: 'relu' }, params);
    const decayed = Mlp.fromParams({ width: [2, 2, 1], activation: 'relu', weightDecay: 0.1 }, params);
    const grad = new Float64Array(9);
    const plainGrad = new Float64Array(9);
    const { loss } = plain.lossAndGrad(batch, 'regression', plainGrad);
    const result = decayed.lossAndGrad(batch, 'regression', grad);
    expect(loss).toBeCloseTo(3.25 * 3.25, 12);
    expect(result.loss).toBeCloseTo(loss, 14);
    // 0.1 / 2 * (1 + 4 + 9 + 1 + 4 + 1)
    expect(result.objective - result.loss).toBeCloseTo(0.05 * 20, 12);
    for (const i of [4, 5, 8]) expect(grad[i]).toBe(plainGrad[i]);
    expect(grad[6]! - plainGrad[6]!).toBeCloseTo(0.2, 12);
  });

  it('explains bad batches instead of returning NaN', () => {
    const mlp = Mlp.create({ width: [2, 3, 3], activation: 'tanh' }, new Rng(1));
    const grad = new Float64Array(mlp.params.length);
    const x = Float64Array.from([0.1, 0.2, 0.3, 0.4]);
    expect(() => mlp.lossAndGrad({ x, y: Float64Array.from([0, 3]), n: 2 }, 'classification', grad)).toThrow(/label 3 of sample 1 .*0\.\.2/);
    expect(() => mlp.lossAndGrad({ x, y: Float64Array.from([0.5, 1]), n: 2 }, 'classification', grad)).toThrow(/not an integer/);
    expect(() => mlp.lossAndGrad({ x, y: new Float64Array(5), n: 2 }, 'regression', grad)).toThrow(/need 6/);
    expect(() => mlp.lossAndGrad({ x, y: new Float64Array(6), n: 3 }, 'regression', grad)).toThrow(/inputs hold 4 numbers/);
    expect(() => mlp.lossAndGrad({ x, y: new Float64Array(6), n: 2 }, 'regression', new Float64Array(3))).toThrow(/gradient buffer/);
    expect(() => mlp.lossAndGrad({ x, y: new Float64Array(0), n: 0 }, 'regression', grad)).toThrow(/at least one sample/);
  });
});

describe('initialisation and snapshots', () => {
  it('is reproducible from the seed, with zero biases', () => {
    const spec: MlpSpec = { width: [6, 9, 4], activation: 'silu' };
    const a = Mlp.create(spec, new Rng(42));
    const b = Mlp.create(spec, new Rng(42));
    const c = Mlp.create(spec, new Rng(43));
    expect(Array.from(a.params)).toEqual(Array.from(b.params));
    expect(Array.from(a.params)).not.toEqual(Array.from(c.params));
    expect(Array.from(a.params.subarray(54, 63))).toEqual(Array(9).fill(0));
    expect(Array.from(a.params.subarray(63 + 36))).toEqual(Array(4).fill(0));
  });

  it('draws Xavier-uniform weights for tanh/silu and Kaiming-uniform for relu', () => {
    const stats = (values: Float64Array): { mean: number; variance: number; maxAbs: number } => {
      let sum = 0, squares = 0, maxAbs = 0;
      for (const v of values) { sum += v; squares += v * v; maxAbs = Math.max(maxAbs, Math.abs(v)); }
      const mean = sum / values.length;
      return { mean, variance: squares / values.length - mean * mean, maxAbs };
    };
    for (const activation of ACTIVATIONS) {
      const mlp = Mlp.create({ width: [400, 300, 100], activation }, new Rng(7));
      const layers: [Float64Array, number, number][] = [
        [mlp.params.subarray(0, 400 * 300), 400, 300],
        [mlp.params.subarray(400 * 300 + 300, 400 * 300 + 300 + 300 * 100), 300, 100],
      ];
      for (const [weights, fanIn, fanOut] of layers) {
        const expectedVariance = activation === 'relu' ? 2 / fanIn : 2 / (fanIn + fanOut);
        const { mean, variance, maxAbs } = stats(weights);
        expect(Math.abs(variance / expectedVariance - 1)).toBeLessThan(0.03);
        expect(Math.abs(mean)).toBeLessThan(0.02 * Math.sqrt(expectedVariance));
        expect(maxAbs).toBeLessThanOrEqual(Math.sqrt(3 * expectedVariance));
        expect(maxAbs).toBeGreaterThan(0.99 * Math.sqrt(3 * expectedVariance));
      }
    }
  });

  it('restores a snapshot from its params, as an independent copy', () => {
    const spec: MlpSpec = { width: [3, 6, 2], activation: 'relu', weightDecay: 0.5 };
    const rng = new Rng(9);
    const original = Mlp.create(spec, rng);
    const snapshot = original.params.slice();
    const restored = Mlp.fromParams(spec, snapshot);
    const batch = randomBatch(rng, 3, 2, 5, 'regression');
    expect(Array.from(restored.forward(batch.x, 5))).toEqual(Array.from(original.forward(batch.x, 5)));
    expect(restored.spec).toEqual(spec);
    snapshot[0] = 123;
    original.params[1] = 456;
    expect(restored.params[0]).toBe(original.params[0]);
    expect(restored.params[1]).not.toBe(456);
    expect(() => Mlp.fromParams(spec, new Float64Array(snapshot.length - 1))).toThrow(/has 38 parameters but the snapshot holds 37/);
  });
});

describe('speed', () => {
  it('times forward+backward of [784, 256, 10] at batch 1024 and the step lowers the loss', () => {
    const rng = new Rng(3);
    const mlp = Mlp.create({ width: [784, 256, 10], activation: 'relu' }, rng);
    const grad = new Float64Array(mlp.params.length);
    // Dense inputs, and MNIST-like inputs (about 81% of pixels exactly 0).
    for (const [label, zeros] of [['dense inputs', 0], ['MNIST-like inputs', 0.81]] as const) {
      const batch = randomBatch(rng, 784, 10, 1024, 'classification', zeros);
      for (let i = 0; i < batch.x.length; i++) batch.x[i] = Math.abs(batch.x[i]!) / 1.5;
      mlp.lossAndGrad(batch, 'classification', grad);
      const times: number[] = [];
      let before = 0;
      for (let rep = 0; rep < 4; rep++) {
        const start = performance.now();
        before = mlp.lossAndGrad(batch, 'classification', grad).objective;
        times.push((performance.now() - start) / 1000);
      }
      times.sort((a, b) => a - b);
      console.log(`MLP [784, 256, 10] forward+backward, batch 1024, ${label}: ${times[0]!.toFixed(3)} s best, ${times[2]!.toFixed(3)} s median of 4`);
      for (let i = 0; i < grad.length; i++) mlp.params[i] = mlp.params[i]! - 0.05 * grad[i]!;
      expect(mlp.lossAndGrad(batch, 'classification', grad).objective).toBeLessThan(before);
    }
  }, 20_000);
});
