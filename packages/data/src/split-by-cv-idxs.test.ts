import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { getCvIdxs } from './get-cv-idxs.js';
import { createRatingsTable } from './ratings-table.js';
import { splitByCvIdxs } from './split-by-cv-idxs.js';
import { expectPartition } from './split.test-helper.js';

describe('splitByCvIdxs', () => {
  it('valid is getCvIdxs in ascending order (fastai split_by_idx mask), train the rest', () => {
    const split = splitByCvIdxs(100836, { cvIdx: 3, seed: 42 });
    const expected = Array.from(getCvIdxs(100836, { cvIdx: 3, seed: 42 })).sort((a, b) => a - b);
    expect(Array.from(split.valid)).toEqual(expected);
    expect(split.valid).toHaveLength(20167);
    expect(split.train).toHaveLength(100836 - 20167);
    expectPartition(split, 100836);
  });

  it('on np.random.seed(42) permutation(10) = [8 1 5 0 7 2 9 4 3 6]', () => {
    expect(splitByCvIdxs(10)).toEqual({
      train: Int32Array.from([0, 2, 3, 4, 5, 6, 7, 9]),
      valid: Int32Array.from([1, 8]),
    });
    expect(Array.from(splitByCvIdxs(10, { cvIdx: 1 }).valid)).toEqual([0, 5]);
  });

  it('takes a table as well as a row count', () => {
    const table = createRatingsTable(
      Array.from({ length: 10 }, (_, r) => ({ userId: r % 3, itemId: r, rating: 3 })),
    );
    expect(splitByCvIdxs(table, { seed: 1 })).toEqual(splitByCvIdxs(10, { seed: 1 }));
  });

  it('is deterministic for a seed and changes with it', () => {
    expect(splitByCvIdxs(1000, { seed: 5 })).toEqual(splitByCvIdxs(1000, { seed: 5 }));
    expect(splitByCvIdxs(1000, { seed: 5 }).valid).not.toEqual(
      splitByCvIdxs(1000, { seed: 6 }).valid,
    );
  });

  it('rejects bad arguments', () => {
    expectError(() => splitByCvIdxs(-3), InvalidArgumentError, { argument: 'n' });
    expectError(() => splitByCvIdxs(10, { valPct: 1.2 }), InvalidArgumentError, {
      argument: 'valPct',
    });
    expectError(() => splitByCvIdxs(10, { cvIdx: 5 }), InvalidArgumentError, { argument: 'cvIdx' });
  });
});
