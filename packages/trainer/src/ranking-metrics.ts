import type { RatingsTable, Split } from '@cf/data';
import {
  BlockedRanker,
  hasBlockedForm,
  buildSeenItems,
  rankAllUsers,
  type RatingModel,
  type TopK,
} from '@cf/model';
import { EventLoopYielder } from './event-loop-yielder.js';

/**
 * What {@link rankingMetrics} needs of a model: its eval-mode `predict`, and the one-user fast path
 * when it has one. Every {@link RatingModel} is one; so is a plain object such as a popularity
 * scorer.
 */
export type RankingScorer = Pick<RatingModel, 'predict' | 'scoreItemsForUser'> &
  Partial<Pick<RatingModel, 'config' | 'parameters'>>;

/** A scorer that is a whole model (config and parameters): the blocked and threaded paths need one. */
function asModel(
  model: RankingScorer,
): Pick<RatingModel, 'predict' | 'scoreItemsForUser' | 'config' | 'parameters'> | undefined {
  return model.config && model.parameters
    ? (model as Pick<RatingModel, 'predict' | 'scoreItemsForUser' | 'config' | 'parameters'>)
    : undefined;
}

/** Users ranked per step of the blocked path (between two pauses of {@link rankingMetricsAsync}). */
const BLOCKED_USERS_PER_STEP = 512;

/**
 * The rating from which a validation rating counts as relevant when none is given:
 * `min + 0.7 · (max − min)` of the table's ratings, so "4 stars or more" on MovieLens' 0.5–5 and
 * 1–5 scales (3.65 and 3.8: no rating lies between those and 4), 3 on a 1–3 scale, 7.3 on 1–10 —
 * a fixed 4 left every user of a 1–3 table without a relevant item and the metrics undefined.
 * `-Infinity` for an implicit table (every interaction is relevant).
 */
export function defaultRelevanceThreshold(table: RatingsTable): number {
  if (table.implicit) return -Infinity;
  const { minRating, maxRating } = table.stats;
  return minRating + 0.7 * (maxRating - minRating);
}

/** Options of {@link rankingMetrics}. */
export interface RankingMetricsOptions {
  /** List length. Default 10. */
  k?: number;
  /**
   * A validation rating at or above this is relevant. Default
   * {@link defaultRelevanceThreshold}: 70 % of the way up the table's rating range (4 stars on
   * MovieLens' 0.5–5 and 1–5 scales); for an implicit table every validation interaction.
   */
  relevanceThreshold?: number;
  /** Evaluate at most this many users (the first ones by index), for speed. Default all. */
  maxUsers?: number;
  /**
   * {@link RankingMetricsOptions.maxUsers} for a model ranked one user at a time only (any model
   * but a dot-product one, which is ranked in blocks, several times faster). Default all.
   */
  perUserMaxUsers?: number;
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
  /** Set when only the users of index below this were looked at (`maxUsers`, `perUserMaxUsers`). */
  firstUsers?: number;
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

/** The evaluated users (at least one relevant validation item, among the first `maxUsers`) and their relevant items. */
function evaluation(
  table: RatingsTable,
  split: Split,
  options: RankingMetricsOptions,
  blocked: boolean,
): {
  k: number;
  users: Int32Array;
  relevant: { offsets: Int32Array; items: Int32Array };
  firstUsers: number | undefined;
} {
  const k = options.k ?? 10;
  const threshold = options.relevanceThreshold ?? defaultRelevanceThreshold(table);
  const relevant = groupByUser(table, split.valid, (r) => table.rating[r]! >= threshold);
  const nUsers = table.userIds.size;
  const limit = Math.min(
    nUsers,
    options.maxUsers ?? Infinity,
    blocked ? Infinity : (options.perUserMaxUsers ?? Infinity),
  );
  const users: number[] = [];
  for (let u = 0; u < limit; u++)
    if (relevant.offsets[u + 1]! > relevant.offsets[u]!) users.push(u);
  return {
    k,
    users: Int32Array.from(users),
    relevant,
    firstUsers: limit < nUsers ? limit : undefined,
  };
}

/** Sums of the per-user metrics; {@link Totals.add} takes one user's top list, best first. */
class Totals {
  users = 0;
  precision = 0;
  recall = 0;
  ndcg = 0;
  hitRate = 0;
  readonly #isRelevant: Uint8Array;
  readonly #idcgPrefix: number[] = [0];

  constructor(
    readonly k: number,
    nItems: number,
    readonly relevant: { offsets: Int32Array; items: Int32Array },
  ) {
    this.#isRelevant = new Uint8Array(nItems);
    for (let p = 0; p < k; p++) this.#idcgPrefix.push(this.#idcgPrefix[p]! + 1 / Math.log2(p + 2));
  }

  /** Adds user `u`'s list of `count` items (`top(p)` the p-th best). */
  add(u: number, count: number, top: (p: number) => number): void {
    const { offsets, items } = this.relevant;
    const relStart = offsets[u]!;
    const relEnd = offsets[u + 1]!;
    const isRelevant = this.#isRelevant;
    for (let r = relStart; r < relEnd; r++) isRelevant[items[r]!] = 1;
    let hits = 0;
    let dcg = 0;
    for (let p = 0; p < count; p++) {
      if (isRelevant[top(p)]) {
        hits++;
        dcg += 1 / Math.log2(p + 2);
      }
    }
    for (let r = relStart; r < relEnd; r++) isRelevant[items[r]!] = 0;
    const nRelevant = relEnd - relStart;
    this.users++;
    this.precision += hits / this.k;
    this.recall += hits / nRelevant;
    this.ndcg += dcg / this.#idcgPrefix[Math.min(this.k, nRelevant)]!;
    this.hitRate += hits > 0 ? 1 : 0;
  }

