import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setWasmKernelsEnabled } from '@cf/kernels';
import { describeEachBackend, expectClose } from '@cf/test-utils';
import { createEmbeddingNet } from './embedding-net.js';
import { SeededRandom } from '../core/random.js';

const batch = {
  userIndex: Int32Array.from([0, 1, 2, 1, 3, 0]),
  itemIndex: Int32Array.from([4, 2, 2, 0, 1, 4]),
  rating: Float32Array.from([4, 3.5, 1, 5, 2.5, 4]),
};

function smallNet(hidden = [6]) {
  return createEmbeddingNet({
    nUsers: 4,
    nItems: 5,
    nFactors: 3,
    hidden,
    ratingRange: [0.5, 5],
    seed: 7,
  });
}

describeEachBackend('EmbeddingNet', () => {
  it('gives the same predictions with the tfjs and the fused engine', () => {
    const net = smallNet([6, 4]);
    const viaTensor = net.forward(batch.userIndex, batch.itemIndex);
    const tfjs = viaTensor.dataSync();
    viaTensor.dispose();
    const fused = new Float32Array(batch.userIndex.length);
    net['predictFused'](
      { userIndex: batch.userIndex, itemIndex: batch.itemIndex, count: 6, masks: undefined },
      fused,
    );
    expectClose(fused, tfjs, 1e-5);
    // output stays inside the scaled sigmoid's range
    for (const p of tfjs) expect(p > 0 && p < 5.5).toBe(true);
    net.dispose();
  });

  for (const kernels of ['wasm', 'js'] as const) {
    it(`computes the same loss and gradients in the tfjs and the fused engine (${kernels} kernel), with the same dropout masks`, () => {
      setWasmKernelsEnabled(kernels === 'wasm');
      try {
        for (const hidden of [[6, 4], [10]]) {
          const net = smallNet(hidden);
          expect(net.usesWasmKernel).toBe(kernels === 'wasm');
          const a = net.lossAndGradients(batch, { random: new SeededRandom(3), engine: 'tfjs' });
          const tfjsGrads = a.gradients.map((g) => ({
            name: g.parameter.name,
            rows: g.rows && [...g.rows],
            values: [...g.values],
          }));
          const b = net.lossAndGradients(batch, { random: new SeededRandom(3), engine: 'fused' });
          expect(b.loss).toBeCloseTo(a.loss, 5);
          b.gradients.forEach((g, k) => {
            expect(g.parameter.name).toBe(tfjsGrads[k]!.name);
            expect(g.rows && [...g.rows]).toEqual(tfjsGrads[k]!.rows);
            expectClose(g.values, tfjsGrads[k]!.values, 1e-6, 1e-3);
          });
          // eval mode (no masks) after a training pass
          const c = net.lossAndGradients(batch, { training: false, engine: 'tfjs' });
          const cLoss = c.loss;
          const cGrad = [...c.gradients[0]!.values];
          const d = net.lossAndGradients(batch, { training: false, engine: 'fused' });
          expect(d.loss).toBeCloseTo(cLoss, 5);
          expectClose(d.gradients[0]!.values, cGrad, 1e-6, 1e-3);
          net.dispose();
        }
      } finally {
        setWasmKernelsEnabled(true);
      }
    });
  }

  it('rebuilds its wasm kernel for a batch larger than any before, with the same results as tfjs', () => {
    const net = smallNet([5]);
    expect(net.usesWasmKernel).toBe(true);
    for (const n of [3, 200, 65, 1000]) {
      const big = {
        userIndex: Int32Array.from({ length: n }, (_, k) => (k * 7) % 4),
        itemIndex: Int32Array.from({ length: n }, (_, k) => (k * 3) % 5),
        rating: Float32Array.from({ length: n }, (_, k) => 0.5 + (k % 10) / 2),
      };
      const a = net.lossAndGradients(big, { random: new SeededRandom(n), engine: 'tfjs' });
      const aLoss = a.loss;
      const aGrads = a.gradients.map((g) => [...g.values]);
      const b = net.lossAndGradients(big, { random: new SeededRandom(n), engine: 'fused' });
      expect(b.loss).toBeCloseTo(aLoss, 5);
      b.gradients.forEach((g, k) => expectClose(g.values, aGrads[k]!, 1e-6, 1e-3));
    }
    expect(net.usesWasmKernel).toBe(true);
    net.dispose();
  });

  it('has gradients that match finite differences (eval mode)', () => {
    const net = smallNet();
    const { gradients, loss } = net.lossAndGradients(batch, { training: false, engine: 'tfjs' });
    const snapshot = gradients.map((g) => ({
      p: g.parameter,
      rows: g.rows && [...g.rows],
      values: [...g.values],
    }));
    const lossAt = () => net.lossAndGradients(batch, { training: false, engine: 'fused' }).loss;
    expect(lossAt()).toBeCloseTo(loss, 5);
    const eps = 1e-2;
    for (const { p, rows, values } of snapshot) {
      const dim = p.shape[1] ?? 1;
      // probe the first entry of each gradient row (or the first 3 dense entries)
      const probes = rows
        ? rows.map((r, k) => ({ at: r * dim, g: values[k * dim]! }))
        : [0, 1, 2].filter((k) => k < values.length).map((k) => ({ at: k, g: values[k]! }));
      for (const { at, g } of probes) {
        const old = p.values[at]!;
        p.values[at] = old + eps;
        const up = lossAt();
        p.values[at] = old - eps;
        const down = lossAt();
        p.values[at] = old;
        expect((up - down) / (2 * eps)).toBeCloseTo(g, 3);
      }
    }
    net.dispose();
  });

  it('keeps the tensor count flat over 100 training steps and 100 predictions', () => {
    const net = smallNet();
    const random = new SeededRandom(1);
    net.lossAndGradients(batch, { random, engine: 'tfjs' });
    const before = tf.memory().numTensors;
    for (let s = 0; s < 100; s++) {
      const { gradients } = net.lossAndGradients(batch, { random, engine: 'tfjs' });
      gradients[2]!.parameter.values[0]! += 1e-4;
      gradients[2]!.parameter.markChanged();
      net.forward(batch.userIndex, batch.itemIndex).dispose();
      net.predict(batch.userIndex, batch.itemIndex);
    }
    expect(tf.memory().numTensors).toBe(before);
    net.dispose();
  });

  it('rejects indices outside the tables and mismatched lengths', () => {
    const net = smallNet();
    expect(() => net.predict(Int32Array.from([4]), Int32Array.from([0]))).toThrow(/user index 4/);
    expect(() => net.predict(Int32Array.from([0]), Int32Array.from([-1]))).toThrow(/item index -1/);
    expect(() => net.predict(Int32Array.from([0, 1]), Int32Array.from([0]))).toThrow(/2 entries/);
  });
});
