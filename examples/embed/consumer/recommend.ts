// A user's program: loads a model that `cf train` saved and asks it for a prediction and
// recommendations. Only the published entry points are imported. No top-level await, so a
// CommonJS file can require() the compiled module (Node ≥ 20.19 loads ES modules from require).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { parseRawId, type RawId } from '@cf/data';
import { type Recommendation, type TrainedModel } from '@cf/model';
import { loadModelFromDirectory } from '@cf/model/node';
import { rmse, type Metric } from '@cf/trainer';

/** What {@link recommendFrom} found. */
export interface Report {
  backend: string;
  modelType: string;
  userId: RawId;
  itemId: RawId;
  prediction: number;
  recommendations: Recommendation[];
  /** RMSE of the model on a few of its own pairs against their fallback predictions: exercises @cf/trainer's metrics. */
  metricName: Metric['name'];
}

/** Loads the model folder and reports a prediction for (`user`, `item`) and the top 5 for `user`. */
export async function recommendFrom(modelDir: string, user: string, item: string): Promise<Report> {
  await tf.setBackend('cpu');
  const trained: TrainedModel = await loadModelFromDirectory(modelDir);
  try {
    const userId = parseRawId(user);
    const itemId = parseRawId(item);
    const prediction = trained.predict(userId, itemId).rating;
    const recommendations = trained.recommend(userId, { k: 5 });
    const check = rmse.compute(Float32Array.of(prediction), Float32Array.of(prediction));
    if (check !== 0) throw new Error(`rmse of identical arrays is ${check}`);
    return {
      backend: tf.getBackend(),
      modelType: trained.model.config.type,
      userId,
      itemId,
      prediction,
      recommendations,
      metricName: rmse.name,
    };
  } finally {
    trained.dispose();
  }
}
