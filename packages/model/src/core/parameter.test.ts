import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectClose } from '@cf/test-utils';
import { createParameter } from './parameter.js';
import { createBiasBaseline } from '../models/bias-baseline.js';
import { createBiasedMatrixFactorization } from '../models/biased-matrix-factorization.js';
import { createEmbeddingDotBias } from '../models/embedding-dot-bias.js';
import { createEmbeddingNet } from '../models/embedding-net.js';
import { createEnsemble } from '../models/ensemble-model.js';
import type { RatingModel } from '../models/rating-model.js';

describe('Parameter.relocate', () => {
  it('copies the values into the new array, makes it the storage and bumps the version', () => {
    const old = Float32Array.of(1, 2, 3, 4);
    const p = createParameter('t', 'embedding', [2, 2], old);
    p.markChanged();
    const into = new Float32Array(4);
    p.relocate(into);
    expect(p.values).toBe(into);
    expect([...p.values]).toEqual([1, 2, 3, 4]);
    expect(p.version).toBe(2);
    // the old array no longer belongs to the parameter
    old[0] = 9;
    expect(p.values[0]).toBe(1);
    expect(() => p.relocate(new Float32Array(3))).toThrow(
      /cannot move 4 values into an array of 3/,
    );
  });
});

const sizes = { nUsers: 6, nItems: 7 };
const makers: [string, () => RatingModel][] = [
  ['bias baseline', () => createBiasBaseline({ ...sizes, ratingRange: [0.5, 5] })],
  [
    'biased MF',
    () =>
      createBiasedMatrixFactorization({ ...sizes, nFactors: 3, ratingRange: [0.5, 5], initStd: 1 }),
  ],
  ['EmbeddingDotBias', () => createEmbeddingDotBias({ ...sizes, nFactors: 4, seed: 2 })],
  [
    'EmbeddingNet',
    () => createEmbeddingNet({ ...sizes, nFactors: 3, hidden: [4], ratingRange: [0.5, 5] }),
  ],
  [
    'ensemble',
    () =>
      createEnsemble(
        [
          createEmbeddingDotBias({ ...sizes, nFactors: 4, seed: 2 }),
          createEmbeddingNet({ ...sizes, nFactors: 3, hidden: [4], ratingRange: [0.5, 5] }),
        ],
        { weights: [0.5, 0.5], ratingRange: [0.5, 5] },
      ),
  ],
];

describeEachBackend('models after their parameters are relocated', () => {
  const userIndex = Int32Array.from({ length: 42 }, (_, k) => k % 6);
  const itemIndex = Int32Array.from({ length: 42 }, (_, k) => (k * 5) % 7);
  const rating = Float32Array.from({ length: 42 }, (_, k) => 1 + (k % 5));

  for (const [name, make] of makers) {
    it(`${name}: reads the new storage, never the old array`, () => {
      const moved = make();
      const kept = make();
      for (const p of moved.parameters) {
        const old = p.values;
        p.relocate(new Float32Array(old.length));
        old.fill(NaN); // a model still reading the old array would predict NaN
      }
      // change the values through the new arrays (and in place in the other model)
      for (const model of [moved, kept]) {
        for (const p of model.parameters) {
          for (let k = 0; k < p.values.length; k++) p.values[k] = p.values[k]! * 0.5 + 0.01 * k;
          p.markChanged();
        }
      }
      expectClose(moved.predict(userIndex, itemIndex), kept.predict(userIndex, itemIndex), 1e-6);
      const batch = { userIndex, itemIndex, rating };
      expect(moved.lossAndGradients(batch, { training: false }).loss).toBeCloseTo(
        kept.lossAndGradients(batch, { training: false }).loss,
        6,
      );
      moved.dispose();
      kept.dispose();
    });
  }

  it('an ensemble parameter relocates its member parameter (one storage)', () => {
    const member = createEmbeddingDotBias({ ...sizes, nFactors: 4, seed: 2 });
    const ensemble = createEnsemble([member], { weights: [1], ratingRange: [0.5, 5] });
    const view = ensemble.parameters[0]!;
    const into = new Float32Array(view.values.length);
    const version = view.version;
    view.relocate(into);
    expect(view.values).toBe(into);
    expect(member.parameters[0]!.values).toBe(into);
    expect(member.parameters[0]!.version).toBe(version + 1);
    ensemble.dispose();
  });
});
