import { InvalidArgumentError, type IdMap, type RawId } from '@cf/data';
import type { Parameter } from '../core/parameter.js';
import type { RatingModel } from '../models/rating-model.js';
import { SeededRandom } from '../core/random.js';
import { isImplicitMatrixFactorization } from '../models/implicit-matrix-factorization.js';
import { rankItems } from './rank-items.js';
import { checkK } from './check-k.js';
import { toRecommendations, type Recommendation } from './recommendation.js';

/** Options of {@link foldInUser}. */
export interface FoldInOptions {
  /** Full-batch Adam steps. Default 300. */
  steps?: number;
  /** Adam learning rate. Default 0.05. */
  lr?: number;
  /** L2 penalty `l2 · Σ w²` on the new user's parameters, added to the MSE. Default 0.01. */
  l2?: number;
  /** Seed of the small jitter added to the starting point. Default 0. */
  seed?: number;
  /**
   * The model's rating scale `[min, max]`: a rating outside it throws {@link InvalidArgumentError}
   * (`TrainedModel.foldInUser` passes the model's `ratingRange`). Default: no check.
   */
  ratingRange?: readonly [number, number];
  /**
   * An item rated more than once: `'keep-last'` (default: the last rating counts, once),
   * `'average'` (their mean counts, once) or `'error'` (throws {@link InvalidArgumentError} naming
   * the item). The count of such items is {@link FoldedInUser.duplicateItems}.
   */
  duplicates?: FoldInDuplicatePolicy;
}

/** What {@link foldInUser} does with an item rated more than once. */
export type FoldInDuplicatePolicy = 'keep-last' | 'average' | 'error';

/** One rating of the user being folded in, by raw item id. */
export interface FoldInRating {
  itemId: RawId;
  rating: number;
}

/**
 * A user fitted onto a trained model without retraining it. Its `model` has one user (index 0) and
 * shares the trained model's item-side parameters; call {@link FoldedInUser.dispose} when done
 * (frees the tensors that model caches; the trained model is unaffected).
 */
export class FoldedInUser {
  /** The one-user model (user index 0). */
  readonly model: RatingModel;
  /** Raw item ids of the input that the model does not know; they were not used. */
  readonly skipped: RawId[];
  /** Ratings used. */
  readonly used: number;
  /**
   * RMSE on the used ratings after fitting (for an implicit model: of the scores against the
   * target 1 every interaction has in training).
   */
  readonly trainingRmse: number;
  /** Known items rated more than once in the input (resolved per {@link FoldInOptions.duplicates}). */
  readonly duplicateItems: number;
  readonly #itemIds: IdMap;
  readonly #titles: ReadonlyMap<RawId, string> | undefined;
  readonly #rated: Int32Array;

  /** @internal Built by {@link foldInUser}. */
  constructor(parts: {
    model: RatingModel;
    itemIds: IdMap;
    titles: ReadonlyMap<RawId, string> | undefined;
    rated: Int32Array;
    skipped: RawId[];
    trainingRmse: number;
    duplicateItems: number;
  }) {
    this.model = parts.model;
    this.#itemIds = parts.itemIds;
    this.#titles = parts.titles;
    this.#rated = parts.rated;
    this.skipped = parts.skipped;
    this.used = parts.rated.length;
    this.trainingRmse = parts.trainingRmse;
    this.duplicateItems = parts.duplicateItems;
  }

  /** Predicted rating of a known item; throws `UnknownIdError` for an unknown one. */
  predict(itemId: RawId): number {
    const itemIndex = this.#itemIds.indexOf(itemId);
    return this.model.predict(Int32Array.of(0), Int32Array.of(itemIndex))[0]!;
  }

