/**
 * `acc[j] += Σ_d user[d] · table[itemIndex[j]·dim + d]` for every `j < acc.length`, summed in `d`
 * order starting from the value already in `acc[j]`: the same sum, to the bit, as the per-pair
 * kernels' `res = bias; for (d) res += u[d] · i[d]`. Four items run side by side so that their
 * four independent additions overlap instead of waiting on one another.
 */
export function addItemDots(
  user: Float64Array,
  table: Float32Array,
  dim: number,
  itemIndex: Int32Array,
  acc: Float64Array,
): void {
  const n = acc.length;
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const o0 = itemIndex[j]! * dim;
    const o1 = itemIndex[j + 1]! * dim;
    const o2 = itemIndex[j + 2]! * dim;
    const o3 = itemIndex[j + 3]! * dim;
    let r0 = acc[j]!;
    let r1 = acc[j + 1]!;
    let r2 = acc[j + 2]!;
    let r3 = acc[j + 3]!;
    for (let d = 0; d < dim; d++) {
      const x = user[d]!;
      r0 += x * table[o0 + d]!;
      r1 += x * table[o1 + d]!;
      r2 += x * table[o2 + d]!;
      r3 += x * table[o3 + d]!;
    }
    acc[j] = r0;
    acc[j + 1] = r1;
    acc[j + 2] = r2;
    acc[j + 3] = r3;
  }
  for (; j < n; j++) {
    const o = itemIndex[j]! * dim;
    let r = acc[j]!;
    for (let d = 0; d < dim; d++) r += user[d]! * table[o + d]!;
    acc[j] = r;
  }
}
