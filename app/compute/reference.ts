/**
 * The reference backend: the plain TypeScript Float64 kernels of app/kan/layer.ts behind the kernel contract, and a
 * plain dense matmul. Every other backend is tested against this one.
 */
import { BasisScratch, paddedKnotCount } from '../kan/bspline';
import { type KanLayer, baseDerivative, baseValue } from '../kan/layer';
import type { BasisTable, ComputeBackend, KanKernels, LayerShape } from './contract';
import { type LayerPasses, TsLayerPasses } from './passes';

export function createReferenceBackend(): ComputeBackend {
  return {
    name: 'reference',
    precision: 'float64',
    isAsync: false,
    createKanKernels: (shapes) => new PassKanKernels(shapes, new TsLayerPasses()),
    matmul: referenceMatmul,
    dispose: () => undefined,
  };
}

/** c [rows][cols] = a [rows][inner] . b [inner][cols], row by row so b is read along its rows. */
export function referenceMatmul(a: Float64Array, b: Float64Array, rows: number, inner: number, cols: number): Float64Array {
  checkMatmulShapes(a, b, rows, inner, cols);
  const c = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const out = r * cols;
    for (let q = 0; q < inner; q++) {
      const v = a[r * inner + q]!;
      if (v === 0) continue;
      const from = q * cols;
      for (let col = 0; col < cols; col++) c[out + col]! += v * b[from + col]!;
    }
  }
  return c;
}

export function checkMatmulShapes(a: Float64Array, b: Float64Array, rows: number, inner: number, cols: number): void {
  if (a.length < rows * inner) throw new Error(`matmul: a holds ${a.length} numbers, [${rows}][${inner}] needs ${rows * inner}`);
  if (b.length < inner * cols) throw new Error(`matmul: b holds ${b.length} numbers, [${inner}][${cols}] needs ${inner * cols}`);
}

/** Basis table of one layer at x [n][nIn], computed on the host in Float64 (the reference for every backend's basis). */
export function referenceBasis(layer: KanLayer, x: Float64Array, n: number): BasisTable {
  const { nIn, G, k, knots } = layer;
  const kp = k + 1;
  const cells = n * nIn;
  const table: BasisTable = {
    start: new Int32Array(cells),
    values: new Float64Array(cells * kp),
    derivs: new Float64Array(cells * kp),
    base: new Float64Array(cells),
    baseDeriv: new Float64Array(cells),
  };
  const scratch = new BasisScratch(k);
  const knotLen = paddedKnotCount(G, k);
  for (let cell = 0; cell < cells; cell++) {
    const i = cell % nIn;
    const xi = x[cell]!;
    table.start[cell] = scratch.evaluateInto(knots, i * knotLen, G, k, xi, table.values, cell * kp, table.derivs, cell * kp);
    table.base[cell] = baseValue(layer.base, xi);
    table.baseDeriv[cell] = baseDerivative(layer.base, xi);
  }
  return table;
}

/** Kernels over layer passes on the host thread: the reference's (TypeScript) or the WebAssembly ones. */
export class PassKanKernels implements KanKernels {
  private layers: readonly KanLayer[] = [];
  private params: Float64Array = new Float64Array(0);
  private readonly outputs: Float64Array[] = [];
  private readonly inputGradients: (Float64Array | null)[] = [];

  constructor(private readonly shapes: readonly LayerShape[], private readonly passes: LayerPasses) {}

  setParameters(layers: readonly KanLayer[], params: Float64Array): void {
    this.layers = layers;
    this.params = params;
  }

  basis(l: number, x: Float64Array, n: number): BasisTable {
    return referenceBasis(this.layer(l), x, n);
  }

  forwardLayer(l: number, x: Float64Array | null, n: number, edgeAbsSum: Float64Array | null): void {
    const layer = this.layer(l);
    const input = x ?? this.outputs[l - 1];
    if (!input) throw new Error(`forwardLayer(${l}, null): layer ${l - 1} has not run forward yet`);
    const out = this.outputs[l]?.length === n * layer.nOut ? this.outputs[l]! : new Float64Array(n * layer.nOut);
    // Only a caller's own input may keep its basis between calls (as in Kan.lossAndGrad): hidden outputs are recycled.
    this.passes.forward(l, layer, this.params, input, n, out, edgeAbsSum, x !== null);
    this.outputs[l] = out;
  }

  readOutput(l: number): Float64Array {
    const out = this.outputs[l];
    if (!out) throw new Error(`readOutput(${l}): layer ${l} has not run forward yet`);
    return out;
  }

  backwardLayer(l: number, gy: Float64Array | null, regCoef: Float64Array | null, grad: Float64Array, wantInputGradient: boolean): void {
    const layer = this.layer(l);
    const outputGradient = gy ?? this.inputGradients[l + 1];
    if (!outputGradient) throw new Error(`backwardLayer(${l}, null): layer ${l + 1} has not run backward yet`);
    const n = this.passes.rows(l);
    if (n === 0) throw new Error(`backwardLayer(${l}): layer ${l} has not run forward yet`);
    const gx = wantInputGradient ? new Float64Array(n * layer.nIn) : null;
    this.passes.backward(l, layer, this.params, outputGradient, regCoef, grad, gx);
    this.inputGradients[l] = gx;
  }

  readInputGradient(l: number): Float64Array {
    const gx = this.inputGradients[l];
    if (!gx) throw new Error(`readInputGradient(${l}): layer ${l} has not run backward with wantInputGradient`);
    return gx;
  }

  dispose(): void {
    this.outputs.length = 0;
    this.inputGradients.length = 0;
  }

  private layer(l: number): KanLayer {
    const layer = this.layers[l];
    if (!layer || l >= this.shapes.length) throw new Error(`layer ${l} does not exist or setParameters was not called`);
    return layer;
  }
}