  /** The `k` (default 10) best items for this user, leaving out the items they rated unless `excludeSeen` is false. */
  recommend(options: { k?: number; excludeSeen?: boolean } = {}): Recommendation[] {
    const k = checkK(options.k ?? 10);
    const candidates = Int32Array.from({ length: this.#itemIds.size }, (_, i) => i);
    const excluded = (options.excludeSeen ?? true) ? this.#rated : undefined;
    const [heap] = rankItems(this.model, Int32Array.of(0), {
      k,
      candidates,
      excluded: () => excluded,
    });
    return toRecommendations(heap!, this.#itemIds, this.#titles);
  }

  /** Frees the tensors of the one-user model. */
  dispose(): void {
    this.model.dispose();
  }
}

/**
 * Folds a new user into a trained model: builds `model.withUsers(1)` (item parameters shared, not
 * copied), starts the user's parameters at the mean of the trained users' rows (plus a jitter of a
 * tenth of their spread, from `seed`), and fits only those parameters to the given ratings with
 * full-batch Adam in eval mode (no dropout) and an L2 penalty. The trained model is not changed.
 * Ratings of items the model does not know are skipped and listed in `skipped`; if none is left,
 * throws {@link InvalidArgumentError}. A rating that is not finite, or (for an explicit model) outside
 * `options.ratingRange`, throws too; an item rated twice follows `options.duplicates`.
 *
 * An `ImplicitMatrixFactorization` (the `topn` recipe's iALS) is folded in exactly instead:
 * its closed-form row solve with each rating turned into a confidence by the model's own
 * `confidence` map (the options are not used). For implicit data pass any rating (e.g. 1).
 */
export function foldInUser(
  model: RatingModel,
  itemIds: IdMap,
  ratings: readonly FoldInRating[],
  options: FoldInOptions = {},
  titles?: ReadonlyMap<RawId, string>,
): FoldedInUser {
  const steps = options.steps ?? 300;
  const lr = options.lr ?? 0.05;
  const l2 = options.l2 ?? 0.01;
  const duplicates = options.duplicates ?? 'keep-last';
  // an implicit model takes any rating (each becomes a confidence), so no scale applies
  const range = isImplicitMatrixFactorization(model) ? undefined : options.ratingRange;
  // per known item: the kept rating (last, or the running sum for 'average') and how many
  const byItem = new Map<number, number>();
  const counts = new Map<number, number>();
  const skipped: RawId[] = [];
  for (const [k, { itemId, rating }] of ratings.entries()) {
    if (!Number.isFinite(rating))
      throw new InvalidArgumentError(
        'ratings',
        `rating ${k + 1} (item ${JSON.stringify(itemId)}) is ${rating}, not a finite number`,
      );
    if (range && !(rating >= range[0] && rating <= range[1]))
      throw new InvalidArgumentError(
        'ratings',
        `rating ${k + 1} (item ${JSON.stringify(itemId)}) is ${rating}, outside the model's rating scale [${range[0]}, ${range[1]}]`,
      );
    const index = itemIds.indexOf(itemId, 'missing');
    if (index < 0) {
      skipped.push(itemId);
      continue;
    }
    const count = (counts.get(index) ?? 0) + 1;
    counts.set(index, count);
    if (count > 1 && duplicates === 'error')
      throw new InvalidArgumentError(
        'ratings',
        `item ${JSON.stringify(itemId)} is rated more than once (rating ${k + 1} again); give one rating per item, or fold in with duplicates 'keep-last' or 'average'`,
      );
    byItem.set(index, duplicates === 'average' ? (byItem.get(index) ?? 0) + rating : rating);
  }
  if (duplicates === 'average')
    for (const [index, sum] of byItem) byItem.set(index, sum / counts.get(index)!);
  let duplicateItems = 0;
  for (const count of counts.values()) if (count > 1) duplicateItems++;
  if (byItem.size === 0) {
    throw new InvalidArgumentError(
      'ratings',
      `none of the ${ratings.length} rated items is known to the model (skipped: ${skipped
        .slice(0, 5)
        .map((s) => JSON.stringify(s))
        .join(', ')}${skipped.length > 5 ? ', …' : ''}); rate some items it was trained on`,
    );
  }
  const itemIndex = Int32Array.from(byItem.keys());
  const rating = Float32Array.from(byItem.values());
  const batch = { userIndex: new Int32Array(itemIndex.length), itemIndex, rating };
  if (isImplicitMatrixFactorization(model)) {
    const confidence = rating.map((r) => model.confidenceOf(r));
    const solved = model.foldInItems(itemIndex, confidence);
    const scores = solved.predict(batch.userIndex, itemIndex);
    let sumSquares = 0;
    for (const score of scores) sumSquares += (score - 1) ** 2;
    return new FoldedInUser({
      model: solved,
      itemIds,
      titles,
      rated: itemIndex.slice().sort(),
      skipped,
      trainingRmse: Math.sqrt(sumSquares / scores.length),
      duplicateItems,
    });
  }
  const folded = model.withUsers(1);
  const userNames = new Set(folded.userParameterNames);
  const userParams = folded.parameters.filter((p) => userNames.has(p.name));
  const random = new SeededRandom(options.seed ?? 0);
  for (const p of userParams)
    startAtMeanRow(
      p,
      model.parameters.find((q) => q.name === p.name),
      random,
    );
  const adam = userParams.map((p) => ({
    p,
    m: new Float64Array(p.values.length),
    v: new Float64Array(p.values.length),
  }));
  const byParam = new Map(adam.map((s) => [s.p, s]));
  const [beta1, beta2, eps] = [0.9, 0.999, 1e-8];
  for (let t = 1; t <= steps; t++) {
    const { gradients } = folded.lossAndGradients(batch, { training: false });
    for (const g of gradients) {
      const state = byParam.get(g.parameter);
      if (!state) continue; // item-side and shared parameters stay as trained
      const { p, m, v } = state;
      const dim = p.values.length; // one user: the whole parameter is its row
      // dense, or row-sparse with row 0 listed (or no row: zero gradient)
      const grad =
        g.rows && g.rows.length === 0 ? new Float32Array(dim) : g.values.subarray(0, dim);
      const c1 = 1 - beta1 ** t;
      const c2 = 1 - beta2 ** t;
      for (let d = 0; d < dim; d++) {
        const gd = grad[d]! + 2 * l2 * p.values[d]!;
        m[d] = beta1 * m[d]! + (1 - beta1) * gd;
        v[d] = beta2 * v[d]! + (1 - beta2) * gd * gd;
        p.values[d] = p.values[d]! - (lr * (m[d]! / c1)) / (Math.sqrt(v[d]! / c2) + eps);
      }
      p.markChanged();
    }
  }
  const predicted = folded.predict(batch.userIndex, itemIndex);
  let sum = 0;
  for (let k = 0; k < rating.length; k++) sum += (predicted[k]! - rating[k]!) ** 2;
  return new FoldedInUser({
    model: folded,
    itemIds,
    titles,
    rated: itemIndex.slice().sort(),
    skipped,
    trainingRmse: Math.sqrt(sum / rating.length),
    duplicateItems,
  });
}

/** Sets a one-row user parameter to the mean row of the trained one plus seeded jitter (a tenth of the per-column spread). */
function startAtMeanRow(p: Parameter, trained: Parameter | undefined, random: SeededRandom): void {
  const dim = p.values.length;
  if (!trained || trained.values.length === 0) return;
  const rows = trained.values.length / dim;
  for (let d = 0; d < dim; d++) {
    let mean = 0;
    for (let r = 0; r < rows; r++) mean += trained.values[r * dim + d]!;
    mean /= rows;
    let variance = 0;
    for (let r = 0; r < rows; r++) variance += (trained.values[r * dim + d]! - mean) ** 2;
    const spread = Math.sqrt(variance / rows);
    p.values[d] = mean + 0.1 * spread * random.normal();
  }
  p.markChanged();
}
