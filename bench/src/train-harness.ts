// Times training epochs of the cf recipes on ml-latest-small: one `fit` call of warmup + runs
// epochs, each epoch's training-pass seconds as `fit` measures them (batches, optimizer steps and
// the end-of-epoch lazy catch-up; not the validation pass).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { splitByCvIdxs, type RatingsTable, type Split } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { createEmbeddingDotBias, createEmbeddingNet, type RatingModel } from '@cf/model';
import {
  createAdam,
  createAdamW,
  createModelData,
  fit,
  oneCycleSchedule,
  type EmbeddingUpdateMode,
  type EpochResult,
} from '@cf/trainer';

/** One training configuration. */
export interface TrainCase {
  model: 'notebook' | 'fastai';
  backend: 'cpu' | 'wasm';
  engine: 'fused' | 'tfjs';
  batchSize: number;
  update: EmbeddingUpdateMode;
}

export interface Dataset {
  table: RatingsTable;
  split: Split;
}

/** ml-latest-small from `dir` (the folder holding ml-latest-small/), split as fastai 0.7's getCvIdxs. */
export async function loadDataset(dir: string): Promise<Dataset> {
  const { table } = await loadRatings(`${dir}/ml-latest-small`);
  return { table, split: splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 }) };
}

export async function useBackend(name: string): Promise<void> {
  tf.enableProdMode();
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} failed to initialise`);
  await tf.ready();
}

/** The model and optimizer of a recipe, as `runRecipe` builds them. */
export function buildRecipe(
  c: TrainCase,
  { table }: Dataset,
): { model: RatingModel; step: ReturnType<typeof createAdam> } {
  const nUsers = table.userIds.size;
  const nItems = table.itemIds.size;
  if (c.model === 'notebook') {
    const model = createEmbeddingNet({
      nUsers,
      nItems,
      ratingRange: [table.stats.minRating, table.stats.maxRating],
      seed: 42,
    });
    return {
      model,
      step: createAdam(model.parameters, {
        lr: 1e-3,
        weightDecay: 2e-5,
        embeddingUpdate: c.update,
      }),
    };
  }
  const model = createEmbeddingDotBias({ nUsers, nItems, yRange: [0, 5.5], seed: 42 });
  return {
    model,
    step: createAdamW(model.parameters, { lr: 5e-3, weightDecay: 0.1, embeddingUpdate: c.update }),
  };
}

/**
 * Wall and CPU seconds of each of `epochs` training passes (the caller drops the warmup ones).
 * CPU time (this process, user + system) runs from the epoch's start to the end of the optimizer's
 * end-of-epoch flush, the same span as the wall time `fit` reports: on a shared machine it is the
 * steadier number.
 */
export async function epochSeconds(
  c: TrainCase,
  dataset: Dataset,
  epochs: number,
): Promise<{ seconds: number[]; cpuSeconds: number[]; valLoss: number }> {
  await useBackend(c.backend);
  const { model, step } = buildRecipe(c, dataset);
  const data = createModelData(dataset.table, dataset.split, { batchSize: c.batchSize, seed: 42 });
  const rows: EpochResult[] = [];
  const cpuSeconds: number[] = [];
  let cpuStart = process.cpuUsage();
  const flush = step.flush.bind(step);
  step.flush = () => {
    flush();
    const used = process.cpuUsage(cpuStart);
    cpuSeconds.push((used.user + used.system) / 1e6);
  };
  const callbacks = [
    {
      onEpochBegin: () => void (cpuStart = process.cpuUsage()),
      onEpochEnd: (_c: unknown, r: EpochResult) => void rows.push(r),
    },
  ];
  const [valLoss] = await fit(model, data, epochs, step, 'mse', {
    engine: c.engine,
    callbacks: c.model === 'fastai' ? [oneCycleSchedule(5e-3), ...callbacks] : callbacks,
  });
  model.dispose();
  return { seconds: rows.map((r) => r.seconds), cpuSeconds, valLoss: valLoss! };
}

export function caseLabel(c: TrainCase): string {
  return `${c.model} ${c.backend} ${c.engine} bs${c.batchSize} ${c.update}`;
}
