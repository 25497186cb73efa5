import { describe, expect, it } from 'vitest';
import { describeSplit } from './describe-split.js';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { createRatingsTable } from './ratings-table.js';

const table = createRatingsTable(
  [
    ['u1', 'i1'], // 0
    ['u1', 'i2'], // 1
    ['u2', 'i1'], // 2
    ['u3', 'i3'], // 3: unseen user and item
    ['u2', 'i4'], // 4: unseen item
    ['u3', 'i1'], // 5: unseen user
    ['u3', 'i3'], // 6: unseen user and item again
  ].map(([userId, itemId]) => ({ userId: userId!, itemId: itemId!, rating: 5 })),
);

describe('describeSplit', () => {
  it('counts validation rows and distinct users/items unseen in training', () => {
    const split = { train: Int32Array.from([0, 1, 2]), valid: Int32Array.from([3, 4, 5, 6]) };
    expect(describeSplit(table, split)).toEqual({
      nTrain: 3,
      nValid: 4,
      validRowsWithUnseenUser: 3,
      validRowsWithUnseenItem: 3,
      validRowsWithUnseenUserOrItem: 4,
      unseenUsers: 1,
      unseenItems: 2,
    });
  });

  it('reports zeros when training covers every user and item', () => {
    const split = { train: Int32Array.from([0, 1, 3, 4, 5]), valid: Int32Array.from([2, 6]) };
    expect(describeSplit(table, split)).toMatchObject({
      nTrain: 5,
      nValid: 2,
      validRowsWithUnseenUserOrItem: 0,
      unseenUsers: 0,
      unseenItems: 0,
    });
  });

  it('rejects a row outside the table', () => {
    const split = { train: Int32Array.from([0]), valid: Int32Array.from([7]) };
    expectError(() => describeSplit(table, split), InvalidArgumentError, { argument: 'split' });
  });
});
