import { expect, it } from 'vitest';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createRatingsTable } from '@cf/data';
import { createBiasBaseline, fitBiasBaseline } from '@cf/model';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import {
  crossValidate,
  cvIdxFolds,
  formatCrossValidation,
  kFolds,
  lazyCvIdxFolds,
  lazyKFolds,
  rankingMetricNames,
  type LazyFolds,
} from './cross-validate.js';
import { fitRecentRatingsOffset } from './fit-recent-ratings-offset.js';
import { rmse } from './metrics.js';

describeEachBackend('crossValidate', () => {
  const { table } = makeSyntheticRatings({ nUsers: 25, nItems: 30, density: 0.4, seed: 4 });

  it('trains one model per fold and reports each fold and mean ± sample std', async () => {
    const folds = kFolds(table, { k: 3, seed: 1 });
    const seen: number[] = [];
    const result = await crossValidate({
      table,
      folds,
      train: (split) => fitBiasBaseline(table, split.train),
      onFold: (f) => void seen.push(f.fold),
    });
    expect(seen).toEqual([0, 1, 2]);
    const direct = folds.map((split) => {
      const model = fitBiasBaseline(table, split.train);
      const pred = model.predict(
        Int32Array.from(split.valid, (r) => table.userIndex[r]!),
        Int32Array.from(split.valid, (r) => table.itemIndex[r]!),
      );
      return rmse.compute(
        pred,
        Float32Array.from(split.valid, (r) => table.rating[r]!),
      );
    });
    result.folds.forEach((f, k) => expect(f.metrics['rmse']).toBeCloseTo(direct[k]!, 10));
    const mean = direct.reduce((a, b) => a + b, 0) / 3;
    const std = Math.sqrt(direct.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
    expect(result.mean['rmse']).toBeCloseTo(mean, 10);
    expect(result.std['rmse']).toBeCloseTo(std, 10);
    expect(result.mean).toHaveProperty('mae');
    const text = formatCrossValidation(result);
    expect(text.split('\n')).toHaveLength(5);
    expect(text).toMatch(/mean\s+\d\.\d{4}±\d\.\d{4}/);
  });

  it('a fold trained as { model, recentRatings } is measured with the offset at each validation row’s timestamp, clipped', async () => {
    // the synthetic table again, with timestamps: each user's rows a few seconds apart
    const timed = createRatingsTable(
      Array.from(table.rating, (rating, r) => ({
        userId: table.userIds.idAt(table.userIndex[r]!),
        itemId: table.itemIds.idAt(table.itemIndex[r]!),
        rating,
        timestamp: 1000 * table.userIndex[r]! + 5 * r,
      })),
    );
    const folds = kFolds(timed, { k: 2, seed: 3 });
    const offsets = folds.map((split) => fitRecentRatingsOffset(timed, split.train, { weight: 3 }));
    const result = await crossValidate({
      table: timed,
      folds,
      train: (split, fold) => ({
        model: fitBiasBaseline(timed, split.train),
        recentRatings: offsets[fold]!,
      }),
    });
    folds.forEach((split, k) => {
      const users = Int32Array.from(split.valid, (r) => timed.userIndex[r]!);
      const base = fitBiasBaseline(timed, split.train).predict(
        users,
        Int32Array.from(split.valid, (r) => timed.itemIndex[r]!),
      );
      const shift = offsets[k]!.predict(
        users,
        Float64Array.from(split.valid, (r) => timed.timestamp![r]!),
      );
      const { minRating: lo, maxRating: hi } = timed.stats;
      const target = Float32Array.from(split.valid, (r) => timed.rating[r]!);
      const withOffset = Float32Array.from(base, (p, j) =>
        Math.min(hi, Math.max(lo, p + shift[j]!)),
      );
      expect(result.folds[k]!.metrics['rmse']).toBeCloseTo(rmse.compute(withOffset, target), 6);
      expect(
        Math.abs(rmse.compute(withOffset, target) - rmse.compute(base, target)),
      ).toBeGreaterThan(1e-4);
    });
  });

  it("a fold's model is unreachable while the next fold trains (its memory can be released)", async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const finalized: number[] = [];
    const registry = new FinalizationRegistry<number>((fold) => finalized.push(fold));
    const atTrain: number[][] = [];
    await crossValidate({
      table,
      folds: kFolds(table, { k: 3, seed: 1 }),
      train: async (split, fold) => {
        // every earlier fold's model must be collectable by now
        gc();
        for (let k = 0; k < 20 && finalized.length < fold; k++)
          await new Promise((resolve) => setTimeout(resolve, 5));
        atTrain.push([...finalized].sort());
        const model = fitBiasBaseline(table, split.train);
        registry.register(model, fold);
        return model;
      },
    });
    expect(atTrain).toEqual([[], [0], [0, 1]]);
  });

  it('cvIdxFolds gives the five disjoint getCvIdxs validation folds', () => {
    const folds = cvIdxFolds(table);
    expect(folds).toHaveLength(5);
    const all = new Set<number>();
    for (const f of folds) {
      expect(f.train.length + f.valid.length).toBe(table.rating.length);
      for (const r of f.valid) {
        expect(all.has(r)).toBe(false);
        all.add(r);
      }
    }
    expect(all.size).toBe(5 * Math.floor(0.2 * table.rating.length));
  });

  it('lazy folds are the same splits, built one at a time when their turn comes', async () => {
    const eager = cvIdxFolds(table, { seed: 3 });
    const lazy = lazyCvIdxFolds(table, { seed: 3 });
    expect(lazy.count).toBe(5);
    eager.forEach((f, k) => expect(lazy.split(k)).toEqual(f));
    const eagerK = kFolds(table, { k: 3, seed: 1 });
    const lazyK = lazyKFolds(table, { k: 3, seed: 1 });
    expect(lazyK.count).toBe(3);
    eagerK.forEach((f, k) => expect(lazyK.split(k)).toEqual(f));
    // crossValidate asks for fold k only once fold k - 1 is done, and stops asking when stopped
    const events: string[] = [];
    const controller = new AbortController();
    const counted: LazyFolds = {
      count: 5,
      split: (fold) => {
        events.push(`split ${fold}`);
        return lazy.split(fold);
      },
    };
    const result = await crossValidate({
      table,
      folds: counted,
      train: (split, fold) => {
        events.push(`train ${fold}`);
        if (fold === 2) controller.abort();
        return fitBiasBaseline(table, split.train);
      },
      signal: controller.signal,
    });
    expect(events).toEqual(['split 0', 'train 0', 'split 1', 'train 1', 'split 2', 'train 2']);
    expect(result.stopped).toBe(true);
    expect(result.folds).toHaveLength(2);
    const whole = await crossValidate({
      table,
      folds: lazy,
      train: (split) => fitBiasBaseline(table, split.train),
    });
    const direct = await crossValidate({
      table,
      folds: eager,
      train: (split) => fitBiasBaseline(table, split.train),
    });
    expect(whole.folds.map((f) => f.metrics)).toEqual(direct.folds.map((f) => f.metrics));
  });

  it('with `ranking`, records ndcg@k, recall@k, precision@k and hitRate@k per fold, and their mean', async () => {
    // The model ranks items 0 > 1 > 2 > 3 for every user (item biases 0.4 … 0.1).
    const small = createRatingsTable(
      [
        { userId: 0, itemId: 0, rating: 3 },
        { userId: 0, itemId: 1, rating: 5 },
        { userId: 0, itemId: 3, rating: 4.5 },
        { userId: 1, itemId: 1, rating: 4 },
        { userId: 1, itemId: 3, rating: 5 },
        { userId: 1, itemId: 2, rating: 2 }, // in no fold: only so that item 2 exists
      ],
      { idOrder: 'sorted' },
    );
    const ranked = () => {
      const m = createBiasBaseline({ nUsers: 2, nItems: 4, ratingRange: [1, 5] });
      m.parameter('itemBias').values.set([0.4, 0.3, 0.2, 0.1]);
      return m;
    };
    const result = await crossValidate({
      table: small,
      // fold 0: user 0 trains on item 0 and finds item 1 at rank 1 (item 3 at rank 3, past k);
      //         user 1 trains on item 1 and finds item 3 at rank 3: a miss at k = 2
      // fold 1: user 0 trains on items 0, 1 and finds item 3 at rank 2 (of 2, items 2 and 3)
      folds: [
        { train: Int32Array.of(0, 3), valid: Int32Array.of(1, 2, 4) },
        { train: Int32Array.of(0, 1, 3, 4), valid: Int32Array.of(2) },
      ],
      train: ranked,
      ranking: { k: 2 },
    });
    const names = rankingMetricNames(2);
    const [f0, f1] = result.folds.map((f) => f.metrics);
    const idcg2 = 1 + 1 / Math.log2(3);
    expect(f0![names.ndcg]).toBeCloseTo((1 / idcg2 + 0) / 2, 12);
    expect(f0![names.recall]).toBeCloseTo((1 / 2 + 0) / 2, 12);
    expect(f0![names.precision]).toBeCloseTo((1 / 2 + 0) / 2, 12);
    expect(f0![names.hitRate]).toBeCloseTo(1 / 2, 12);
    expect(result.folds[0]!.ranking?.users).toBe(2);
    expect(f1![names.ndcg]).toBeCloseTo(1 / Math.log2(3), 12);
    expect(f1![names.recall]).toBe(1);
    expect(f1![names.precision]).toBe(1 / 2);
    expect(f1![names.hitRate]).toBe(1);
    expect(result.mean[names.ndcg]).toBeCloseTo((1 / idcg2 / 2 + 1 / Math.log2(3)) / 2, 12);
    expect(result.mean[names.hitRate]).toBeCloseTo(3 / 4, 12);
    expect(formatCrossValidation(result).split('\n')[0]).toMatch(
      /rmse\s+mae\s+ndcg@2\s+recall@2\s+precision@2\s+hitRate@2/,
    );
  });
  it('with `ranking.threads`, ranks each fold on that many threads, with the numbers of one', async () => {
    const folds = kFolds(table, { k: 2, seed: 3 });
    const run = async (threads: number) => {
      const said: number[] = [];
      const result = await crossValidate({
        table,
        folds,
        train: (split) => fitBiasBaseline(table, split.train),
        ranking: { k: 3, threads, onThreads: (n) => void said.push(n) },
      });
      return { metrics: result.folds.map((f) => f.metrics), said };
    };
    const one = await run(1);
    const two = await run(2);
    expect(one.said).toEqual([1, 1]);
    expect(two.said).toEqual([2, 2]);
    expect(two.metrics).toEqual(one.metrics);
  });
});
