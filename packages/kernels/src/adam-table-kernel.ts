import { KernelInstance, type KernelBuffer } from './kernel-instance.js';

/** One table's storage in an {@link AdamTableKernel}: weights and Adam's two moments. */
export interface AdamTableBuffers {
  /** Rows of the table. A table updated only with whole gradients may say 1. */
  readonly rows: number;
  /** Floats per row. */
  readonly dim: number;
  /** `rows × dim` weights: the owner moves its parameter here and reads and writes it in place. */
  readonly weights: Float32Array;
  /** First and second moments, zeroed at creation; the owner may read and overwrite them. */
  readonly m: Float32Array;
  readonly v: Float32Array;
}

/**
 * The scalars of one Adam / AdamW step (float64 here; the kernel rounds them to float32):
 * `w ← w·decay; g += l2·w; m ← β1·m + (1−β1)·g; v ← β2·v + ((1−β2)·g)·g;
 *  w −= stepSize · (m / (√v / sqrtBc2 + eps))`, PyTorch's arithmetic order (1 − β is taken in
 * float64, as PyTorch does with its Python-float betas).
 */
export interface AdamStepScalars {
  beta1: number;
  beta2: number;
  /** `lr / (1 − β1^t)`. */
  stepSize: number;
  /** `√(1 − β2^t)`. */
  sqrtBc2: number;
  eps: number;
  /** `1 − lr·wd` for decoupled weight decay (AdamW), else 1. */
  decay: number;
  /** Coupled L2 weight decay (Adam's `weight_decay`), else 0. */
  l2: number;
}

/** A table to lay out in {@link AdamTableKernel.create}. */
export interface AdamTableShape {
  readonly rows: number;
  readonly dim: number;
}

/**
 * Adam / AdamW over tables that live in one WebAssembly instance's memory (SIMD kernels, float32).
 * Dense ({@link AdamTableKernel.stepWhole}, {@link AdamTableKernel.stepRows}, the `adamTable`
 * kernel): every row of a table moves every step, as PyTorch's dense Adam does; a row-sparse
 * gradient gives the rows it lists and zero to the others (weight decay and momentum still apply).
 * Lazy ({@link AdamTableKernel.stepOnlyRows}, the `adamRows` kernel): only the listed rows move,
 * with the same arithmetic. The weights and moments stay in the instance, so a step copies only
 * the gradient in: the owner keeps its parameters in {@link AdamTableBuffers.weights}. Nothing to
 * dispose: the memory is freed with the last view of it.
 */
export class AdamTableKernel {
  /** The tables, in the order given to {@link AdamTableKernel.create}. */
  readonly tables: readonly AdamTableBuffers[];
  readonly #instance: KernelInstance;
  readonly #offsets: { w: number; m: number; v: number }[];
  /** Gradient rows, as large as the largest table (a sparse gradient has at most every row). */
  readonly #gradient: KernelBuffer<Float32Array>;
  /** One i32 per row of the largest table: -1 except while a sparse step runs. */
  readonly #slot: KernelBuffer<Int32Array>;
  /** `[0]`: the slot of a whole-table gradient, updated as one row. */
  readonly #wholeSlot: KernelBuffer<Int32Array>;
  /** The row list of a lazy step, as large as the largest table (longer lists go in chunks). */
  readonly #list: KernelBuffer<Int32Array>;
  /** Four catch-up factors per row of {@link AdamTableKernel.#list}. */
  readonly #factors: KernelBuffer<Float32Array>;

  private constructor(instance: KernelInstance, shapes: readonly AdamTableShape[]) {
    this.#instance = instance;
    const sizes = shapes.map((s) => s.rows * s.dim);
    this.#gradient = instance.floats(Math.max(1, ...sizes));
    this.#slot = instance.ints(Math.max(1, ...shapes.map((s) => s.rows)));
    this.#slot.view.fill(-1);
    this.#wholeSlot = instance.ints(1);
    this.#list = instance.ints(Math.max(1, ...shapes.map((s) => s.rows)));
    this.#factors = instance.floats(4 * Math.max(1, ...shapes.map((s) => s.rows)));
    this.#offsets = [];
    this.tables = shapes.map((s, k) => {
      const w = instance.floats(sizes[k]!);
      const m = instance.floats(sizes[k]!);
      const v = instance.floats(sizes[k]!);
      this.#offsets.push({ w: w.byteOffset, m: m.byteOffset, v: v.byteOffset });
      return { rows: s.rows, dim: s.dim, weights: w.view, m: m.view, v: v.view };
    });
  }

  /**
   * Lays out the given tables (weights zeroed: the owner copies its values in), or returns
   * undefined when the kernels are unavailable here or the tables do not fit in one 32-bit
   * WebAssembly memory; the caller then keeps its JavaScript path.
   */
  static create(shapes: readonly AdamTableShape[]): AdamTableKernel | undefined {
    for (const s of shapes) {
      if (!(Number.isInteger(s.rows) && s.rows >= 0 && Number.isInteger(s.dim) && s.dim >= 0))
        throw new RangeError(`AdamTableKernel: table of ${s.rows} × ${s.dim} is not a table`);
    }
    const sizes = shapes.map((s) => s.rows * s.dim);
    const bytes =
      3 * sizes.reduce((a, n) => a + KernelInstance.bytesFor(n), 0) +
      KernelInstance.bytesFor(Math.max(1, ...sizes)) +
      2 * KernelInstance.bytesFor(Math.max(1, ...shapes.map((s) => s.rows))) +
      KernelInstance.bytesFor(4 * Math.max(1, ...shapes.map((s) => s.rows))) +
      KernelInstance.bytesFor(1);
    // wasm32 memory: 65536 pages of 64 KiB at most; leave room for the module's first page
    if (bytes > 4 * 1024 ** 3 - 2 * 65536) return undefined;
    let instance: KernelInstance | undefined;
    try {
      instance = KernelInstance.create(bytes);
    } catch {
      return undefined; // the engine refused that much memory
    }
    return instance ? new AdamTableKernel(instance, shapes) : undefined;
  }

