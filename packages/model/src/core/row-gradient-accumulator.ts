/**
 * Sums per-example row gradients into one gradient row per distinct table row, reusing its buffers
 * from step to step (no allocation once warm). Used by every model for its embedding tables.
 */
export class RowGradientAccumulator {
  readonly #dim: number;
  readonly #slotOfRow: Int32Array;
  #rows: Int32Array;
  #values: Float32Array;
  #distinct = 0;

  constructor(tableRows: number, dim: number) {
    this.#dim = dim;
    this.#slotOfRow = new Int32Array(tableRows).fill(-1);
    this.#rows = new Int32Array(64);
    this.#values = new Float32Array(64 * dim);
  }

  /**
   * `rowGradients[b*dim .. (b+1)*dim)` is the gradient for table row `indices[b]`, for `b < count`.
   * Returns views (valid until the next call) of the distinct rows, in first-appearance order,
   * and their summed gradients.
   */
  accumulate(
    indices: Int32Array,
    rowGradients: ArrayLike<number>,
    count: number,
    offset = 0,
  ): { rows: Int32Array; values: Float32Array } {
    const dim = this.#dim;
    if (this.#rows.length < count) {
      this.#rows = new Int32Array(count);
      this.#values = new Float32Array(count * dim);
    }
    const rows = this.#rows;
    const values = this.#values;
    const slotOfRow = this.#slotOfRow;
    let distinct = 0;
    for (let b = 0; b < count; b++) {
      const row = indices[b]!;
      let slot = slotOfRow[row]!;
      const src = offset + b * dim;
      if (slot < 0) {
        slot = distinct++;
        slotOfRow[row] = slot;
        rows[slot] = row;
        const dst = slot * dim;
        for (let d = 0; d < dim; d++) values[dst + d] = rowGradients[src + d]!;
      } else {
        const dst = slot * dim;
        for (let d = 0; d < dim; d++) values[dst + d]! += rowGradients[src + d]!;
      }
    }
    for (let s = 0; s < distinct; s++) slotOfRow[rows[s]!] = -1;
    return { rows: rows.subarray(0, distinct), values: values.subarray(0, distinct * dim) };
  }

  /**
   * Starts a step of direct accumulation ({@link RowGradientAccumulator.slot}, then
   * {@link RowGradientAccumulator.finish}), for kernels that add gradients straight into the
   * accumulator instead of writing per-example rows first. `count` bounds the distinct rows.
   */
  begin(count: number): Float32Array {
    if (this.#rows.length < count) {
      this.#rows = new Int32Array(count);
      this.#values = new Float32Array(count * this.#dim);
    }
    this.#distinct = 0;
    return this.#values;
  }

  /** The offset in the values buffer of `row`'s gradient, zeroed the first time the row appears in this step. */
  slot(row: number): number {
    let slot = this.#slotOfRow[row]!;
    const dim = this.#dim;
    if (slot < 0) {
      slot = this.#distinct++;
      this.#slotOfRow[row] = slot;
      this.#rows[slot] = row;
      this.#values.fill(0, slot * dim, (slot + 1) * dim);
    }
    return slot * dim;
  }

  /** Ends a direct-accumulation step: views of the distinct rows (first-appearance order) and their gradients. */
  finish(): { rows: Int32Array; values: Float32Array } {
    const distinct = this.#distinct;
    const rows = this.#rows;
    for (let s = 0; s < distinct; s++) this.#slotOfRow[rows[s]!] = -1;
    return {
      rows: rows.subarray(0, distinct),
      values: this.#values.subarray(0, distinct * this.#dim),
    };
  }
}

/** Copies table rows `indices[0..count)` of a `[rows, dim]` table into `out` (row-major). */
export function gatherRows(
  table: Float32Array,
  dim: number,
  indices: Int32Array,
  count: number,
  out: Float32Array,
): Float32Array {
  for (let b = 0; b < count; b++) {
    const src = indices[b]! * dim;
    out.set(table.subarray(src, src + dim), b * dim);
  }
  return out;
}
