import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe } from 'vitest';

/** The backends model and trainer tests run on in Node. */
export const TEST_BACKENDS = ['cpu', 'wasm'] as const;
/** One of {@link TEST_BACKENDS}. */
export type TestBackend = (typeof TEST_BACKENDS)[number];

/**
 * Declares the same suite once per backend (`cpu`, `wasm`): each copy switches tfjs to its backend
 * before its tests run. Tests must not assume a backend other than through the `backend` argument.
 */
export function describeEachBackend(name: string, body: (backend: TestBackend) => void): void {
  for (const backend of TEST_BACKENDS) {
    describe(`${name} [${backend}]`, () => {
      beforeAll(async () => {
        const ok = await tf.setBackend(backend);
        if (!ok) throw new Error(`tfjs backend ${backend} failed to initialise`);
        await tf.ready();
      });
      body(backend);
    });
  }
}
