import { InvalidArgumentError, UnknownIdError, type IdMap, type RawId } from '@cf/data';
import { checkSeenItems, type SeenItems } from './seen-items.js';
import { rankItems } from './rank-items.js';
import { TopK } from './top-k.js';
import { SimilarityUnsupportedError } from './similarity-unsupported-error.js';
import { toRecommendations, withTitle, type Recommendation } from './recommendation.js';
import { checkK } from './check-k.js';
import type { ScoringModel, ScoringParameter } from './scoring-model.js';

/** What `predict` does with an id the model never saw: throw `UnknownIdError`, or answer from the fallback baseline. */
export type UnknownIdStrategy = 'error' | 'fallback';

/** Where a prediction came from: the model, or the fallback baseline's item bias, user bias or global mean. */
export type PredictionSource = 'model' | 'item-bias' | 'user-bias' | 'global-mean';

/** A predicted rating and its source. */
export interface Prediction {
  rating: number;
  source: PredictionSource;
}

/** Options of {@link InferenceModel.predict} and {@link InferenceModel.predictMany}. */
export interface PredictOptions {
  /** Default `'error'`. */
  unknown?: UnknownIdStrategy;
}

/** Options of {@link InferenceModel.recommend}. */
export interface RecommendOptions {
  /** How many items. Default 10. */
  k?: number;
  /** Leave out items the user rated in training. Default true. */
  excludeSeen?: boolean;
  /** Raw item ids to choose from (default: every item); unknown ids throw `UnknownIdError`. */
  candidates?: readonly RawId[];
}

/** Summary of the data a model was trained on (saved with it). */
export interface TrainingDataSummary {
  nRatings: number;
  nUsers: number;
  nItems: number;
  minRating: number;
  maxRating: number;
  meanRating: number;
  /** Path or label of the ratings. */
  source: string;
}

/** How the training rows were chosen (saved with the model): a split kind and what fixes it. */
export interface TrainingSplitInfo {
  /** e.g. `'cv-idxs'`, `'random-holdout'`, `'temporal'`, `'k-fold'`, `'all'`. */
  kind: string;
  seed?: number;
  valPct?: number;
  cvIdx?: number;
  nTrain?: number;
  nValid?: number;
}

/** Users per block in {@link InferenceModel.recommendForAll}. */
const USERS_PER_BLOCK = 1024;

/** The parts of a {@link InferenceModel}: a model and what turns raw ids into its indices and back. */
export interface InferenceModelParts<
  M extends ScoringModel = ScoringModel,
  F extends FallbackBiases = FallbackBiases,
> {
  model: M;
  userIds: IdMap;
  itemIds: IdMap;
  /** Ratings scale `[min, max]` of the training data. */
  ratingRange: [number, number];
  /** Baseline on the same id maps, used by the `'fallback'` unknown-id strategy. */
  fallback?: F | undefined;
  /** Items each user rated in training (for `excludeSeen`). */
  seen?: SeenItems | undefined;
  /** Titles by raw item id. */
  itemTitles?: ReadonlyMap<RawId, string> | undefined;
  training?: TrainingDataSummary | undefined;
  split?: TrainingSplitInfo | undefined;
}

/**
 * What the `'fallback'` unknown-id strategy reads of a bias baseline (`μ + b_u + b_i`): a
 * `BiasBaseline` of `@cf/model`, or the host one `loadInferenceModel` builds.
 */
export interface FallbackBiases {
  readonly config: { readonly nUsers: number; readonly nItems: number };
  /** `userBias`, `itemBias` and `globalBias`. */
  readonly parameters: readonly ScoringParameter[];
  /** The global mean μ. */
  readonly globalMean: number;
  /** `b_u` of a dense user index. */
  userBiasAt(userIndex: number): number;
  /** `b_i` of a dense item index. */
  itemBiasAt(itemIndex: number): number;
}

