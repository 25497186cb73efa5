import { expect, it } from 'vitest';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { createBiasBaseline } from '../models/bias-baseline.js';
import { rankItems } from './rank-items.js';
import type { RatingModel } from '../models/rating-model.js';
import { createTrainedModel } from './trained-model.js';
import {
  modelsOfEveryKind,
  randomizeParameters,
  withoutFastPath,
} from '../models/models-for-test.test-helper.js';

const { table } = makeSyntheticRatings({ nUsers: 14, nItems: 43, density: 0.3, seed: 8 });
const nUsers = table.userIds.size;
const nItems = table.itemIds.size;
const trainRows = Int32Array.from({ length: table.rating.length }, (_, r) => r).filter(
  (r) => r % 4 !== 0,
);
const allItems = Int32Array.from({ length: nItems }, (_, i) => i);

/** The top `k` of `candidates` for a user by `predict`, best first, ties to the lower index, minus `excluded`. */
function bruteForce(
  model: RatingModel,
  user: number,
  k: number,
  candidates: Int32Array,
  excluded: Int32Array = new Int32Array(0),
): { index: number; score: number }[] {
  const scores = model.predict(new Int32Array(candidates.length).fill(user), candidates);
  const skip = new Set(excluded);
  return Array.from(candidates, (index, c) => ({ index, score: scores[c]! }))
    .filter(({ index }) => !skip.has(index))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, k);
}

/** The items a user rated in the training rows, ascending. */
function seenBy(user: number): Int32Array {
  const items = new Set<number>();
  for (const r of trainRows) if (table.userIndex[r] === user) items.add(table.itemIndex[r]!);
  return Int32Array.from([...items].sort((a, b) => a - b));
}

describeEachBackend('rankItems', () => {
  const models: [string, RatingModel][] = [
    ...modelsOfEveryKind(nUsers, nItems),
    [
      'a model without scoreItemsForUser',
      withoutFastPath(modelsOfEveryKind(nUsers, nItems)[3]![1]),
    ],
  ];

  for (const [name, model] of models) {
    it(`${name}: the top-k of every user is the brute-force ranking by predict, with and without exclusions, whole or chunked`, () => {
      const users = Int32Array.from({ length: nUsers }, (_, u) => u);
      const excluded = (p: number) => seenBy(users[p]!);
      for (const k of [1, 5, nItems, nItems + 3]) {
        const plain = rankItems(model, users, { k, candidates: allItems });
        const exclusive = rankItems(model, users, { k, candidates: allItems, excluded });
        const chunked = rankItems(model, users, {
          k,
          candidates: allItems,
          excluded,
          pairsPerChunk: 6,
        });
        for (let u = 0; u < nUsers; u++) {
          expect(plain[u]!.sorted()).toEqual(bruteForce(model, u, k, allItems));
          expect(exclusive[u]!.sorted()).toEqual(bruteForce(model, u, k, allItems, seenBy(u)));
          expect(chunked[u]!.sorted()).toEqual(exclusive[u]!.sorted());
        }
      }
      // a subset of candidates, with excluded items that are not candidates
      const candidates = Int32Array.of(0, 2, 3, 10, 11, 12, 30, nItems - 2, nItems - 1);
      const skipped = Int32Array.of(1, 3, 4, 12, nItems - 3, nItems - 1);
      const [heap] = rankItems(model, Int32Array.of(5), {
        k: 4,
        candidates,
        excluded: () => skipped,
      });
      expect(heap!.sorted()).toEqual(bruteForce(model, 5, 4, candidates, skipped));
    });

    it(`${name}: TrainedModel.recommend and recommendForAll give the brute-force top-k (excludeSeen on and off)`, () => {
      const trained = createTrainedModel(model, table, {
        trainRows,
        seenRows: trainRows,
        fallback: 'none',
      });
      const all = trained.recommendForAll({ k: 7 });
      for (let u = 0; u < nUsers; u++) {
        const userId = table.userIds.idAt(u);
        const expected = (exclude: boolean) =>
          bruteForce(model, u, 7, allItems, exclude ? seenBy(u) : undefined).map(
            ({ index, score }) => ({ itemId: table.itemIds.idAt(index), score }),
          );
        expect(trained.recommend(userId, { k: 7 })).toEqual(expected(true));
        expect(trained.recommend(userId, { k: 7, excludeSeen: false })).toEqual(expected(false));
        expect(all.get(userId)).toEqual(expected(true));
      }
    });
  }

  it('breaks ties between equal (clipped) scores toward the lower item index', () => {
    const model = randomizeParameters(
      createBiasBaseline({ nUsers, nItems, ratingRange: [0.5, 5] }),
      1,
    );
    const bias = model.parameters.find((p) => p.name === 'itemBias')!;
    for (const i of [4, 9, 17, 20, 33, 38]) bias.values[i] = 10; // all clip to 5
    bias.markChanged();
    const [heap] = rankItems(model, Int32Array.of(2), { k: 4, candidates: allItems });
    expect(heap!.sorted()).toEqual([4, 9, 17, 20].map((index) => ({ index, score: 5 })));
    const [rest] = rankItems(model, Int32Array.of(2), {
      k: 4,
      candidates: allItems,
      excluded: () => Int32Array.of(9, 20),
    });
    expect(rest!.sorted()).toEqual([4, 17, 33, 38].map((index) => ({ index, score: 5 })));
  });

  it('leaves NaN scores out, as TopK does', () => {
    const model = randomizeParameters(
      createBiasBaseline({ nUsers, nItems, ratingRange: [0.5, 5] }),
      2,
    );
    const bias = model.parameters.find((p) => p.name === 'itemBias')!;
    bias.values.fill(NaN, 0, nItems - 2);
    bias.markChanged();
    const [heap] = rankItems(model, Int32Array.of(0), { k: 5, candidates: allItems });
    expect(heap!.sorted().map((e) => e.index)).toEqual(
      bruteForce(model, 0, 2, allItems.subarray(nItems - 2)).map((e) => e.index),
    );
  });
});
