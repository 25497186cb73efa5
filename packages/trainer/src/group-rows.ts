/**
 * Rows of `rows` grouped by `key[row]` (CSR): the rows of group `g` are
 * `rows[offsets[g]] … rows[offsets[g + 1] − 1]`, in their order in `rows`. `key[row]` must be in
 * `0..n−1`. Used by the host-side fitters to walk one user's or one item's ratings.
 */
export function groupRows(
  rows: Int32Array,
  key: Int32Array,
  n: number,
): { offsets: Int32Array; rows: Int32Array } {
  const offsets = new Int32Array(n + 1);
  for (const r of rows) offsets[key[r]! + 1]!++;
  for (let k = 0; k < n; k++) offsets[k + 1]! += offsets[k]!;
  const next = offsets.slice(0, n);
  const grouped = new Int32Array(rows.length);
  for (const r of rows) grouped[next[key[r]!]!++] = r;
  return { offsets, rows: grouped };
}
