import type { RatingsTable, RawId } from '@cf/data';
import type { RatingModel } from '../models/rating-model.js';
import { fitBiasBaseline, type BiasBaseline } from '../models/bias-baseline.js';
import { buildSeenItems } from './seen-items.js';
import { BlockedRanker } from './blocked-ranker.js';
import { toRecommendations, type Recommendation } from './recommendation.js';
import { checkK } from './check-k.js';
import { foldInUser, type FoldedInUser, type FoldInOptions, type FoldInRating } from './fold-in.js';
import {
  InferenceModel,
  type InferenceModelParts,
  type TrainingSplitInfo,
} from './inference-model.js';

export type {
  UnknownIdStrategy,
  PredictionSource,
  Prediction,
  PredictOptions,
  RecommendOptions,
  TrainingDataSummary,
  TrainingSplitInfo,
} from './inference-model.js';

/** Everything a {@link TrainedModel} bundles. */
export type TrainedModelParts = InferenceModelParts<RatingModel, BiasBaseline>;

/**
 * A trained model ready for inference in raw ids: an {@link InferenceModel} (predict, recommend,
 * similar items) whose model is a `RatingModel` (computing with tfjs, or its host engine on the
 * `cpu` and `wasm` backends or with no backend registered), plus fold-in and the item tables. This is
 * what `saveModel` writes and `loadModel` returns. Methods return plain numbers and typed arrays (no
 * tensors); the bundle owns its model's cached tensors: call {@link TrainedModel.dispose} when done.
 */
export class TrainedModel extends InferenceModel<RatingModel, BiasBaseline> {
  /**
   * Fits a new user from their ratings without retraining (see {@link foldInUser}): only the user
   * parameters of a one-user copy of the model are fitted; item parameters are shared. Ratings
   * outside the model's `ratingRange` throw `InvalidArgumentError` (unless `options.ratingRange`
   * says otherwise); an item rated twice follows `options.duplicates` (default `'keep-last'`).
   * Dispose the result when done.
   */
  foldInUser(ratings: readonly FoldInRating[], options: FoldInOptions = {}): FoldedInUser {
    return foldInUser(
      this.model,
      this.itemIds,
      ratings,
      { ratingRange: this.ratingRange, ...options },
      this.itemTitles,
    );
  }

  /**
   * {@link InferenceModel.recommend} for every user, on this thread: a dot-product model
   * (EmbeddingDotBias, biased MF, implicit MF) through {@link BlockedRanker} (blocks of users ×
   * items in WebAssembly SIMD, then the few candidates scored exactly), any other one user at a
   * time. The same lists as `recommend`. For every core: `recommendForAllUsers`.
   */
  override recommendForAll(
    options: { k?: number; excludeSeen?: boolean } = {},
  ): Map<RawId, Recommendation[]> {
    const ranker = BlockedRanker.create(this.model);
    if (!ranker) return super.recommendForAll(options);
    const k = checkK(options.k ?? 10);
    const seen = (options.excludeSeen ?? true) ? this.seen : undefined;
    const result = new Map<RawId, Recommendation[]>();
    const nUsers = this.userIds.size;
    const block = 1024;
    for (let u0 = 0; u0 < nUsers; u0 += block) {
      const users = Int32Array.from({ length: Math.min(block, nUsers - u0) }, (_, j) => u0 + j);
      const heaps = ranker.rank(users, {
        k,
        excluded: seen
          ? (p) => seen.itemIndex.subarray(seen.offsets[users[p]!], seen.offsets[users[p]! + 1])
          : undefined,
      });
      heaps.forEach((heap, p) =>
        result.set(
          this.userIds.idAt(users[p]!),
          toRecommendations(heap, this.itemIds, this.itemTitles),
        ),
      );
    }
    return result;
  }

  /** Frees the tensors the model and the fallback cache. */
  dispose(): void {
    this.model.dispose();
    this.fallback?.dispose();
  }
}

/** Options of {@link createTrainedModel}. */
export interface CreateTrainedModelOptions {
  /** Rows the model was trained on (the fallback baseline is fit on them). Default: every row of the table. */
  trainRows?: Int32Array;
  /**
   * Rows whose items count as seen by their users, so that `recommend` leaves them out. Default:
   * **every row of the table** (what each user is known to have rated, the validation rows
   * included: a deployed model must not recommend a film the user already rated). Pass the
   * training rows only to evaluate recommendations against held-out rows, as `rankingMetrics` does.
   */
  seenRows?: Int32Array;
  /** How those rows were chosen. */
  split?: TrainingSplitInfo;
  /** A fallback baseline, `'fit'` (default: {@link fitBiasBaseline} on the training rows) or `'none'`. */
  fallback?: BiasBaseline | 'fit' | 'none';
  /** Titles (or `ItemInfo`s from `@cf/data`) by raw item id; only titles of the table's items are kept. */
  itemTitles?: ReadonlyMap<RawId, string | { title: string }>;
  /** Default: the table's `[minRating, maxRating]`. */
  ratingRange?: [number, number];
}

/**
 * Bundles a model trained on `table` with the table's id maps, seen items (every row of the table
 * unless `seenRows` says otherwise), summary and (by default) a fitted fallback baseline.
 */
export function createTrainedModel(
  model: RatingModel,
  table: RatingsTable,
  options: CreateTrainedModelOptions = {},
): TrainedModel {
  const trainRows =
    options.trainRows ?? Int32Array.from({ length: table.rating.length }, (_, r) => r);
  const ratingRange = options.ratingRange ?? [table.stats.minRating, table.stats.maxRating];
  const fb = options.fallback ?? 'fit';
  const fallback =
    fb === 'fit'
      ? fitBiasBaseline(table, trainRows, { ratingRange })
      : fb === 'none'
        ? undefined
        : fb;
  let itemTitles: Map<RawId, string> | undefined;
  if (options.itemTitles) {
    itemTitles = new Map();
    for (const [id, info] of options.itemTitles)
      if (table.itemIds.has(id)) itemTitles.set(id, typeof info === 'string' ? info : info.title);
  }
  // Compact copies of the parameters: an optimizer may have moved them into its WebAssembly memory
  // (with its moments and scratch, ~4× their size), which would otherwise stay alive with the
  // model. An optimizer that steps again takes them back (Parameter.relocate copies the values).
  for (const p of model.parameters)
    if (p.values.byteLength !== p.values.buffer.byteLength) p.relocate(p.values.slice());
  const { stats } = table;
  return new TrainedModel({
    model,
    userIds: table.userIds,
    itemIds: table.itemIds,
    ratingRange,
    fallback,
    seen: buildSeenItems(table, options.seenRows),
    itemTitles,
    training: {
      nRatings: stats.count,
      nUsers: stats.nUsers,
      nItems: stats.nItems,
      minRating: stats.minRating,
      maxRating: stats.maxRating,
      meanRating: stats.meanRating,
      source: table.source,
    },
    split: options.split ?? {
      kind: options.trainRows ? 'custom' : 'all',
      nTrain: trainRows.length,
      nValid: table.rating.length - trainRows.length,
    },
  });
}
