import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { fileURLToPath } from 'node:url';
import { splitByCvIdxs } from '@cf/data';
import { createEmbeddingDotBias } from '@cf/model';
import { makeSyntheticRatings } from '@cf/test-utils';
import { setHogwildWorkerUrl } from './hogwild-engine.js';
import { runRecipe } from './recipes.js';
import { fit } from './fit.js';
import { createModelData } from './model-data.js';
import { createSgd } from './sgd.js';
import type { FitContext } from './callback.js';

// Tests run from src/; the workers run the built bundle (`pnpm build` runs before `pnpm test`).
const workerUrl = new URL('../dist/hogwild-worker.js', import.meta.url);
if (!existsSync(fileURLToPath(workerUrl)))
  throw new Error(`${fileURLToPath(workerUrl)} is missing: run pnpm build first`);

// planted: biases + rank-3 factors + noise; 300 users × 200 items at density 0.3 ≈ 18,000 ratings
const { table } = makeSyntheticRatings({ nUsers: 300, nItems: 200, density: 0.3, seed: 7 });
const split = splitByCvIdxs(table, { seed: 1 });
const threadEnvironment = {
  sharedMemory: true,
  crossOriginIsolated: undefined,
  workers: true,
  cores: 2,
};

// the workers always run the host (fused) engine; the one-thread runs use it too on cpu
beforeAll(async () => {
  setHogwildWorkerUrl(workerUrl);
  await tf.setBackend('cpu');
});
afterAll(() => setHogwildWorkerUrl(undefined));

const smallDotBias = () =>
  createEmbeddingDotBias({ nUsers: table.userIds.size, nItems: table.itemIds.size, nFactors: 8 });

function threadsSeen(): { seen: number[]; callback: { onTrainBegin(c: FitContext): void } } {
  const seen: number[] = [];
  return { seen, callback: { onTrainBegin: (c) => void seen.push(c.threads) } };
}

