import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { splitByCvIdxs } from '@cf/data';
import { createBiasBaseline, createEmbeddingDotBias, createEmbeddingNet } from '@cf/model';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { createAdam } from './adam.js';
import { createSgd } from './sgd.js';
import { evaluate, fit } from './fit.js';
import { createModelData } from './model-data.js';
import { mae, rmse } from './metrics.js';
import { earlyStopping } from './standard-callbacks.js';
import { cosineAnnealingSchedule } from './cosine-annealing.js';
import { lrFind } from './lr-find.js';
import { TrainingDivergedError } from './errors.js';
import type { EpochResult } from './callback.js';
import { setWasmKernelsEnabled } from '@cf/kernels';

const { table } = makeSyntheticRatings({ nUsers: 40, nItems: 50, density: 0.35, seed: 3 });
const split = splitByCvIdxs(table, { seed: 1 });
const range: [number, number] = [table.stats.minRating, table.stats.maxRating];

function net(seed = 1) {
  return createEmbeddingNet({
    nUsers: table.userIds.size,
    nItems: table.itemIds.size,
    nFactors: 8,
    hidden: [6],
    ratingRange: range,
    seed,
  });
}

async function recordRun(seed: number, engine: 'tfjs' | 'fused' | 'auto' = 'auto') {
  const model = net();
  const data = createModelData(table, split, { batchSize: 32, seed });
  const opt = createAdam(model.parameters, { lr: 1e-2, weightDecay: 1e-4 });
  const batchLosses: number[] = [];
  const rows: EpochResult[] = [];
  const result = await fit(model, data, 3, opt, 'mse', {
    metrics: [rmse, mae],
    engine,
    callbacks: [
      {
        onBatchEnd: (c) => void batchLosses.push(c.batchLoss),
        onEpochEnd: (_c, r) => void rows.push(r),
      },
    ],
  });
  return { model, data, batchLosses, rows, result };
}

