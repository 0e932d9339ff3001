/**
 * One participant's share of a threaded layer pass: the layer passes (TypeScript or WebAssembly kernels) run on a slice
 * of rows of arrays in shared memory. The main thread and every worker thread each hold a SliceRunner (their own basis
 * caches, and for WebAssembly their own module memory).
 */
import type { KanLayer, NumericLayer } from '../../app/kan/layer';
import { type LayerPasses, TsLayerPasses } from '../../app/compute/passes';
import { WasmLayerPasses, WasmMatmul } from '../../app/compute/wasm/runner';

/** Which kernels the participants run. */
export type SliceKernels = 'ts' | 'wasm';

export function slicePasses(kernels: SliceKernels): LayerPasses {
  return kernels === 'wasm' ? new WasmLayerPasses() : new TsLayerPasses();
}

/** A KanLayer's numeric part as plain data (typed arrays in SharedArrayBuffers), as it crosses to a worker. */
export type SliceLayer = NumericLayer;

export type SliceOp =
  | {
    op: 'forward';
    /** The set of kernels (ThreadsKanKernels) the pass belongs to: a new set starts with fresh caches. */
    set: number;
    l: number; layer: SliceLayer; params: Float64Array; x: Float64Array; s0: number; s1: number; y: Float64Array;
    absSum: Float64Array | null;
    /** Same value as last time for this layer: x holds the same data, so the basis may be reused (the first layer). */
    inputVersion: number;
  }
  | {
    op: 'backward'; set: number; l: number; layer: SliceLayer; params: Float64Array; gy: Float64Array; s0: number; s1: number;
    /** Already scaled by rows/total rows, so the slice's own 1/rows yields the batch's 1/n. */
    regCoef: Float64Array | null;
    /** This participant's own gradient buffer (params layout); the layer's part is overwritten. */
    grad: Float64Array;
    gx: Float64Array | null;
  }
  | {
    /** Rows r0..r1 of c [rows][cols] = a [rows][inner] . b [inner][cols] (wasm kernels only). */
    op: 'matmul'; a: Float64Array; b: Float64Array; c: Float64Array; r0: number; r1: number; inner: number; cols: number;
  };

export class SliceRunner {
  private dense: WasmMatmul | null = null;
  private passes: LayerPasses | null = null;
  private set = -1;

  /** newPasses: fresh passes (and caches) for each set of kernels, so one participant holds one set's memory at most. */
  constructor(private readonly newPasses: () => LayerPasses) {}

  /** Per layer, the input slice view of the last forward: the reference reuses a basis only for the very same array. */
  private readonly inputs = new Map<number, { version: number; s0: number; s1: number; view: Float64Array }>();
  /** Symbolic branch switched off (symMask all zero), per edge count: threaded passes only take numeric edges. */
  private readonly noSymbolic = new Map<number, Pick<KanLayer, 'symMask' | 'symFns'>>();

  run(op: SliceOp): void {
    if (op.op === 'matmul') {
      const { a, b, c, r0, r1, inner, cols } = op;
      (this.dense ??= new WasmMatmul()).runInto(a.subarray(r0 * inner, r1 * inner), b, r1 - r0, inner, cols, c, r0 * cols);
      return;
    }
    if (op.set !== this.set || this.passes === null) {
      this.passes = this.newPasses();
      this.inputs.clear();
      this.set = op.set;
    }
    const passes = this.passes;
    const layer = this.kanLayer(op.layer);
    const { nIn, nOut } = layer;
    const rows = op.s1 - op.s0;
    if (op.op === 'forward') {
      const known = this.inputs.get(op.l);
      const same = known !== undefined && op.inputVersion >= 0 && known.version === op.inputVersion && known.s0 === op.s0 && known.s1 === op.s1;
      const view = same ? known.view : op.x.subarray(op.s0 * nIn, op.s1 * nIn);
      this.inputs.set(op.l, { version: op.inputVersion, s0: op.s0, s1: op.s1, view });
      passes.forward(op.l, layer, op.params, view, rows, op.y.subarray(op.s0 * nOut, op.s1 * nOut), op.absSum, op.inputVersion >= 0);
      return;
    }
    if (passes.rows(op.l) !== rows) throw new Error(`backward of layer ${op.l} on rows ${op.s0}..${op.s1} without its forward pass`);
    op.grad.fill(0, layer.coefOffset, layer.wsOffset + nIn * nOut);
    passes.backward(op.l, layer, op.params, op.gy.subarray(op.s0 * nOut, op.s1 * nOut), op.regCoef, op.grad, op.gx ? op.gx.subarray(op.s0 * nIn, op.s1 * nIn) : null);
  }

  private kanLayer(s: SliceLayer): KanLayer {
    const edges = s.nIn * s.nOut;
    let off = this.noSymbolic.get(edges);
    if (!off) {
      off = { symMask: new Float64Array(edges), symFns: new Array<null>(edges).fill(null) };
      this.noSymbolic.set(edges, off);
    }
    return { ...s, ...off, domain: null };
  }
}
