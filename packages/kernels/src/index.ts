export {
  wasmKernelModule,
  sharedWasmKernelModule,
  prepareWasmKernels,
  wasmKernelFailure,
  setWasmKernelsEnabled,
} from './load-kernels.js';
export { KernelInstance, type KernelBuffer, type KernelExports } from './kernel-instance.js';
export {
  AdamTableKernel,
  type AdamTableBuffers,
  type AdamTableShape,
  type AdamStepScalars,
} from './adam-table-kernel.js';
export {
  EmbeddingMlpKernel,
  type EmbeddingMlpShape,
  type EmbeddingMlpLayer,
} from './embedding-mlp-kernel.js';
export {
  BlockedDotKernel,
  type BlockedDotItems,
  type BlockedDotKernelOptions,
  type BlockedDotPrecision,
} from './blocked-dot-kernel.js';
