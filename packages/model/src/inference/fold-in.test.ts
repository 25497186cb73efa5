import { expect, it } from 'vitest';
import { createRatingsTable, InvalidArgumentError, UnknownIdError } from '@cf/data';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { createEmbeddingDotBias } from '../models/embedding-dot-bias.js';
import { createTrainedModel } from './trained-model.js';
import { trainForTest } from '../models/train-for-test.test-helper.js';

const { table: full } = makeSyntheticRatings({ nUsers: 60, nItems: 80, density: 0.3, seed: 11 });
const rows = Array.from({ length: full.rating.length }, (_, r) => ({
  userId: full.userIds.idAt(full.userIndex[r]!),
  itemId: full.itemIds.idAt(full.itemIndex[r]!),
  rating: full.rating[r]!,
}));
// the held-out user: the one with the most ratings, never seen in training
const counts = new Map<number | string, number>();
for (const r of rows) counts.set(r.userId, (counts.get(r.userId) ?? 0) + 1);
const heldOut = [...counts].sort((a, b) => b[1] - a[1] || Number(a[0]) - Number(b[0]))[0]![0];
const table = createRatingsTable(
  rows.filter((r) => r.userId !== heldOut),
  { source: 'synthetic' },
);
const theirs = rows.filter((r) => r.userId === heldOut && table.itemIds.has(r.itemId));
const cut = Math.round(theirs.length * 0.7);
const given = theirs.slice(0, cut);
const hidden = theirs.slice(cut);

function trained() {
  const model = createEmbeddingDotBias({
    nUsers: table.userIds.size,
    nItems: table.itemIds.size,
    nFactors: 3,
    seed: 1,
  });
  trainForTest(
    model,
    table,
    Int32Array.from({ length: table.rating.length }, (_, r) => r),
    { steps: 300, lr: 0.03 },
  );
  return createTrainedModel(model, table);
}

const rmse = (pred: number[], target: number[]) =>
  Math.sqrt(pred.reduce((a, p, k) => a + (p - target[k]!) ** 2, 0) / pred.length);

describeEachBackend('foldInUser', () => {
  it('predicts a held-out user better than the bias fallback, without touching the trained model', () => {
    const t = trained();
    expect(t.userIds.has(heldOut)).toBe(false);
    expect(hidden.length).toBeGreaterThanOrEqual(5);
    const before = t.model.parameters.map((p) => p.values.slice());
    const user = t.foldInUser([...given, { itemId: 'never-seen', rating: 4 }], {
      steps: 300,
      lr: 0.05,
      l2: 0.01,
      seed: 0,
    });
    expect(user.skipped).toEqual(['never-seen']);
    expect(user.used).toBe(given.length);
    expect(user.model.config.nUsers).toBe(1);
    // item parameters are shared, not copied; user parameters are new
    expect(user.model.parameters.find((p) => p.name === 'itemEmbedding')!.values).toBe(
      t.model.parameters.find((p) => p.name === 'itemEmbedding')!.values,
    );
    expect(user.model.parameters.find((p) => p.name === 'userEmbedding')!.values).not.toBe(
      t.model.parameters.find((p) => p.name === 'userEmbedding')!.values,
    );
    t.model.parameters.forEach((p, k) => expect(p.values).toEqual(before[k]));

    const target = hidden.map((r) => r.rating);
    const foldIn = rmse(
      hidden.map((r) => user.predict(r.itemId)),
      target,
    );
    const fallback = t.predictMany(
      hidden.map((r) => ({ userId: heldOut, itemId: r.itemId })),
      { unknown: 'fallback' },
    );
    expect(fallback.every((p) => p.source === 'item-bias')).toBe(true);
    const baseline = rmse(
      fallback.map((p) => p.rating),
      target,
    );
    console.log(
      `fold-in RMSE ${foldIn.toFixed(3)} vs bias fallback ${baseline.toFixed(3)} on ${hidden.length} held-out ratings`,
    );
    expect(foldIn).toBeLessThan(baseline);
    expect(user.trainingRmse).toBeLessThan(baseline);

    const recs = user.recommend({ k: 5 });
    expect(recs).toHaveLength(5);
    const rated = new Set(given.map((r) => r.itemId));
    for (const r of recs) expect(rated.has(r.itemId)).toBe(false);
    expect(recs[0]!.score).toBe(user.predict(recs[0]!.itemId));
    expect(user.recommend({ k: 80, excludeSeen: false })).toHaveLength(table.itemIds.size);
    // same seed, same result
    const again = t.foldInUser(given, { steps: 300, lr: 0.05, l2: 0.01, seed: 0 });
    expect(again.predict(hidden[0]!.itemId)).toBe(user.predict(hidden[0]!.itemId));
    user.dispose();
    again.dispose();
    t.dispose();
  });

  it('rejects input with no known item, and unknown items in predict', () => {
    const t = trained();
    const error = (() => {
      try {
        t.foldInUser([{ itemId: 'x', rating: 3 }]);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ argument: 'ratings' });
    const user = t.foldInUser(given.slice(0, 3), { steps: 5 });
    expect(() => user.predict('x')).toThrow(UnknownIdError);
    user.dispose();
  });

  it("refuses ratings outside the model's scale, naming the rating, the item and the scale", () => {
    const t = trained();
    const [lo, hi] = t.ratingRange;
    const item = given[0]!.itemId;
    for (const bad of [hi + 1, lo - 1.5, 0, hi + 0.5, 1e308, -Infinity, NaN]) {
      if (bad >= lo && bad <= hi) continue;
      let error: unknown;
      try {
        t.foldInUser([given[1]!, { itemId: item, rating: bad }], { steps: 5 });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toContain(
        Number.isFinite(bad)
          ? `rating 2 (item ${JSON.stringify(item)}) is ${bad}, outside the model's rating scale [${lo}, ${hi}]`
          : 'not a finite number',
      );
    }
    // the scale's own ends are fine
    t.foldInUser(
      [
        { itemId: item, rating: lo },
        { itemId: given[1]!.itemId, rating: hi },
      ],
      { steps: 5 },
    ).dispose();
    t.dispose();
  });

  it('an item rated twice: keep-last (default) or average use it once; error refuses it', () => {
    const t = trained();
    const [a, b] = [given[0]!.itemId, given[1]!.itemId];
    const twice = [
      { itemId: a, rating: 1 },
      { itemId: b, rating: 4 },
      { itemId: a, rating: 5 },
    ];
    const last = t.foldInUser(twice, { steps: 50, seed: 0 });
    const lastOnly = t.foldInUser([twice[1]!, twice[2]!], { steps: 50, seed: 0 });
    expect(last.used).toBe(2);
    expect(last.duplicateItems).toBe(1);
    expect(last.predict(a)).toBeCloseTo(lastOnly.predict(a), 5);
    const averaged = t.foldInUser(twice, { steps: 50, seed: 0, duplicates: 'average' });
    const mean = t.foldInUser([{ itemId: a, rating: 3 }, twice[1]!], { steps: 50, seed: 0 });
    expect(averaged.predict(a)).toBeCloseTo(mean.predict(a), 5);
    expect(averaged.predict(a)).not.toBeCloseTo(last.predict(a), 2);
    expect(() => t.foldInUser(twice, { duplicates: 'error' })).toThrow(
      new RegExp(`item ${JSON.stringify(a)} is rated more than once \\(rating 3 again\\)`),
    );
    for (const u of [last, lastOnly, averaged, mean]) u.dispose();
    t.dispose();
  });
});
