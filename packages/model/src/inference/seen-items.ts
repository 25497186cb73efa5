import type { RatingsTable } from '@cf/data';

/**
 * The items each user rated in training, as CSR arrays: user `u` saw
 * `itemIndex[offsets[u] .. offsets[u+1]-1]`, ascending and distinct. Saved with the model so that
 * `recommend(…, {excludeSeen})` works after loading without the data.
 */
export interface SeenItems {
  /** `nUsers + 1` non-decreasing offsets, from 0 to `itemIndex.length`. */
  readonly offsets: Int32Array;
  /** Dense item indices, grouped by user. */
  readonly itemIndex: Int32Array;
}

/** Builds {@link SeenItems} from the given rows of a table (default: all rows), in O(rows + users) plus a sort per user. */
export function buildSeenItems(table: RatingsTable, rows?: Int32Array): SeenItems {
  const nUsers = table.userIds.size;
  const count = rows ? rows.length : table.rating.length;
  const rowAt = (k: number): number => (rows ? rows[k]! : k);
  const offsets = new Int32Array(nUsers + 1);
  for (let k = 0; k < count; k++) offsets[table.userIndex[rowAt(k)]! + 1]!++;
  for (let u = 0; u < nUsers; u++) offsets[u + 1]! += offsets[u]!;
  const cursor = offsets.slice(0, nUsers);
  const items = new Int32Array(count);
  for (let k = 0; k < count; k++) {
    const r = rowAt(k);
    items[cursor[table.userIndex[r]!]!++] = table.itemIndex[r]!;
  }
  // sort and deduplicate each user's items, compacting in place
  const compact = new Int32Array(nUsers + 1);
  let write = 0;
  for (let u = 0; u < nUsers; u++) {
    const own = items.subarray(offsets[u], offsets[u + 1]).sort();
    compact[u] = write;
    for (let k = 0; k < own.length; k++)
      if (k === 0 || own[k] !== own[k - 1]) items[write++] = own[k]!;
  }
  compact[nUsers] = write;
  // without duplicates (the usual case) the array is already exact: no second copy (100 MB at 25M rows)
  return { offsets: compact, itemIndex: write === count ? items : items.slice(0, write) };
}

/** Checks the CSR invariants against the id-space sizes; returns a description of the first problem, or undefined. */
export function checkSeenItems(
  seen: SeenItems,
  nUsers: number,
  nItems: number,
): string | undefined {
  const { offsets, itemIndex } = seen;
  if (offsets.length !== nUsers + 1)
    return `offsets has ${offsets.length} entries, expected nUsers + 1 = ${nUsers + 1}`;
  if (offsets[0] !== 0 || offsets[nUsers] !== itemIndex.length)
    return `offsets must run from 0 to ${itemIndex.length}`;
  for (let u = 0; u < nUsers; u++) {
    const start = offsets[u]!;
    const end = offsets[u + 1]!;
    if (end < start) return `offsets decrease at user index ${u}`;
    for (let k = start; k < end; k++) {
      const i = itemIndex[k]!;
      if (!(i >= 0 && i < nItems))
        return `item index ${i} of user index ${u} is outside 0..${nItems - 1}`;
      if (k > start && i <= itemIndex[k - 1]!)
        return `items of user index ${u} are not ascending and distinct`;
    }
  }
  return undefined;
}
