/** The WebAssembly SIMD dense product and the MLP that uses it: against the reference product and the MLP's own kernels. */
import { describe, expect, it } from 'vitest';
import type { ComputeBackend } from '../../../app/compute/contract';
import { referenceMatmul } from '../../../app/compute/reference';
import { listBackends, loadBackend } from '../../../app/compute/registry';
import { createWasmBackend } from '../../../app/compute/wasm/backend';
import { wasmAvailability } from '../../../app/compute/wasm/runner';
import { Mlp } from '../../../app/mlp';
import { initialState, runSteps, trainedMetrics } from '../../../app/recipe/runner';
import { parseRecipe } from '../../../app/recipe/schema';
import { Rng } from '../../../app/util/rng';
import { registerNodeBackends } from '../../../main/compute';
import { relativeError } from './helpers';

describe.skipIf(!wasmAvailability().available)('the wasm dense product', () => {
  it('equals the reference product on every blocking edge (rows and columns not multiples of four, an empty inner dimension)', () => {
    const backend = createWasmBackend();
    const rng = new Rng(1);
    for (const rows of [1, 3, 4, 5, 9]) {
      for (const cols of [1, 2, 4, 7, 10]) {
        for (const inner of [0, 1, 6, 33]) {
          const a = new Float64Array(rows * inner + 3).map(() => rng.normal());
          const b = new Float64Array(inner * cols + 2).map(() => rng.normal());
          const want = referenceMatmul(a, b, rows, inner, cols);
          const got = backend.matmul(a, b, rows, inner, cols) as Float64Array;
          expect(got).toHaveLength(rows * cols);
          if (inner === 0) expect(Array.from(got)).toEqual(new Array(rows * cols).fill(0));
          else expect(relativeError(got, want)).toBeLessThan(1e-14);
        }
      }
    }
    expect(() => backend.matmul(new Float64Array(5), new Float64Array(6), 2, 3, 2)).toThrow(/a holds 5 numbers, \[2\]\[3\] needs 6/);
  });

  it('gives an MLP the loss and gradient of its own kernels (dense inputs), and sparse inputs keep their path', () => {
    const backend = createWasmBackend();
    const rng = new Rng(2);
    const mlp = Mlp.create({ width: [13, 17, 6, 3], activation: 'silu' }, rng);
    const n = 29;
    const dense = { x: new Float64Array(n * 13).map(() => rng.normal()), y: new Float64Array(n).map(() => rng.int(3)), n };
    const sparse = { x: dense.x.map((v, q) => (q % 9 === 0 ? v : 0)), y: dense.y, n };
    for (const batch of [dense, sparse]) {
      const want = new Float64Array(mlp.params.length);
      const a = mlp.lossAndGrad(batch, 'classification', want);
      const predWant = mlp.forward(batch.x, n);
      mlp.useMatmul((x, w, r, i, c) => backend.matmul(x, w, r, i, c) as Float64Array);
      const got = new Float64Array(mlp.params.length);
      const b = mlp.lossAndGrad(batch, 'classification', got);
      const predGot = mlp.forward(batch.x, n);
      mlp.useMatmul(null);
      expect(Math.abs(b.loss - a.loss) / a.loss).toBeLessThan(1e-13);
      expect(relativeError(got, want)).toBeLessThan(1e-12);
      expect(relativeError(predGot, predWant)).toBeLessThan(1e-13);
    }
  });

  it('an MLP fit step with the backend product follows the fit without it, and the MLP is left on its own kernels', () => {
    const recipe = parseRecipe({
      seed: 4,
      data: { formula: 'sin(x1) + x2*x3', vars: 3, train: 300, test: 100 },
      kan: { width: [3, 2, 1], grid: 3 },
      mlp: { width: [3, 16, 16, 1] },
      steps: [{ fit: { opt: 'adam', steps: 25, lr: 0.01, models: ['mlp'] } }],
    });
    const plain = runSteps(initialState(recipe, () => ''));
    let calls = 0;
    const backend = createWasmBackend();
    const state = initialState(recipe, () => '');
    const accelerated = runSteps(state, {
      mlpMatmul: (a, b, r, i, c) => {
        calls++;
        return backend.matmul(a, b, r, i, c) as Float64Array;
      },
    });
    expect(calls).toBeGreaterThan(25 * 5);
    const want = trainedMetrics(plain.stages[0]!.mlp!).testRmse!;
    expect(Math.abs(trainedMetrics(accelerated.stages[0]!.mlp!).testRmse! - want) / want).toBeLessThan(1e-9);
    const before = calls;
    state.mlp!.forward(new Float64Array(3 * 40), 40);
    expect(calls).toBe(before);
  });
});

registerNodeBackends();
const threadsWasm = (await listBackends()).find((b) => b.name === 'threads-wasm');

describe.skipIf(!threadsWasm?.available)(`the threads-wasm dense product${threadsWasm?.available ? '' : ` (skipped: ${threadsWasm?.reason ?? 'not registered'})`}`, () => {
  it('splits rows over the worker threads and equals the reference product, small and large', async () => {
    const backend = (await loadBackend('threads-wasm')) as ComputeBackend;
    const rng = new Rng(6);
    for (const [rows, inner, cols] of [[3, 5, 2], [301, 97, 67], [1024, 100, 33]] as const) {
      const a = new Float64Array(rows * inner).map(() => rng.normal());
      const b = new Float64Array(inner * cols).map(() => rng.normal());
      const got = backend.matmul(a, b, rows, inner, cols) as Float64Array;
      expect(relativeError(got, referenceMatmul(a, b, rows, inner, cols))).toBeLessThan(1e-14);
      // The result is the caller's: the next product does not overwrite it.
      const copy = got.slice();
      backend.matmul(b, a, 1, 1, 1);
      expect(Array.from(got)).toEqual(Array.from(copy));
    }
  });
});
