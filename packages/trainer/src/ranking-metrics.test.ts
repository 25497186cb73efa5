import { describe, expect, it } from 'vitest';
import { createRatingsTable, randomHoldoutSplit } from '@cf/data';
import {
  createBiasBaseline,
  createBiasedMatrixFactorization,
  createEmbeddingDotBias,
  createImplicitMatrixFactorization,
  SeededRandom,
  type RatingModel,
} from '@cf/model';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import {
  defaultRelevanceThreshold,
  rankingMetrics,
  rankingMetricsAsync,
  type RankingScorer,
} from './ranking-metrics.js';

describeEachBackend('rankingMetrics', () => {
  // Scores rank items 0 > 1 > 2 > 3 for every user (item biases 0.4 … 0.1).
  const rows = [
    { userId: 0, itemId: 0, rating: 3 }, // train
    { userId: 0, itemId: 1, rating: 5 }, // valid, relevant
    { userId: 0, itemId: 3, rating: 4.5 }, // valid, relevant
    { userId: 0, itemId: 2, rating: 1 }, // valid, not relevant
    { userId: 1, itemId: 1, rating: 4 }, // train
    { userId: 1, itemId: 2, rating: 2 }, // train
    { userId: 1, itemId: 3, rating: 5 }, // valid, relevant
  ];
  const table = createRatingsTable(rows, { idOrder: 'sorted' });
  const split = { train: Int32Array.of(0, 4, 5), valid: Int32Array.of(1, 2, 3, 6) };
  const model = createBiasBaseline({ nUsers: 2, nItems: 4, ratingRange: [1, 5] });
  model.parameter('itemBias').values.set([0.4, 0.3, 0.2, 0.1]);
  model.parameter('globalBias').values[0] = 3;

  it('matches hand-computed precision, recall, NDCG and hit rate at k = 2, excluding training items', () => {
    const m = rankingMetrics(model, table, split, { k: 2, relevanceThreshold: 4 });
    // user 0: top [1, 2] → 1 hit at rank 1 of 2 relevant; user 1: top [0, 3] → 1 hit at rank 2 of 1 relevant
    expect(m.users).toBe(2);
    expect(m.precisionAtK).toBeCloseTo((1 / 2 + 1 / 2) / 2, 12);
    expect(m.recallAtK).toBeCloseTo((1 / 2 + 1) / 2, 12);
    const ndcgUser0 = 1 / (1 + 1 / Math.log2(3));
    const ndcgUser1 = 1 / Math.log2(3);
    expect(m.ndcgAtK).toBeCloseTo((ndcgUser0 + ndcgUser1) / 2, 12);
    expect(m.hitRateAtK).toBe(1);
  });

  it('counts only relevant validation items, and users that have one', () => {
    const m = rankingMetrics(model, table, split, { k: 1, relevanceThreshold: 5 });
    // relevant: user 0 item 1, user 1 item 3; top-1: user 0 → item 1 (hit), user 1 → item 0 (miss)
    expect(m.users).toBe(2);
    expect(m.hitRateAtK).toBeCloseTo(0.5, 12);
    expect(m.precisionAtK).toBeCloseTo(0.5, 12);
  });

  it('scores with the one-user fast path, and gives the same numbers by predict for a model without one', () => {
    let fastCalls = 0;
    const fast: RankingScorer = {
      predict: () => {
        throw new Error('predict must not be called when scoreItemsForUser exists');
      },
      scoreItemsForUser: (u: number, items: Int32Array, out: Float32Array) => {
        fastCalls++;
        return model.scoreItemsForUser(u, items, out);
      },
    };
    const slow: RankingScorer = {
      predict: (u: Int32Array, i: Int32Array, out?: Float32Array) => model.predict(u, i, out),
    };
    const viaFast = rankingMetrics(fast, table, split, { k: 2 });
    expect(fastCalls).toBe(2); // one call per user with a relevant validation item
    expect(rankingMetrics(slow, table, split, { k: 2 })).toEqual(viaFast);
    expect(viaFast).toEqual(rankingMetrics(model, table, split, { k: 2 }));
  });

  it('counts every validation interaction of an implicit table as relevant', () => {
    const implicit = createRatingsTable(
      rows.map(({ userId, itemId }) => ({ userId, itemId })),
      { idOrder: 'sorted', implicit: true },
    );
    const m = rankingMetrics(model, implicit, split, { k: 2 });
    // user 0 (items 1, 3, 2 valid): top [1, 2] → 2 hits of 3; user 1: top [0, 3] → hit at rank 2
    expect(m.users).toBe(2);
    expect(m.recallAtK).toBeCloseTo((2 / 3 + 1) / 2, 12);
    expect(m.ndcgAtK).toBeCloseTo((1 + 1 / Math.log2(3)) / 2, 12);
    expect(m.precisionAtK).toBeCloseTo((1 + 1 / 2) / 2, 12);
  });

  it('ranks dot-product models in blocks, and on two threads, with the numbers of one user at a time', async () => {
    const { table: big } = makeSyntheticRatings({ nUsers: 40, nItems: 70, density: 0.3, seed: 3 });
    const held = randomHoldoutSplit(big.rating.length, { valPct: 0.3, seed: 1 });
    const size = { nUsers: big.userIds.size, nItems: big.itemIds.size };
    const models: RatingModel[] = [
      createEmbeddingDotBias({ ...size, nFactors: 6, seed: 1 }),
      createBiasedMatrixFactorization({ ...size, nFactors: 5, ratingRange: [0.5, 5], seed: 2 }),
      createImplicitMatrixFactorization({ ...size, nFactors: 4, seed: 3 }),
    ];
    const random = new SeededRandom(5);
    for (const m of models)
      for (const p of m.parameters) {
        for (let k = 0; k < p.values.length; k++) p.values[k] = random.uniform(-0.8, 0.8);
        p.markChanged();
      }
    for (const m of models) {
      // no config: the one-user-at-a-time path
      const perUser: RankingScorer = {
        predict: (u, i, out) => m.predict(u, i, out),
        scoreItemsForUser: (u, i, out) => m.scoreItemsForUser!(u, i, out),
      };
      const want = rankingMetrics(perUser, big, held, { k: 5, relevanceThreshold: 3 });
      expect(want.users).toBeGreaterThan(20);
      expect(rankingMetrics(m, big, held, { k: 5, relevanceThreshold: 3 })).toEqual(want);
      let used = 0;
      const threaded = await rankingMetricsAsync(m, big, held, {
        k: 5,
        relevanceThreshold: 3,
        threads: 2,
        onThreads: (t) => (used = t),
      });
      expect(used).toBe(2);
      expect(threaded).toEqual(want);
    }
  });
});

