import { describe, expect, it } from 'vitest';
import { CfError, InvalidArgumentError, UnknownIdError, type RawId } from '@cf/data';
import { describeEachBackend, expectClose, makeSyntheticRatings } from '@cf/test-utils';
import { createEmbeddingDotBias } from '../models/embedding-dot-bias.js';
import { createEmbeddingNet } from '../models/embedding-net.js';
import { createBiasBaseline } from '../models/bias-baseline.js';
import type { TrainedModel } from './trained-model.js';
import { createTrainedModel } from './trained-model.js';
import { rankItems } from './rank-items.js';
import { TopK } from './top-k.js';
import { buildSeenItems } from './seen-items.js';
import { principalComponents } from './principal-components.js';
import { SimilarityUnsupportedError } from './similarity-unsupported-error.js';
import { trainForTest } from '../models/train-for-test.test-helper.js';

const { table } = makeSyntheticRatings({ nUsers: 30, nItems: 40, density: 0.3, seed: 5 });
const trainRows = Int32Array.from({ length: table.rating.length }, (_, r) => r).filter(
  (r) => r % 5 !== 0,
);

function trainedDotBias(): TrainedModel {
  const model = createEmbeddingDotBias({
    nUsers: table.userIds.size,
    nItems: table.itemIds.size,
    nFactors: 4,
    seed: 3,
  });
  trainForTest(model, table, trainRows, { steps: 100 });
  const titles = new Map<RawId, string>(table.itemIds.ids().map((id) => [id, `Movie ${id}`]));
  return createTrainedModel(model, table, {
    trainRows,
    itemTitles: titles,
    split: { kind: 'custom', nTrain: trainRows.length },
  });
}

/** All items by predicted rating for a user, best first (ties: lower index), minus the excluded ones. */
function bruteForceTopK(
  trained: TrainedModel,
  userId: RawId,
  k: number,
  excludeSeen: boolean,
): { itemId: RawId; score: number }[] {
  const u = trained.userIds.indexOf(userId);
  const n = trained.itemIds.size;
  const scores = trained.model.predict(
    new Int32Array(n).fill(u),
    Int32Array.from({ length: n }, (_, i) => i),
  );
  const seen = new Set(
    excludeSeen
      ? trained.seen!.itemIndex.subarray(trained.seen!.offsets[u], trained.seen!.offsets[u + 1])
      : [],
  );
  return Array.from(scores, (score, index) => ({ index, score }))
    .filter(({ index }) => !seen.has(index))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, k)
    .map(({ index, score }) => ({ itemId: trained.itemIds.idAt(index), score }));
}

