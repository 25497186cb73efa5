// The training worker: loads ratings, trains with @cf/trainer on the chosen tfjs backend, and
// answers recommendation queries, so the page stays responsive while it works.
import * as tf from '@tensorflow/tfjs-core';
import { parseRawId, splitByCvIdxs, type Split } from '@cf/data';
import {
  createTrainedModel,
  loadModel,
  recommendForAllUsers,
  saveModel,
  type TrainedModel,
} from '@cf/model';
import { RANKING_RECIPES, rankingMetricsAsync, runRecipe } from '@cf/trainer';
import { engineOf, hasWebGpu, useBackend } from './backends.js';
import { loadDataSource, type BrowserDataset } from './load-ratings.js';
import type { FromWorker, ModelSummary, ToWorker, TrainSettings } from './messages.js';

const post = (message: FromWorker): void => postMessage(message);

let dataset: BrowserDataset | undefined;
let active: TrainedModel | undefined;
let abort: AbortController | undefined;

function summarise(model: TrainedModel, label: string): ModelSummary {
  return {
    label,
    type: model.model.config.type,
    nUsers: model.userIds.size,
    nItems: model.itemIds.size,
    exampleUserId: model.userIds.idAt(0),
    exampleItemId: model.itemIds.idAt(0),
  };
}

function setActive(model: TrainedModel): void {
  active?.dispose();
  active = model;
}

function requireModel(): TrainedModel {
  if (!active) throw new Error('train a model or load one first');
  return active;
}

/** RMSE of predicting the training mean for every validation row: the weakest honest yardstick. */
function meanOnlyRmse(rating: Float32Array, split: Split): number {
  let mean = 0;
  for (const r of split.train) mean += rating[r]!;
  mean /= split.train.length;
  let sum = 0;
  for (const r of split.valid) sum += (rating[r]! - mean) ** 2;
  return Math.sqrt(sum / split.valid.length);
}

