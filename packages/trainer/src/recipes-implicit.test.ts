import { expect, it } from 'vitest';
import { createRatingsTable } from '@cf/data';
import { describeEachBackend } from '@cf/test-utils';
import type { ImplicitMatrixFactorization } from '@cf/model';
import { defaultRatingConfidence } from './default-rating-confidence.js';
import { ImplicitDataError } from './errors.js';
import { fitSoftmaxRetrieval } from './fit-softmax-retrieval.js';
import { RATING_RECIPES, RECIPE_DEFAULTS, runRecipe, topnSoftmaxOptions } from './recipes.js';

describeEachBackend('rating recipes on implicit data', () => {
  const table = createRatingsTable(
    [
      { userId: 'c1', itemId: 'p1' },
      { userId: 'c1', itemId: 'p2' },
      { userId: 'c2', itemId: 'p1' },
    ],
    { implicit: true, source: 'purchases.csv' },
  );
  const split = { train: Int32Array.of(0, 1), valid: Int32Array.of(2) };

  it.each(RATING_RECIPES.map((r) => [r]))(
    '%s refuses it and points at the topn recipe',
    async (recipe) => {
      const error = await runRecipe(recipe, table, split).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ImplicitDataError);
      expect(error).toMatchObject({ code: 'IMPLICIT_DATA', recipe, source: 'purchases.csv' });
      expect((error as Error).message).toMatch(
        /purchases\.csv has no rating column.*--recipe topn/,
      );
    },
  );

  it('the topn recipe trains on it, every row an interaction of confidence 1', async () => {
    const result = await runRecipe('topn', table, split);
    // iALS's 128 factors and the softmax model's 64 + 1 (its item bias), blended
    expect(result.model.config).toMatchObject({
      type: 'implicit-mf',
      confidence: null,
      nFactors: 128 + 65,
    });
    expect(result.hyperParameters['confidence']).toBeNull();
    expect(Number.isNaN(result.rmse)).toBe(true); // ranking scores are not ratings
    // c2 has no training row: its iALS factors are all zero, so it scores below c1's interactions
    const user = result.model.parameters.find((p) => p.name === 'userEmbedding')!.values;
    expect(user.subarray(193, 193 + 128).every((x) => x === 0)).toBe(true);
    expect(user.subarray(0, 128).some((x) => x !== 0)).toBe(true);
    const scores = result.model.predict(Int32Array.of(0, 0, 1), Int32Array.of(0, 1, 0));
    expect(scores[0]!).toBeGreaterThan(scores[2]!);
    expect(scores[1]!).toBeGreaterThan(scores[2]!);
    result.model.dispose();
  });

  it('the same rows with ratings train', async () => {
    const rated = createRatingsTable([
      { userId: 'c1', itemId: 'p1', rating: 4 },
      { userId: 'c1', itemId: 'p2', rating: 2 },
      { userId: 'c2', itemId: 'p1', rating: 5 },
    ]);
    const result = await runRecipe('bias', rated, split);
    expect(Number.isFinite(result.rmse)).toBe(true);
    result.model.dispose();
  });
});

describeEachBackend('the topn recipes on other rating scales', () => {
  /** Two users × four items, every pair rated on `scale` (its lowest and highest rating present). */
  const tableOn = (scale: readonly number[]) =>
    createRatingsTable(
      ['u1', 'u2'].flatMap((userId, u) =>
        ['a', 'b', 'c', 'd'].map((itemId, i) => ({
          userId,
          itemId,
          rating: scale[(u + i) % scale.length]!,
        })),
      ),
    );
  const split = { train: Int32Array.of(0, 1, 2, 4, 5, 6), valid: Int32Array.of(3, 7) };

  // the relevance threshold of the ranking metrics, 70 % up the range: 7.3 on 1–10, 0.7 on 0–1,
  // 3.65 on MovieLens' 0.5–5 (the same rows as the 4 stars the recipes were tuned with)
  it.each([
    ['1–10', [1, 5, 8, 10], 7.3, [5, 7], [8, 10]],
    ['0/1 likes', [0, 1], 0.7, [0], [1]],
    ['0.5–5 (MovieLens)', [0.5, 3.5, 4, 5], 3.65, [3.5, 0.5], [4, 5]],
  ] as const)(
    '%s: topn and topn-softmax weigh ratings from the table’s relevance threshold',
    async (_name, scale, threshold, low, high) => {
      const table = tableOn(scale);
      for (const recipe of ['topn', 'topn-softmax'] as const) {
        const result = await runRecipe(recipe, table, split);
        const model = result.model as ImplicitMatrixFactorization;
        const confidence = model.config.confidence!;
        expect(confidence.threshold).toBeCloseTo(threshold, 10);
        expect(result.hyperParameters['confidence']).toEqual(confidence);
        expect(defaultRatingConfidence(table)).toEqual(confidence);
        for (const r of low) expect(model.confidenceOf(r)).toBeCloseTo(0.1, 6);
        for (const r of high) expect(model.confidenceOf(r)).toBe(1);
        model.dispose();
      }
    },
  );

  it('topnSoftmaxOptions are what the topn-softmax recipe trains with (same weights), overrides win', async () => {
    const table = tableOn([1, 5, 8, 10]);
    const options = topnSoftmaxOptions(table);
    expect(options).toMatchObject({
      nFactors: RECIPE_DEFAULTS['topn-softmax'].nFactors,
      epochs: RECIPE_DEFAULTS['topn-softmax'].softmaxEpochs,
      confidence: defaultRatingConfidence(table, RECIPE_DEFAULTS['topn-softmax'].confidence),
    });
    expect(topnSoftmaxOptions(table, { epochs: 3, nFactors: 4 })).toMatchObject({
      epochs: 3,
      nFactors: 4,
      lr: RECIPE_DEFAULTS['topn-softmax'].lr,
    });
    const recipe = await runRecipe('topn-softmax', table, split, { seed: 7 });
    const direct = await fitSoftmaxRetrieval(
      table,
      split.train,
      topnSoftmaxOptions(table, { seed: 7 }),
    );
    for (const p of recipe.model.parameters)
      expect(Array.from(direct.parameters.find((q) => q.name === p.name)!.values)).toEqual(
        Array.from(p.values),
      );
    recipe.model.dispose();
    direct.dispose();
  });
});
