// A user's program, compiled by the embed test under node16 and bundler resolution and run as an
// ES module and as CommonJS: trains a few batches with @cf/trainer, saves the model to a folder,
// loads it back with @cf/model, predicts and recommends. Only the published entry points are
// imported, and no top-level await (so the same file compiles to CommonJS).
import * as tf from '@tensorflow/tfjs-core';
// a named import, not a bare one: tfjs-backend-cpu's Node entry is missing from its own
// `sideEffects` list, so esbuild drops `import '@tensorflow/tfjs-backend-cpu'` from a bundle
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { parseRatingsText, splitByCvIdxs } from '@cf/data';
import { createEmbeddingDotBias, createTrainedModel, type Recommendation } from '@cf/model';
import { loadModelFromDirectory, saveModelToDirectory } from '@cf/model/node';
import { createAdamW, createModelData, fit, rmse } from '@cf/trainer';
import { syntheticCsv } from './synthetic.js';

/** What {@link smoke} reports (printed as one JSON line). */
export interface SmokeReport {
  tfjsVersion: string;
  backend: string;
  backendVersion: string;
  batches: number;
  valRmse: number;
  prediction: number;
  /** The loaded model's prediction equals the trained one's. */
  roundTrip: boolean;
  recommendations: Recommendation[];
}

/** Trains, saves to `modelDir`, loads back, predicts (user 1, item 2) and recommends for user 1. */
export async function smoke(modelDir: string): Promise<SmokeReport> {
  await tf.setBackend('cpu');
  const { table } = parseRatingsText(syntheticCsv());
  const split = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
  const data = createModelData(table, split, { batchSize: 16, seed: 42 });
  const model = createEmbeddingDotBias({
    nUsers: table.userIds.size,
    nItems: table.itemIds.size,
    nFactors: 8,
    yRange: [0, 5.5],
    seed: 42,
  });
  const optimizer = createAdamW(model.parameters, { lr: 0.01, weightDecay: 0.01 });
  let batches = 0;
  const [, valRmse] = await fit(model, data, 1, optimizer, 'mse', {
    metrics: [rmse],
    callbacks: [{ onBatchEnd: () => void batches++ }],
  });
  const trained = createTrainedModel(model, table, { trainRows: split.train });
  const before = trained.predict(1, 2).rating;
  await saveModelToDirectory(trained, modelDir);
  trained.dispose();
  const loaded = await loadModelFromDirectory(modelDir);
  try {
    const prediction = loaded.predict(1, 2).rating;
    return {
      tfjsVersion: tf.version_core,
      backend: tf.getBackend(),
      backendVersion: version_cpu,
      batches,
      valRmse: valRmse ?? Number.NaN,
      prediction,
      roundTrip: Math.abs(prediction - before) < 1e-6,
      recommendations: loaded.recommend(1, { k: 5 }),
    };
  } finally {
    loaded.dispose();
  }
}
