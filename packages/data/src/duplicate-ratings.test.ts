import { describe, expect, it } from 'vitest';
import { applyDuplicatePolicy, findDuplicateRatings } from './duplicate-ratings.js';
import { createRatingsTable } from './ratings-table.js';

const table = (pairs: [number, string][]) =>
  createRatingsTable(pairs.map(([userId, itemId], k) => ({ userId, itemId, rating: k + 1 })));

describe('findDuplicateRatings and the keep-all count', () => {
  // grouped by user (no scratch order array) and interleaved users (counting sort)
  const grouped = table([
    [1, 'a'],
    [1, 'b'],
    [1, 'a'],
    [2, 'a'],
    [2, 'b'],
    [2, 'b'],
  ]);
  const interleaved = table([
    [1, 'a'],
    [2, 'a'],
    [1, 'b'],
    [2, 'a'],
    [1, 'a'],
    [3, 'a'],
  ]);

  it('finds the first row of each repeated pair in grouped and interleaved tables', () => {
    expect(findDuplicateRatings(grouped)).toEqual({
      firstRow: Int32Array.of(0, 1, 0, 3, 4, 4),
      duplicateCount: 2,
    });
    expect(findDuplicateRatings(interleaved)).toEqual({
      firstRow: Int32Array.of(0, 1, 2, 1, 0, 5),
      duplicateCount: 2,
    });
  });

  it('counts the same repeats under keep-all without changing the table', () => {
    for (const t of [grouped, interleaved]) {
      const result = applyDuplicatePolicy(t, 'keep-all');
      expect(result.duplicateCount).toBe(2);
      expect(result.table).toBe(t);
      expect(result.keptRows).toBeUndefined();
    }
    expect(
      applyDuplicatePolicy(
        table([
          [1, 'a'],
          [2, 'a'],
        ]),
        'keep-all',
      ).duplicateCount,
    ).toBe(0);
  });
});
