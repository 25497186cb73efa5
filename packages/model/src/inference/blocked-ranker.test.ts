import { expect, it } from 'vitest';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { createBiasedMatrixFactorization } from '../models/biased-matrix-factorization.js';
import { createEmbeddingDotBias } from '../models/embedding-dot-bias.js';
import { createEmbeddingNet } from '../models/embedding-net.js';
import { createImplicitMatrixFactorization } from '../models/implicit-matrix-factorization.js';
import type { RatingModel } from '../models/rating-model.js';
import { modelsOfEveryKind, randomizeParameters } from '../models/models-for-test.test-helper.js';
import { BlockedRanker } from './blocked-ranker.js';
import { rankItems } from './rank-items.js';

const { table } = makeSyntheticRatings({ nUsers: 14, nItems: 43, density: 0.3, seed: 8 });
const nUsers = table.userIds.size;
const nItems = table.itemIds.size;
const allItems = Int32Array.from({ length: nItems }, (_, i) => i);
const users = Int32Array.from({ length: nUsers }, (_, u) => u);

/** Each user's rated items, ascending. */
function seenBy(user: number): Int32Array {
  const items = new Set<number>();
  for (let r = 0; r < table.rating.length; r++)
    if (table.userIndex[r] === user) items.add(table.itemIndex[r]!);
  return Int32Array.from([...items].sort((a, b) => a - b));
}
const seen = Array.from(users, seenBy);

/** Copies item `from`'s parameters to the items in `to`: exactly equal scores for every user. */
function duplicateItems(model: RatingModel, from: number, to: number[]): RatingModel {
  for (const p of model.parameters) {
    if (p.shape[0] !== nItems) continue;
    const w = p.shape[1] ?? 1;
    for (const i of to) p.values.copyWithin(i * w, from * w, (from + 1) * w);
    p.markChanged();
  }
  return model;
}

const size = { nUsers, nItems };
/** The models with a blocked form: the dot products, and EmbeddingNet with one hidden layer. */
const blockable = (m: RatingModel): boolean =>
  ['embedding-dot-bias', 'biased-mf'].includes(m.config.type) ||
  (m.config.type === 'embedding-net' && m.config.hidden.length === 1);
const dotModels: [string, () => RatingModel][] = [
  ...modelsOfEveryKind(nUsers, nItems)
    .filter(([, m]) => blockable(m))
    .map(([name, m]): [string, () => RatingModel] => [name, () => m]),
  [
    'ImplicitMatrixFactorization',
    () =>
      randomizeParameters(createImplicitMatrixFactorization({ ...size, nFactors: 9, seed: 4 }), 7),
  ],
  [
    'EmbeddingNet (the notebook: 50 factors, 10 hidden units)',
    () =>
      randomizeParameters(
        createEmbeddingNet({ ...size, nFactors: 50, ratingRange: [0.5, 5], seed: 5 }),
        13,
      ),
  ],
  [
    'EmbeddingDotBias with tied items',
    () =>
      duplicateItems(
        randomizeParameters(createEmbeddingDotBias({ ...size, nFactors: 7, seed: 3 }), 9),
        5,
        [2, 17, 30, 41],
      ),
  ],
  [
    'BiasedMatrixFactorization, many scores clipped to the maximum',
    () => {
      const m = randomizeParameters(
        createBiasedMatrixFactorization({ ...size, nFactors: 6, ratingRange: [0.5, 5] }),
        11,
      );
      const bias = m.parameters.find((p) => p.name === 'itemBias')!;
      for (let i = 0; i < nItems; i += 3) bias.values[i] = 8;
      bias.markChanged();
      return m;
    },
  ],
];

describeEachBackend('BlockedRanker', () => {
  for (const [name, make] of dotModels) {
    for (const wasm of [true, false]) {
      it(`${name} (${wasm ? 'WebAssembly' : 'JavaScript twin'}): the same top-k as rankItems, seen items excluded or not, k up to past the unseen items`, () => {
        const model = make();
        // several user blocks (the last one partial) and item blocks (the last panel partial)
        const ranker = BlockedRanker.create(model, { wasm, blockUsers: 8, blockItems: 16 })!;
        expect(ranker.usesWasm).toBe(wasm);
        for (const k of [1, 4, 10, nItems - 10, nItems + 3]) {
          for (const excluded of [undefined, (p: number) => seen[p]]) {
            const want = rankItems(model, users, { k, candidates: allItems, excluded });
            const got = ranker.rank(users, { k, excluded });
            for (let u = 0; u < nUsers; u++) expect(got[u]!.sorted()).toEqual(want[u]!.sorted());
          }
        }
        // users in any order, repeated
        const some = Int32Array.of(9, 2, 9, 13);
        const want = rankItems(model, some, { k: 6, candidates: allItems });
        ranker
          .rank(some, { k: 6 })
          .forEach((h, p) => expect(h.sorted()).toEqual(want[p]!.sorted()));
      });
    }
  }

  it('keeps ties in item order: equal scores go to the lower item index', () => {
    const model = dotModels.find(([n]) => n.includes('tied'))![1]();
    const got = BlockedRanker.create(model, { blockItems: 8 })!.rank(users, { k: nItems });
    for (let u = 0; u < nUsers; u++) {
      const list = got[u]!.sorted();
      const tied = list.filter((e) => [2, 5, 17, 30, 41].includes(e.index));
      expect(tied.map((e) => e.index)).toEqual([2, 5, 17, 30, 41]);
      expect(new Set(tied.map((e) => e.score)).size).toBe(1);
    }
  });

  it('has no blocked form for the other models, and refuses a model changed since', () => {
    const others = modelsOfEveryKind(nUsers, nItems).filter(([, m]) => !blockable(m));
    expect(others.map(([name]) => name)).toEqual([
      'EmbeddingNet, two hidden layers',
      'EmbeddingNet, no hidden layer',
      'BiasBaseline',
      'EnsembleModel',
    ]);
    for (const [, model] of others) expect(BlockedRanker.create(model)).toBeUndefined();
    const model = dotModels[0]![1]();
    const ranker = BlockedRanker.create(model)!;
    model.parameters[0]!.markChanged();
    expect(() => ranker.rank(users, { k: 3 })).toThrow(/changed/);
    expect(() => BlockedRanker.create(model)!.rank(Int32Array.of(nUsers), { k: 3 })).toThrow(
      RangeError,
    );
  });
});