describeEachBackend('TrainedModel', () => {
  it('predicts known pairs with the model, and unknown ids by the chosen policy', () => {
    const trained = trainedDotBias();
    const u = table.userIds.idAt(2);
    const i = table.itemIds.idAt(7);
    const direct = trained.model.predict(Int32Array.of(2), Int32Array.of(7))[0]!;
    expect(trained.predict(u, i)).toEqual({ rating: direct, source: 'model' });

    const userError = (() => {
      try {
        trained.predict('nobody', i);
      } catch (e) {
        return e;
      }
    })();
    expect(userError).toBeInstanceOf(UnknownIdError);
    expect(userError).toMatchObject({ kind: 'user', id: 'nobody' });
    expect(() => trained.predict(u, 999999)).toThrow(UnknownIdError);
    expect(
      (() => {
        try {
          trained.predict(u, 999999);
        } catch (e) {
          return e;
        }
      })(),
    ).toMatchObject({ kind: 'item', id: 999999 });

    const fb = trained.fallback!;
    const clip = (x: number) => Math.min(5, Math.max(trained.ratingRange[0], x));
    expect(trained.ratingRange).toEqual([table.stats.minRating, table.stats.maxRating]);
    expect(trained.predict('nobody', i, { unknown: 'fallback' })).toEqual({
      rating: clip(fb.globalMean + fb.itemBiasAt(7)),
      source: 'item-bias',
    });
    expect(trained.predict(u, 999999, { unknown: 'fallback' })).toEqual({
      rating: clip(fb.globalMean + fb.userBiasAt(2)),
      source: 'user-bias',
    });
    expect(trained.predict('nobody', 999999, { unknown: 'fallback' })).toEqual({
      rating: clip(fb.globalMean),
      source: 'global-mean',
    });
    expect(trained.predict(u, i, { unknown: 'fallback' }).source).toBe('model');

    const many = trained.predictMany(
      [
        { userId: u, itemId: i },
        { userId: 'nobody', itemId: i },
        { userId: u, itemId: table.itemIds.idAt(0) },
      ],
      { unknown: 'fallback' },
    );
    expect(many.map((p) => p.source)).toEqual(['model', 'item-bias', 'model']);
    expect(many[2]!.rating).toBe(trained.predict(u, table.itemIds.idAt(0)).rating);
    trained.dispose();
  });

  it('leaves out every item the user rated in the table, validation rows included (seenRows: only those)', () => {
    const trained = trainedDotBias(); // trained on trainRows (4 rows in 5); seen: every row
    const evaluation = createTrainedModel(trained.model, table, {
      trainRows,
      seenRows: trainRows,
      fallback: 'none',
    });
    const nItems = table.itemIds.size;
    let heldOutRecommended = 0;
    for (let u = 0; u < table.userIds.size; u++) {
      const userId = table.userIds.idAt(u);
      const rated = new Set<RawId>();
      const heldOut = new Set<RawId>();
      for (let r = 0; r < table.rating.length; r++) {
        if (table.userIndex[r] !== u) continue;
        rated.add(table.itemIds.idAt(table.itemIndex[r]!));
        if (r % 5 === 0) heldOut.add(table.itemIds.idAt(table.itemIndex[r]!));
      }
      const all = trained.recommend(userId, { k: nItems });
      expect(all).toHaveLength(nItems - rated.size);
      for (const rec of all) expect(rated.has(rec.itemId)).toBe(false);
      expect(trained.recommendForAll({ k: nItems }).get(userId)).toEqual(all);
      // evaluation-style bundles exclude the training rows only, so held-out items come back
      const forEvaluation = evaluation.recommend(userId, { k: nItems });
      heldOutRecommended += forEvaluation.filter((rec) => heldOut.has(rec.itemId)).length;
    }
    expect(heldOutRecommended).toBeGreaterThan(0);
    trained.dispose();
  });

  it("needs a fallback baseline for the 'fallback' policy", () => {
    const model = createEmbeddingDotBias({
      nUsers: table.userIds.size,
      nItems: table.itemIds.size,
      nFactors: 2,
    });
    const trained = createTrainedModel(model, table, { fallback: 'none' });
    const error = (() => {
      try {
        trained.predict('nobody', 1, { unknown: 'fallback' });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error).toMatchObject({ argument: 'unknown' });
    expect((error as Error).message).toMatch(/needs a fallback/);
  });

  it('recommends the brute-force top k, leaving out seen items', () => {
    const trained = trainedDotBias();
    for (const u of [0, 5, 17]) {
      const userId = table.userIds.idAt(u);
      const got = trained.recommend(userId, { k: 7 });
      expect(got.map(({ itemId, score }) => ({ itemId, score }))).toEqual(
        bruteForceTopK(trained, userId, 7, true),
      );
      const seen = new Set(
        Array.from(trainRows)
          .filter((r) => table.userIndex[r] === u)
          .map((r) => table.itemIds.idAt(table.itemIndex[r]!)),
      );
      expect(seen.size).toBeGreaterThan(0);
      for (const rec of got) {
        expect(seen.has(rec.itemId)).toBe(false);
        expect(rec.title).toBe(`Movie ${rec.itemId}`);
      }
      expect(trained.recommend(userId, { k: 7, excludeSeen: false }).map((r) => r.itemId)).toEqual(
        bruteForceTopK(trained, userId, 7, false).map((r) => r.itemId),
      );
    }
    const candidates: RawId[] = [
      table.itemIds.idAt(3),
      table.itemIds.idAt(1),
      table.itemIds.idAt(30),
      table.itemIds.idAt(3),
    ];
    const fromCandidates = trained.recommend(table.userIds.idAt(1), {
      k: 10,
      excludeSeen: false,
      candidates,
    });
    expect(fromCandidates.map((r) => r.itemId).sort()).toEqual([...new Set(candidates)].sort());
    expect(() => trained.recommend('nobody')).toThrow(UnknownIdError);
    expect(() => trained.recommend(table.userIds.idAt(0), { k: -1 })).toThrow(InvalidArgumentError);
    expect(trained.recommend(table.userIds.idAt(0), { k: 0 })).toEqual([]);
    trained.dispose();
  });

  it('ranks the same in small chunks as in one, and recommendForAll agrees with recommend', () => {
    const trained = trainedDotBias();
    const users = Int32Array.of(0, 1, 2, 3, 4);
    const candidates = Int32Array.from({ length: table.itemIds.size }, (_, i) => i);
    const excluded = (p: number) =>
      trained.seen!.itemIndex.subarray(
        trained.seen!.offsets[users[p]!],
        trained.seen!.offsets[users[p]! + 1],
      );
    const whole = rankItems(trained.model, users, { k: 6, candidates, excluded }).map((h) =>
      h.sorted(),
    );
    const chunked = rankItems(trained.model, users, {
      k: 6,
      candidates,
      excluded,
      pairsPerChunk: 7,
    }).map((h) => h.sorted());
    expect(chunked).toEqual(whole);
    const all = trained.recommendForAll({ k: 3 });
    expect(all.size).toBe(table.userIds.size);
    for (const userId of [table.userIds.idAt(0), table.userIds.idAt(29)])
      expect(all.get(userId)).toEqual(trained.recommend(userId, { k: 3 }));
    trained.dispose();
  });

  it('finds similar items by cosine of the item embeddings, as brute force does', () => {
    const trained = trainedDotBias();
    const { values, dim, itemIds } = trained.itemEmbeddings();
    expect(dim).toBe(4);
    expect(itemIds).toEqual(table.itemIds.ids());
    values[0] = 1234; // a copy: the model is untouched
    expect(trained.model.parameters[1]!.values[0]).not.toBe(1234);
    const { values: emb } = trained.itemEmbeddings();
    const cos = (a: number, b: number) => {
      let dot = 0,
        na = 0,
        nb = 0;
      for (let d = 0; d < dim; d++) {
        dot += emb[a * dim + d]! * emb[b * dim + d]!;
        na += emb[a * dim + d]! ** 2;
        nb += emb[b * dim + d]! ** 2;
      }
      return dot / Math.sqrt(na * nb);
    };
    const target = 4;
    const expected = Array.from({ length: table.itemIds.size }, (_, i) => i)
      .filter((i) => i !== target)
      .map((i) => ({ i, s: cos(target, i) }))
      .sort((a, b) => b.s - a.s || a.i - b.i)
      .slice(0, 5);
    const got = trained.similarItems(table.itemIds.idAt(target), { k: 5 });
    expect(got.map((r) => r.itemId)).toEqual(expected.map((e) => table.itemIds.idAt(e.i)));
    expectClose(
      got.map((r) => r.score),
      expected.map((e) => e.s),
      1e-6,
      1e-6,
    );
    expect(got[0]!.title).toBe(`Movie ${got[0]!.itemId}`);
    trained.dispose();
  });

  it('gives item biases from the model or the fallback, and refuses embeddings of a bias model', () => {
    const trained = trainedDotBias();
    const biases = trained.itemBiases();
    expect(biases).toHaveLength(table.itemIds.size);
    expect(biases[3]).toEqual({
      itemId: table.itemIds.idAt(3),
      bias: trained.model.parameters[3]!.values[3],
      title: `Movie ${table.itemIds.idAt(3)}`,
    });
    const net = createEmbeddingNet({
      nUsers: table.userIds.size,
      nItems: table.itemIds.size,
      nFactors: 3,
      ratingRange: [0.5, 5],
    });
    const netTrained = createTrainedModel(net, table, { trainRows });
    expect(netTrained.itemBiases()[5]!.bias).toBe(netTrained.fallback!.itemBiasAt(5));
    // EmbeddingNet's item rows feed a neural network: no cosine "similar items" from them …
    let refused: unknown;
    try {
      netTrained.similarItems(table.itemIds.idAt(0));
    } catch (error) {
      refused = error;
    }
    expect(refused).toBeInstanceOf(SimilarityUnsupportedError);
    expect(refused).toBeInstanceOf(CfError);
    expect(refused).toMatchObject({ modelType: 'embedding-net', reason: 'not-for-similarity' });
    expect((refused as Error).message).toMatch(/--recipe topn.*--recipe fastai/);
    // … though its embedding table can still be read (for plots, as the fastai lesson does)
    expect(netTrained.itemEmbeddings().dim).toBe(3);
    const bias = createTrainedModel(
      createBiasBaseline({
        nUsers: table.userIds.size,
        nItems: table.itemIds.size,
        ratingRange: [0.5, 5],
      }),
      table,
      { fallback: 'none' },
    );
    expect(() => bias.similarItems(table.itemIds.idAt(0))).toThrow(
      expect.objectContaining({ modelType: 'bias', reason: 'no-item-vectors' }),
    );
    expect(() => bias.itemEmbeddings()).toThrow(InvalidArgumentError);
    expect(bias.itemBiases()).toHaveLength(table.itemIds.size);
    trained.dispose();
  });
});

describe('TrainedModel parts (backend-free)', () => {
  it('keeps compact copies of parameters an optimizer left inside a larger buffer (its wasm memory)', () => {
    const model = createEmbeddingDotBias({
      nUsers: table.userIds.size,
      nItems: table.itemIds.size,
      nFactors: 3,
    });
    const arena = new Float32Array(1 << 16); // stands in for an optimizer's WebAssembly memory
    let at = 16;
    for (const p of model.parameters) {
      p.relocate(arena.subarray(at, at + p.values.length));
      at += p.values.length + 4;
    }
    const before = model.parameters.map((p) => [...p.values]);
    const trained = createTrainedModel(model, table, { fallback: 'none' });
    model.parameters.forEach((p, k) => {
      expect(p.values.buffer).not.toBe(arena.buffer);
      expect(p.values.byteLength).toBe(p.values.buffer.byteLength);
      expect([...p.values]).toEqual(before[k]);
    });
    arena.fill(NaN); // the model no longer reads the arena
    const ids = table.userIds.ids();
    expect(Number.isFinite(trained.predict(ids[0]!, table.itemIds.ids()[0]!).rating)).toBe(true);
  });

  it('rejects id maps that do not fit the model', () => {
    const model = createEmbeddingDotBias({ nUsers: 3, nItems: 4, nFactors: 2 });
    expect(() => createTrainedModel(model, table)).toThrow(/has 3 users and 4 items/);
  });

  it('builds seen items as sorted, distinct CSR rows', () => {
    const seen = buildSeenItems(table, Int32Array.of(5, 0, 1, 1));
    expect(seen.offsets).toHaveLength(table.userIds.size + 1);
    const expected = [...new Set([5, 0, 1].map((r) => table.userIndex[r]!))];
    for (const u of expected) {
      const own = [...seen.itemIndex.subarray(seen.offsets[u], seen.offsets[u + 1])];
      const want = [
        ...new Set(
          [5, 0, 1].filter((r) => table.userIndex[r] === u).map((r) => table.itemIndex[r]!),
        ),
      ].sort((a, b) => a - b);
      expect(own).toEqual(want);
    }
    expect(seen.offsets[table.userIds.size]).toBe(seen.itemIndex.length);
  });

  it('keeps the k best of a stream in a heap, ties to the lower index', () => {
    const scores = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, NaN, 9];
    const heap = new TopK(4);
    scores.forEach((s, i) => heap.push(s, i));
    expect(heap.sorted()).toEqual([
      { index: 5, score: 9 },
      { index: 12, score: 9 },
      { index: 7, score: 6 },
      { index: 4, score: 5 },
    ]);
  });

  it('reports the score a new pair must beat (its threshold)', () => {
    const heap = new TopK(2);
    expect(heap.threshold).toBe(-Infinity);
    heap.push(3, 0);
    expect(heap.threshold).toBe(-Infinity);
    heap.push(7, 1);
    expect(heap.threshold).toBe(3);
    heap.push(5, 2);
    expect(heap.threshold).toBe(5);
    expect(new TopK(0).threshold).toBe(Infinity);
  });

  it('finds principal components by power iteration, deterministically', () => {
    // points along (3, 4)/5 with a small spread along (-4, 3)/5, plus a constant third dimension
    const rows = 50;
    const values = new Float32Array(rows * 3);
    for (let r = 0; r < rows; r++) {
      const a = (r - 25) / 5;
      const b = ((r * 7) % 11) / 11 - 0.5;
      values.set([(3 * a - 4 * 0.2 * b) / 5, (4 * a + 3 * 0.2 * b) / 5, 1], r * 3);
    }
    const pca = principalComponents(values, rows, 3, { components: 2 });
    expectClose(pca.components[0]!, [0.6, 0.8, 0], 1e-4);
    expectClose(pca.components[1]!.map(Math.abs), [0.8, 0.6, 0], 1e-3);
    expect(pca.variances[0]!).toBeGreaterThan(pca.variances[1]!);
    expect(pca.scores).toHaveLength(rows * 2);
    expect(pca.scores[0]).toBeCloseTo(-4.9, 4); // a = -5, centred by the mean a of -0.1
    expect(principalComponents(values, rows, 3, { components: 2 })).toEqual(pca);
    expect(() => principalComponents(values, rows, 3, { components: 4 })).toThrow(
      InvalidArgumentError,
    );
  });
});
