import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BasisTable, ComputeBackend, KanKernels } from '../../../app/compute/contract';
import { shapeOf } from '../../../app/compute/contract';
import { createReferenceBackend, referenceBasis, referenceMatmul } from '../../../app/compute/reference';
import { basisCount, NO_SUPPORT } from '../../../app/kan/bspline';
import { Rng } from '../../../app/util/rng';
import { type Candidate, describeName, testBackends } from './backends';
import { type Fixture, fixture, relativeError, toleranceFor } from './helpers';

const candidates: Candidate[] = await testBackends();

const fixtures: Fixture[] = [
  fixture([6, 5, 3], 5, 3, 'silu', 40, 'classification', 1),
  fixture([4, 3, 2], 4, 2, 'identity', 33, 'regression', 2),
];

/** Basis values spread over all G+k indices per cell (robust to a float32 span choice at a knot: B is continuous). */
function dense(table: BasisTable, cells: number, nb: number, k: number, which: 'values' | 'derivs'): Float64Array {
  const out = new Float64Array(cells * nb);
  for (let cell = 0; cell < cells; cell++) {
    const start = table.start[cell]!;
    if (start === NO_SUPPORT) continue;
    for (let r = 0; r <= k; r++) {
      const m = start + r;
      if (m >= 0 && m < nb) out[cell * nb + m] = table[which][cell * (k + 1) + r]!;
    }
  }
  return out;
}

function layerRegion(f: Fixture, l: number): [number, number] {
  const layer = f.kan.layers[l]!;
  return [layer.coefOffset, layer.wsOffset + layer.nIn * layer.nOut];
}

describe('reference kernels against the model', () => {
  it('a forward + backward through the reference backend is Kan.lossAndGrad layer by layer', () => {
    const f = fixtures[0]!;
    const kernels = createReferenceBackend().createKanKernels(f.kan.layers.map(shapeOf));
    kernels.setParameters(f.kan.layers, f.kan.params);
    const acts = f.kan.activations(f.batch.x, f.batch.n);
    kernels.forwardLayer(0, f.batch.x, f.batch.n, null);
    kernels.forwardLayer(1, null, f.batch.n, null);
    expect(relativeError(kernels.readOutput(1) as Float64Array, acts[2]!)).toBeLessThan(1e-14);
  });
});

