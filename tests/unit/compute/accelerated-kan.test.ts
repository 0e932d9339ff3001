import { describe, expect, it } from 'vitest';
import { AcceleratedKan } from '../../../app/compute/accelerated-kan';
import { createTrainable } from '../../../app/compute/chooser';
import type { ComputeBackend } from '../../../app/compute/contract';
import { createReferenceBackend } from '../../../app/compute/reference';
import { Kan } from '../../../app/kan/model';
import { fit } from '../../../app/train/fit';
import { Rng } from '../../../app/util/rng';
import { type Candidate, backendFor, describeName, testBackends } from './backends';
import { fixture, relativeError, toleranceFor } from './helpers';

const candidates: Candidate[] = await testBackends();

describe('AcceleratedKan with the reference backend', () => {
  it('computes exactly Kan.lossAndGrad, regulariser included', () => {
    const f = fixture([5, 4, 3], 5, 3, 'silu', 30, 'classification', 11);
    const accelerated = new AcceleratedKan(f.kan, createReferenceBackend());
    const want = new Float64Array(f.kan.params.length);
    const got = new Float64Array(f.kan.params.length);
    const a = f.kan.lossAndGrad(f.batch, f.task, want);
    const b = accelerated.lossAndGrad(f.batch, f.task, got);
    expect(b.objective).toBeCloseTo(a.objective, 14);
    expect(b.objective - b.loss).toBeGreaterThan(0.01);
    expect(relativeError(got, want)).toBeLessThan(1e-14);
  });

  it('shares the parameters and layers of the Kan it wraps', () => {
    const f = fixture([3, 2, 1], 4, 3, 'silu', 10, 'regression', 12);
    const accelerated = new AcceleratedKan(f.kan, createReferenceBackend());
    accelerated.params[0] = 42;
    expect(f.kan.params[0]).toBe(42);
    expect(accelerated.layers).toBe(f.kan.layers);
    expect(accelerated).toBeInstanceOf(Kan);
  });

  it('falls back to the reference code for symbolic edges (the kernels cover numeric edges)', () => {
    const f = fixture([3, 2, 1], 4, 3, 'silu', 12, 'regression', 13);
    const layer = f.kan.layers[0]!;
    layer.symMask[2] = 1;
    layer.mask[2] = 0;
    layer.symFns[2] = { name: 'sin', f: Math.sin, df: Math.cos };
    const refusing: ComputeBackend = {
      ...createReferenceBackend(), name: 'refusing',
      createKanKernels: () => {
        throw new Error('kernels must not be used with symbolic edges');
      },
    };
    const accelerated = new AcceleratedKan(f.kan, refusing);
    const want = new Float64Array(f.kan.params.length);
    const got = new Float64Array(f.kan.params.length);
    expect(accelerated.lossAndGrad(f.batch, f.task, got)).toEqual(f.kan.lossAndGrad(f.batch, f.task, want));
    expect(Array.from(got)).toEqual(Array.from(want));
    expect(Array.from(accelerated.forward(f.batch.x, f.batch.n))).toEqual(Array.from(f.kan.forward(f.batch.x, f.batch.n)));
  });

  it('createTrainable gives the Kan itself for the reference and refuses an asynchronous backend', () => {
    const f = fixture([3, 2, 1], 4, 3, 'silu', 10, 'regression', 14);
    expect(createTrainable(f.kan, 'reference')).toBe(f.kan);
    expect(createTrainable(f.kan, createReferenceBackend())).toBeInstanceOf(AcceleratedKan);
    expect(() => createTrainable(f.kan, { ...createReferenceBackend(), name: 'later', isAsync: true })).toThrow(/later is asynchronous/);
  });
});

