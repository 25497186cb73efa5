import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError } from '@cf/data';
import { createModelFromConfig } from '@cf/model';
import { makeSyntheticRatings } from '@cf/test-utils';
import { fitItemAutoRec } from './fit-item-autorec.js';

// Host arithmetic only (no tensors in training): one backend, no backend factory; `predict` of the
// returned biased-mf may go through tfjs, hence the cpu backend.
const { table } = makeSyntheticRatings({ nUsers: 60, nItems: 80, density: 0.35, seed: 3 });
const n = table.rating.length;
const all = Int32Array.from({ length: n }, (_, r) => r);
const train = all.filter((r) => r % 5 !== 0);
const valid = all.filter((r) => r % 5 === 0);
const pairs = (rows: Int32Array) => ({
  u: Int32Array.from(rows, (r) => table.userIndex[r]!),
  i: Int32Array.from(rows, (r) => table.itemIndex[r]!),
});
const rmseOf = (pred: Float32Array, rows: Int32Array): number => {
  let se = 0;
  for (let k = 0; k < rows.length; k++) se += (pred[k]! - table.rating[rows[k]!]!) ** 2;
  return Math.sqrt(se / rows.length);
};

describe('fitItemAutoRec', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  it('learns the low-rank structure: held-out RMSE well below the training mean’s, and the training error falls', async () => {
    let mean = 0;
    for (const r of train) mean += table.rating[r]!;
    mean /= train.length;
    let meanSe = 0;
    for (const r of valid) meanSe += (mean - table.rating[r]!) ** 2;
    const meanRmse = Math.sqrt(meanSe / valid.length);
    const trainRmse: number[] = [];
    const model = await fitItemAutoRec(table, train, {
      hidden: 32,
      lambda: 10,
      epochs: 300,
      lr: 0.02,
      seed: 7,
      onEpoch: (e) => trainRmse.push(e.trainRmse),
    });
    const { u, i } = pairs(valid);
    const heldOut = rmseOf(model.predict(u, i), valid);
    expect(trainRmse).toHaveLength(300);
    expect(trainRmse[299]!).toBeLessThan(0.5 * trainRmse[0]!);
    expect(heldOut).toBeLessThan(0.8 * meanRmse);
    expect(model.config.type).toBe('biased-mf');
    expect(model.config.nFactors).toBe(32);
    model.dispose();
  });

  it('gives the same model for the same seed, stores sigmoid item factors without item or global biases, and survives a config round trip', async () => {
    const a = await fitItemAutoRec(table, train, { hidden: 8, lambda: 1, epochs: 5, seed: 11 });
    const b = await fitItemAutoRec(table, train, { hidden: 8, lambda: 1, epochs: 5, seed: 11 });
    const { u, i } = pairs(valid);
    const pa = a.predict(u, i);
    expect([...b.predict(u, i)]).toEqual([...pa]);
    const rebuilt = createModelFromConfig(
      a.config,
      Object.fromEntries(a.parameters.map((p) => [p.name, p.values])),
    );
    expect([...rebuilt.predict(u, i)]).toEqual([...pa]);
    // the stored item factors are sigmoid outputs and there are no item or global biases
    const byName = Object.fromEntries(a.parameters.map((p) => [p.name, p.values]));
    expect(byName['itemEmbedding']!.every((x) => x > 0 && x < 1)).toBe(true);
    expect(byName['itemBias']!.every((x) => x === 0)).toBe(true);
    expect(byName['globalBias']![0]).toBe(0);
    rebuilt.dispose();
    a.dispose();
    b.dispose();
  });

  it('predicts the training mean for a user with no training rows', async () => {
    const user0 = table.userIndex[0]!;
    const rows = train.filter((r) => table.userIndex[r] !== user0);
    let mean = 0;
    for (const r of rows) mean += table.rating[r]!;
    mean /= rows.length;
    const model = await fitItemAutoRec(table, rows, { hidden: 8, lambda: 1, epochs: 3, seed: 1 });
    const p = model.predict(Int32Array.of(user0, user0), Int32Array.of(0, 1));
    expect(p[0]).toBeCloseTo(mean, 5);
    expect(p[1]).toBeCloseTo(mean, 5);
    model.dispose();
  });

  it('refuses bad options with InvalidArgumentError naming the option', async () => {
    const bad: [Parameters<typeof fitItemAutoRec>[2], string][] = [
      [{ hidden: 0 }, 'hidden'],
      [{ lambda: -1 }, 'lambda'],
      [{ epochs: 1.5 }, 'epochs'],
      [{ lr: 0 }, 'lr'],
    ];
    for (const [options, argument] of bad) {
      await expect(fitItemAutoRec(table, train, options)).rejects.toThrow(InvalidArgumentError);
      await expect(fitItemAutoRec(table, train, options)).rejects.toThrow(
        expect.objectContaining({ argument }) as Error,
      );
    }
    await expect(fitItemAutoRec(table, new Int32Array(0))).rejects.toThrow(InvalidArgumentError);
  });

  it('stops after the current epoch when its signal is aborted by a timer mid-fit (a Ctrl-C handler runs between epochs)', async () => {
    const controller = new AbortController();
    let seen = 0;
    const started = Date.now();
    setTimeout(() => controller.abort(), 30);
    const model = await fitItemAutoRec(table, train, {
      hidden: 64,
      lambda: 1,
      epochs: 100_000,
      seed: 3,
      signal: controller.signal,
      onEpoch: () => seen++,
    });
    // a synchronous loop would run all 100,000 epochs before the timer could fire
    expect(controller.signal.aborted).toBe(true);
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThan(100_000);
    expect(Date.now() - started).toBeLessThan(60_000);
    model.dispose();
  });
});

describe('fitItemAutoRec under a stop signal', () => {
  it('stops inside an epoch: a full-batch epoch that takes a while is left part-way', async () => {
    // 20,000 items × 500 hidden units: one epoch is far longer than the 50 ms between yields
    const { table } = makeSyntheticRatings({ nUsers: 150, nItems: 20_000, density: 0.1, seed: 4 });
    const rows = Int32Array.from({ length: table.rating.length }, (_, r) => r);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    let epochsDone = 0;
    const model = await fitItemAutoRec(table, rows, {
      hidden: 500,
      epochs: 1,
      signal: controller.signal,
      onEpoch: () => epochsDone++,
    });
    // a fit that looked for the signal only between epochs would have finished its one epoch
    expect(epochsDone).toBe(0);
    model.dispose();
  });
});
