import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectClose } from '@cf/test-utils';
import { createBiasedMatrixFactorization } from './biased-matrix-factorization.js';
import { createModelFromConfig } from './create-model-from-config.js';

const batch = {
  userIndex: Int32Array.from([0, 1, 2, 1, 3, 0]),
  itemIndex: Int32Array.from([4, 2, 2, 0, 1, 4]),
  rating: Float32Array.from([4, 3.5, 1, 5, 2.5, 4]),
};

/** Large initial factors so that the dot products matter and some predictions get clipped. */
function smallModel() {
  return createBiasedMatrixFactorization({
    nUsers: 4,
    nItems: 5,
    nFactors: 3,
    ratingRange: [0.5, 5],
    initStd: 1,
    globalBias: 3.5,
    seed: 7,
  });
}

describeEachBackend('BiasedMatrixFactorization', () => {
  it('gives the same clipped predictions with the tfjs and the fused engine', () => {
    const model = smallModel();
    const viaTensor = model.forward(batch.userIndex, batch.itemIndex);
    const tfjs = viaTensor.dataSync();
    viaTensor.dispose();
    const fused = new Float32Array(6);
    model['predictFused'](
      { userIndex: batch.userIndex, itemIndex: batch.itemIndex, count: 6, masks: undefined },
      fused,
    );
    expectClose(fused, tfjs, 1e-5);
    for (const p of tfjs) expect(p >= 0.5 && p <= 5).toBe(true);
    model.dispose();
  });

  it('computes the same loss and gradients in both engines', () => {
    const model = smallModel();
    const a = model.lossAndGradients(batch, { engine: 'tfjs' });
    const tfjsGrads = a.gradients.map((g) => ({
      name: g.parameter.name,
      rows: g.rows && [...g.rows],
      values: [...g.values],
    }));
    const b = model.lossAndGradients(batch, { engine: 'fused' });
    expect(b.loss).toBeCloseTo(a.loss, 4);
    expect(b.gradients.map((g) => g.parameter.name)).toEqual([
      'userEmbedding',
      'itemEmbedding',
      'userBias',
      'itemBias',
      'globalBias',
    ]);
    b.gradients.forEach((g, k) => {
      expect(g.parameter.name).toBe(tfjsGrads[k]!.name);
      expect(g.rows && [...g.rows]).toEqual(tfjsGrads[k]!.rows);
      expectClose(g.values, tfjsGrads[k]!.values, 1e-5, 1e-3);
    });
    model.dispose();
  });

  it('has gradients that match finite differences of the (unclipped) training loss', () => {
    const model = smallModel();
    const { gradients, loss } = model.lossAndGradients(batch, { engine: 'tfjs' });
    const snapshot = gradients.map((g) => ({
      p: g.parameter,
      rows: g.rows && [...g.rows],
      values: [...g.values],
    }));
    const lossAt = () => model.lossAndGradients(batch, { engine: 'fused' }).loss;
    expect(lossAt()).toBeCloseTo(loss, 4);
    const eps = 1e-2;
    for (const { p, rows, values } of snapshot) {
      const dim = p.shape[1] ?? 1;
      const probes = rows
        ? rows.flatMap((r, k) =>
            [0, dim - 1].map((d) => ({ at: r * dim + d, g: values[k * dim + d]! })),
          )
        : [{ at: 0, g: values[0]! }];
      for (const { at, g } of probes) {
        const old = p.values[at]!;
        p.values[at] = old + eps;
        p.markChanged();
        const up = lossAt();
        p.values[at] = old - eps;
        p.markChanged();
        const down = lossAt();
        p.values[at] = old;
        p.markChanged();
        expect((up - down) / (2 * eps)).toBeCloseTo(g, 2);
      }
    }
    model.dispose();
  });

  it('keeps the tensor count flat over 100 training steps and 100 predictions', () => {
    const model = smallModel();
    model.lossAndGradients(batch, { engine: 'tfjs' });
    model.forward(batch.userIndex, batch.itemIndex).dispose();
    const before = tf.memory().numTensors;
    for (let s = 0; s < 100; s++) {
      const { gradients } = model.lossAndGradients(batch, { engine: 'tfjs' });
      const global = gradients[4]!.parameter;
      global.values[0]! += 1e-4;
      global.markChanged();
      model.forward(batch.userIndex, batch.itemIndex).dispose();
      model.predict(batch.userIndex, batch.itemIndex);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('is rebuilt from its config and parameters by createModelFromConfig with the same predictions', () => {
    const model = smallModel();
    const values = Object.fromEntries(
      model.parameters.map((p) => [p.name, { shape: p.shape, values: p.values.slice() }]),
    );
    const rebuilt = createModelFromConfig(model.config, values);
    expect(rebuilt.config).toEqual(model.config);
    expectClose(
      rebuilt.predict(batch.userIndex, batch.itemIndex),
      model.predict(batch.userIndex, batch.itemIndex),
      1e-6,
    );
    expect(rebuilt.parameters.find((p) => p.name === 'globalBias')!.weightDecayScale).toBe(0);
    rebuilt.dispose();
    model.dispose();
  });

  it('gives a folded-in user fresh user rows and keeps the item side', () => {
    const model = smallModel();
    const one = model.withUsers(1);
    expect(one.config.nUsers).toBe(1);
    expect(one.parameters.find((p) => p.name === 'itemEmbedding')!.values).toBe(
      model.parameters.find((p) => p.name === 'itemEmbedding')!.values,
    );
    expect([...one.parameters.find((p) => p.name === 'userBias')!.values]).toEqual([0]);
    expect(() => model.predict(Int32Array.of(4), Int32Array.of(0))).toThrow(/user index 4/);
    expect(() =>
      createBiasedMatrixFactorization({ nUsers: 1, nItems: 1, ratingRange: [5, 1] }),
    ).toThrow(/ratingRange/);
    one.dispose();
    model.dispose();
  });
});
