import { InvalidArgumentError } from './errors.js';
import { NumpyRandomState } from './numpy-random.js';
import type { RatingsTable } from './ratings-table.js';
import { groupRowsByUser, splitFromMask, type Split } from './split.js';

/** Options of {@link leaveKOutSplit}. */
export interface LeaveKOutSplitOptions {
  /** Ratings per user held out for validation, an integer ≥ 1. */
  k: number;
  /** Seed of the numpy legacy `RandomState` that picks the ratings. Default 42. */
  seed?: number;
}

/**
 * Per-user leave-k-out: each user's `min(k, count - 1)` randomly chosen ratings go to validation
 * and the rest to training, so every user keeps at least one training rating (a user with one
 * rating only has it in training; a user with ≤ k ratings keeps exactly one). The choice is seeded:
 * one `RandomState(seed)` visits users in index order and, within each user's rows (ascending),
 * runs numpy's Fisher–Yates from the last position down for `min(k, count - 1)` steps; the
 * positions it fills are held out. Both sides are ascending.
 * Throws {@link InvalidArgumentError} when `k` is not an integer ≥ 1.
 */
export function leaveKOutSplit(table: RatingsTable, options: LeaveKOutSplitOptions): Split {
  const { k, seed = 42 } = options;
  if (!Number.isInteger(k) || k < 1) {
    throw new InvalidArgumentError(
      'k',
      `expected an integer number of held-out ratings ≥ 1, got ${k}`,
    );
  }
  const random = new NumpyRandomState(seed);
  const { offsets, rows } = groupRowsByUser(table);
  const mask = new Uint8Array(rows.length);
  for (let u = 0; u + 1 < offsets.length; u++) {
    const start = offsets[u]!;
    const count = offsets[u + 1]! - start;
    const nValid = Math.min(k, count - 1);
    for (let i = count - 1; i >= count - nValid; i--) {
      const j = random.randomInterval(i);
      const held = rows[start + j]!;
      rows[start + j] = rows[start + i]!;
      rows[start + i] = held;
      mask[held] = 1;
    }
  }
  return splitFromMask(mask);
}