  result(firstUsers: number | undefined): RankingMetricsResult {
    const mean = (v: number): number => (this.users ? v / this.users : NaN);
    return {
      ...(firstUsers !== undefined ? { firstUsers } : {}),
      k: this.k,
      precisionAtK: mean(this.precision),
      recallAtK: mean(this.recall),
      ndcgAtK: mean(this.ndcg),
      hitRateAtK: mean(this.hitRate),
      users: this.users,
    };
  }
}

/**
 * The work of {@link rankingMetrics} in steps, so that {@link rankingMetricsAsync} can pause
 * between them: for a dot-product model, blocks of users through {@link BlockedRanker}; for any
 * other, one user at a time through its one-user fast path.
 */
function* rankingSteps(
  model: RankingScorer,
  table: RatingsTable,
  split: Split,
  options: RankingMetricsOptions,
): Generator<undefined, RankingMetricsResult, undefined> {
  const whole = asModel(model);
  const ranker = whole && (options.k ?? 10) > 0 ? BlockedRanker.create(whole) : undefined;
  const { k, users, relevant, firstUsers } = evaluation(
    table,
    split,
    options,
    ranker !== undefined,
  );
  const nItems = table.itemIds.size;
  const totals = new Totals(k, nItems, relevant);
  if (ranker) {
    const seen = buildSeenItems(table, split.train);
    for (let p0 = 0; p0 < users.length; p0 += BLOCKED_USERS_PER_STEP) {
      const block = users.subarray(p0, Math.min(users.length, p0 + BLOCKED_USERS_PER_STEP));
      const heaps: TopK[] = ranker.rank(block, {
        k,
        excluded: (p) =>
          seen.itemIndex.subarray(seen.offsets[block[p]!], seen.offsets[block[p]! + 1]),
      });
      heaps.forEach((heap, p) => {
        const list = heap.sorted();
        totals.add(block[p]!, list.length, (j) => list[j]!.index);
      });
      yield;
    }
    return totals.result(firstUsers);
  }
  const seen = groupByUser(table, split.train, () => true);
  const itemIndex = Int32Array.from({ length: nItems }, (_, i) => i);
  const userIndex = new Int32Array(nItems);
  const buffer = new Float32Array(nItems);
  const top = new Int32Array(k);
  const topScore = new Float64Array(k);
  for (const u of users) {
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
    totals.add(u, filled, (p) => top[p]!);
    yield;
  }
  return totals.result(firstUsers);
}

/**
 * Top-N quality of a rating model: for each user, all items are scored, the user's training items
 * are excluded, and the top `k` are compared with the user's relevant validation items
 * (rating ≥ `relevanceThreshold`). Binary relevance; NDCG with log2 discounts; ties go to the lower
 * item index. The mean is over the users with at least one relevant validation item.
 *
 * A dot-product model (EmbeddingDotBias, biased MF, implicit MF: `@cf/model`'s `BlockedRanker`)
 * is ranked in blocks of users × items (WebAssembly SIMD, then its few candidates scored exactly),
 * with the same top lists as ranking one user at a time; any other model one user at a time with
 * its one-user fast path ({@link RatingModel.scoreItemsForUser}, or `predict`), into one reused
 * buffer. On ml-latest-small (610 users × 9,724 items) either takes well under a second.
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
  /** Stops between two steps (users, or blocks of them) once aborted: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Threads ranking users (default 1; `'auto'`: every core): more than one runs `@cf/model`'s
   * `rankAllUsers` on workers (the model rebuilt there from its config and parameters, so it must
   * be a whole `RatingModel`); same numbers for any count.
   */
  threads?: number | 'auto';
  /** Logical cores for `'auto'` on Node (`os.availableParallelism()`). */
  cores?: number;
  /** Called with the threads that ranked, and why fewer than asked when so. */
  onThreads?: (threads: number, reason: string | undefined) => void;
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
  const whole = asModel(model);
  const threads = options.threads ?? 1;
  if (whole && threads !== 1 && (options.k ?? 10) > 0) {
    const blocked = (options.k ?? 10) > 0 && hasBlockedForm(whole);
    const { k, users, relevant, firstUsers } = evaluation(table, split, options, blocked);
    const ranked = await rankAllUsers(whole, {
      k,
      users,
      excluded: buildSeenItems(table, split.train),
      threads,
      ...(options.cores !== undefined ? { cores: options.cores } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    options.onThreads?.(ranked.threads, ranked.threadsNote);
    const totals = new Totals(k, table.itemIds.size, relevant);
    users.forEach((u, p) => totals.add(u, ranked.counts[p]!, (j) => ranked.items[p * k + j]!));
    return totals.result(firstUsers);
  }
  options.onThreads?.(1, undefined);
  const steps = rankingSteps(model, table, split, options);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    if (await yielder.stopRequested()) options.signal!.throwIfAborted();
  }
}
