import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { createRatingsTable } from './ratings-table.js';
import { groupRowsByUser, rowCountOf, splitFromMask } from './split.js';

describe('split helpers', () => {
  it('splitFromMask gives both sides ascending', () => {
    const split = splitFromMask(Uint8Array.from([0, 1, 1, 0, 0, 1]));
    expect(Array.from(split.train)).toEqual([0, 3, 4]);
    expect(Array.from(split.valid)).toEqual([1, 2, 5]);
  });

  it('groupRowsByUser groups rows by user index, ascending within a user', () => {
    const table = createRatingsTable(
      ['a', 'b', 'a', 'c', 'b', 'a'].map((userId, r) => ({ userId, itemId: r, rating: 1 })),
    );
    const { offsets, rows } = groupRowsByUser(table);
    expect(Array.from(offsets)).toEqual([0, 3, 5, 6]);
    expect(Array.from(rows)).toEqual([0, 2, 5, 1, 4, 3]);
  });

  it('rowCountOf takes a count or a table and rejects a negative count', () => {
    const table = createRatingsTable([{ userId: 1, itemId: 1, rating: 1 }]);
    expect(rowCountOf(table)).toBe(1);
    expect(rowCountOf(7)).toBe(7);
    expectError(() => rowCountOf(-1), InvalidArgumentError, { argument: 'n' });
  });
});
