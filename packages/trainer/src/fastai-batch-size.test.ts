import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError, splitByCvIdxs, type RatingsTable } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { makeSyntheticRatings } from '@cf/test-utils';
import { writePlantedMovieLens } from '@cf/test-utils/planted';
import { FASTAI_STEPS_PER_EPOCH, fastaiBatchSize, runRecipe } from './recipes.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('fastaiBatchSize', () => {
  it("is fastai's 64 up to ml-latest-small's whole table, then keeps the steps per epoch", () => {
    expect(FASTAI_STEPS_PER_EPOCH).toBe(Math.ceil(100_836 / 64));
    expect(fastaiBatchSize(0)).toBe(64);
    expect(fastaiBatchSize(80_669)).toBe(64); // ml-latest-small's training rows (getCvIdxs, valPct 0.2)
    expect(fastaiBatchSize(100_836)).toBe(64); // its every row (cf train --all)
    expect(fastaiBatchSize(64 * 1576)).toBe(64);
    expect(fastaiBatchSize(64 * 1576 + 1)).toBe(65);
    expect(fastaiBatchSize(3_200_000)).toBe(2031);
    expect(fastaiBatchSize(20_000_000)).toBe(12_691);
    expect(Math.ceil(20_000_000 / fastaiBatchSize(20_000_000))).toBeLessThanOrEqual(1576);
  });

  it('refuses a row count that is not a whole number ≥ 0', () => {
    for (const bad of [-1, 1.5, NaN, Infinity])
      expect(() => fastaiBatchSize(bad)).toThrow(InvalidArgumentError);
  });
});

describe('the fastai recipe at scale', { timeout: 120_000 }, () => {
  it('keeps batch 64 on data of ml-latest-small size, and an explicit batch size wins', async () => {
    // 600 users × 220 items at density 0.75: 99,000 ratings, 79,200 training rows
    const { table } = makeSyntheticRatings({ nUsers: 600, nItems: 220, density: 0.75, seed: 3 });
    const split = splitByCvIdxs(table, { seed: 1 });
    expect(split.train.length).toBeGreaterThan(79_000);
    const run = await runRecipe('fastai', table, split, { epochs: [1] });
    expect(run.hyperParameters['batchSize']).toBe(64);
    expect(run.hyperParameters['wd']).toBe(0.1);
    run.model.dispose();
    const given = await runRecipe('fastai', table, split, { epochs: [1], batchSize: 32 });
    expect(given.hyperParameters['batchSize']).toBe(32);
    given.model.dispose();
    // the other recipes keep their 64 whatever the size
    const notebook = await runRecipe('notebook', table, split, { epochs: [0, 0] });
    expect(notebook.hyperParameters['batchSize']).toBe(64);
    notebook.model.dispose();
  });

  let dir = '';
  let table: RatingsTable;
  beforeAll(async () => {
    // ml-25m-shaped planted ratings (biases + rank-16 factors + noise 0.75, power-law users and
    // items): 400,000 rows, 2,601 users, 945 items, 320,000 training rows, i.e. 5,000 steps an
    // epoch at batch 64, three times ml-latest-small's
    dir = mkdtempSync(join(tmpdir(), 'cf-fastai-scale-'));
    writePlantedMovieLens(dir, { rows: 400_000, seed: 5 });
    table = (await loadRatings(dir)).table;
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('grows the batch with the rows and stays ahead of the bias baseline and of batch 64', async () => {
    const split = splitByCvIdxs(table, { seed: 1 });
    const scaled = await runRecipe('fastai', table, split);
    expect(scaled.hyperParameters['batchSize']).toBe(fastaiBatchSize(split.train.length));
    expect(scaled.hyperParameters['batchSize']).toBe(204);
    // the batch-64 run takes 5,000 steps an epoch, and its weight decay with them
    const fixed = await runRecipe('fastai', table, split, { batchSize: 64 });
    expect(scaled.rmse).toBeLessThan(scaled.baselineRmse - 0.01);
    expect(scaled.rmse).toBeLessThan(fixed.rmse - 0.002);
    scaled.model.dispose();
    fixed.model.dispose();
  });
});
