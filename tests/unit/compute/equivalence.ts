/**
 * The equivalence checks of a backend against the reference, as plain functions returning errors (relative, or absolute
 * where the reference is exactly zero), so that the same checks run under vitest in Node and inside a browser page.
 */
import type { BasisTable, ComputeBackend, KanKernels } from '../../../app/compute/contract';
import { shapeOf } from '../../../app/compute/contract';
import { AcceleratedKan } from '../../../app/compute/accelerated-kan';
import { createReferenceBackend, referenceBasis, referenceMatmul } from '../../../app/compute/reference';
import { NO_SUPPORT, basisCount } from '../../../app/kan/bspline';
import { Rng } from '../../../app/util/rng';
import { type Fixture, relativeError } from './helpers';

export type Errors = Record<string, number>;

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

/** Kernels of the backend and of the reference for the fixture, parameters set, and the reference activations. */
export function kernelPair(backend: ComputeBackend, f: Fixture): { kernels: KanKernels; reference: KanKernels; acts: Float64Array[] } {
  const shapes = f.kan.layers.map(shapeOf);
  const kernels = backend.createKanKernels(shapes);
  const reference = createReferenceBackend().createKanKernels(shapes);
  return { kernels, reference, acts: f.kan.activations(f.batch.x, f.batch.n) };
}

export async function basisErrors(pair: ReturnType<typeof kernelPair>, f: Fixture): Promise<Errors> {
  const { kernels, acts } = pair;
  await kernels.setParameters(f.kan.layers, f.kan.params);
  const errors: Errors = {};
  for (let l = 0; l < f.kan.layers.length; l++) {
    const layer = f.kan.layers[l]!;
    const cells = f.batch.n * layer.nIn;
    const nb = basisCount(layer.G, layer.k);
    const got = await kernels.basis(l, acts[l]!, f.batch.n);
    const want = referenceBasis(layer, acts[l]!, f.batch.n);
    errors[`layer ${l} basis values`] = relativeError(dense(got, cells, nb, layer.k, 'values'), dense(want, cells, nb, layer.k, 'values'));
    errors[`layer ${l} basis derivatives`] = relativeError(dense(got, cells, nb, layer.k, 'derivs'), dense(want, cells, nb, layer.k, 'derivs'));
    errors[`layer ${l} base branch`] = relativeError(got.base, want.base);
    errors[`layer ${l} base derivative`] = relativeError(got.baseDeriv, want.baseDeriv);
  }
  return errors;
}

export async function forwardErrors(pair: ReturnType<typeof kernelPair>, f: Fixture): Promise<Errors> {
  const { kernels, reference, acts } = pair;
  await kernels.setParameters(f.kan.layers, f.kan.params);
  reference.setParameters(f.kan.layers, f.kan.params);
  const errors: Errors = {};
  for (let l = 0; l < f.kan.layers.length; l++) {
    const layer = f.kan.layers[l]!;
    const gotAbs = new Float64Array(layer.nIn * layer.nOut);
    const wantAbs = new Float64Array(layer.nIn * layer.nOut);
    await kernels.forwardLayer(l, acts[l]!, f.batch.n, gotAbs);
    reference.forwardLayer(l, acts[l]!, f.batch.n, wantAbs);
    errors[`layer ${l} outputs`] = relativeError(await kernels.readOutput(l), reference.readOutput(l) as Float64Array);
    errors[`layer ${l} edge |phi| sums`] = relativeError(gotAbs, wantAbs);
    let masked = 0;
    for (let e = 0; e < gotAbs.length; e++) if (layer.mask[e] === 0) masked = Math.max(masked, Math.abs(gotAbs[e]!));
    errors[`layer ${l} |phi| sums of masked edges (absolute)`] = masked;
  }
  return errors;
}

export async function backwardErrors(pair: ReturnType<typeof kernelPair>, f: Fixture): Promise<Errors> {
  const { kernels, reference, acts } = pair;
  await kernels.setParameters(f.kan.layers, f.kan.params);
  reference.setParameters(f.kan.layers, f.kan.params);
  const rng = new Rng(7);
  const errors: Errors = {};
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
    const from = layer.coefOffset;
    const coefEnd = from + layer.nIn * layer.nOut * basisCount(layer.G, layer.k);
    const to = layer.wsOffset + layer.nIn * layer.nOut;
    errors[`layer ${l} coefficient gradient`] = relativeError(got.subarray(from, coefEnd), want.subarray(from, coefEnd));
    errors[`layer ${l} w_b and w_s gradient`] = relativeError(got.subarray(coefEnd, to), want.subarray(coefEnd, to));
    errors[`layer ${l} input gradient`] = relativeError(await kernels.readInputGradient(l), reference.readInputGradient(l) as Float64Array);
    let outside = 0;
    for (let q = 0; q < got.length; q++) if (q < from || q >= to) outside = Math.max(outside, Math.abs(got[q]!));
    errors[`layer ${l} gradient outside the layer (absolute)`] = outside;
  }
  return errors;
}

export async function chainedErrors(pair: ReturnType<typeof kernelPair>, f: Fixture): Promise<Errors> {
  const { kernels, reference } = pair;
  await kernels.setParameters(f.kan.layers, f.kan.params);
  reference.setParameters(f.kan.layers, f.kan.params);
  const rng = new Rng(8);
  const last = f.kan.layers.length - 1;
  const n = f.batch.n;
  const gy = new Float64Array(n * f.kan.nOut).map(() => rng.normal());
  const got = new Float64Array(f.kan.params.length);
  const want = new Float64Array(f.kan.params.length);
  for (let l = 0; l <= last; l++) {
    await kernels.forwardLayer(l, l === 0 ? f.batch.x : null, n, null);
    reference.forwardLayer(l, l === 0 ? f.batch.x : null, n, null);
  }
  const outputs = relativeError(await kernels.readOutput(last), reference.readOutput(last) as Float64Array);
  for (let l = last; l >= 0; l--) {
    await kernels.backwardLayer(l, l === last ? gy : null, null, got, l > 0);
    reference.backwardLayer(l, l === last ? gy : null, null, want, l > 0);
  }
  return { 'chained pass outputs': outputs, 'chained pass gradient': relativeError(got, want) };
}

/** AcceleratedKan (the training path: setParameters, every layer, the loss and regulariser on the host) against Kan. */
export async function modelErrors(backend: ComputeBackend, f: Fixture): Promise<Errors> {
  const model = new AcceleratedKan(f.kan, backend);
  const want = new Float64Array(f.kan.params.length);
  const got = new Float64Array(f.kan.params.length);
  const a = f.kan.lossAndGrad(f.batch, f.task, want);
  const b = await model.lossAndGradAsync(f.batch, f.task, got);
  const errors: Errors = {
    'model objective': Math.abs(b.objective - a.objective) / a.objective,
    'model gradient': relativeError(got, want),
    'model predictions': relativeError(await model.forwardAsync(f.batch.x, f.batch.n), f.kan.forward(f.batch.x, f.batch.n)),
  };
  model.dispose();
  return errors;
}

export async function matmulError(backend: ComputeBackend): Promise<number> {
  const rng = new Rng(3);
  const a = new Float64Array(7 * 5).map(() => rng.normal());
  const b = new Float64Array(5 * 4).map(() => rng.normal());
  return relativeError(await backend.matmul(a, b, 7, 5, 4), referenceMatmul(a, b, 7, 5, 4));
}
