import type { RatingsTable } from './ratings-table.js';
import { assertRowCount } from './validate.js';

/**
 * A train/validation split: row indices into a {@link RatingsTable} (never copies of its data).
 * Every split function of cf returns both arrays in ascending row order, the two are disjoint,
 * and together they cover the rows the split was asked about.
 */
export interface Split {
  /** Training row indices, ascending. */
  readonly train: Int32Array;
  /** Validation row indices, ascending. */
  readonly valid: Int32Array;
}

/** What a split over rows can be given: a row count `n` or the table itself (its row count is used). */
export type RowSource = number | RatingsTable;

/** The row count of a {@link RowSource}, validated (non-negative integer). */
export function rowCountOf(source: RowSource): number {
  const n = typeof source === 'number' ? source : source.rating.length;
  assertRowCount(n);
  return n;
}

/**
 * Turns a 0/1 mask over `0..mask.length-1` (1 = validation) into a {@link Split}, both sides
 * ascending. This is fastai 0.7's `split_by_idx` boolean-mask behaviour.
 */
export function splitFromMask(mask: Uint8Array): Split {
  let nValid = 0;
  for (let r = 0; r < mask.length; r++) nValid += mask[r]!;
  const train = new Int32Array(mask.length - nValid);
  const valid = new Int32Array(nValid);
  let t = 0;
  let v = 0;
  for (let r = 0; r < mask.length; r++) {
    if (mask[r]) valid[v++] = r;
    else train[t++] = r;
  }
  return { train, valid };
}

/** A table's rows grouped by user: user `u` owns `rows[offsets[u] .. offsets[u+1]-1]`, ascending. */
export interface RowsByUser {
  /** `nUsers + 1` offsets into {@link RowsByUser.rows}. */
  readonly offsets: Int32Array;
  /** Every row index once, grouped by user index, ascending within a user. */
  readonly rows: Int32Array;
}

/** Groups a table's rows by user index with a counting sort (O(rows + users), no per-row objects). */
export function groupRowsByUser(table: RatingsTable): RowsByUser {
  const nUsers = table.userIds.size;
  const userIndex = table.userIndex;
  const offsets = new Int32Array(nUsers + 1);
  for (let r = 0; r < userIndex.length; r++) offsets[userIndex[r]! + 1]!++;
  for (let u = 0; u < nUsers; u++) offsets[u + 1]! += offsets[u]!;
  const cursor = offsets.slice(0, nUsers);
  const rows = new Int32Array(userIndex.length);
  for (let r = 0; r < userIndex.length; r++) rows[cursor[userIndex[r]!]!++] = r;
  return { offsets, rows };
}
