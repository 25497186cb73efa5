/**
 * `acc[j] += Σ_d user[d] · table[itemIndex[j]·dim + d]` for every `j < acc.length`, summed in `d`
 * order starting from the value already in `acc[j]`: the same sum, to the bit, as the per-pair
 * kernels' `res = bias; for (d) res += u[d] · i[d]`. Eight items run side by side so that their
 * independent additions overlap instead of each waiting on the one before.
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
  for (; j + 8 <= n; j += 8) {
    const o0 = itemIndex[j]! * dim;
    const o1 = itemIndex[j + 1]! * dim;
    const o2 = itemIndex[j + 2]! * dim;
    const o3 = itemIndex[j + 3]! * dim;
    const o4 = itemIndex[j + 4]! * dim;
    const o5 = itemIndex[j + 5]! * dim;
    const o6 = itemIndex[j + 6]! * dim;
    const o7 = itemIndex[j + 7]! * dim;
    let r0 = acc[j]!;
    let r1 = acc[j + 1]!;
    let r2 = acc[j + 2]!;
    let r3 = acc[j + 3]!;
    let r4 = acc[j + 4]!;
    let r5 = acc[j + 5]!;
    let r6 = acc[j + 6]!;
    let r7 = acc[j + 7]!;
    for (let d = 0; d < dim; d++) {
      const x = user[d]!;
      r0 += x * table[o0 + d]!;
      r1 += x * table[o1 + d]!;
      r2 += x * table[o2 + d]!;
      r3 += x * table[o3 + d]!;
      r4 += x * table[o4 + d]!;
      r5 += x * table[o5 + d]!;
      r6 += x * table[o6 + d]!;
      r7 += x * table[o7 + d]!;
    }
    acc[j] = r0;
    acc[j + 1] = r1;
    acc[j + 2] = r2;
    acc[j + 3] = r3;
    acc[j + 4] = r4;
    acc[j + 5] = r5;
    acc[j + 6] = r6;
    acc[j + 7] = r7;
  }
  for (; j < n; j++) {
    const o = itemIndex[j]! * dim;
    let r = acc[j]!;
    for (let d = 0; d < dim; d++) r += user[d]! * table[o + d]!;
    acc[j] = r;
  }
}
