import { expect, it } from 'vitest';
import { createRatingsTable } from '@cf/data';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { fitBayesianMf } from './fit-bayesian-mf.js';

describeEachBackend('fitBayesianMf', () => {
  const { table } = makeSyntheticRatings({ nUsers: 40, nItems: 30, density: 0.4, seed: 3 });
  const rows = Int32Array.from({ length: table.rating.length }, (_, r) => r);

  it('averages the kept samples into a rank-`rank` model that fits the training rows better than the mean', async () => {
    const model = await fitBayesianMf(table, rows, { nFactors: 3, sweeps: 30, burnIn: 5, rank: 6 });
    expect(model.config.nFactors).toBe(6);
    const predicted = model.predict(table.userIndex, table.itemIndex);
    let mean = 0;
    for (const r of rows) mean += table.rating[r]!;
    mean /= rows.length;
    let se = 0;
    let seMean = 0;
    for (const r of rows) {
      se += (predicted[r]! - table.rating[r]!) ** 2;
      seMean += (mean - table.rating[r]!) ** 2;
    }
    expect(se).toBeLessThan(0.8 * seMean);
    model.dispose();
  });

  it('stopped by its signal, ends after the current sweep with the latest sample (no compression)', async () => {
    const controller = new AbortController();
    let sweepsDone = 0;
    const model = await fitBayesianMf(table, rows, {
      nFactors: 3,
      sweeps: 1000,
      burnIn: 5,
      rank: 6,
      signal: controller.signal,
      onSweep: (info) => {
        sweepsDone++;
        if (info.sweep === 12) controller.abort();
      },
    });
    expect(sweepsDone).toBe(13);
    // the latest sample's 3 factors, not the rank-6 compression of the kept ones
    expect(model.config.nFactors).toBe(3);
    const predicted = model.predict(table.userIndex, table.itemIndex);
    expect(predicted.every(Number.isFinite)).toBe(true);
    model.dispose();
  });

  it('stopped while it compresses the kept samples, returns the latest sample instead', async () => {
    const { table: wide } = makeSyntheticRatings({
      nUsers: 100,
      nItems: 3000,
      density: 0.05,
      seed: 8,
    });
    const all = Int32Array.from({ length: wide.rating.length }, (_, r) => r);
    const controller = new AbortController();
    const sweeps = 300;
    const model = await fitBayesianMf(wide, all, {
      nFactors: 4,
      sweeps,
      burnIn: 0,
      thin: 1,
      rank: 32,
      signal: controller.signal,
      // every sweep done: the stop arrives while the 300 kept samples are being compressed
      onSweep: (info) => {
        if (info.sweep === sweeps - 1) setTimeout(() => controller.abort(), 0);
      },
    });
    expect(model.config.nFactors).toBe(4);
    model.dispose();
    // 300 sweeps: about a second on a free core, over vitest's 5 s default on a loaded one
  }, 60_000);

  it('lets a timer run while it samples, so a Ctrl-C handler can abort it', async () => {
    const controller = new AbortController();
    // a fit that never yielded would run all the sweeps before this timer could fire
    setTimeout(() => controller.abort(), 0);
    let sweepsDone = 0;
    const model = await fitBayesianMf(table, rows, {
      nFactors: 3,
      sweeps: 1_000_000,
      burnIn: 5,
      signal: controller.signal,
      onSweep: () => sweepsDone++,
    });
    expect(sweepsDone).toBeLessThan(1_000_000);
    model.dispose();
  });

  it('with implicit feedback, learns from which items a user rated, not only from the ratings', async () => {
    // Two groups of 30 users rate disjoint sets of 10 items with ratings that carry no signal (2, 3
    // or 4 at random); item 20 is rated 5 by group A and 1 by group B, by half of each group in
    // training. Only the set of items a held-out user rated tells which group they are in.
    let s = 7;
    const noise = (): number => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return 2 + Math.floor((s / 4294967296) * 3);
    };
    const data: { userId: number; itemId: number; rating: number }[] = [];
    for (let u = 0; u < 60; u++) {
      const groupA = u < 30;
      for (let j = 0; j < 10; j++)
        data.push({ userId: u, itemId: groupA ? j : 10 + j, rating: noise() });
      data.push({ userId: u, itemId: 20, rating: groupA ? 5 : 1 });
    }
    const implicitTable = createRatingsTable(data, { source: 'synthetic' });
    const heldOut = (r: number): boolean =>
      Number(implicitTable.itemIds.idAt(implicitTable.itemIndex[r]!)) === 20 &&
      Number(implicitTable.userIds.idAt(implicitTable.userIndex[r]!)) % 30 >= 15;
    const all = Array.from({ length: implicitTable.rating.length }, (_, r) => r);
    const train = Int32Array.from(all.filter((r) => !heldOut(r)));
    const test = Int32Array.from(all.filter(heldOut));
    const gap = async (implicitFeedback: boolean): Promise<number> => {
      const model = await fitBayesianMf(implicitTable, train, {
        nFactors: 3,
        sweeps: 60,
        burnIn: 10,
        rank: 6,
        implicitFeedback,
      });
      const p = model.predict(
        Int32Array.from(test, (r) => implicitTable.userIndex[r]!),
        Int32Array.from(test, (r) => implicitTable.itemIndex[r]!),
      );
      model.dispose();
      let a = 0;
      let b = 0;
      test.forEach((r, k) => {
        if (implicitTable.rating[r] === 5) a += p[k]! / 15;
        else b += p[k]! / 15;
      });
      return a - b;
    };
    expect(await gap(false)).toBeLessThan(0.5);
    expect(await gap(true)).toBeGreaterThan(2);
  });

  it('refuses impossible settings', async () => {
    await expect(fitBayesianMf(table, rows, { sweeps: 10, burnIn: 10 })).rejects.toThrow(/burnIn/);
    await expect(fitBayesianMf(table, new Int32Array(0))).rejects.toThrow(/no training rows/);
  });
});