async function train(settings: TrainSettings): Promise<void> {
  if (!dataset) throw new Error('load ratings first: drop a file or use the sample');
  const backend = await useBackend(settings.backend);
  post({
    type: 'backend',
    requested: settings.backend,
    active: backend,
    engine: engineOf(backend),
  });
  const { table } = dataset.loaded;
  const split = splitByCvIdxs(table, { valPct: settings.valPct, seed: settings.seed });
  abort = new AbortController();
  let fitIndex = 0;
  let lastProgress = 0;
  const result = await runRecipe(settings.recipe, table, split, {
    seed: settings.seed,
    signal: abort.signal,
    engine: 'auto', // tfjs ops on webgl/webgpu, cf's fused host kernels on cpu/wasm
    threads: settings.threads, // Hogwild workers over shared memory when the page is isolated
    ...(settings.epochs !== undefined ? { epochs: settings.epochs } : {}),
    ...(settings.lr !== undefined ? { lr: settings.lr } : {}),
    ...(settings.nFactors !== undefined ? { nFactors: settings.nFactors } : {}),
    ...(settings.batchSize !== undefined ? { batchSize: settings.batchSize } : {}),
    onFitBegin: (k) => void (fitIndex = k),
    // the softmax retrieval model trains outside `fit`: its epochs drive the progress bar
    onSoftmaxEpoch: (info) =>
      post({
        type: 'progress',
        batch: info.epoch + 1,
        batchesPerEpoch: info.epochs,
        smoothedLoss: info.loss,
      }),
    callbacks: [
      {
        onTrainBegin: (c) =>
          post({
            type: 'fit-begin',
            fitIndex,
            epochs: c.epochs,
            batchesPerEpoch: c.batchesPerEpoch,
            threads: c.threads,
            ...(c.threadsNote !== undefined ? { threadsNote: c.threadsNote } : {}),
          }),
        onBatchEnd: (c) => {
          const now = performance.now();
          if (now - lastProgress < 100) return;
          lastProgress = now;
          post({
            type: 'progress',
            batch: c.batch + 1,
            batchesPerEpoch: c.batchesPerEpoch,
            smoothedLoss: c.smoothedLoss,
          });
        },
        onEpochEnd: (_c, r) => post({ type: 'epoch', fitIndex, result: r }),
      },
    ],
  });
  const interrupted = abort.signal.aborted;
  abort = undefined;
  const trained = createTrainedModel(result.model, table, {
    trainRows: split.train,
    split: {
      kind: 'cv-idxs',
      seed: settings.seed,
      valPct: settings.valPct,
      cvIdx: 0,
      nTrain: split.train.length,
      nValid: split.valid.length,
    },
    fallback: result.baseline,
    ...(dataset.titles ? { itemTitles: dataset.titles } : {}),
  });
  setActive(trained);
  const ranked =
    RANKING_RECIPES.includes(settings.recipe) && !interrupted
      ? await rankingMetricsAsync(result.model, table, split, { k: 10 })
      : undefined;
  post({
    type: 'trained',
    ...(ranked
      ? { ranking: { ndcg: ranked.ndcgAtK, recall: ranked.recallAtK, users: ranked.users } }
      : {}),
    rmse: result.rmse,
    mae: result.mae,
    baselineRmse: result.baselineRmse,
    meanOnlyRmse: meanOnlyRmse(table.rating, split),
    secondsPerEpoch: result.secondsPerEpoch,
    interrupted,
    model: summarise(trained, `${settings.recipe} recipe on ${dataset.label}`),
  });
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case 'load-data': {
      dataset = await loadDataSource(message.source);
      const { stats } = dataset.loaded.table;
      post({
        type: 'data',
        label: dataset.label,
        nRatings: stats.count,
        nUsers: stats.nUsers,
        nItems: stats.nItems,
        titles: dataset.titles?.size ?? 0,
      });
      return;
    }
    case 'train':
      return train(message.settings);
    case 'stop':
      abort?.abort();
      return;
    case 'recommend':
      post({
        type: 'recommendations',
        userId: message.userId,
        items: requireModel().recommend(parseRawId(message.userId), { k: message.k }),
      });
      return;
    case 'recommend-all': {
      // every user's top k on every core (ranking workers when the page is cross-origin isolated)
      const started = performance.now();
      const all = await recommendForAllUsers(requireModel(), { k: message.k, threads: 'auto' });
      const [firstId, firstItems] = all.recommendations.entries().next().value!;
      post({
        type: 'recommended-all',
        users: all.recommendations.size,
        threads: all.threads,
        ...(all.threadsNote !== undefined ? { threadsNote: all.threadsNote } : {}),
        seconds: (performance.now() - started) / 1000,
        first: { userId: String(firstId), items: firstItems },
      });
      return;
    }
    case 'similar':
      post({
        type: 'similar',
        itemId: message.itemId,
        items: requireModel().similarItems(parseRawId(message.itemId), { k: message.k }),
      });
      return;
    case 'predict': {
      const p = requireModel().predict(parseRawId(message.userId), parseRawId(message.itemId), {
        unknown: 'fallback',
      });
      post({
        type: 'prediction',
        userId: message.userId,
        itemId: message.itemId,
        rating: p.rating,
        source: p.source,
      });
      return;
    }
    case 'save':
      await saveModel(requireModel(), message.url);
      post({ type: 'saved', url: message.url });
      return;
    case 'export':
      // Workers have no <a download>: hand the artifacts to the page, which saves them via downloads://.
      await saveModel(
        requireModel(),
        tf.io.withSaveHandler((artifacts) => {
          post({ type: 'artifacts', artifacts });
          return Promise.resolve({
            modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
          });
        }),
      );
      return;
    case 'load-model': {
      // Predictions of a loaded model run with tfjs ops on the chosen backend.
      const backend = await useBackend(message.backend);
      post({
        type: 'backend',
        requested: message.backend,
        active: backend,
        engine: engineOf(backend),
      });
      const model = await loadModel(message.url);
      setActive(model);
      post({ type: 'model-loaded', url: message.url, model: summarise(model, message.url) });
      return;
    }
  }
}

onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  handle(message).catch((error: unknown) => {
    abort = undefined;
    post({
      type: 'error',
      during: message.type,
      message: error instanceof Error ? error.message : String(error),
    });
  });
};

post({ type: 'ready', webgpu: hasWebGpu() });
