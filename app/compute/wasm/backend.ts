/**
 * The 'wasm' backend: the reference's layer code with its hot loops in WebAssembly SIMD (kernels.c), Float64, on the
 * calling thread, and the MLP's dense products in the same SIMD arithmetic. Each set of kernels owns one module instance
 * and memory, freed with it.
 */
import type { ComputeBackend } from '../contract';
import { PassKanKernels } from '../reference';
import { WasmLayerPasses, WasmMatmul } from './runner';

export function createWasmBackend(): ComputeBackend {
  let dense: WasmMatmul | null = null;
  return {
    name: 'wasm',
    precision: 'float64',
    isAsync: false,
    createKanKernels: (shapes) => new PassKanKernels(shapes, new WasmLayerPasses()),
    matmul: (a, b, rows, inner, cols) => (dense ??= new WasmMatmul()).run(a, b, rows, inner, cols),
    dispose: () => {
      dense = null;
    },
  };
}
