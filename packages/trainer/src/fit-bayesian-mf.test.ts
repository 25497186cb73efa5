import { expect, it } from 'vitest';
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
  });

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

  it('refuses impossible settings', async () => {
    await expect(fitBayesianMf(table, rows, { sweeps: 10, burnIn: 10 })).rejects.toThrow(/burnIn/);
    await expect(fitBayesianMf(table, new Int32Array(0))).rejects.toThrow(/no training rows/);
  });
});
