import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { splitByCvIdxs } from '@cf/data';
import { createEmbeddingNet, createTrainedModel } from '@cf/model';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { createAdam } from './adam.js';
import { fit } from './fit.js';
import { createModelData } from './model-data.js';

// Long runs must not leak backend memory: tfjs tensors are counted exactly here; the RSS over the
// same workload is reported by the benchmark (`pnpm bench`), never asserted in a unit test.
describeEachBackend('memory over long runs', () => {
  const { table } = makeSyntheticRatings({ nUsers: 20, nItems: 25, density: 0.4, seed: 2 });
  const split = splitByCvIdxs(table, { seed: 3 });

  it('100 epochs of tfjs-engine training keep the tensor count flat', async () => {
    const model = createEmbeddingNet({
      nUsers: table.userIds.size,
      nItems: table.itemIds.size,
      nFactors: 4,
      hidden: [4],
      ratingRange: [0.5, 5],
    });
    const data = createModelData(table, split, { batchSize: 64 });
    const opt = createAdam(model.parameters, { lr: 1e-2 });
    await fit(model, data, 1, opt, 'mse', { engine: 'tfjs' });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await fit(model, data, 100, opt, 'mse', {
      engine: 'tfjs',
      callbacks: [{ onEpochEnd: () => void counts.push(tf.memory().numTensors) }],
    });
    expect(counts).toHaveLength(100);
    expect(new Set(counts)).toEqual(new Set([before]));
    model.dispose();
  }, 120_000);

  it('100,000 predictions (and 2,000 tfjs forward passes) keep the tensor count flat', () => {
    const model = createEmbeddingNet({
      nUsers: table.userIds.size,
      nItems: table.itemIds.size,
      nFactors: 4,
      hidden: [4],
      ratingRange: [0.5, 5],
    });
    const trained = createTrainedModel(model, table, { trainRows: split.train });
    const users = table.userIds.ids();
    const items = table.itemIds.ids();
    trained.predict(users[0]!, items[0]!);
    model.forward(Int32Array.of(0), Int32Array.of(0)).dispose();
    const before = tf.memory().numTensors;
    let sum = 0;
    for (let k = 0; k < 100_000; k++)
      sum += trained.predict(users[k % users.length]!, items[k % items.length]!).rating;
    for (let k = 0; k < 2_000; k++)
      model.forward(Int32Array.of(k % users.length), Int32Array.of(k % items.length)).dispose();
    expect(Number.isFinite(sum)).toBe(true);
    expect(tf.memory().numTensors).toBe(before);
    trained.dispose();
  }, 120_000);
});
