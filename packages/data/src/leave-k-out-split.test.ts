import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { leaveKOutSplit } from './leave-k-out-split.js';
import { NumpyRandomState } from './numpy-random.js';
import { createRatingsTable, type RatingsTable } from './ratings-table.js';
import { expectPartition } from './split.test-helper.js';

// a: rows 0 2 5 8 10 (5 ratings), b: 1 6 (2), c: 3 (1), d: 4 7 9 (3)
const users = ['a', 'b', 'a', 'c', 'd', 'a', 'b', 'd', 'a', 'd', 'a'];
const table = createRatingsTable(users.map((userId, r) => ({ userId, itemId: r, rating: 4 })));

function trainCountPerUser(t: RatingsTable, train: Int32Array): Int32Array {
  const counts = new Int32Array(t.userIds.size);
  for (const row of train) counts[t.userIndex[row]!]!++;
  return counts;
}

describe('leaveKOutSplit', () => {
  it('holds out min(k, count - 1) ratings per user, chosen as numpy would', () => {
    // Reference: one RandomState(seed); per user in index order, for i from count-1 down:
    // j = randint(0, i + 1); swap rows[i], rows[j]; hold out rows[i].
    expect(Array.from(leaveKOutSplit(table, { k: 2, seed: 42 }).valid)).toEqual([0, 1, 7, 8, 9]);
    expect(Array.from(leaveKOutSplit(table, { k: 2, seed: 0 }).valid)).toEqual([4, 6, 7, 8, 10]);
  });

  it('keeps at least one training rating for every user, exactly one when count ≤ k', () => {
    const split = leaveKOutSplit(table, { k: 5 });
    expectPartition(split, users.length);
    expect(Array.from(trainCountPerUser(table, split.train))).toEqual([1, 1, 1, 1]);
    expect(split.valid).toHaveLength(4 + 1 + 0 + 2);
  });

  it('on a larger random table: k per user when possible, ≥ 1 train for all, deterministic', () => {
    const random = new NumpyRandomState(11);
    const rows = Array.from({ length: 2000 }, (_, r) => ({
      userId: random.randomInterval(149),
      itemId: r,
      rating: 1,
    }));
    const big = createRatingsTable(rows);
    const split = leaveKOutSplit(big, { k: 3, seed: 8 });
    expectPartition(split, 2000);
    const ratingsPerUser = trainCountPerUser(big, Int32Array.from(rows.keys()));
    const trainPerUser = trainCountPerUser(big, split.train);
    for (let u = 0; u < big.userIds.size; u++) {
      expect(trainPerUser[u]).toBe(Math.max(1, ratingsPerUser[u]! - 3));
    }
    expect(leaveKOutSplit(big, { k: 3, seed: 8 })).toEqual(split);
    expect(leaveKOutSplit(big, { k: 3, seed: 9 }).valid).not.toEqual(split.valid);
  });

  it('rejects k that is not an integer ≥ 1', () => {
    for (const k of [0, -1, 1.5]) {
      expectError(() => leaveKOutSplit(table, { k }), InvalidArgumentError, { argument: 'k' });
    }
    expectError(() => leaveKOutSplit(table, { k: 1, seed: -2 }), InvalidArgumentError, {
      argument: 'seed',
    });
  });
});
