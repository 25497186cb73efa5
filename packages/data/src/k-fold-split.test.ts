import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { kFoldSplit } from './k-fold-split.js';
import { expectPartition } from './split.test-helper.js';

describe('kFoldSplit', () => {
  it('cuts np.random.seed(42) permutation(10) = [8 1 5 0 7 2 9 4 3 6] into 4, 3, 3', () => {
    const folds = [0, 1, 2].map((fold) => Array.from(kFoldSplit(10, { k: 3, fold }).valid));
    expect(folds).toEqual([
      [0, 1, 5, 8],
      [2, 7, 9],
      [3, 4, 6],
    ]);
  });

  it('folds are disjoint, cover every row, and sizes differ by at most one', () => {
    const n = 103;
    const seen = new Uint8Array(n);
    const sizes: number[] = [];
    for (let fold = 0; fold < 5; fold++) {
      const split = kFoldSplit(n, { k: 5, fold, seed: 9 });
      expectPartition(split, n);
      sizes.push(split.valid.length);
      for (const row of split.valid) seen[row]!++;
    }
    expect(sizes).toEqual([21, 21, 21, 20, 20]);
    expect(Array.from(seen).every((count) => count === 1)).toBe(true);
  });

  it('is deterministic for a seed and changes with it', () => {
    expect(kFoldSplit(500, { k: 4, fold: 2, seed: 3 })).toEqual(
      kFoldSplit(500, { k: 4, fold: 2, seed: 3 }),
    );
    expect(kFoldSplit(500, { k: 4, fold: 2, seed: 3 }).valid).not.toEqual(
      kFoldSplit(500, { k: 4, fold: 2, seed: 4 }).valid,
    );
  });

  it('rejects k < 2, k > n, a fold out of range and n < 0', () => {
    expectError(() => kFoldSplit(10, { k: 1, fold: 0 }), InvalidArgumentError, { argument: 'k' });
    expectError(() => kFoldSplit(10, { k: 2.5, fold: 0 }), InvalidArgumentError, { argument: 'k' });
    expectError(() => kFoldSplit(3, { k: 4, fold: 0 }), InvalidArgumentError, { argument: 'k' });
    expectError(() => kFoldSplit(10, { k: 3, fold: 3 }), InvalidArgumentError, {
      argument: 'fold',
    });
    expectError(() => kFoldSplit(10, { k: 3, fold: -1 }), InvalidArgumentError, {
      argument: 'fold',
    });
    expectError(() => kFoldSplit(-1, { k: 3, fold: 0 }), InvalidArgumentError, { argument: 'n' });
  });
});
