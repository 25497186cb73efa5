import { expect, it } from 'vitest';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { modelsOfEveryKind } from '../models/models-for-test.test-helper.js';
import { buildSeenItems } from './seen-items.js';
import { rankAllUsers } from './rank-all-users.js';
import { rankItems } from './rank-items.js';
import { createTrainedModel } from './trained-model.js';
import { recommendForAllUsers } from './recommend-for-all-users.js';

// the built worker: tests run from src/, where there is no rank-worker.js
const workerUrl = new URL('../../dist/rank-worker.js', import.meta.url);
const { table } = makeSyntheticRatings({ nUsers: 14, nItems: 43, density: 0.3, seed: 8 });
const nUsers = table.userIds.size;
const nItems = table.itemIds.size;
const seen = buildSeenItems(table);
const allItems = Int32Array.from({ length: nItems }, (_, i) => i);
const models = modelsOfEveryKind(nUsers, nItems).filter(([name]) =>
  [
    'EmbeddingDotBias',
    'BiasedMatrixFactorization',
    'EmbeddingNet, two hidden layers',
    'EnsembleModel',
  ].includes(name),
);

describeEachBackend('rankAllUsers', () => {
  for (const [name, model] of models) {
    it(`${name}: two worker threads give the one-thread result, which is rankItems'`, async () => {
      const users = Int32Array.of(3, 0, 13, 7, 7, 1, 12, 5, 2);
      const excluded = (p: number) =>
        seen.itemIndex.subarray(seen.offsets[users[p]!], seen.offsets[users[p]! + 1]);
      const reference = rankItems(model, users, { k: 6, candidates: allItems, excluded });
      const one = await rankAllUsers(model, {
        k: 6,
        users,
        excluded: seen,
        threads: 1,
        usersPerTask: 2,
      });
      const two = await rankAllUsers(model, {
        k: 6,
        users,
        excluded: seen,
        threads: 2,
        usersPerTask: 2,
        workerUrl,
      });
      expect(one.threads).toBe(1);
      expect(two.threads).toBe(2);
      expect(two.threadsNote).toBeUndefined();
      // the blocked path without pruning by norm (every pair scored), on two threads
      const whole = await rankAllUsers(model, {
        k: 6,
        users,
        excluded: seen,
        threads: 2,
        usersPerTask: 2,
        workerUrl,
        prune: false,
      });
      const dotProduct = ['EmbeddingDotBias', 'BiasedMatrixFactorization'].includes(name);
      expect(one.path).toBe(dotProduct ? 'blocked' : 'per-user');
      if (dotProduct) {
        // the work the threads did, summed: the same pairs on one thread and on two
        expect(two.work).toEqual(one.work);
        expect(one.work!.scored).toBeLessThanOrEqual(users.length * nItems);
        expect(whole.work!.scored).toBe(users.length * nItems);
      } else for (const r of [one, two, whole]) expect(r.work).toBeUndefined();
      users.forEach((_, p) => {
        const want = reference[p]!.sorted();
        expect(one.counts[p]).toBe(want.length);
        for (const r of [one, two, whole]) {
          const got = Array.from({ length: r.counts[p]! }, (_, j) => ({
            index: r.items[p * 6 + j]!,
            score: r.scores[p * 6 + j]!,
          }));
          expect(got).toEqual(want);
        }
      });
    });
  }

  it('falls back to one thread, saying why, when the workers cannot start', async () => {
    const [, model] = models[0]!;
    const result = await rankAllUsers(model, {
      k: 4,
      threads: 2,
      usersPerTask: 4,
      workerUrl: new URL('./no-such-worker.js', import.meta.url),
    });
    expect(result.threads).toBe(1);
    expect(result.threadsNote).toMatch(/ranking workers could not start .*: ranking on one thread/);
    // which file is missing, and what a bundled app must do
    expect(result.threadsNote).toMatch(
      /ranking worker: its script .*no-such-worker\.js does not exist: .*entry point rank-worker=@cf\/model\/rank-worker.*"Bundling" in the @cf\/model README/,
    );
    const reference = rankItems(
      model,
      Int32Array.from({ length: nUsers }, (_, u) => u),
      {
        k: 4,
        candidates: allItems,
      },
    );
    reference.forEach((heap, u) =>
      expect(Array.from(result.items.subarray(u * 4, u * 4 + result.counts[u]!))).toEqual(
        heap.sorted().map((e) => e.index),
      ),
    );
  });

  it('recommendForAllUsers and recommendForAll give what recommend gives', async () => {
    const [, model] = models[0]!;
    const trained = createTrainedModel(model, table, { fallback: 'none' });
    const sync = trained.recommendForAll({ k: 5 });
    const viaWorkers = await rankAllUsers(model, {
      k: 5,
      excluded: trained.seen,
      threads: 2,
      usersPerTask: 3,
      workerUrl,
    });
    const async = await recommendForAllUsers(trained, { k: 5, threads: 2, workerUrl });
    expect(async.threads).toBe(2);
    for (let u = 0; u < nUsers; u++) {
      const id = table.userIds.idAt(u);
      expect(sync.get(id)).toEqual(trained.recommend(id, { k: 5 }));
      expect(async.recommendations.get(id)).toEqual(sync.get(id));
      expect(Array.from(viaWorkers.items.subarray(u * 5, u * 5 + viaWorkers.counts[u]!))).toEqual(
        sync.get(id)!.map((r) => table.itemIds.indexOf(r.itemId)),
      );
    }
  });
});
