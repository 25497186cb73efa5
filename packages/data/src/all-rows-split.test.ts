import { describe, expect, it } from 'vitest';
import { allRowsSplit } from './all-rows-split.js';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { getCvIdxs } from './get-cv-idxs.js';
import { randomHoldoutSplit } from './random-holdout-split.js';
import { createRatingsTable } from './ratings-table.js';
import { splitByCvIdxs } from './split-by-cv-idxs.js';

describe('allRowsSplit', () => {
  it('trains on every row, ascending, and validates on none', () => {
    const split = allRowsSplit(5);
    expect(split.train).toBeInstanceOf(Int32Array);
    expect(Array.from(split.train)).toEqual([0, 1, 2, 3, 4]);
    expect(split.valid).toBeInstanceOf(Int32Array);
    expect(split.valid).toHaveLength(0);
    const table = createRatingsTable([
      { userId: 1, itemId: 1, rating: 3 },
      { userId: 2, itemId: 1, rating: 4 },
    ]);
    expect(Array.from(allRowsSplit(table).train)).toEqual([0, 1]);
    expect(allRowsSplit(0).train).toHaveLength(0);
    expectError(() => allRowsSplit(-1), InvalidArgumentError);
  });

  it('the split helpers refuse valPct 0 and name allRowsSplit', () => {
    for (const fn of [
      () => getCvIdxs(10, { valPct: 0 }),
      () => splitByCvIdxs(10, { valPct: 0 }),
      () => randomHoldoutSplit(10, { valPct: 0 }),
    ]) {
      const error = expectError(fn, InvalidArgumentError, { argument: 'valPct' });
      expect(error.message).toMatch(/allRowsSplit\(table\) \(cf train --all\)/);
    }
    // other bad fractions keep the plain message
    const error = expectError(() => getCvIdxs(10, { valPct: 1 }), InvalidArgumentError);
    expect(error.message).not.toMatch(/allRowsSplit/);
  });
});
