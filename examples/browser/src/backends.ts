// Registers the tfjs backends the page offers and switches between them. The libraries never
// import a backend; the app does (CONVENTIONS: only apps and the CLI pick one).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
// Vite copies these into dist/assets and gives back their URLs, so the wasm backend finds its binaries.
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { BackendChoice } from './messages.js';

setWasmPaths({
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimdUrl,
});

/** Whether this context exposes WebGPU (`navigator.gpu`); the webgpu backend is only loaded then. */
export function hasWebGpu(): boolean {
  return typeof navigator !== 'undefined' && 'gpu' in navigator && navigator.gpu !== undefined;
}

/**
 * Makes `choice` the active backend and returns the name tfjs reports (`tf.getBackend()`), which
 * is the truth: tfjs may fall back when a backend fails to initialise.
 */
export async function useBackend(choice: BackendChoice): Promise<string> {
  if (choice === 'webgpu') {
    if (!hasWebGpu())
      throw new Error(
        'WebGPU is not available in this browser (navigator.gpu is missing); choose webgl, wasm or cpu',
      );
    await import('@tensorflow/tfjs-backend-webgpu');
  }
  if (tf.getBackend() !== choice) {
    const ok = await tf.setBackend(choice);
    if (!ok)
      throw new Error(
        `the ${choice} backend failed to initialise in this browser; try another one`,
      );
  }
  await tf.ready();
  return tf.getBackend();
}

/** The engine `fit` uses with `engine: 'auto'` on a backend: cf's fused host kernels on cpu and wasm, tfjs ops elsewhere. */
export function engineOf(backend: string): 'fused' | 'tfjs' {
  return backend === 'cpu' || backend === 'wasm' ? 'fused' : 'tfjs';
}
