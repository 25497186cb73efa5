import { CsvParseError } from './errors.js';
import type { IdOrder } from './id-map.js';
import { RatingsTableBuilder, type RatingsTable } from './ratings-table.js';

/**
 * What to do with rows that rate the same (user, item) pair again: keep them all (default), keep
 * only the last row of each pair (at its own position, like pandas `drop_duplicates(keep='last')`),
 * keep one row per pair at its first position with the mean rating and the latest timestamp, or
 * throw a {@link CsvParseError} at the first repeat.
 */
export type DuplicatePolicy = 'keep-all' | 'keep-last' | 'average' | 'error';

/** Whether every user's rows are contiguous with indices rising (a grouped-by-user file read in first-appearance order). */
function isGroupedByUser(userIndex: Int32Array): boolean {
  for (let r = 1; r < userIndex.length; r++) if (userIndex[r]! < userIndex[r - 1]!) return false;
  return true;
}

/**
 * Row order grouped by user: undefined when the table already is (no scratch array), else a stable
 * counting sort's order (4 bytes a row) and each user's start in it.
 */
function groupByUser(table: RatingsTable): { order: Int32Array | undefined; start: Int32Array } {
  const { userIndex } = table;
  const n = userIndex.length;
  const nUsers = table.userIds.size;
  const start = new Int32Array(nUsers + 1);
  for (let r = 0; r < n; r++) start[userIndex[r]! + 1]!++;
  for (let u = 0; u < nUsers; u++) start[u + 1]! += start[u]!;
  if (isGroupedByUser(userIndex)) return { order: undefined, start };
  const fill = start.slice(0, nUsers);
  const order = new Int32Array(n);
  for (let r = 0; r < n; r++) order[fill[userIndex[r]!]!++] = r;
  return { order, start };
}

/** How many rows repeat an earlier (user, item) pair, without the per-row array of {@link findDuplicateRatings}. */
function countDuplicateRatings(table: RatingsTable): number {
  const { itemIndex, userIndex } = table;
  // One pass while the rows are grouped by user (each user's rows contiguous, indices rising):
  // an item seen earlier by the same user is a repeat.
  const lastUserOf = new Int32Array(table.itemIds.size).fill(-1);
  let repeats = 0;
  let previous = -1;
  let r = 0;
  for (const n = userIndex.length; r < n; r++) {
    const u = userIndex[r]!;
    if (u < previous) break;
    previous = u;
    const i = itemIndex[r]!;
    if (lastUserOf[i] === u) repeats++;
    else lastUserOf[i] = u;
  }
  if (r === userIndex.length) return repeats;
  return countUngroupedDuplicates(table);
}

/** {@link countDuplicateRatings} for rows not grouped by user: grouped through a counting sort. */
function countUngroupedDuplicates(table: RatingsTable): number {
  const { itemIndex } = table;
  const { order, start } = groupByUser(table);
  const seenBy = new Int32Array(table.itemIds.size).fill(-1);
  let duplicateCount = 0;
  for (let u = 0; u + 1 < start.length; u++) {
    for (let k = start[u]!; k < start[u + 1]!; k++) {
      const i = itemIndex[order ? order[k]! : k]!;
      if (seenBy[i] === u) duplicateCount++;
      else seenBy[i] = u;
    }
  }
  return duplicateCount;
}

/**
 * For every row, the first row with the same (user, item) pair (itself when it is the first), and
 * how many rows repeat an earlier pair. O(rows + users + items) time; 4 bytes a row of scratch
 * when the rows are not grouped by user.
 */
export function findDuplicateRatings(table: RatingsTable): {
  firstRow: Int32Array;
  duplicateCount: number;
} {
  const { itemIndex } = table;
  const n = itemIndex.length;
  // Group rows by user, then within a user an item seen twice is a repeat.
  const { order, start } = groupByUser(table);
  const seenBy = new Int32Array(table.itemIds.size).fill(-1);
  const rowOf = new Int32Array(table.itemIds.size);
  const firstRow = new Int32Array(n);
  let duplicateCount = 0;
  for (let u = 0; u + 1 < start.length; u++) {
    for (let k = start[u]!; k < start[u + 1]!; k++) {
      const r = order ? order[k]! : k;
      const i = itemIndex[r]!;
      if (seenBy[i] === u) {
        firstRow[r] = rowOf[i]!;
        duplicateCount++;
      } else {
        seenBy[i] = u;
        rowOf[i] = r;
        firstRow[r] = r;
      }
    }
  }
  return { firstRow, duplicateCount };
}