for (const candidate of candidates) {
  describe.skipIf(!candidate.available)(describeName(candidate), () => {
    let backend: ComputeBackend;
    const tolerance = toleranceFor(candidate.precision);
    beforeAll(async () => {
      backend = await candidate.create();
    }, 60_000);
    afterAll(() => {
      // Registry backends are shared with other tests in this file's process; only the ones made here are disposed of.
      if (candidate.name.includes(' ')) backend.dispose();
    });

    for (const f of fixtures) {
      describe(f.name, () => {
        let kernels: KanKernels;
        let reference: KanKernels;
        let acts: Float64Array[];
        beforeAll(() => {
          const shapes = f.kan.layers.map(shapeOf);
          kernels = backend.createKanKernels(shapes);
          reference = createReferenceBackend().createKanKernels(shapes);
          kernels.setParameters(f.kan.layers, f.kan.params);
          reference.setParameters(f.kan.layers, f.kan.params);
          acts = f.kan.activations(f.batch.x, f.batch.n);
        });
        afterAll(() => kernels.dispose());

        it('sparse basis of every layer: values, derivatives, base branch', async () => {
          for (let l = 0; l < f.kan.layers.length; l++) {
            const layer = f.kan.layers[l]!;
            const cells = f.batch.n * layer.nIn;
            const nb = basisCount(layer.G, layer.k);
            const got = await kernels.basis(l, acts[l]!, f.batch.n);
            const want = referenceBasis(layer, acts[l]!, f.batch.n);
            if (l === 0) expect(want.start.some((s) => s === NO_SUPPORT)).toBe(true);
            expect(relativeError(dense(got, cells, nb, layer.k, 'values'), dense(want, cells, nb, layer.k, 'values'))).toBeLessThan(tolerance);
            expect(relativeError(dense(got, cells, nb, layer.k, 'derivs'), dense(want, cells, nb, layer.k, 'derivs'))).toBeLessThan(tolerance);
            expect(relativeError(got.base, want.base)).toBeLessThan(tolerance);
            expect(relativeError(got.baseDeriv, want.baseDeriv)).toBeLessThan(tolerance);
          }
        });

        it('forward of every layer: outputs and per-edge |phi| sums', async () => {
          for (let l = 0; l < f.kan.layers.length; l++) {
            const layer = f.kan.layers[l]!;
            const gotAbs = new Float64Array(layer.nIn * layer.nOut);
            const wantAbs = new Float64Array(layer.nIn * layer.nOut);
            await kernels.forwardLayer(l, acts[l]!, f.batch.n, gotAbs);
            reference.forwardLayer(l, acts[l]!, f.batch.n, wantAbs);
            expect(relativeError(await kernels.readOutput(l), reference.readOutput(l) as Float64Array)).toBeLessThan(tolerance);
            expect(relativeError(gotAbs, wantAbs)).toBeLessThan(tolerance);
            if (l === 0) expect(gotAbs[1]).toBe(0);
          }
        });

        it('backward of every layer: coefficient, w_b, w_s and input gradients, with the regulariser', async () => {
          const rng = new Rng(7);
          for (let l = 0; l < f.kan.layers.length; l++) {
            const layer = f.kan.layers[l]!;
            const gy = new Float64Array(f.batch.n * layer.nOut).map(() => rng.normal());
            const reg = new Float64Array(layer.nIn * layer.nOut).map(() => rng.range(0, 0.5));
            const got = new Float64Array(f.kan.params.length);
            const want = new Float64Array(f.kan.params.length);
            await kernels.forwardLayer(l, acts[l]!, f.batch.n, null);
            reference.forwardLayer(l, acts[l]!, f.batch.n, null);
            await kernels.backwardLayer(l, gy, reg, got, true);
            reference.backwardLayer(l, gy, reg, want, true);
            const [from, to] = layerRegion(f, l);
            const nb = basisCount(layer.G, layer.k);
            const coefEnd = from + layer.nIn * layer.nOut * nb;
            expect(relativeError(got.subarray(from, coefEnd), want.subarray(from, coefEnd))).toBeLessThan(tolerance);
            expect(relativeError(got.subarray(coefEnd, to), want.subarray(coefEnd, to))).toBeLessThan(tolerance);
            expect(relativeError(await kernels.readInputGradient(l), reference.readInputGradient(l) as Float64Array)).toBeLessThan(tolerance);
            // Nothing outside the layer's numeric parameters is touched; a masked edge gets no gradient.
            expect(got.subarray(0, from).every((g) => g === 0) && got.subarray(to).every((g) => g === 0)).toBe(true);
            if (l === 0) expect(got.subarray(from + nb, from + 2 * nb).every((g) => g === 0)).toBe(true);
          }
        });

        it('a whole pass chained on the backend (activations and input gradients not read back) equals the reference pass', async () => {
          const rng = new Rng(8);
          const last = f.kan.layers.length - 1;
          const n = f.batch.n;
          const gy = new Float64Array(n * f.kan.nOut).map(() => rng.normal());
          const got = new Float64Array(f.kan.params.length);
          const want = new Float64Array(f.kan.params.length);
          for (const [k, isRef] of [[kernels, false], [reference, true]] as const) {
            for (let l = 0; l <= last; l++) await k.forwardLayer(l, l === 0 ? f.batch.x : null, n, null);
            for (let l = last; l >= 0; l--) await k.backwardLayer(l, l === last ? gy : null, null, isRef ? want : got, l > 0);
          }
          expect(relativeError(await kernels.readOutput(last), reference.readOutput(last) as Float64Array)).toBeLessThan(tolerance);
          expect(relativeError(got, want)).toBeLessThan(tolerance);
        });
      });
    }

    it('dense matmul', async () => {
      const rng = new Rng(3);
      const a = new Float64Array(7 * 5).map(() => rng.normal());
      const b = new Float64Array(5 * 4).map(() => rng.normal());
      expect(relativeError(await backend.matmul(a, b, 7, 5, 4), referenceMatmul(a, b, 7, 5, 4))).toBeLessThan(tolerance);
    });
  });
}

describe('reference matmul', () => {
  it('multiplies a known pair', () => {
    const c = referenceMatmul(new Float64Array([1, 2, 3, 4, 5, 6]), new Float64Array([7, 8, 9, 10, 11, 12]), 2, 3, 2);
    expect(Array.from(c)).toEqual([58, 64, 139, 154]);
  });

  it('says which operand is too short', () => {
    expect(() => referenceMatmul(new Float64Array(5), new Float64Array(6), 2, 3, 2)).toThrow(/a holds 5 numbers, \[2\]\[3\] needs 6/);
  });
});