for (const candidate of candidates) {
  describe.skipIf(!candidate.available)(describeName(candidate), () => {
    const made = backendFor(candidate);
    const tolerance = toleranceFor(candidate.precision);

    for (const [width, task, k] of [[[5, 4, 3], 'classification', 3], [[3, 5, 2, 1], 'regression', 2]] as const) {
      it(`objective, gradient and predictions of ${JSON.stringify(width)} (${task}, k=${k}) match Kan's`, () => {
        const f = fixture([...width], 6, k, 'silu', 45, task, 21);
        const model = createTrainable(f.kan, made.backend) as AcceleratedKan;
        const want = new Float64Array(f.kan.params.length);
        const got = new Float64Array(f.kan.params.length);
        const a = f.kan.lossAndGrad(f.batch, f.task, want);
        for (let call = 0; call < 2; call++) {
          const b = model.lossAndGrad(f.batch, f.task, got);
          expect(Math.abs(b.objective - a.objective) / a.objective).toBeLessThan(tolerance);
          expect(Math.abs(b.loss - a.loss) / a.loss).toBeLessThan(tolerance);
          expect(relativeError(got, want)).toBeLessThan(tolerance);
        }
        expect(relativeError(model.forward(f.batch.x, f.batch.n), f.kan.forward(f.batch.x, f.batch.n))).toBeLessThan(tolerance);
        model.dispose();
      });
    }

    it('a batch array refilled in place is not mistaken for the one before (the first layer keeps its basis by value)', () => {
      const f = fixture([4, 3, 2], 5, 3, 'silu', 30, 'regression', 23);
      const model = createTrainable(f.kan, made.backend) as AcceleratedKan;
      const got = new Float64Array(f.kan.params.length);
      const want = new Float64Array(f.kan.params.length);
      model.lossAndGrad(f.batch, f.task, got);
      f.batch.x.reverse();
      const b = model.lossAndGrad(f.batch, f.task, got);
      const a = f.kan.lossAndGrad(f.batch, f.task, want);
      expect(Math.abs(b.objective - a.objective) / a.objective).toBeLessThan(tolerance);
      expect(relativeError(got, want)).toBeLessThan(tolerance);
      model.dispose();
    });

    it('a short Adam fit with grid updates follows the reference loss curve', () => {
      const rng = new Rng(5);
      const n = 64;
      const x = new Float64Array(n * 2).map(() => rng.range(-1, 1));
      const y = new Float64Array(n).map((_, s) => Math.sin(Math.PI * x[2 * s]!) + x[2 * s + 1]! ** 2);
      const test = { x: x.slice(0, 20 * 2), y: y.slice(0, 20), n: 20 };
      const data = { train: { x, y, n }, test };
      const options = { opt: 'adam' as const, steps: 15, lr: 0.02, lamb: 0.001, updateGrid: true, gridUpdateNum: 3, stopGridUpdateStep: 9 };
      const referenceKan = Kan.create({ width: [2, 4, 1], grid: 5, k: 3 }, new Rng(9));
      const wrapped = referenceKan.clone();
      const expected = fit(referenceKan, data, 'regression', options, { seed: 1 });
      const model = createTrainable(wrapped, made.backend);
      const got = fit(model, data, 'regression', options, { seed: 1 });
      expect(got.history).toHaveLength(15);
      expect(expected.history[14]!.trainLoss).toBeLessThan(0.7 * expected.history[0]!.trainLoss);
      // Float32 rounding compounds over the steps (and through the grid refits); it stays far below the loss's own change.
      const stepTolerance = candidate.precision === 'float64' ? 1e-9 : 2e-3;
      got.history.forEach((p, s) => expect(Math.abs(p.trainLoss - expected.history[s]!.trainLoss) / expected.history[s]!.trainLoss).toBeLessThan(stepTolerance));
      // The wrapped Kan moved with the fit: same parameters, grids updated in place.
      expect(wrapped.params).toBe(model.params);
      expect(relativeError(wrapped.params, referenceKan.params)).toBeLessThan(candidate.precision === 'float64' ? 1e-9 : 5e-3);
      expect(relativeError(wrapped.layers[0]!.knots, referenceKan.layers[0]!.knots)).toBeLessThan(candidate.precision === 'float64' ? 1e-12 : 1e-3);
      if (model instanceof AcceleratedKan) model.dispose();
    }, 60_000);
  });
}
