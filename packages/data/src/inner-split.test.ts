import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { innerSplit } from './inner-split.js';
import { splitByCvIdxs } from './split-by-cv-idxs.js';

describe('innerSplit', () => {
  it("holds out the training rows at np.random.seed(42)'s permutation(10)[:2] = [8, 1]", () => {
    const split = {
      train: Int32Array.of(3, 5, 10, 11, 20, 21, 22, 30, 31, 40),
      valid: Int32Array.of(1, 2),
    };
    // positions 1 and 8 of the training rows: rows 5 and 31
    expect(innerSplit(split)).toEqual({
      train: Int32Array.of(3, 10, 11, 20, 21, 22, 30, 40),
      valid: Int32Array.of(5, 31),
    });
    // np.random.seed(0); permutation(10) = [2 8 4 9 1 6 7 3 0 5]: valPct 0.3 holds positions 2, 8, 4 (rows 10, 31, 20)
    expect(Array.from(innerSplit(split, { valPct: 0.3, seed: 0 }).valid)).toEqual([10, 20, 31]);
  });

  it('partitions the training rows of a fold, never touching its validation rows', () => {
    const fold = splitByCvIdxs(100836, { cvIdx: 2 });
    const inner = innerSplit(fold);
    expect(inner.valid).toHaveLength(Math.trunc(0.2 * fold.train.length));
    expect(inner.train.length + inner.valid.length).toBe(fold.train.length);
    const inTrain = new Set(fold.train);
    const seen = new Set<number>();
    for (const side of [inner.train, inner.valid]) {
      for (let p = 0; p < side.length; p++) {
        expect(inTrain.has(side[p]!)).toBe(true);
        if (p > 0) expect(side[p]!).toBeGreaterThan(side[p - 1]!);
        seen.add(side[p]!);
      }
    }
    expect(seen.size).toBe(fold.train.length);
  });

  it('takes training rows in any order (predefined folds are in file order), and refuses none', () => {
    const sorted = { train: Int32Array.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9), valid: new Int32Array(0) };
    const shuffled = {
      train: Int32Array.of(9, 2, 0, 4, 8, 1, 3, 7, 6, 5),
      valid: new Int32Array(0),
    };
    expect(innerSplit(shuffled)).toEqual(innerSplit(sorted));
    expect(Array.from(innerSplit(shuffled).valid)).toEqual([1, 8]);
    expectError(
      () => innerSplit({ train: new Int32Array(0), valid: Int32Array.of(0) }),
      InvalidArgumentError,
      { argument: 'split' },
    );
  });
});