/**
 * A model ready for inference in raw ids: the model, both id maps, an optional fallback baseline,
 * the items each user is known to have rated (excluded from recommendations) and optional titles.
 * Methods return plain numbers and arrays; nothing here needs tfjs. `TrainedModel` (what `loadModel`
 * returns) is one whose model computes with tfjs or its host engine; `loadInferenceModel` of
 * `@cf/model/inference` returns one whose model computes on the host, with no tfjs in the bundle.
 * Both run the same code for `predict`, `recommend` and `similarItems`.
 */
export class InferenceModel<
  M extends ScoringModel = ScoringModel,
  F extends FallbackBiases = FallbackBiases,
> {
  readonly model: M;
  readonly userIds: IdMap;
  readonly itemIds: IdMap;
  readonly ratingRange: [number, number];
  readonly fallback: F | undefined;
  readonly seen: SeenItems | undefined;
  readonly itemTitles: ReadonlyMap<RawId, string> | undefined;
  readonly training: TrainingDataSummary | undefined;
  readonly split: TrainingSplitInfo | undefined;
  #norms: { version: number; values: Float64Array } | undefined;

  /** Bundles the parts; throws {@link InvalidArgumentError} when their sizes disagree. */
  constructor(parts: InferenceModelParts<M, F>) {
    const { model, userIds, itemIds } = parts;
    if (model.config.nUsers !== userIds.size || model.config.nItems !== itemIds.size) {
      throw new InvalidArgumentError(
        'model',
        `has ${model.config.nUsers} users and ${model.config.nItems} items but the id maps have ${userIds.size} and ${itemIds.size}`,
      );
    }
    const fb = parts.fallback;
    if (fb && (fb.config.nUsers !== userIds.size || fb.config.nItems !== itemIds.size)) {
      throw new InvalidArgumentError(
        'fallback',
        `has ${fb.config.nUsers} users and ${fb.config.nItems} items but the id maps have ${userIds.size} and ${itemIds.size}; fit it on the same table`,
      );
    }
    if (parts.seen) {
      const problem = checkSeenItems(parts.seen, userIds.size, itemIds.size);
      if (problem) throw new InvalidArgumentError('seen', problem);
    }
    this.model = model;
    this.userIds = userIds;
    this.itemIds = itemIds;
    this.ratingRange = parts.ratingRange;
    this.fallback = fb;
    this.seen = parts.seen;
    this.itemTitles = parts.itemTitles;
    this.training = parts.training;
    this.split = parts.split;
  }

  /** The predicted rating of one (user, item) pair by raw ids, with its source. */
  predict(userId: RawId, itemId: RawId, options: PredictOptions = {}): Prediction {
    return this.predictMany([{ userId, itemId }], options)[0]!;
  }

  /**
   * Predictions for many pairs by raw ids, in order; known pairs go through the model in one chunked
   * call. With `unknown: 'error'` (default) the first unknown id throws {@link UnknownIdError}
   * `{kind, id}`; with `'fallback'` an unknown user gets `globalMean + itemBias` (`'item-bias'`), an
   * unknown item `globalMean + userBias` (`'user-bias'`), both unknown the global mean, clipped to the
   * rating range. `'fallback'` without a fallback baseline throws {@link InvalidArgumentError}.
   */
  predictMany(
    pairs: readonly { userId: RawId; itemId: RawId }[],
    options: PredictOptions = {},
  ): Prediction[] {
    const unknown = options.unknown ?? 'error';
    if (unknown === 'fallback' && !this.fallback) {
      throw new InvalidArgumentError(
        'unknown',
        "'fallback' needs a fallback bias baseline, and this model has none; save it with one (createTrainedModel's `fallback` option) or use unknown: 'error'",
      );
    }
    const out: Prediction[] = new Array<Prediction>(pairs.length);
    const known: number[] = [];
    const users: number[] = [];
    const items: number[] = [];
    pairs.forEach(({ userId, itemId }, k) => {
      const u = this.userIds.indexOf(userId, 'missing');
      const i = this.itemIds.indexOf(itemId, 'missing');
      if (u >= 0 && i >= 0) {
        known.push(k);
        users.push(u);
        items.push(i);
        return;
      }
      if (unknown === 'error')
        throw new UnknownIdError(u < 0 ? 'user' : 'item', u < 0 ? userId : itemId);
      out[k] = this.#fallbackPrediction(u, i);
    });
    if (known.length > 0) {
      const ratings = this.model.predict(Int32Array.from(users), Int32Array.from(items));
      known.forEach((k, j) => (out[k] = { rating: ratings[j]!, source: 'model' }));
    }
    return out;
  }

  #fallbackPrediction(userIndex: number, itemIndex: number): Prediction {
    const fb = this.fallback!;
    let raw = fb.globalMean;
    let source: PredictionSource = 'global-mean';
    if (itemIndex >= 0) {
      raw += fb.itemBiasAt(itemIndex);
      source = 'item-bias';
    } else if (userIndex >= 0) {
      raw += fb.userBiasAt(userIndex);
      source = 'user-bias';
    }
    const [lo, hi] = this.ratingRange;
    return { rating: Math.min(hi, Math.max(lo, raw)), source };
  }

  /**
   * The `k` items with the highest predicted rating for a known user (unknown: `UnknownIdError`;
   * fold them in with `TrainedModel.foldInUser`). Items are scored in chunks and kept in a k-heap:
   * no users × items matrix is formed. Ties go to the lower item index.
   */
  recommend(userId: RawId, options: RecommendOptions = {}): Recommendation[] {
    const k = checkK(options.k ?? 10);
    const userIndex = this.userIds.indexOf(userId);
    const candidates = options.candidates
      ? this.#candidateIndices(options.candidates)
      : this.#allItems();
    const excluded = this.#excluded(options.excludeSeen ?? true);
    const [heap] = rankItems(this.model, Int32Array.of(userIndex), {
      k,
      candidates,
      excluded: () => excluded?.(userIndex),
    });
    return toRecommendations(heap!, this.itemIds, this.itemTitles);
  }

  /**
   * {@link InferenceModel.recommend} for every user, in blocks of users (benchmarks, batch exports).
   * One user at a time here (no WebAssembly in this tfjs-free entry's path); `TrainedModel`
   * ranks dot-product models in blocks, and {@link recommendForAllUsers} (any bundle, every core)
   * does too: same lists.
   */
  recommendForAll(
    options: { k?: number; excludeSeen?: boolean } = {},
  ): Map<RawId, Recommendation[]> {
    const k = checkK(options.k ?? 10);
    const candidates = this.#allItems();
    const excluded = this.#excluded(options.excludeSeen ?? true);
    const result = new Map<RawId, Recommendation[]>();
    const nUsers = this.userIds.size;
    for (let u0 = 0; u0 < nUsers; u0 += USERS_PER_BLOCK) {
      const block = Int32Array.from(
        { length: Math.min(USERS_PER_BLOCK, nUsers - u0) },
        (_, j) => u0 + j,
      );
      const heaps = rankItems(this.model, block, {
        k,
        candidates,
        excluded: (p) => excluded?.(block[p]!),
      });
      heaps.forEach((heap, p) =>
        result.set(
          this.userIds.idAt(block[p]!),
          toRecommendations(heap, this.itemIds, this.itemTitles),
        ),
      );
    }
    return result;
  }

  #items: Int32Array | undefined;

  /** Every item index, ascending (built once). */
  #allItems(): Int32Array {
    const n = this.itemIds.size;
    if (this.#items?.length !== n) {
      this.#items = new Int32Array(n);
      for (let i = 0; i < n; i++) this.#items[i] = i;
    }
    return this.#items;
  }

  #candidateIndices(ids: readonly RawId[]): Int32Array {
    const indices = Int32Array.from(ids, (id) => this.itemIds.indexOf(id)).sort();
    let n = 0;
    for (let k = 0; k < indices.length; k++)
      if (k === 0 || indices[k] !== indices[k - 1]) indices[n++] = indices[k]!;
    return indices.slice(0, n);
  }

  #excluded(excludeSeen: boolean): ((userIndex: number) => Int32Array) | undefined {
    const seen = this.seen;
    if (!excludeSeen || !seen) return undefined;
    return (u) => seen.itemIndex.subarray(seen.offsets[u], seen.offsets[u + 1]);
  }

  /** The model's item embedding table; throws {@link InvalidArgumentError} for a model without one (the bias baseline). */
  #itemEmbedding(name = 'itemEmbedding'): { values: Float32Array; dim: number; version: number } {
    const p = this.model.parameters.find((q) => q.name === name);
    if (!p)
      throw new InvalidArgumentError(
        'model',
        `a ${this.model.config.type} model has no item embeddings; item similarity and embeddings need an embedding-net or embedding-dot-bias model`,
      );
    return { values: p.values, dim: p.shape[1] ?? 1, version: p.version };
  }

  /**
   * The `k` (default 10) items most similar to a known item by cosine of the rows of the model's
   * {@link RatingModel.itemSimilarityParameter} (the item itself left out). Throws
   * {@link SimilarityUnsupportedError} for a model without one (EmbeddingNet, the bias baseline,
   * an ensemble), rather than ranking items by vectors that do not mean similarity.
   */
  similarItems(itemId: RawId, options: { k?: number } = {}): Recommendation[] {
    const k = checkK(options.k ?? 10);
    const name = this.model.itemSimilarityParameter;
    if (name === undefined)
      throw new SimilarityUnsupportedError(
        this.model.config.type,
        this.model.parameters.some((q) => q.name === 'itemEmbedding')
          ? 'not-for-similarity'
          : 'no-item-vectors',
      );
    const target = this.itemIds.indexOf(itemId);
    const { values, dim, version } = this.#itemEmbedding(name);
    if (this.#norms?.version !== version) {
      const norms = new Float64Array(this.itemIds.size);
      for (let i = 0; i < norms.length; i++) {
        let s = 0;
        for (let d = 0; d < dim; d++) s += values[i * dim + d]! ** 2;
        norms[i] = Math.sqrt(s);
      }
      this.#norms = { version, values: norms };
    }
    const norms = this.#norms.values;
    const heap = new TopK(k);
    const to = target * dim;
    for (let i = 0; i < norms.length; i++) {
      if (i === target) continue;
      let dot = 0;
      for (let d = 0; d < dim; d++) dot += values[to + d]! * values[i * dim + d]!;
      const denominator = norms[target]! * norms[i]!;
      heap.push(denominator > 0 ? dot / denominator : 0, i);
    }
    return toRecommendations(heap, this.itemIds, this.itemTitles);
  }

  /** Every item's bias, in item index order: the model's `itemBias` parameter if it has one, else the fallback baseline's. */
  itemBiases(): { itemId: RawId; bias: number; title?: string }[] {
    const p =
      this.model.parameters.find((q) => q.name === 'itemBias') ??
      this.fallback?.parameters.find((q) => q.name === 'itemBias');
    if (!p)
      throw new InvalidArgumentError(
        'model',
        `a ${this.model.config.type} model has no item biases and there is no fallback baseline to take them from`,
      );
    return Array.from(p.values, (bias, i) =>
      withTitle<{ itemId: RawId; bias: number; title?: string }>(
        { itemId: this.itemIds.idAt(i), bias },
        this.itemTitles,
      ),
    );
  }

  /** A copy of the item embedding table (`itemIds.length × dim`, row-major) with the raw ids of its rows. */
  itemEmbeddings(): { itemIds: RawId[]; dim: number; values: Float32Array } {
    const { values, dim } = this.#itemEmbedding();
    return { itemIds: this.itemIds.ids(), dim, values: values.slice() };
  }
}
