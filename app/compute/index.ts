/**
 * app/compute: the kernel contract, its backends (the Float64 reference, gpu.js in each of its modes, and what the host
 * registers), the AcceleratedKan training wrapper, and choosing a backend by measurement.
 */
export type { BackendChoice, BasisTable, ComputeBackend, Deferred, KanKernels, LayerShape } from './contract';
export { AcceleratedKan } from './accelerated-kan';
export { createReferenceBackend, referenceBasis, referenceMatmul } from './reference';
export { createGpuJsBackend } from './gpujs/backend';
export { GPUJS_MODES, type GpuJsMode, loadGpuJs } from './gpujs/load';
export { type BackendEntry, type BackendInfo, backendNames, disposeBackends, gpuJsEntry, listBackends, loadBackend, probeBackend, registerBackend } from './registry';
export {
  AGREEMENT_TOLERANCE, type BackendDecision, type ChoiceStore, type ChooseOptions, type StoredChoice, chooseBackend, createTrainable,
  measureBackends, pickFastest, resolveBackend, sizeClass,
} from './chooser';