describe('defaultRelevanceThreshold', () => {
  const tableOf = (ratings: number[]) =>
    createRatingsTable(ratings.map((rating, i) => ({ userId: i % 3, itemId: i, rating })));

  it('is 4 stars on MovieLens scales, 70 % up the range elsewhere, -Infinity when implicit', () => {
    expect(defaultRelevanceThreshold(tableOf([0.5, 3.5, 4, 5]))).toBeCloseTo(3.65, 12);
    expect(defaultRelevanceThreshold(tableOf([1, 2, 3, 4, 5]))).toBeCloseTo(3.8, 12);
    expect(defaultRelevanceThreshold(tableOf([1, 2, 3]))).toBeCloseTo(2.4, 12);
    const implicit = createRatingsTable([{ userId: 1, itemId: 2 }], { implicit: true });
    expect(defaultRelevanceThreshold(implicit)).toBe(-Infinity);
  });

  it('gives a 1–3 scale relevant items, where a fixed 4 gave none and undefined metrics', () => {
    // every user rates items 0..5 on 1..3; validation = each user's last two rows
    const rows = [];
    for (let u = 0; u < 4; u++)
      for (let i = 0; i < 6; i++) rows.push({ userId: u, itemId: i, rating: 1 + ((u + i) % 3) });
    const table = createRatingsTable(rows, { idOrder: 'sorted' });
    const valid = Int32Array.from({ length: 4 * 2 }, (_, j) => Math.floor(j / 2) * 6 + 4 + (j % 2));
    const train = Int32Array.from({ length: 24 }, (_, r) => r).filter((r) => r % 6 < 4);
    const model = createBiasBaseline({ nUsers: 4, nItems: 6, ratingRange: [1, 3] });
    const m = rankingMetrics(model, table, { train, valid }, { k: 2 });
    // relevant = rating 3: user u's items 4 and 5 rate 1 + (u + 4) % 3 and 1 + (u + 5) % 3
    expect(m.users).toBe(3);
    expect(Number.isNaN(m.ndcgAtK)).toBe(false);
    expect(
      rankingMetrics(model, table, { train, valid }, { k: 2, relevanceThreshold: 4 }).users,
    ).toBe(0);
  });
});
