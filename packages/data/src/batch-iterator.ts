import { CfError, InvalidArgumentError } from './errors.js';
import { NumpyRandomState } from './numpy-random.js';
import type { RatingsTable } from './ratings-table.js';
import { assertIntegerInRange, assertSeed } from './validate.js';

/**
 * One mini-batch: `size` rows gathered from a {@link RatingsTable}.
 *
 * The arrays are views of buffers that the {@link BatchIterator} allocated once and refills for
 * every batch: a batch is only valid until the next one is produced. Copy (`slice()`) anything
 * you need to keep.
 */
export interface Batch {
  /** Dense user indices, length `size`. */
  readonly userIndex: Int32Array;
  /** Dense item indices, length `size`. */
  readonly itemIndex: Int32Array;
  /** Ratings, length `size`. */
  readonly rating: Float32Array;
  /** The table rows of this batch, in batch order, length `size`. */
  readonly rows: Int32Array;
  /** Rows in this batch: `batchSize`, or fewer for the last batch of an epoch. */
  readonly size: number;
}

/** Options of {@link createBatchIterator}. */
export interface BatchIteratorOptions {
  /** Rows per batch, an integer ≥ 1. */
  batchSize: number;
  /** Shuffle the rows at the start of every epoch. Default true. */
  shuffle?: boolean;
  /**
   * Base seed (an integer in `0..2**32-1`); epoch `e` is shuffled by numpy's legacy
   * `RandomState((seed + e) mod 2**32).shuffle`. Default 42.
   */
  seed?: number;
  /** Leave out the last batch of an epoch when it is partial. Default false (it is kept). */
  dropLast?: boolean;
}

/** Mini-batches over a fixed set of table rows; see {@link createBatchIterator}. */
export interface BatchIterator {
  /** Rows per full batch. */
  readonly batchSize: number;
  /** Rows one epoch covers: all of them, less the partial batch when `dropLast`. */
  readonly rowsPerEpoch: number;
  /** Batches per epoch: `ceil(rows / batchSize)`, or `floor` with `dropLast`. */
  readonly batchCount: number;
  /**
   * The batches of epoch `epoch` (an integer in `0..2**31-1`), each row once (the last partial batch kept
   * unless `dropLast`). With `shuffle`, the order depends only on `seed` and `epoch`: the same
   * pair gives the same batches run after run, in any order of calls. Only one epoch pass may be
   * in progress at a time: starting another makes the earlier one throw on its next step.
   */
  epoch(epoch: number): IterableIterator<Batch>;
}

/**
 * Creates mini-batches over `rows` (row indices into `table`, e.g. a split's `train`) for a
 * training loop:
 *
 * ```ts
 * const batches = createBatchIterator(table, split.train, { batchSize: 64, seed: 42 });
 * for (let e = 0; e < epochs; e++) for (const batch of batches.epoch(e)) step(batch);
 * ```
 *
 * Allocates its buffers once (an order array and one batch of columns); a batch costs only its
 * small view objects. `rows` is not modified. Throws {@link InvalidArgumentError} for a bad
 * `batchSize`/`seed` or a row outside the table.
 */
export function createBatchIterator(
  table: RatingsTable,
  rows: Int32Array,
  options: BatchIteratorOptions,
): BatchIterator {
  const { batchSize, shuffle = true, seed = 42, dropLast = false } = options;
  assertIntegerInRange('batchSize', batchSize, 1, 0x7fffffff);
  assertSeed(seed);
  const n = table.rating.length;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (row < 0 || row >= n) {
      throw new InvalidArgumentError(
        'rows',
        `rows[${i}] = ${row} is outside 0..${n - 1} of ${table.source}`,
      );
    }
  }
  const batchCount = dropLast
    ? Math.floor(rows.length / batchSize)
    : Math.ceil(rows.length / batchSize);
  const rowsPerEpoch = Math.min(rows.length, batchCount * batchSize);
  const capacity = Math.min(batchSize, rows.length);
  const order = shuffle ? new Int32Array(rows.length) : rows;
  const userIndex = new Int32Array(capacity);
  const itemIndex = new Int32Array(capacity);
  const rating = new Float32Array(capacity);
  let generation = 0;

  function epoch(epochNumber: number): Generator<Batch, void, undefined> {
    assertIntegerInRange('epoch', epochNumber, 0, 0x7fffffff);
    return run(epochNumber);
  }

  // The body runs on the first `next()`: that is when an epoch pass starts (and supersedes another).
  function* run(epochNumber: number): Generator<Batch, void, undefined> {
    const mine = ++generation;
    if (shuffle) {
      order.set(rows);
      new NumpyRandomState((seed + epochNumber) % 4294967296).shuffle(order);
    }
    for (let start = 0; start < rowsPerEpoch; start += batchSize) {
      if (mine !== generation) {
        throw new CfError(
          'EPOCH_SUPERSEDED',
          'another epoch of this batch iterator was started while this one was in progress; finish one epoch before starting the next',
        );
      }
      const size = Math.min(batchSize, rowsPerEpoch - start);
      for (let i = 0; i < size; i++) {
        const row = order[start + i]!;
        userIndex[i] = table.userIndex[row]!;
        itemIndex[i] = table.itemIndex[row]!;
        rating[i] = table.rating[row]!;
      }
      const full = size === capacity;
      yield {
        userIndex: full ? userIndex : userIndex.subarray(0, size),
        itemIndex: full ? itemIndex : itemIndex.subarray(0, size),
        rating: full ? rating : rating.subarray(0, size),
        rows: order.subarray(start, start + size),
        size,
      };
    }
  }

  return { batchSize, rowsPerEpoch, batchCount, epoch };
}

/**
 * Cuts `rows` into consecutive chunks of at most `batchSize`, in order, without shuffling or
 * copying: each chunk is a `subarray` view of `rows`. For validation and prediction passes.
 */
export function iterateInBatches(
  rows: Int32Array,
  batchSize: number,
): Generator<Int32Array, void, undefined> {
  assertIntegerInRange('batchSize', batchSize, 1, 0x7fffffff);
  return chunks(rows, batchSize);
}

function* chunks(rows: Int32Array, batchSize: number): Generator<Int32Array, void, undefined> {
  for (let start = 0; start < rows.length; start += batchSize) {
    yield rows.subarray(start, Math.min(start + batchSize, rows.length));
  }
}
