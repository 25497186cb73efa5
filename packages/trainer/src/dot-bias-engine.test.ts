import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { splitByCvIdxs } from '@cf/data';
import { createEmbeddingDotBias, type RatingModel } from '@cf/model';
import { setWasmKernelsEnabled } from '@cf/kernels';
import { makeSyntheticRatings } from '@cf/test-utils';
import { createAdam, createAdamW, type Adam } from './adam.js';
import { DotBiasOneThread, setDotBiasEngineEnabled } from './dot-bias-engine.js';
import { fit } from './fit.js';
import { createModelData } from './model-data.js';
import { oneCycleSchedule } from './one-cycle.js';

// the fused EmbeddingDotBias engine (interleaved rows, one kernel pass per batch) against the
// model's own fused pass + Adam.step, which fit.test.ts and torch-parity.test.ts tie to tfjs/PyTorch
const { table } = makeSyntheticRatings({ nUsers: 300, nItems: 200, density: 0.3, seed: 7 });
const split = splitByCvIdxs(table, { seed: 1 });

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterEach(() => {
  setDotBiasEngineEnabled(true);
  setWasmKernelsEnabled(true);
});

async function train(
  engineOn: boolean,
  makeOptimizer: (model: RatingModel) => Adam,
  yRange: [number, number] | null,
): Promise<{ model: RatingModel; optimizer: Adam; losses: number[]; valLoss: number }> {
  setDotBiasEngineEnabled(engineOn);
  const model = createEmbeddingDotBias({
    nUsers: table.userIds.size,
    nItems: table.itemIds.size,
    nFactors: 10, // not a multiple of 4: the kernels' scalar tails run
    yRange,
    seed: 3,
  });
  const optimizer = makeOptimizer(model);
  const data = createModelData(table, split, { batchSize: 64, seed: 5 });
  const losses: number[] = [];
  const [valLoss] = await fit(model, data, 3, optimizer, 'mse', {
    callbacks: [oneCycleSchedule(1e-2), { onBatchEnd: (c) => void losses.push(c.batchLoss) }],
  });
  return { model, optimizer, losses, valLoss: valLoss! };
}

function expectSameState(
  a: { model: RatingModel; optimizer: Adam },
  b: { model: RatingModel; optimizer: Adam },
): void {
  expect(b.optimizer.stepCount).toBe(a.optimizer.stepCount);
  const sa = a.optimizer.stateDict();
  const sb = b.optimizer.stateDict();
  a.model.parameters.forEach((p, k) => {
    const q = b.model.parameters[k]!;
    const scale = Math.max(...p.values.map(Math.abs));
    for (let j = 0; j < p.values.length; j++)
      expect(Math.abs(q.values[j]! - p.values[j]!)).toBeLessThan(2e-4 * scale + 1e-7);
    const [ma, va] = sa[p.name]!;
    const [mb, vb] = sb[q.name]!;
    const mScale = Math.max(...ma!.map(Math.abs));
    const vScale = Math.max(...va!.map(Math.abs));
    for (let j = 0; j < ma!.length; j++) {
      expect(Math.abs(mb![j]! - ma![j]!)).toBeLessThan(2e-3 * mScale + 1e-9);
      expect(Math.abs(vb![j]! - va![j]!)).toBeLessThan(2e-3 * vScale + 1e-12);
    }
  });
}

describe('fused EmbeddingDotBias engine', { timeout: 60_000 }, () => {
  it.each([
    ['one-cycle lazy AdamW (the fastai recipe), yRange', 'adamw', [0, 5.5] as [number, number]],
    ['one-cycle lazy AdamW, no yRange', 'adamw', null],
    [
      'lazy AdamW, factors and biases in groups of their own decay (best)',
      'groups',
      [0, 5.5] as [number, number],
    ],
    ['lazy Adam with coupled L2', 'adam', [0, 5.5] as [number, number]],
  ])('%s: the same training as the model pass + Adam.step', async (_name, kind, yRange) => {
    const make = (model: RatingModel): Adam => {
      const named = (names: string[]) => model.parameters.filter((p) => names.includes(p.name));
      if (kind === 'groups')
        return createAdamW(model.parameters, {
          lr: 1e-2,
          embeddingUpdate: 'lazy',
          groups: [
            { parameters: named(['userEmbedding', 'itemEmbedding']), weightDecay: 0.3 },
            { parameters: named(['userBias', 'itemBias']), weightDecay: 0.05 },
          ],
        });
      return kind === 'adamw'
        ? createAdamW(model.parameters, { lr: 1e-2, weightDecay: 0.1, embeddingUpdate: 'lazy' })
        : createAdam(model.parameters, { lr: 1e-2, weightDecay: 1e-3, embeddingUpdate: 'lazy' });
    };
    const off = await train(false, make, yRange);
    const on = await train(true, make, yRange);
    expect(on.losses.length).toBe(off.losses.length);
    on.losses.forEach((loss, k) => expect(loss).toBeCloseTo(off.losses[k]!, 4));
    expect(on.valLoss).toBeCloseTo(off.valLoss, 5);
    expectSameState(off, on);
  });

  it('is bit-identical run to run', async () => {
    const make = (model: RatingModel): Adam =>
      createAdamW(model.parameters, { lr: 1e-2, weightDecay: 0.1, embeddingUpdate: 'lazy' });
    const a = await train(true, make, [0, 5.5]);
    const b = await train(true, make, [0, 5.5]);
    a.model.parameters.forEach((p, k) => expect(b.model.parameters[k]!.values).toEqual(p.values));
    expect(b.losses).toEqual(a.losses);
  });

  it('is not used for dense updates, or without the WebAssembly kernels', () => {
    const model = createEmbeddingDotBias({ nUsers: 3, nItems: 4, nFactors: 2 });
    const dense = createAdamW(model.parameters, { embeddingUpdate: 'dense' });
    expect(DotBiasOneThread.create(model, dense, 8)).toBeUndefined();
    const lazy = createAdamW(model.parameters, { embeddingUpdate: 'lazy' });
    expect(DotBiasOneThread.create(model, lazy, 8)).toBeDefined();
    setWasmKernelsEnabled(false);
    expect(DotBiasOneThread.create(model, lazy, 8)).toBeUndefined();
  });
});
