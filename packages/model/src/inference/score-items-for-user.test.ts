import { expect, it } from 'vitest';
import { describeEachBackend, expectClose } from '@cf/test-utils';
import { createEmbeddingDotBias } from '../models/embedding-dot-bias.js';
import type { RatingModel } from '../models/rating-model.js';
import { scoreItemsByPredict } from './score-items-by-predict.js';
import {
  modelsOfEveryKind,
  randomizeParameters,
  withoutFastPath,
} from '../models/models-for-test.test-helper.js';

// 43 items: not a multiple of the eight items the dot-product kernels take at a time
const nUsers = 9;
const nItems = 43;
const allItems = Int32Array.from({ length: nItems }, (_, i) => i);

/** `predict` for every item of one user: what the fast path must reproduce. */
function predictAll(model: RatingModel, user: number, items: Int32Array): Float32Array {
  return model.predict(new Int32Array(items.length).fill(user), items);
}

describeEachBackend('scoreItemsForUser', () => {
  for (const [name, model] of modelsOfEveryKind(nUsers, nItems)) {
    it(`${name}: equals predict for every user over all items, and over a subset in any order`, () => {
      expect(typeof model.scoreItemsForUser).toBe('function');
      const out = new Float32Array(nItems + 5).fill(NaN);
      for (let u = 0; u < nUsers; u++) {
        const scores = model.scoreItemsForUser!(u, allItems, out);
        expect(scores.length).toBe(nItems);
        expect(scores.buffer).toBe(out.buffer);
        expectClose(scores, predictAll(model, u, allItems), 0, 1e-6);
      }
      // the predictions spread: a kernel that ignored the item (or the user) would not match
      const first = predictAll(model, 0, allItems);
      expect(Math.max(...first) - Math.min(...first)).toBeGreaterThan(0.05);
      const subset = Int32Array.of(42, 7, 7, 0, 19, 3, 41);
      expectClose(model.scoreItemsForUser!(4, subset, out), predictAll(model, 4, subset), 0, 1e-6);
      expect(model.scoreItemsForUser!(4, new Int32Array(0), out).length).toBe(0);
    });

    it(`${name}: follows changed parameters and rejects bad indices`, () => {
      const before = model.scoreItemsForUser!(2, allItems, new Float32Array(nItems)).slice();
      const p = model.parameters.find((q) => /itemEmbedding|itemBias/.test(q.name))!;
      const saved = p.values.slice();
      for (let k = 0; k < p.values.length; k++) p.values[k] = p.values[k]! * 0.5 - 0.1;
      p.markChanged();
      const after = model.scoreItemsForUser!(2, allItems, new Float32Array(nItems));
      expect(Array.from(after)).not.toEqual(Array.from(before));
      expectClose(after, predictAll(model, 2, allItems), 0, 1e-6);
      p.values.set(saved);
      p.markChanged();
      expectClose(model.scoreItemsForUser!(2, allItems, new Float32Array(nItems)), before, 0, 1e-6);

      const out = new Float32Array(nItems);
      expect(() => model.scoreItemsForUser!(nUsers, allItems, out)).toThrow(RangeError);
      expect(() => model.scoreItemsForUser!(-1, allItems, out)).toThrow(RangeError);
      expect(() => model.scoreItemsForUser!(1.5, allItems, out)).toThrow(RangeError);
      expect(() => model.scoreItemsForUser!(0, Int32Array.of(1, nItems), out)).toThrow(RangeError);
      expect(() => model.scoreItemsForUser!(0, Int32Array.of(-1), out)).toThrow(RangeError);
      expect(() => model.scoreItemsForUser!(0, allItems, new Float32Array(nItems - 1))).toThrow(
        RangeError,
      );
    });
  }

  it('falls back to predict for a model without a fast path (scoreItemsByPredict)', () => {
    const model = randomizeParameters(createEmbeddingDotBias({ nUsers, nItems, nFactors: 4 }), 9);
    const plain = withoutFastPath(model);
    const out = new Float32Array(nItems);
    expectClose(scoreItemsByPredict(plain, 3, allItems, out), predictAll(model, 3, allItems), 0, 0);
    expect(() => scoreItemsByPredict(plain, 3, allItems, new Float32Array(2))).toThrow(RangeError);
  });
});