// workers start in about a second on a quiet machine, several under load: generous timeouts
describe('threaded (Hogwild) training', { timeout: 60_000 }, () => {
  it('threads: 1 is the one-thread loop, bit for bit', async () => {
    const a = await runRecipe('fastai', table, split, { epochs: [2], batchSize: 64 });
    const b = await runRecipe('fastai', table, split, { epochs: [2], batchSize: 64, threads: 1 });
    for (let k = 0; k < a.model.parameters.length; k++)
      expect(b.model.parameters[k]!.values).toEqual(a.model.parameters[k]!.values);
    expect(b.rmse).toBe(a.rmse);
  });

  it('fastai recipe (EmbeddingDotBias, one-cycle lazy AdamW) on 2 threads lands within 0.01 RMSE of 1 thread', async () => {
    const one = await runRecipe('fastai', table, split, { epochs: [5], batchSize: 64 });
    const { seen, callback } = threadsSeen();
    const two = await runRecipe('fastai', table, split, {
      epochs: [5],
      batchSize: 64,
      threads: 2,
      threadEnvironment,
      callbacks: [callback],
    });
    expect(seen).toEqual([2]);
    // it learned: well below the bias baseline, as one thread does
    expect(one.rmse).toBeLessThan(one.baselineRmse - 0.05);
    expect(Math.abs(two.rmse - one.rmse)).toBeLessThan(0.01);
    // the smoothed training loss was reported from the workers' batch losses
    const last = two.fits[0]!.at(-1)!;
    expect(Number.isFinite(last.trainLoss)).toBe(true);
    expect(Math.abs(last.trainLoss - one.fits[0]!.at(-1)!.trainLoss)).toBeLessThan(0.05);
  });

  it('notebook recipe (EmbeddingNet, dropout, coupled L2 Adam) on 2 threads lands within 0.01 RMSE of 1 thread', async () => {
    const one = await runRecipe('notebook', table, split, { epochs: [3, 2] });
    const two = await runRecipe('notebook', table, split, {
      epochs: [3, 2],
      threads: 2,
      threadEnvironment,
    });
    expect(Math.abs(two.rmse - one.rmse)).toBeLessThan(0.01);
  });

  it('EmbeddingDotBias with factors and biases in groups of their own decay (best) on 2 threads lands within 0.01 RMSE of 1 thread', async () => {
    const { createAdamW } = await import('./adam.js');
    const { oneCycleSchedule } = await import('./one-cycle.js');
    const run = async (threads: number): Promise<number> => {
      const model = smallDotBias();
      const named = (names: string[]) => model.parameters.filter((p) => names.includes(p.name));
      const opt = createAdamW(model.parameters, {
        lr: 1e-2,
        groups: [
          { parameters: named(['userEmbedding', 'itemEmbedding']), weightDecay: 0.3 },
          { parameters: named(['userBias', 'itemBias']), weightDecay: 0.05 },
        ],
      });
      const { seen, callback } = threadsSeen();
      const [loss] = await fit(model, createModelData(table, split, { seed: 3 }), 4, opt, 'mse', {
        threads,
        threadEnvironment,
        callbacks: [oneCycleSchedule(1e-2), callback],
      });
      expect(seen).toEqual([threads]);
      return Math.sqrt(loss!);
    };
    const one = await run(1);
    const two = await run(2);
    expect(Math.abs(two - one)).toBeLessThan(0.01);
  });

  it('an optimizer the workers cannot run falls back to one thread and says why', async () => {
    const model = smallDotBias();
    const data = createModelData(table, split, { batchSize: 64 });
    const notes: (string | undefined)[] = [];
    const { seen, callback } = threadsSeen();
    await fit(model, data, 1, createSgd(model.parameters, { lr: 0.1 }), 'mse', {
      threads: 2,
      threadEnvironment,
      callbacks: [callback, { onTrainEnd: (c) => void notes.push(c.threadsNote) }],
    });
    expect(seen).toEqual([1]);
    expect(notes[0]).toMatch(/Adam/);
  });

  it('trains on one thread, saying why, when the workers cannot start', async () => {
    setHogwildWorkerUrl(new URL('../dist/no-such-worker.js', import.meta.url));
    try {
      const model = smallDotBias();
      const data = createModelData(table, split, { batchSize: 64 });
      const { createAdamW } = await import('./adam.js');
      const opt = createAdamW(model.parameters, { lr: 1e-2 });
      const notes: (string | undefined)[] = [];
      const { seen, callback } = threadsSeen();
      await fit(model, data, 1, opt, 'mse', {
        threads: 2,
        threadEnvironment,
        callbacks: [callback, { onTrainEnd: (c) => void notes.push(c.threadsNote) }],
      });
      expect(seen).toEqual([1]);
      expect(notes[0]).toMatch(
        /workers did not start \(training worker: its script .*no-such-worker\.js does not exist/,
      );
      // what a bundled app must do, named in the note
      expect(notes[0]).toMatch(
        /ship hogwild-worker\.js beside its bundle.*entry point hogwild-worker=@cf\/trainer\/hogwild-worker.*"Bundling" in the @cf\/trainer README\): training on one thread$/,
      );
      expect(opt.stepCount).toBe(data.trainBatches.batchCount);
    } finally {
      setHogwildWorkerUrl(workerUrl);
    }
  });

  it('stops after the batches already taken when asked to stop mid-epoch', async () => {
    const model = smallDotBias();
    const data = createModelData(table, split, { batchSize: 16 });
    const { createAdamW } = await import('./adam.js');
    const opt = createAdamW(model.parameters, { lr: 1e-2 });
    const ends: boolean[] = [];
    await fit(model, data, 2, opt, 'mse', {
      threads: 2,
      threadEnvironment,
      callbacks: [
        { onBatchEnd: (c) => (c.batch === 20 ? c.stop('test') : undefined) },
        { onEpochEnd: (_c, r) => void ends.push(r.complete) },
      ],
    });
    // the second epoch never starts; the first ends after the batches the workers had taken when
    // the stop reached them: usually part of the epoch, all of it when the workers (a few µs a
    // batch here) took every batch before the main thread's 20 ms poll passed the stop on
    expect(ends).toHaveLength(1);
    expect(opt.stepCount).toBeGreaterThanOrEqual(21);
    expect(opt.stepCount).toBeLessThanOrEqual(data.trainBatches.batchCount);
    expect(ends[0]).toBe(opt.stepCount === data.trainBatches.batchCount);
  });
});
