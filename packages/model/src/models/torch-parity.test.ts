import { expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { setWasmKernelsEnabled } from '@cf/kernels';
import { describeEachBackend, expectClose } from '@cf/test-utils';
import { createModelFromConfig } from './create-model-from-config.js';
import type { RatingModelConfig } from './model-config.js';
import { EmbeddingNet } from './embedding-net.js';

/** Written by fixtures/make-torch-fixture.py (PyTorch, eval mode). */
interface TorchCase {
  config: RatingModelConfig;
  weights: Record<string, { shape: number[]; values: number[] }>;
  output: number[];
  loss: number;
  gradients: Record<string, number[]>;
}
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/torch-parity.json', import.meta.url), 'utf8'),
) as {
  userIndex: number[];
  itemIndex: number[];
  target: number[];
  embeddingNet: TorchCase;
  embeddingDotBias: TorchCase;
};
const batch = {
  userIndex: Int32Array.from(fixture.userIndex),
  itemIndex: Int32Array.from(fixture.itemIndex),
  rating: Float32Array.from(fixture.target),
};

function build(c: TorchCase) {
  return createModelFromConfig(
    c.config,
    Object.fromEntries(
      Object.entries(c.weights).map(([name, w]) => [
        name,
        { shape: w.shape, values: Float32Array.from(w.values) },
      ]),
    ),
  );
}

describeEachBackend('PyTorch parity', () => {
  for (const name of ['embeddingNet', 'embeddingDotBias'] as const) {
    const c = fixture[name];

    it(`${name}: eval forward matches PyTorch (tfjs forward and host predict)`, () => {
      const model = build(c);
      const t = model.forward(batch.userIndex, batch.itemIndex);
      expectClose(t.dataSync(), c.output, 1e-5, 0);
      t.dispose();
      expectClose(model.predict(batch.userIndex, batch.itemIndex), c.output, 1e-5, 0);
      model.dispose();
    });

    for (const [engine, kernels] of [
      ['tfjs', 'wasm'],
      ['fused', 'wasm'],
      ['fused', 'js'],
    ] as const) {
      it(`${name}: MSE loss and gradients match PyTorch (${engine} engine, ${kernels} kernel)`, () => {
        setWasmKernelsEnabled(kernels === 'wasm');
        const model = build(c);
        setWasmKernelsEnabled(true);
        if (model instanceof EmbeddingNet) expect(model.usesWasmKernel).toBe(kernels === 'wasm');
        const { loss, gradients } = model.lossAndGradients(batch, { training: false, engine });
        expect(loss).toBeCloseTo(c.loss, 5);
        expect(gradients.map((g) => g.parameter.name).sort()).toEqual(
          Object.keys(c.gradients).sort(),
        );
        for (const g of gradients) {
          const expected = c.gradients[g.parameter.name]!;
          if (!g.rows) {
            expectClose(g.values, expected, 1e-5, 1e-4);
            continue;
          }
          // row-sparse: exactly the rows the batch touched, each equal to PyTorch's dense row
          const dim = g.parameter.shape[1]!;
          const indices = g.parameter.name.startsWith('user')
            ? fixture.userIndex
            : fixture.itemIndex;
          expect([...g.rows].sort((a, b) => a - b)).toEqual(
            [...new Set(indices)].sort((a, b) => a - b),
          );
          const dense = new Float32Array(expected.length);
          g.rows.forEach((row, k) =>
            dense.set(g.values.subarray(k * dim, (k + 1) * dim), row * dim),
          );
          expectClose(dense, expected, 1e-5, 1e-4);
        }
        model.dispose();
      });
    }
  }
});