  /**
   * One step of table `table` from a whole gradient (`rows × dim` floats, read before return).
   */
  stepWhole(table: number, gradient: Float32Array, scalars: AdamStepScalars): void {
    const t = this.#table(table);
    const n = t.rows * t.dim;
    if (gradient.length < n)
      throw new RangeError(`AdamTableKernel: gradient of ${gradient.length} floats for ${n}`);
    this.#gradient.view.set(n === gradient.length ? gradient : gradient.subarray(0, n));
    this.#run(table, this.#wholeSlot.byteOffset, 1, n, scalars);
  }

  /**
   * One step of table `table` from a row-sparse gradient: `gradient` row `k` (`dim` floats) is the
   * gradient of table row `rows[k]` (distinct rows); every other row gets a zero gradient.
   */
  stepRows(
    table: number,
    rows: Int32Array,
    gradient: Float32Array,
    scalars: AdamStepScalars,
  ): void {
    const t = this.#table(table);
    const dim = t.dim;
    const count = rows.length;
    if (count > t.rows || gradient.length < count * dim) {
      throw new RangeError(
        `AdamTableKernel: ${count} gradient rows (${gradient.length} floats) for a table of ${t.rows} × ${dim}`,
      );
    }
    this.#gradient.view.set(gradient.subarray(0, count * dim));
    const slot = this.#slot.view;
    for (let k = 0; k < count; k++) {
      const r = rows[k]!;
      if (!(r >= 0 && r < t.rows)) {
        for (let q = 0; q < k; q++) slot[rows[q]!] = -1;
        throw new RangeError(`AdamTableKernel: row ${r} is outside 0..${t.rows - 1}`);
      }
      slot[r] = k;
    }
    try {
      this.#run(table, this.#slot.byteOffset, t.rows, dim, scalars);
    } finally {
      for (let k = 0; k < count; k++) slot[rows[k]!] = -1;
    }
  }

  /**
   * One lazy (row-sparse) step of table `table`: table row `rows[k]` is updated from `gradient` row
   * `k` (`dim` floats), in list order (a row listed twice is updated twice, as a loop over the list
   * would); rows not listed are left as they are, moments included. Same arithmetic as the dense
   * steps. With `catchUp` (lazy AdamW), listed row `k` is first brought up to date by the four
   * factors at `catchUp[4k ..]` (weight, m, v, drift): `w ← w·weight − drift·m/(√v + eps);
   * m ← m·mFactor; v ← v·vFactor` in float32, from the row's moments before; (1, 1, 1, 0) leaves
   * it as it is. The arrays are read before return.
   */
  stepOnlyRows(
    table: number,
    rows: Int32Array,
    gradient: Float32Array,
    s: AdamStepScalars,
    catchUp?: Float32Array,
  ): void {
    const t = this.#table(table);
    const dim = t.dim;
    const count = rows.length;
    if (gradient.length < count * dim) {
      throw new RangeError(
        `AdamTableKernel: ${count} rows with ${gradient.length} gradient floats (${dim} per row)`,
      );
    }
    if (catchUp && catchUp.length < 4 * count) {
      throw new RangeError(
        `AdamTableKernel: ${catchUp.length} catch-up factors for ${count} rows (4 per row)`,
      );
    }
    // every row is checked before any is updated: a bad list changes nothing
    for (let k = 0; k < count; k++) {
      const r = rows[k]!;
      if (!(r >= 0 && r < t.rows))
        throw new RangeError(`AdamTableKernel: row ${r} is outside 0..${t.rows - 1}`);
    }
    const o = this.#offsets[table]!;
    const grad = this.#gradient;
    // the buffers hold a table's worth of rows: a longer list (rows repeated) goes in chunks
    const chunk = Math.max(1, t.rows);
    for (let from = 0; from < count; from += chunk) {
      const n = Math.min(chunk, count - from);
      this.#list.view.set(n === count ? rows : rows.subarray(from, from + n));
      grad.view.set(gradient.subarray(from * dim, (from + n) * dim));
      if (catchUp) this.#factors.view.set(catchUp.subarray(4 * from, 4 * (from + n)));
      this.#instance.exports.adamRows(
        o.w,
        o.m,
        o.v,
        grad.byteOffset,
        this.#list.byteOffset,
        catchUp ? this.#factors.byteOffset : 0,
        n,
        dim,
        s.beta1,
        s.beta2,
        1 - s.beta1,
        1 - s.beta2,
        s.stepSize,
        s.sqrtBc2,
        s.eps,
        s.decay,
        s.l2,
      );
    }
  }

  #table(table: number): AdamTableBuffers {
    const t = this.tables[table];
    if (!t) throw new RangeError(`AdamTableKernel: no table ${table}`);
    return t;
  }

  #run(table: number, slot: number, rows: number, dim: number, s: AdamStepScalars): void {
    const o = this.#offsets[table]!;
    this.#instance.exports.adamTable(
      o.w,
      o.m,
      o.v,
      this.#gradient.byteOffset,
      slot,
      rows,
      dim,
      s.beta1,
      s.beta2,
      1 - s.beta1,
      1 - s.beta2,
      s.stepSize,
      s.sqrtBc2,
      s.eps,
      s.decay,
      s.l2,
    );
  }
}