/** Options of {@link applyDuplicatePolicy}. */
export interface ApplyDuplicatePolicyOptions {
  /** Id order of a rebuilt table. Default `'first-appearance'`. */
  idOrder?: IdOrder;
  /** 1-based source line of each row, for the message of the `'error'` policy. */
  lineOfRow?: Int32Array | undefined;
}

/** The result of {@link applyDuplicatePolicy}. */
export interface DuplicatePolicyResult {
  table: RatingsTable;
  /** Rows that repeated an earlier (user, item) pair in the input. */
  duplicateCount: number;
  /** The input rows kept, in order, when rows were dropped; undefined when the table is unchanged. */
  keptRows: Int32Array | undefined;
}

/**
 * Applies a {@link DuplicatePolicy} to a table. When rows are dropped the table is rebuilt, so
 * the id maps follow the first appearance among the kept rows (as `drop_duplicates` then
 * `unique` would give in pandas).
 */
export function applyDuplicatePolicy(
  table: RatingsTable,
  policy: DuplicatePolicy,
  options: ApplyDuplicatePolicyOptions = {},
): DuplicatePolicyResult {
  if (policy === 'keep-all')
    return { table, duplicateCount: countDuplicateRatings(table), keptRows: undefined };
  const { firstRow, duplicateCount } = findDuplicateRatings(table);
  if (duplicateCount === 0) return { table, duplicateCount, keptRows: undefined };
  const n = firstRow.length;
  if (policy === 'error') {
    let r = 0;
    while (firstRow[r] === r) r++;
    const first = firstRow[r]!;
    const lineOf = (row: number): number => options.lineOfRow?.[row] ?? row + 1;
    throw new CsvParseError(
      { file: table.source, line: lineOf(r) },
      `one rating per (user, item) pair, but user ${JSON.stringify(table.userIds.idAt(table.userIndex[r]!))} rated item ${JSON.stringify(table.itemIds.idAt(table.itemIndex[r]!))} already at line ${lineOf(first)} (${duplicateCount} repeated pairs in all); pass duplicates: 'keep-last', 'average' or 'keep-all'`,
    );
  }
  const keep = new Uint8Array(n);
  const rating = new Float64Array(n);
  const timestamp = table.timestamp ? Float64Array.from(table.timestamp) : undefined;
  if (policy === 'keep-last') {
    const lastOf = new Int32Array(n);
    for (let r = 0; r < n; r++) lastOf[firstRow[r]!] = r;
    for (let r = 0; r < n; r++) if (firstRow[r] === r) keep[lastOf[r]!] = 1;
    rating.set(table.rating);
  } else {
    const count = new Int32Array(n);
    for (let r = 0; r < n; r++) {
      const f = firstRow[r]!;
      rating[f]! += table.rating[r]!;
      count[f]!++;
      if (timestamp && f !== r && timestamp[r]! > timestamp[f]!) timestamp[f] = timestamp[r]!;
    }
    for (let r = 0; r < n; r++) {
      if (firstRow[r] === r) {
        keep[r] = 1;
        rating[r]! /= count[r]!;
      }
    }
  }
  const keptRows = new Int32Array(n - duplicateCount);
  const builder = new RatingsTableBuilder({
    initialCapacity: keptRows.length,
    source: table.source,
    implicit: table.implicit,
    ...(options.idOrder ? { idOrder: options.idOrder } : {}),
  });
  let k = 0;
  for (let r = 0; r < n; r++) {
    if (!keep[r]) continue;
    keptRows[k++] = r;
    builder.add(
      table.userIds.idAt(table.userIndex[r]!),
      table.itemIds.idAt(table.itemIndex[r]!),
      rating[r]!,
      timestamp?.[r],
    );
  }
  return { table: builder.finish(), duplicateCount, keptRows };
}
