import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { UsageError } from './cli-io.js';

/** Backends `--backend` accepts. */
export const BACKEND_NAMES = ['auto', 'cpu', 'wasm', 'webgl', 'tensorflow'] as const;
/** One of {@link BACKEND_NAMES}. */
export type BackendName = (typeof BACKEND_NAMES)[number];

/**
 * Registers and selects a tfjs backend. `auto` picks `cpu`: in Node, cf trains with its fused host
 * kernels on `cpu` and `wasm` alike, and `cpu` starts fastest. `tensorflow` loads
 * `@tensorflow/tfjs-node-gpu`, else `@tensorflow/tfjs-node`, when installed. Returns the name in use.
 */
export async function selectBackend(name: BackendName): Promise<string> {
  let target: string = name === 'auto' ? 'cpu' : name;
  if (name === 'webgl') {
    throw new UsageError(
      'the webgl backend needs a browser; in Node use --backend cpu, wasm or tensorflow (see examples/browser for WebGL)',
    );
  }
  if (name === 'tensorflow') {
    target = 'tensorflow';
    if (
      !(await importOptional('@tensorflow/tfjs-node-gpu')) &&
      !(await importOptional('@tensorflow/tfjs-node'))
    ) {
      throw new UsageError(
        "--backend tensorflow needs @tensorflow/tfjs-node (CPU) or @tensorflow/tfjs-node-gpu (CUDA): install one next to @cf/cli, e.g. 'npm install @tensorflow/tfjs-node@4.22.0', or use --backend cpu",
      );
    }
  }
  // Production mode: no debug checks, and no advert for tfjs-node on first use (cf prints the backend it chose).
  tf.enableProdMode();
  if (!(await tf.setBackend(target))) throw new Error(`the ${target} backend failed to initialise`);
  await tf.ready();
  return tf.getBackend();
}

async function importOptional(specifier: string): Promise<boolean> {
  try {
    await import(/* @vite-ignore */ specifier);
    return true;
  } catch {
    return false;
  }
}
