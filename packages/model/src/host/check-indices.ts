/**
 * Throws `RangeError` unless `userIndex` and `itemIndex` hold at least `count` entries each and
 * every one of the first `count` is inside `0..nUsers−1` / `0..nItems−1`.
 */
export function checkPairIndices(
  size: { readonly nUsers: number; readonly nItems: number },
  userIndex: Int32Array,
  itemIndex: Int32Array,
  count: number,
): void {
  const { nUsers, nItems } = size;
  if (userIndex.length < count || itemIndex.length < count) {
    throw new RangeError(
      `expected ${count} user and item indices, got ${userIndex.length} and ${itemIndex.length}`,
    );
  }
  for (let b = 0; b < count; b++) {
    const u = userIndex[b]!;
    const i = itemIndex[b]!;
    if (!(u >= 0 && u < nUsers))
      throw new RangeError(`user index ${u} at position ${b} is outside 0..${nUsers - 1}`);
    if (!(i >= 0 && i < nItems))
      throw new RangeError(`item index ${i} at position ${b} is outside 0..${nItems - 1}`);
  }
}

/**
 * Throws `RangeError` unless `userIndex` is a whole number inside `0..nUsers−1`, `out` holds at least
 * `itemIndex.length` entries and every item index is inside `0..nItems−1`: the checks of a one-user
 * scoring call (`scoreItemsForUser`).
 */
export function checkUserItems(
  size: { readonly nUsers: number; readonly nItems: number },
  userIndex: number,
  itemIndex: Int32Array,
  out: Float32Array,
): void {
  const n = itemIndex.length;
  if (!Number.isInteger(userIndex))
    throw new RangeError(`user index ${userIndex} is not a whole number`);
  if (out.length < n)
    throw new RangeError(`out has ${out.length} entries, fewer than the ${n} items to score`);
  const { nUsers, nItems } = size;
  if (!(userIndex >= 0 && userIndex < nUsers))
    throw new RangeError(`user index ${userIndex} is outside 0..${nUsers - 1}`);
  for (let j = 0; j < n; j++) {
    const i = itemIndex[j]!;
    if (!(i >= 0 && i < nItems))
      throw new RangeError(`item index ${i} at position ${j} is outside 0..${nItems - 1}`);
  }
}
