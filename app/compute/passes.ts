/**
 * Layer passes with their own basis caches: what a backend's kernels and a threaded slice runner call per layer. The
 * TypeScript passes run app/kan/layer.ts as it is; the WebAssembly passes (app/compute/wasm) run the same code with the
 * SIMD column kernels and keep their caches in the module's memory.
 */
import { type KanLayer, LayerCache, layerBackward, layerForward } from '../kan/layer';

export interface LayerPasses {
  /**
   * y [n][nOut] = layer l at x [n][nIn]; adds sum_s |phi_e| into edgeAbsSum when given. With reuseBasis the basis
   * cached for layer l is kept when x holds the same values as last time (compared by value).
   */
  forward(l: number, layer: KanLayer, params: Float64Array, x: Float64Array, n: number, y: Float64Array, edgeAbsSum: Float64Array | null, reuseBasis: boolean): void;
  /** Backward of layer l's last forward: adds parameter gradients into grad, writes d(objective)/d(x) into gx when given. */
  backward(l: number, layer: KanLayer, params: Float64Array, gy: Float64Array, regCoef: Float64Array | null, grad: Float64Array, gx: Float64Array | null): void;
  /** Rows of layer l's last forward pass (0 before the first). */
  rows(l: number): number;
}

/**
 * The regulariser's coefficients for a pass over `rows` of a batch of n: layerBackward divides them by the rows it is
 * given, so scaled by rows / n each share adds its part of the batch's mean.
 */
export function regCoefForRows(regCoef: Float64Array | null, rows: number, n: number): Float64Array | null {
  if (regCoef === null || rows === n) return regCoef;
  const share = rows / n;
  return regCoef.map((v) => v * share);
}

export class TsLayerPasses implements LayerPasses {
  private readonly caches: LayerCache[] = [];

  forward(l: number, layer: KanLayer, params: Float64Array, x: Float64Array, n: number, y: Float64Array, edgeAbsSum: Float64Array | null, reuseBasis: boolean): void {
    layerForward(layer, params, x, n, y, this.cache(l), edgeAbsSum, reuseBasis);
  }

  backward(l: number, layer: KanLayer, params: Float64Array, gy: Float64Array, regCoef: Float64Array | null, grad: Float64Array, gx: Float64Array | null): void {
    layerBackward(layer, params, this.cache(l), gy, regCoef, grad, gx);
  }

  rows(l: number): number {
    return this.caches[l]?.n ?? 0;
  }

  private cache(l: number): LayerCache {
    return (this.caches[l] ??= new LayerCache());
  }
}
