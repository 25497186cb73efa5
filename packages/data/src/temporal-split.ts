import { InvalidArgumentError } from './errors.js';
import type { RatingsTable } from './ratings-table.js';
import { groupRowsByUser, splitFromMask, type Split } from './split.js';
import { assertValPct, roundedValidCount } from './validate.js';

/** Options of {@link temporalSplit}. */
export interface TemporalSplitOptions {
  /** Fraction of rows (or of each user's rows) held out, in (0, 1); counts are `Math.round`ed. */
  valPct: number;
  /** Hold out each user's latest ratings rather than the latest ratings overall. Default false. */
  perUser?: boolean;
}

/**
 * A split by time, with no randomness. Rows are ordered by timestamp, ties by row index (the
 * later row counts as later).
 * - Global (`perUser: false`): the latest `Math.round(valPct * n)` rows go to validation; throws
 *   {@link InvalidArgumentError} if that leaves either side empty.
 * - Per user (`perUser: true`): each user's latest `min(Math.round(valPct * count), count - 1)`
 *   rows go to validation, so every user keeps at least one training row (validation may be empty
 *   when users have few ratings).
 *
 * Both sides are ascending. Throws {@link InvalidArgumentError} (`argument: 'table'`) when the table
 * has no timestamps, and when `valPct` is outside (0, 1).
 */
export function temporalSplit(table: RatingsTable, options: TemporalSplitOptions): Split {
  const { valPct, perUser = false } = options;
  assertValPct(valPct);
  const timestamp = table.timestamp;
  if (!timestamp) {
    throw new InvalidArgumentError(
      'table',
      `${table.source} has no timestamps, so it cannot be split by time; load a file with a timestamp column or use randomHoldoutSplit`,
    );
  }
  return perUser ? perUserSplit(table, timestamp, valPct) : globalSplit(timestamp, valPct);
}

function globalSplit(timestamp: Int32Array | Float64Array, valPct: number): Split {
  const n = timestamp.length;
  const nValid = roundedValidCount(valPct, n);
  // The nValid-th latest timestamp is the threshold: rows after it are held out, and among rows
  // at it the highest row indices fill the remaining places. A native numeric sort, no comparator.
  const threshold = Float64Array.from(timestamp).sort()[n - nValid]!;
  const mask = new Uint8Array(n);
  let remaining = nValid;
  for (let r = 0; r < n; r++) {
    if (timestamp[r]! > threshold) {
      mask[r] = 1;
      remaining--;
    }
  }
  for (let r = n - 1; r >= 0 && remaining > 0; r--) {
    if (timestamp[r] === threshold) {
      mask[r] = 1;
      remaining--;
    }
  }
  return splitFromMask(mask);
}

function perUserSplit(
  table: RatingsTable,
  timestamp: Int32Array | Float64Array,
  valPct: number,
): Split {
  const { offsets, rows } = groupRowsByUser(table);
  const mask = new Uint8Array(rows.length);
  const byTime = (a: number, b: number): number => timestamp[a]! - timestamp[b]! || a - b;
  for (let u = 0; u + 1 < offsets.length; u++) {
    const start = offsets[u]!;
    const end = offsets[u + 1]!;
    const nValid = Math.min(Math.round(valPct * (end - start)), end - start - 1);
    if (nValid <= 0) continue;
    const userRows = rows.subarray(start, end).sort(byTime);
    for (let i = userRows.length - nValid; i < userRows.length; i++) mask[userRows[i]!] = 1;
  }
  return splitFromMask(mask);
}
