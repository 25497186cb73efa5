import { describe, expect, it } from 'vitest';
import { createModelFromConfig, type BiasedMatrixFactorization } from '@cf/model';
import { scaleByItem } from './scale-by-item.js';

describe('scaleByItem', () => {
  const nUsers = 5;
  const nItems = 4;
  const f = 3;
  const fill = (n: number, seed: number) =>
    Float32Array.from({ length: n }, (_, k) => Math.sin(seed * 7.1 + k * 1.3));
  const model = createModelFromConfig(
    { type: 'biased-mf', nUsers, nItems, nFactors: f, ratingRange: [-100, 100] },
    {
      userEmbedding: fill(nUsers * f, 1),
      itemEmbedding: fill(nItems * f, 2),
      userBias: fill(nUsers, 3),
      itemBias: fill(nItems, 4),
      globalBias: Float32Array.of(3.2),
    },
  ) as BiasedMatrixFactorization;
  const users = Int32Array.from({ length: nUsers * nItems }, (_, k) => Math.floor(k / nItems));
  const items = Int32Array.from({ length: nUsers * nItems }, (_, k) => k % nItems);

  it('predicts scale_i · prediction + offset_i as one biased-mf of rank + 1', () => {
    const scale = Float32Array.of(0.5, 1.5, -0.25, 2);
    const offset = Float32Array.of(0.1, -0.3, 0, 1);
    const scaled = scaleByItem(model, scale, offset);
    expect(scaled.config.type).toBe('biased-mf');
    expect(scaled.config.nFactors).toBe(f + 1);
    const before = model.predict(users, items);
    const after = scaled.predict(users, items);
    for (let k = 0; k < before.length; k++) {
      const i = items[k]!;
      expect(after[k]).toBeCloseTo(scale[i]! * before[k]! + offset[i]!, 5);
    }
    scaled.dispose();
  });

  it('clips to the range it is given', () => {
    const scaled = scaleByItem(
      model,
      new Float32Array(nItems).fill(1),
      new Float32Array(nItems),
      [3, 3.5],
    );
    const p = scaled.predict(users, items);
    expect(Math.min(...p)).toBeGreaterThanOrEqual(3);
    expect(Math.max(...p)).toBeLessThanOrEqual(3.5);
    scaled.dispose();
  });

  it('refuses a scale that is not one per item', () => {
    expect(() => scaleByItem(model, new Float32Array(3), new Float32Array(nItems))).toThrow(
      /one scale and one offset per item \(4\)/,
    );
  });
});
