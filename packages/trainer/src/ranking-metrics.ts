import type { RatingsTable, Split } from '@cf/data';
import type { RatingModel } from '@cf/model';
import { EventLoopYielder } from './event-loop-yielder.js';

/**
 * What {@link rankingMetrics} needs of a model: its eval-mode `predict`, and the one-user fast path
 * when it has one. Every {@link RatingModel} is one; so is a plain object such as a popularity
 * scorer.
 */
export type RankingScorer = Pick<RatingModel, 'predict' | 'scoreItemsForUser'>;

/** Options of {@link rankingMetrics}. */
export interface RankingMetricsOptions {
  /** List length. Default 10. */
  k?: number;
  /**
   * A validation rating at or above this is relevant. Default 4; for an implicit table
   * (`table.implicit`, every rating 1) every validation interaction is relevant.
   */
  relevanceThreshold?: number;
  /** Evaluate at most this many users (the first ones by index), for speed. Default all. */
  maxUsers?: number;
}

/** Mean top-k metrics over the users that have at least one relevant validation item. */
export interface RankingMetricsResult {
  k: number;
  precisionAtK: number;
  recallAtK: number;
  ndcgAtK: number;
  hitRateAtK: number;
  /** Users evaluated. */
  users: number;
}

/** Compressed rows: `items[offsets[u] .. offsets[u+1])` are user u's items. */
function groupByUser(
  table: RatingsTable,
  rows: Int32Array,
  keep: (r: number) => boolean,
): { offsets: Int32Array; items: Int32Array } {
  const nUsers = table.userIds.size;
  const offsets = new Int32Array(nUsers + 1);
  for (const r of rows) if (keep(r)) offsets[table.userIndex[r]! + 1]!++;
  for (let u = 0; u < nUsers; u++) offsets[u + 1]! += offsets[u]!;
  const fill = offsets.slice(0, nUsers);
  const items = new Int32Array(offsets[nUsers]!);
  for (const r of rows) if (keep(r)) items[fill[table.userIndex[r]!]!++] = table.itemIndex[r]!;
  return { offsets, items };
}

/** The work of {@link rankingMetrics}, one user per step, so that {@link rankingMetricsAsync} can pause between users. */
function* rankingSteps(
  model: RankingScorer,
  table: RatingsTable,
  split: Split,
  options: RankingMetricsOptions,
): Generator<undefined, RankingMetricsResult, undefined> {
  const k = options.k ?? 10;
  const threshold = options.relevanceThreshold ?? (table.implicit ? -Infinity : 4);
  const nItems = table.itemIds.size;
  const seen = groupByUser(table, split.train, () => true);
  const relevant = groupByUser(table, split.valid, (r) => table.rating[r]! >= threshold);
  const itemIndex = Int32Array.from({ length: nItems }, (_, i) => i);
  const userIndex = new Int32Array(nItems);
  const buffer = new Float32Array(nItems);
  const isRelevant = new Uint8Array(nItems);
  let idcgPrefix = [0];
  for (let p = 0; p < k; p++) idcgPrefix.push(idcgPrefix[p]! + 1 / Math.log2(p + 2));
  let users = 0;
  let precision = 0;
  let recall = 0;
  let ndcg = 0;
  let hitRate = 0;
  const limit = Math.min(table.userIds.size, options.maxUsers ?? Infinity);
  const top = new Int32Array(k);
  const topScore = new Float64Array(k);
  for (let u = 0; u < limit; u++) {
    const relStart = relevant.offsets[u]!;
    const relEnd = relevant.offsets[u + 1]!;
    if (relEnd === relStart) continue;
    let scores: Float32Array;
    if (model.scoreItemsForUser) {
      scores = model.scoreItemsForUser(u, itemIndex, buffer);
    } else {
      userIndex.fill(u);
      scores = model.predict(userIndex, itemIndex, buffer);
    }
    for (let s = seen.offsets[u]!; s < seen.offsets[u + 1]!; s++)
      scores[seen.items[s]!] = -Infinity;
    // top-k by insertion into a small sorted list
    let filled = 0;
    for (let i = 0; i < nItems; i++) {
      const s = scores[i]!;
      if (s === -Infinity) continue;
      if (filled === k && s <= topScore[k - 1]!) continue;
      let p = filled < k ? filled++ : k - 1;
      while (p > 0 && topScore[p - 1]! < s) {
        topScore[p] = topScore[p - 1]!;
        top[p] = top[p - 1]!;
        p--;
      }
      topScore[p] = s;
      top[p] = i;
    }
    for (let r = relStart; r < relEnd; r++) isRelevant[relevant.items[r]!] = 1;
    let hits = 0;
    let dcg = 0;
    for (let p = 0; p < filled; p++) {
      if (isRelevant[top[p]!]) {
        hits++;
        dcg += 1 / Math.log2(p + 2);
      }
    }
    for (let r = relStart; r < relEnd; r++) isRelevant[relevant.items[r]!] = 0;
    const nRelevant = relEnd - relStart;
    users++;
    precision += hits / k;
    recall += hits / nRelevant;
    ndcg += dcg / idcgPrefix[Math.min(k, nRelevant)]!;
    hitRate += hits > 0 ? 1 : 0;
    yield;
  }
  idcgPrefix = [];
  const mean = (v: number): number => (users ? v / users : NaN);
  return {
    k,
    precisionAtK: mean(precision),
    recallAtK: mean(recall),
    ndcgAtK: mean(ndcg),
    hitRateAtK: mean(hitRate),
    users,
  };
}

/**
 * Top-N quality of a rating model: for each user, all items are scored, the user's training items
 * are excluded, and the top `k` are compared with the user's relevant validation items
 * (rating ≥ `relevanceThreshold`). Binary relevance; NDCG with log2 discounts; ties go to the lower
 * item index. The mean is over the users with at least one relevant validation item.
 *
 * Items are scored with the model's one-user fast path ({@link RatingModel.scoreItemsForUser})
 * when it has one (its `predict` otherwise), into one reused buffer: on ml-latest-small
 * (610 users × 9,724 items) this takes well under a second for every shipped model on one core.
 */
export function rankingMetrics(
  model: RankingScorer,
  table: RatingsTable,
  split: Split,
  options: RankingMetricsOptions = {},
): RankingMetricsResult {
  const steps = rankingSteps(model, table, split, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Options of {@link rankingMetricsAsync}. */
export interface RankingMetricsAsyncOptions extends RankingMetricsOptions {
  /** Stops between two users once aborted: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * {@link rankingMetrics} that lets timers and signal handlers run at least every 50 ms, for a
 * program that must stay responsive (a Ctrl-C) while it ranks every item for every user, which
 * takes minutes on a catalogue of ml-25m's size. Same numbers as {@link rankingMetrics}.
 */
export async function rankingMetricsAsync(
  model: RankingScorer,
  table: RatingsTable,
  split: Split,
  options: RankingMetricsAsyncOptions = {},
): Promise<RankingMetricsResult> {
  const yielder = new EventLoopYielder(options.signal);
  options.signal?.throwIfAborted();
  const steps = rankingSteps(model, table, split, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (await yielder.stopRequested()) options.signal!.throwIfAborted();
  }
}