describeEachBackend('fit', (backend) => {
  it('reports the debiased EWMA (0.98) of batch losses, reset once per fit call', async () => {
    const { batchLosses, rows, data } = await recordRun(5);
    let avg = 0;
    const expected: number[] = [];
    batchLosses.forEach((loss, k) => {
      avg = 0.98 * avg + 0.02 * loss;
      if ((k + 1) % data.trainBatches.batchCount === 0) expected.push(avg / (1 - 0.98 ** (k + 1)));
    });
    expect(rows.map((r) => r.trainLoss)).toHaveLength(3);
    rows.forEach((r, e) => expect(r.trainLoss).toBeCloseTo(expected[e]!, 10));
    expect(data.epochsSeen).toBe(3);
  });

  it('reports the exact validation MSE in eval mode and returns [valLoss, ...metrics]', async () => {
    const { model, rows, result } = await recordRun(5);
    const valid = split.valid;
    const pred = model.predict(
      Int32Array.from(valid, (r) => table.userIndex[r]!),
      Int32Array.from(valid, (r) => table.itemIndex[r]!),
    );
    let se = 0;
    let ae = 0;
    valid.forEach((r, k) => {
      se += (pred[k]! - table.rating[r]!) ** 2;
      ae += Math.abs(pred[k]! - table.rating[r]!);
    });
    const last = rows[rows.length - 1]!;
    expect(last.valLoss).toBeCloseTo(se / valid.length, 6);
    expect(result).toEqual([last.valLoss, last.metrics['rmse'], last.metrics['mae']]);
    expect(result[1]).toBeCloseTo(Math.sqrt(se / valid.length), 6);
    expect(result[2]).toBeCloseTo(ae / valid.length, 6);
  });

  it('learns: validation error falls below the mean-only predictor', async () => {
    // 10 epochs: after 3, dropout 0.5 on 8 factors leaves some seeds near the threshold (the
    // mean-only MSE is 1.22; over seeds 1–10 this run ends at 0.76–0.83)
    const model = net();
    const data = createModelData(table, split, { batchSize: 32, seed: 5 });
    const opt = createAdam(model.parameters, { lr: 1e-2, weightDecay: 1e-4 });
    const [valLoss] = await fit(model, data, 10, opt, 'mse');
    const mean = table.stats.meanRating;
    let se = 0;
    for (const r of split.valid) se += (table.rating[r]! - mean) ** 2;
    expect(valLoss).toBeLessThan(0.9 * (se / split.valid.length));
  });

  it('is deterministic: same seed, same losses; another seed, other losses', async () => {
    const a = await recordRun(11);
    const b = await recordRun(11);
    const c = await recordRun(12);
    expect(b.batchLosses).toEqual(a.batchLosses);
    expect(b.result).toEqual(a.result);
    expect(c.batchLosses).not.toEqual(a.batchLosses);
  });

  for (const kernels of ['wasm', 'js'] as const) {
    it(`gives the same loss curve with the tfjs and the fused engine (${kernels} kernels)`, async () => {
      const viaTfjs = await recordRun(7, 'tfjs');
      setWasmKernelsEnabled(kernels === 'wasm');
      try {
        const viaFused = await recordRun(7, 'fused');
        expect(viaFused.batchLosses).toHaveLength(viaTfjs.batchLosses.length);
        viaTfjs.batchLosses.forEach((loss, k) =>
          expect(viaFused.batchLosses[k]).toBeCloseTo(loss, 3),
        );
        expect(viaFused.result[0]).toBeCloseTo(viaTfjs.result[0]!, 3);
      } finally {
        setWasmKernelsEnabled(true);
      }
    });
  }

  it('keeps the tfjs tensor count flat across training epochs', async () => {
    const model = net();
    const data = createModelData(table, split, { batchSize: 32 });
    const opt = createAdam(model.parameters, { lr: 1e-3 });
    await fit(model, data, 1, opt, 'mse', { engine: 'tfjs' });
    const before = tf.memory().numTensors;
    await fit(model, data, 2, opt, 'mse', { engine: 'tfjs' });
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.getBackend()).toBe(backend);
  });

  it('stops with TrainingDivergedError naming the epoch and batch when the loss is NaN', async () => {
    const model = net();
    model.parameters[model.parameters.length - 1]!.values.fill(NaN); // the output bias
    const data = createModelData(table, split, { batchSize: 32 });
    const error = await fit(model, data, 2, createAdam(model.parameters), 'mse').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect(error).toMatchObject({ epoch: 0, batch: 0, code: 'TRAINING_DIVERGED' });
  });

  it('reports divergence from a learning rate of 1e6 on an unbounded model', async () => {
    const model = createEmbeddingDotBias({
      nUsers: table.userIds.size,
      nItems: table.itemIds.size,
      nFactors: 4,
      yRange: null,
    });
    const data = createModelData(table, split, { batchSize: 32 });
    const error = await fit(model, data, 3, createSgd(model.parameters, { lr: 1e6 }), 'mse').catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TrainingDivergedError);
    expect((error as TrainingDivergedError).message).toMatch(/lower the learning rate/);
  });

  it('stops cleanly after the current batch when the signal is aborted', async () => {
    const model = net();
    const data = createModelData(table, split, { batchSize: 16 });
    const controller = new AbortController();
    let batches = 0;
    const result = await fit(model, data, 5, createAdam(model.parameters), 'mse', {
      signal: controller.signal,
      callbacks: [{ onBatchEnd: () => void (++batches === 3 && controller.abort()) }],
    });
    expect(batches).toBe(3);
    expect(result[0]).toBeGreaterThan(0);
  });

  it('stops early when validation stops improving', async () => {
    const model = net();
    const data = createModelData(table, split, { batchSize: 32 });
    const rows: EpochResult[] = [];
    // lr 0 never improves after the first epoch
    await fit(model, data, 10, createAdam(model.parameters, { lr: 0 }), 'mse', {
      callbacks: [earlyStopping({ patience: 2 }), { onEpochEnd: (_c, r) => void rows.push(r) }],
    });
    expect(rows).toHaveLength(3);
  });

  it('with 0 epochs returns the current validation numbers, and refuses a fractional count', async () => {
    const model = net();
    const data = createModelData(table, split);
    const [valLoss] = await fit(model, data, 0, createAdam(model.parameters), 'mse');
    expect(valLoss).toBeCloseTo(evaluate(model, data).valLoss, 10);
    await expect(fit(model, data, 1.5, createAdam(model.parameters), 'mse')).rejects.toThrow(
      /whole number/,
    );
  });

  it('a user with no training rows is still predicted (from the untrained embedding row), and counted as unseen', async () => {
    const user0 = table.userIndex[0]!;
    const train = split.train.filter((r) => table.userIndex[r] !== user0);
    const valid = Int32Array.from([
      ...split.valid,
      ...split.train.filter((r) => table.userIndex[r] === user0),
    ]).sort();
    const model = net();
    const data = createModelData(table, { train, valid });
    const [valLoss] = await fit(model, data, 1, createAdam(model.parameters), 'mse');
    expect(Number.isFinite(valLoss)).toBe(true);
    const { describeSplit } = await import('@cf/data');
    expect(describeSplit(table, { train, valid }).validRowsWithUnseenUser).toBeGreaterThan(0);
  });

  it('with no validation rows trains and reports NaN validation numbers', async () => {
    const model = createBiasBaseline({
      nUsers: table.userIds.size,
      nItems: table.itemIds.size,
      ratingRange: range,
    });
    const data = createModelData(table, { train: split.train, valid: new Int32Array(0) });
    const result = await fit(model, data, 1, createAdam(model.parameters, { lr: 0.05 }), 'mse', {
      metrics: [rmse],
    });
    expect(result[0]).toBeNaN();
    expect(result[1]).toBeNaN();
  });
});

