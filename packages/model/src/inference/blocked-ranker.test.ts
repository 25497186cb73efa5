import { expect, it } from 'vitest';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { createBiasedMatrixFactorization } from '../models/biased-matrix-factorization.js';
import { createEmbeddingDotBias } from '../models/embedding-dot-bias.js';
import { createEmbeddingNet } from '../models/embedding-net.js';
import { createImplicitMatrixFactorization } from '../models/implicit-matrix-factorization.js';
import type { RatingModel } from '../models/rating-model.js';
import { modelsOfEveryKind, randomizeParameters } from '../models/models-for-test.test-helper.js';
import { SeededRandom } from '../core/random.js';
import { BlockedRanker } from './blocked-ranker.js';
import { rawCutStrictlyBelow, type DotProductHead } from './dot-product-form.js';
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

/** Both implementations of the kernel, in both arithmetics (int16 is the default). */
const kernels = [
  [true, 'int16'],
  [false, 'int16'],
  [true, 'float32'],
  [false, 'float32'],
] as const;

describeEachBackend('BlockedRanker', () => {
  for (const [name, make] of dotModels) {
    for (const [wasm, precision] of kernels) {
      it(`${name} (${wasm ? 'WebAssembly' : 'JavaScript twin'}, ${precision}): the same top-k as rankItems, seen items excluded or not, k up to past the unseen items`, () => {
        const model = make();
        // several user blocks (the last one partial) and item blocks (the last panel partial)
        const ranker = BlockedRanker.create(model, {
          wasm,
          precision,
          blockUsers: 8,
          blockItems: 16,
        })!;
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

/**
 * A dot-product model shaped like a trained recommender: item rows scaled by a popularity that
 * falls off steeply (so pruning by norm stops most users early), values on a coarse grid (so many
 * scores tie exactly), the most popular items duplicated (ties at the very top, across the whole
 * index range), and for the clipped and sigmoid heads item biases that saturate them.
 */
function skewedModel(kind: 'implicit' | 'dot-bias' | 'clip', seed: number): RatingModel {
  const random = new SeededRandom(seed);
  const nFactors = 1 + (seed % 7);
  const model =
    kind === 'implicit'
      ? createImplicitMatrixFactorization({ ...size, nFactors })
      : kind === 'dot-bias'
        ? createEmbeddingDotBias({ ...size, nFactors, yRange: [0, 5.5] })
        : createBiasedMatrixFactorization({ ...size, nFactors, ratingRange: [0.5, 5] });
  // popularity: item i gets weight 4 · 0.8^rank, the ranks a random permutation of the items
  const rank = Int32Array.from({ length: nItems }, (_, i) => i);
  for (let i = nItems - 1; i > 0; i--) {
    const j = Math.floor(random.uniform(0, i + 1));
    [rank[i], rank[j]] = [rank[j]!, rank[i]!];
  }
  const grid = (x: number): number => Math.round(x * 4) / 4;
  for (const p of model.parameters) {
    const w = p.shape[1] ?? 1;
    for (let r = 0; r < p.shape[0]!; r++)
      for (let d = 0; d < w; d++) {
        const scale = p.shape[0] === nItems && p.name !== 'itemBias' ? 4 * 0.8 ** rank[r]! : 1;
        const saturate = p.name === 'itemBias' && kind !== 'implicit' && r % 5 === 0 ? 12 : 0;
        p.values[r * w + d] = grid(random.uniform(-1, 1) * scale) + saturate;
      }
    p.markChanged();
  }
  const top = rank.indexOf(0);
  return duplicateItems(
    model,
    top,
    [0, 7, nItems - 1].filter((i) => i !== top),
  );
}

describeEachBackend('BlockedRanker pruning by norm', () => {
  it('gives the lists of rankItems on skewed models with ties and saturated heads, for every k, seen items excluded or not, and scores fewer pairs', () => {
    let scored = 0;
    let pairs = 0;
    for (let seed = 0; seed < 24; seed++) {
      const kind = (['implicit', 'dot-bias', 'clip'] as const)[seed % 3]!;
      const model = skewedModel(kind, seed);
      for (const [wasm, precision] of kernels) {
        const ranker = BlockedRanker.create(model, {
          wasm,
          precision,
          blockUsers: 4,
          blockItems: 8,
        })!;
        expect(ranker.prunes).toBe(true);
        for (const k of [1, 2, 3, 10, nItems]) {
          for (const excluded of [undefined, (p: number) => seen[p]]) {
            const want = rankItems(model, users, { k, candidates: allItems, excluded });
            const before = ranker.work.scored;
            const got = ranker.rank(users, { k, excluded });
            if (k <= 3) {
              scored += ranker.work.scored - before;
              pairs += nUsers * nItems;
            }
            for (let u = 0; u < nUsers; u++)
              expect(
                got[u]!.sorted(),
                `${kind} seed ${seed} ${precision} k ${k} user ${u}`,
              ).toEqual(want[u]!.sorted());
          }
        }
      }
    }
    // pruning stopped users early for the small k's (0.69 here; 1 without it)
    expect(scored / pairs).toBeLessThan(0.75);
  });

  it('scores every pair with prune: false, and with a ReLU form', () => {
    const model = skewedModel('implicit', 3);
    const off = BlockedRanker.create(model, { prune: false, blockItems: 8 })!;
    expect(off.prunes).toBe(false);
    const on = BlockedRanker.create(model, { blockItems: 8 })!;
    const a = off.rank(users, { k: 2 });
    const b = on.rank(users, { k: 2 });
    for (let u = 0; u < nUsers; u++) expect(b[u]!.sorted()).toEqual(a[u]!.sorted());
    expect(off.work).toEqual({
      users: nUsers,
      scored: nUsers * nItems,
      candidates: off.work.candidates,
    });
    expect(on.work.scored).toBeLessThan(nUsers * nItems);
    const relu = dotModels.find(([n]) => n.includes('notebook'))![1]();
    expect(BlockedRanker.create(relu)!.prunes).toBe(false);
  });
});

/** Writes `values` into the parameter `name` of `model`. */
function setParameter(model: RatingModel, name: string, values: number[]): RatingModel {
  const p = model.parameters.find((q) => q.name === name)!;
  p.values.set(values);
  p.markChanged();
  return model;
}

describeEachBackend('BlockedRanker on scores float32 cannot bound', () => {
  const max32 = 3.4028234663852886e38;
  const half = 0.6 * 2 ** 103;
  const cases: [string, () => RatingModel][] = [
    [
      // item 0: 2e19·2e19 − 2e19·2e19 = 0 in float64, but Inf + (−Inf) = NaN in float32
      'products that overflow float32 (NaN in the kernel, 0 in the model)',
      () =>
        setParameter(
          setParameter(
            createImplicitMatrixFactorization({ nUsers: 1, nItems: 2, nFactors: 2, seed: 1 }),
            'userEmbedding',
            [2e19, 2e19],
          ),
          'itemEmbedding',
          [2e19, -2e19, -1e-3, 0],
        ),
    ],
    [
      // item 1 overflows in both (its approximate score Infinity would cut everything); item 0
      // stays at the float32 maximum in the kernel but predicts Infinity too, and wins the tie
      'sums past the float32 maximum (Infinity in the kernel, ties at Infinity)',
      () =>
        setParameter(
          setParameter(
            createImplicitMatrixFactorization({ nUsers: 1, nItems: 2, nFactors: 3, seed: 1 }),
            'userEmbedding',
            [1, 1, 1],
          ),
          'itemEmbedding',
          [max32, half, half, max32, max32, 0],
        ),
    ],
    [
      // raw −Infinity: the sigmoid head predicts its minimum, which rankItems lists
      'an item bias of −Infinity under a sigmoid head',
      () => {
        const m = createEmbeddingDotBias({ nUsers: 1, nItems: 3, nFactors: 1, yRange: [0, 5.5] });
        setParameter(m, 'userEmbedding', [1]);
        setParameter(m, 'itemEmbedding', [1, 2, 3]);
        setParameter(m, 'userBias', [0]);
        return setParameter(m, 'itemBias', [-Infinity, 0, 0]);
      },
    ],
    [
      // raw −Infinity with no head: predicts −Infinity, which rankItems never lists
      'an item bias of −Infinity with no head',
      () => {
        const m = createEmbeddingDotBias({ nUsers: 1, nItems: 3, nFactors: 1, yRange: null });
        setParameter(m, 'userEmbedding', [1]);
        setParameter(m, 'itemEmbedding', [1, 2, 3]);
        setParameter(m, 'userBias', [0]);
        return setParameter(m, 'itemBias', [-Infinity, 0, 0]);
      },
    ],
  ];
  for (const [name, make] of cases)
    it(`${name}: the lists of rankItems, pruning or not, WebAssembly or not`, () => {
      const model = make();
      const n = model.config.nItems;
      const all = Int32Array.from({ length: n }, (_, i) => i);
      const user = Int32Array.of(0);
      for (const prune of [true, false])
        for (const [wasm, precision] of kernels)
          for (const k of [1, n]) {
            const want = rankItems(model, user, { k, candidates: all })[0]!.sorted();
            const got = BlockedRanker.create(model, { wasm, prune, precision })!.rank(user, {
              k,
            })[0]!;
            expect(got.sorted(), `prune ${prune} wasm ${wasm} ${precision} k ${k}`).toEqual(want);
          }
    });
});

it('rawCutStrictlyBelow: every raw score at or below the cut predicts less than L, L = Infinity included', () => {
  const heads: DotProductHead[] = [
    { kind: 'identity' },
    { kind: 'clip', lo: 0.5, hi: Infinity },
    { kind: 'sigmoid', low: 0, span: 5.5 },
  ];
  const predict = (head: DotProductHead, x: number): number =>
    Math.fround(
      head.kind === 'identity'
        ? x
        : head.kind === 'clip'
          ? Math.min(head.hi, Math.max(head.lo, x))
          : (1 / (1 + Math.exp(-x))) * head.span + head.low,
    );
  for (const head of heads)
    for (const x of [-3, 0.25, 2, 1e30, 3.4028235e38, 3.5e38, Infinity]) {
      const L = predict(head, x);
      const c = rawCutStrictlyBelow(head, x);
      if (c === -Infinity) continue;
      expect(predict(head, c), `${head.kind} x ${x}`).toBeLessThan(L);
    }
});
