// The page side of the browser benchmark (bench/src/browser.bench.ts bundles it with esbuild): loads
// a ratings.csv over HTTP, splits it as fastai 0.7's getCvIdxs and times one epoch of a cf recipe
// (runRecipe, as an app runs it) on the tfjs backend the bench picks. Node drives it through
// `window.cfBench` with playwright-core.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { parseRatingsText, splitByCvIdxs, type RatingsTable, type Split } from '@cf/data';
import { evaluate, runRecipe, type EpochResult } from '@cf/trainer';
import { wasmKernelFailure, wasmKernelModule } from '@cf/kernels';

/** What one timed epoch gives back to Node. */
export interface EpochReport {
  backend: string;
  engine: 'fused' | 'tfjs';
  /** Seconds of the training pass of the batches run (fit's EpochResult.seconds). */
  seconds: number;
  batches: number;
  batchesPerEpoch: number;
  complete: boolean;
  /** Validation MSE of the freshly initialised model, and after the (partial) epoch. */
  startValMse: number;
  valMse: number;
}

export interface EnvironmentReport {
  userAgent: string;
  crossOriginIsolated: boolean;
  /** navigator.gpu exists, and whether it gave an adapter. */
  navigatorGpu: boolean;
  gpuAdapter: boolean;
  webglRenderer: string | undefined;
  /** Which kernels the fused engine (cpu and wasm backends) runs on this page. */
  fusedKernels: string;
}

export interface CfBench {
  environment(): Promise<EnvironmentReport>;
  load(url: string): Promise<{ nRatings: number; nTrain: number; nValid: number }>;
  /** Makes `name` the active backend and returns what tfjs really runs (`tf.getBackend()`). */
  useBackend(
    name: string,
  ): Promise<{ backend: string; wasm?: { simd: boolean; threads: boolean } }>;
  /** One epoch (or its first `maxBatches` batches) of a recipe from a fresh model, batch 64. */
  epoch(recipe: 'notebook' | 'fastai', maxBatches?: number): Promise<EpochReport>;
}

declare global {
  interface Window {
    cfBench: CfBench;
  }
}

// The server serves node_modules/@tensorflow/tfjs-backend-wasm/dist at /wasm/.
setWasmPaths(new URL('/wasm/', location.href).href);

let dataset: { table: RatingsTable; split: Split } | undefined;

const engineOf = (backend: string): 'fused' | 'tfjs' =>
  backend === 'cpu' || backend === 'wasm' ? 'fused' : 'tfjs';

function webglRenderer(): string | undefined {
  const gl = document.createElement('canvas').getContext('webgl2');
  if (!gl) return undefined;
  const info = gl.getExtension('WEBGL_debug_renderer_info');
  return String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
}

interface GpuNavigator {
  gpu?: { requestAdapter(): Promise<unknown> };
}

window.cfBench = {
  async environment() {
    const gpu = (navigator as GpuNavigator).gpu;
    const adapter = gpu ? await gpu.requestAdapter().catch(() => null) : null;
    return {
      userAgent: navigator.userAgent,
      crossOriginIsolated,
      navigatorGpu: gpu !== undefined,
      gpuAdapter: adapter !== null && adapter !== undefined,
      webglRenderer: webglRenderer(),
      fusedKernels: wasmKernelModule()
        ? 'WebAssembly SIMD (@cf/kernels)'
        : `JavaScript (${wasmKernelFailure() ?? 'kernels unavailable'})`,
    };
  },

  async load(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`GET ${url}: ${response.status}`);
    const { table } = parseRatingsText(await response.text(), {
      format: 'ratings-csv',
      source: url,
    });
    // As bench/src/train-harness.ts: fastai 0.7's get_cv_idxs(n, cv_idx 0, val_pct 0.2, seed 42).
    const split = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
    dataset = { table, split };
    return { nRatings: table.stats.count, nTrain: split.train.length, nValid: split.valid.length };
  },

  async useBackend(name) {
    if (name === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
    tf.enableProdMode();
    if (!(await tf.setBackend(name))) throw new Error(`the ${name} backend failed to initialise`);
    await tf.ready();
    const backend = tf.getBackend();
    if (backend !== 'wasm') return { backend };
    const env = tf.env();
    return {
      backend,
      wasm: {
        simd: Boolean(await env.getAsync('WASM_HAS_SIMD_SUPPORT')),
        threads: Boolean(await env.getAsync('WASM_HAS_MULTITHREAD_SUPPORT')),
      },
    };
  },

  async epoch(recipe, maxBatches) {
    if (!dataset) throw new Error('load the ratings first');
    const { table, split } = dataset;
    let startValMse = NaN;
    let result: EpochResult | undefined;
    let batchesPerEpoch = 0;
    let batches = 0;
    const trained = await runRecipe(recipe, table, split, {
      epochs: [1],
      batchSize: 64,
      seed: 42,
      engine: 'auto', // fused host kernels on cpu/wasm, tfjs ops on webgl/webgpu
      ...(recipe === 'notebook' ? { lr: 1e-3, wd: 2e-5, embeddingUpdate: 'lazy' as const } : {}),
      callbacks: [
        {
          // Before the epoch's clock starts: the fresh model's validation MSE.
          onTrainBegin: (c) => {
            startValMse = evaluate(c.model, c.data).valLoss;
            batchesPerEpoch = c.batchesPerEpoch;
          },
          onBatchEnd: (c) => {
            batches = c.batch + 1;
            if (maxBatches !== undefined && batches >= maxBatches)
              c.stop('benchmark: partial epoch');
          },
          onEpochEnd: (_c, r) => void (result = r),
        },
      ],
    });
    const valMse = trained.mse;
    trained.model.dispose();
    trained.baseline.dispose();
    if (!result) throw new Error('the epoch did not finish');
    const backend = tf.getBackend();
    return {
      backend,
      engine: engineOf(backend),
      seconds: result.seconds,
      batches,
      batchesPerEpoch,
      complete: result.complete,
      startValMse,
      valMse,
    };
  },
};