describeEachBackend('evaluate in chunks', () => {
  // more validation rows (about 12,000) than a model's own prediction chunk (8,192)
  const big = makeSyntheticRatings({ nUsers: 300, nItems: 400, density: 0.5, seed: 5 }).table;
  const bigSplit = splitByCvIdxs(big, { seed: 4 });
  const shape = { nUsers: big.userIds.size, nItems: big.itemIds.size };
  const bigRange: [number, number] = [big.stats.minRating, big.stats.maxRating];
  const models = {
    'embedding-net': () =>
      createEmbeddingNet({ ...shape, nFactors: 8, hidden: [6], ratingRange: bigRange, seed: 2 }),
    'embedding-dot-bias': () =>
      createEmbeddingDotBias({ ...shape, nFactors: 5, yRange: [0, 5.5], seed: 3 }),
    bias: () => createBiasBaseline({ ...shape, ratingRange: bigRange }),
  };

  it.each(Object.keys(models) as (keyof typeof models)[])(
    '%s: the same loss and metrics, bit for bit, as predicting every validation row at once, for any chunk size',
    (name) => {
      const model = models[name]();
      // reference: the old way, every row's indices copied and predicted in one call
      const data = createModelData(big, bigSplit);
      expect(data.validTargets.length).toBeGreaterThan(8192);
      const prediction = model.predict(data.validUserIndex, data.validItemIndex);
      let sum = 0;
      for (let k = 0; k < prediction.length; k++) {
        const e = prediction[k]! - data.validTargets[k]!;
        sum += e * e;
      }
      const expected = {
        valLoss: sum / prediction.length,
        metrics: {
          rmse: rmse.compute(prediction, data.validTargets),
          mae: mae.compute(prediction, data.validTargets),
        },
      };
      for (const chunkRows of [1, 999, 8192, 65_536, undefined]) {
        const fresh = createModelData(big, bigSplit);
        const got = evaluate(model, fresh, [rmse, mae], chunkRows ? { chunkRows } : {});
        expect(got).toEqual(expected);
        expect(Object.is(got.valLoss, expected.valLoss)).toBe(true);
      }
      model.dispose();
    },
  );

  it('reads no copy of the validation columns, reuses one prediction array, and takes a model that returns its own array', () => {
    const model = models['embedding-dot-bias']();
    const read: string[] = [];
    const data = new Proxy(createModelData(big, bigSplit), {
      get(target, key, receiver) {
        if (typeof key === 'string') read.push(key);
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    const seen: Float32Array[] = [];
    const capture = { name: 'capture', compute: (p: Float32Array) => (seen.push(p), 0) };
    const first = evaluate(model, data, [capture, rmse]);
    evaluate(model, data, [capture]);
    expect(read).not.toContain('validUserIndex');
    expect(read).not.toContain('validItemIndex');
    expect(seen[1]).toBe(seen[0]);
    // a model that ignores `into` and returns a new array gives the same numbers
    const ownArrays = new Proxy(model, {
      get(target, key, receiver) {
        if (key === 'predict')
          return (u: Int32Array, i: Int32Array) => target.predict(u, i).slice();
        return Reflect.get(target, key, receiver) as unknown;
      },
    });
    expect(
      evaluate(ownArrays, createModelData(big, bigSplit), [rmse], { chunkRows: 1000 }),
    ).toEqual({ valLoss: first.valLoss, metrics: { rmse: first.metrics['rmse'] } });
    expect(() => evaluate(model, data, [], { chunkRows: 0 })).toThrow(/chunkRows/);
    expect(() => evaluate(model, data, [], { chunkRows: 2.5 })).toThrow(/chunkRows/);
    model.dispose();
  });
});

describe('schedules and lrFind', () => {
  it('cosine annealing restarts at cycle boundaries and lengthens cycles by cycleMult', async () => {
    const model = net();
    const data = createModelData(table, split, { batchSize: 64 });
    const opt = createAdam(model.parameters, { lr: 0.01 });
    const lrs: number[] = [];
    await fit(model, data, 3, opt, 'mse', {
      callbacks: [
        cosineAnnealingSchedule({ cycleLen: 1, cycleMult: 2 }),
        { onBatchBegin: (c) => void lrs.push(c.optimizer.groups[0]!.lr) },
      ],
    });
    const nb = data.trainBatches.batchCount;
    expect(lrs[0]).toBeCloseTo(0.01, 12);
    expect(lrs[nb]).toBeCloseTo(0.01, 12); // restart after one epoch
    expect(lrs[nb + nb]).toBeCloseTo(0.005, 12); // halfway through a 2-epoch cycle
    expect(lrs[Math.floor(nb / 2)]).toBeCloseTo(
      (0.01 * (1 + Math.cos((Math.PI * Math.floor(nb / 2)) / nb))) / 2,
      12,
    );
  });

  it('lrFind ramps the lr exponentially, restores the weights and suggests a rate', () => {
    const model = net();
    const before = model.parameters.map((p) => [...p.values]);
    const data = createModelData(table, split, { batchSize: 16 });
    const found = lrFind(model, data, createAdam(model.parameters), {
      startLr: 1e-5,
      endLr: 10,
      iterations: 60,
    });
    expect(found.lrs[0]).toBeCloseTo(1e-5, 12);
    for (let k = 1; k < found.lrs.length; k++)
      expect(found.lrs[k]! / found.lrs[k - 1]!).toBeCloseTo((10 / 1e-5) ** (1 / 59), 8);
    expect(found.suggestedLr).toBeGreaterThan(1e-6);
    expect(found.suggestedLr).toBeLessThan(10);
    model.parameters.forEach((p, k) => expect([...p.values]).toEqual(before[k]));
  });
});
