import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shapeOf } from '../../../app/compute/contract';
import { createReferenceBackend, referenceBasis, referenceMatmul } from '../../../app/compute/reference';
import { gridPointsOf, paddedKnotCount } from '../../../app/kan/bspline';
import { type Candidate, backendFor, describeName, testBackends } from './backends';
import { type Errors, backwardErrors, basisErrors, chainedErrors, forwardErrors, kernelPair, matmulError, modelErrors } from './equivalence';
import { type Fixture, fixture, relativeError, toleranceFor } from './helpers';

const candidates: Candidate[] = await testBackends();

const fixtures: Fixture[] = [
  fixture([6, 5, 3], 5, 3, 'silu', 40, 'classification', 1),
  fixture([4, 3, 2], 4, 2, 'identity', 33, 'regression', 2),
];

/** Every error under the tolerance; the names of those above it in the failure message. */
function expectAgreement(errors: Errors, tolerance: number): void {
  expect(Object.keys(errors).length).toBeGreaterThan(0);
  expect(Object.entries(errors).filter(([, e]) => !(e <= tolerance))).toEqual([]);
}

describe('the fixtures and the reference backend', () => {
  it('reach beyond the grid (tangent-extended bases) and mask edges, so that those paths are compared', () => {
    for (const f of fixtures) {
      const layer = f.kan.layers[0]!;
      const len = paddedKnotCount(layer.G, layer.k);
      const beyond = Array.from(f.batch.x).some((x, q) => {
        const grid = gridPointsOf(layer.knots, (q % layer.nIn) * len, layer.G, layer.k);
        return x < grid[0]! || x > grid[layer.G]!;
      });
      expect(beyond).toBe(true);
      expect(f.kan.layers.every((l) => l.mask.some((m) => m === 0))).toBe(true);
    }
  });

  it('a pass through the reference backend is the model forward', () => {
    const f = fixtures[0]!;
    const kernels = createReferenceBackend().createKanKernels(f.kan.layers.map(shapeOf));
    kernels.setParameters(f.kan.layers, f.kan.params);
    kernels.forwardLayer(0, f.batch.x, f.batch.n, null);
    kernels.forwardLayer(1, null, f.batch.n, null);
    expect(relativeError(kernels.readOutput(1) as Float64Array, f.kan.forward(f.batch.x, f.batch.n))).toBeLessThan(1e-14);
  });

  it('reference matmul multiplies a known pair and says which operand is too short', () => {
    const c = referenceMatmul(new Float64Array([1, 2, 3, 4, 5, 6]), new Float64Array([7, 8, 9, 10, 11, 12]), 2, 3, 2);
    expect(Array.from(c)).toEqual([58, 64, 139, 154]);
    expect(() => referenceMatmul(new Float64Array(5), new Float64Array(6), 2, 3, 2)).toThrow(/a holds 5 numbers, \[2\]\[3\] needs 6/);
  });
});

for (const candidate of candidates) {
  describe.skipIf(!candidate.available)(describeName(candidate), () => {
    const made = backendFor(candidate);
    const tolerance = toleranceFor(candidate.precision);

    for (const f of fixtures) {
      describe(f.name, () => {
        let pair: ReturnType<typeof kernelPair>;
        beforeAll(() => {
          pair = kernelPair(made.backend, f);
        });
        afterAll(() => pair.kernels.dispose());

        it('sparse basis of every layer: values, derivatives, base branch', async () => expectAgreement(await basisErrors(pair, f), tolerance));
        it('forward of every layer: outputs and per-edge |phi| sums', async () => expectAgreement(await forwardErrors(pair, f), tolerance));
        it('backward of every layer: coefficient, w_b, w_s and input gradients, with the regulariser', async () => expectAgreement(await backwardErrors(pair, f), tolerance));
        it('a whole pass chained on the backend (activations, input gradients not read back)', async () => expectAgreement(await chainedErrors(pair, f), tolerance));
        it('the training objective through AcceleratedKan', async () => expectAgreement(await modelErrors(made.backend, f), tolerance));
      });
    }

    it('dense matmul', async () => expect(await matmulError(made.backend)).toBeLessThan(tolerance));
  });
}
