import { createBatchIterator, type BatchIterator, type RatingsTable, type Split } from '@cf/data';
import { SeededRandom } from '@cf/model';

/** Options of {@link createModelData}. */
export interface ModelDataOptions {
  /** Training batch size. Default 64 (the notebook's). Validation uses twice this. */
  batchSize?: number;
  /** Seeds the batch order and the dropout masks. Default 42. */
  seed?: number;
}

/**
 * What `fit` trains on (fastai's `ColumnarModelData`): a table, a split, shuffled training batches,
 * and the dropout random stream. Epochs continue across `fit` calls, so a second `fit` sees new
 * shuffles, as in fastai.
 */
export interface ModelData {
  readonly table: RatingsTable;
  readonly split: Split;
  readonly batchSize: number;
  readonly seed: number;
  readonly trainBatches: BatchIterator;
  /** Dropout masks come from here. */
  readonly random: SeededRandom;
  /** Training epochs run so far on this data, across `fit` calls. */
  epochsSeen: number;
  /** Targets of the validation rows, in split order. */
  readonly validTargets: Float32Array;
  /**
   * User indices of the validation rows, in split order: built on first read and kept (20 MB at
   * 5M validation rows). {@link evaluate} does not read them: it gathers the rows chunk by chunk.
   */
  readonly validUserIndex: Int32Array;
  /** Item indices of the validation rows, in split order: built on first read, as `validUserIndex`. */
  readonly validItemIndex: Int32Array;
}

/** Wraps a table and a split for {@link fit}. */
export function createModelData(
  table: RatingsTable,
  split: Split,
  options: ModelDataOptions = {},
): ModelData {
  const batchSize = options.batchSize ?? 64;
  const seed = options.seed ?? 42;
  const valid = split.valid;
  let validUserIndex: Int32Array | undefined;
  let validItemIndex: Int32Array | undefined;
  return {
    table,
    split,
    batchSize,
    seed,
    trainBatches: createBatchIterator(table, split.train, { batchSize, seed }),
    random: new SeededRandom(seed),
    epochsSeen: 0,
    validTargets: Float32Array.from(valid, (r) => table.rating[r]!),
    get validUserIndex() {
      return (validUserIndex ??= Int32Array.from(valid, (r) => table.userIndex[r]!));
    },
    get validItemIndex() {
      return (validItemIndex ??= Int32Array.from(valid, (r) => table.itemIndex[r]!));
    },
  };
}
