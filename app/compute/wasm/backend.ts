/**
 * The 'wasm' backend: the reference's layer code with its hot loops in WebAssembly SIMD (kernels.c), Float64, on the
 * calling thread. Each set of kernels owns one module instance and memory, freed with it.
 */
import type { ComputeBackend } from '../contract';
import { PassKanKernels, referenceMatmul } from '../reference';
import { WasmLayerPasses } from './runner';

export function createWasmBackend(): ComputeBackend {
  return {
    name: 'wasm',
    precision: 'float64',
    isAsync: false,
    createKanKernels: (shapes) => new PassKanKernels(shapes, new WasmLayerPasses()),
    matmul: referenceMatmul,
    dispose: () => undefined,
  };
}
