// Issue 9: long runs keep memory flat. Trains the fastai recipe's EmbeddingDotBias for 100 epochs
// on ml-latest-small, then makes 100,000 single predictions through TrainedModel, and reports the
// RSS, the JS heap + ArrayBuffers, and the tfjs tensor count along the way (the unit test
// packages/trainer/src/memory.test.ts asserts the tensor count; RSS is only reported here).
import * as tf from '@tensorflow/tfjs-core';
import { splitByCvIdxs } from '@cf/data';
import { createEmbeddingDotBias, createTrainedModel } from '@cf/model';
import { createAdamW, createModelData, fit, oneCycleSchedule } from '@cf/trainer';
import { memoryInUse, type Benchmark, type BenchRow } from './benchmark.js';
import { loadDataset, useBackend } from './train-harness.js';

const EPOCHS = Number(process.env['BENCH_MEMORY_EPOCHS'] ?? 100);
const PREDICTIONS = 100_000;

const benchmark: Benchmark = {
  name: 'memory',
  description: `RSS, heap + ArrayBuffers and tfjs tensors over ${EPOCHS} training epochs and ${PREDICTIONS.toLocaleString('en')} predictions (EmbeddingDotBias, ml-latest-small)`,
  async run() {
    const rows: BenchRow[] = [];
    const dataDir = process.env['CF_DATA_DIR'];
    if (!dataDir)
      return { rows, notes: ['CF_DATA_DIR is not set: skipped (it must hold ml-latest-small/)'] };
    await useBackend('cpu');
    const { table } = await loadDataset(dataDir);
    const split = splitByCvIdxs(table, { seed: 42 });
    const model = createEmbeddingDotBias({
      nUsers: table.userIds.size,
      nItems: table.itemIds.size,
    });
    const data = createModelData(table, split, { batchSize: 64, seed: 42 });
    const optimizer = createAdamW(model.parameters, { lr: 5e-3, weightDecay: 0.1 });
    const sample = async (stage: string): Promise<void> => {
      const inUse = await memoryInUse();
      rows.push({
        stage,
        'RSS MB': Math.round(process.memoryUsage().rss / 1e6),
        'heap+buffers MB': Math.round(inUse / 1e6),
        'tfjs tensors': tf.memory().numTensors,
      });
    };
    await sample('before training');
    const checkpoints = new Set([1, 10, 25, 50, 75, EPOCHS]);
    let epoch = 0;
    await fit(model, data, EPOCHS, optimizer, 'mse', {
      callbacks: [
        oneCycleSchedule(5e-3),
        {
          async onEpochEnd() {
            epoch++;
            if (checkpoints.has(epoch)) await sample(`after epoch ${epoch}`);
          },
        },
      ],
    });
    const trained = createTrainedModel(model, table, { trainRows: split.train });
    const users = table.userIds.ids();
    const items = table.itemIds.ids();
    let sum = 0;
    for (let k = 0; k < PREDICTIONS; k++) {
      sum += trained.predict(users[k % users.length]!, items[(k * 7) % items.length]!).rating;
      if (k + 1 === PREDICTIONS / 2)
        await sample(`after ${(PREDICTIONS / 2).toLocaleString('en')} predictions`);
    }
    await sample(`after ${PREDICTIONS.toLocaleString('en')} predictions`);
    trained.dispose();
    const first = rows[1]!;
    const last = rows[rows.length - 1]!;
    return {
      rows,
      notes: [
        `RSS after epoch 1: ${String(first['RSS MB'])} MB; at the end: ${String(last['RSS MB'])} MB (mean prediction ${(sum / PREDICTIONS).toFixed(3)})`,
      ],
    };
  },
};

export default benchmark;
