import { InvalidArgumentError } from './errors.js';
import { IdMap, type IdOrder } from './id-map.js';
import type { PlainRowBatch } from './plain-row-scanner.js';
import type { RawId } from './raw-id.js';

/** Summary numbers of a {@link RatingsTable}. */
export interface RatingsStats {
  count: number;
  nUsers: number;
  nItems: number;
  minRating: number;
  maxRating: number;
  meanRating: number;
}

/**
 * Ratings as columns of typed arrays: row `r` is user `userIndex[r]` rating item `itemIndex[r]`
 * with `rating[r]` (and `timestamp[r]` when the source had one). About 16 bytes per rating and no
 * per-row objects. Indices are dense; {@link RatingsTable.userIds} and {@link RatingsTable.itemIds}
 * map them back to the raw ids of the source.
 *
 * An **implicit** table ({@link RatingsTable.implicit} true) comes from a file with no rating
 * column, where each row is one interaction (a purchase, a play, a click): `rating` holds 1 for
 * every row, so code that reads `rating` still works, and the flag tells rating-prediction code to
 * refuse the table (a model trained to predict 1 everywhere learns nothing).
 */
export interface RatingsTable {
  readonly userIndex: Int32Array;
  readonly itemIndex: Int32Array;
  /** The rating of each row; 1 for every row of an {@link RatingsTable.implicit} table. */
  readonly rating: Float32Array;
  /** True when the rows are interactions without ratings (the source had no rating column); `rating` is then all 1. */
  readonly implicit: boolean;
  /** Seconds (or whatever unit the source used); Int32Array when every value fits. */
  readonly timestamp: Int32Array | Float64Array | undefined;
  readonly userIds: IdMap;
  readonly itemIds: IdMap;
  readonly stats: RatingsStats;
  /** Where the rows came from (a path or a label), for messages. */
  readonly source: string;
}

/** Options of {@link RatingsTableBuilder}. */
export interface RatingsTableBuilderOptions {
  /** Index order of the id maps. Default `'first-appearance'` (what `pandas.unique` gives). */
  idOrder?: IdOrder;
  /** Initial row capacity; grows by doubling. */
  initialCapacity?: number;
  /** Label for messages. */
  source?: string;
  /**
   * Build an implicit table (interactions without ratings): every row's rating is 1, and `add`
   * refuses any other value. Default false.
   */
  implicit?: boolean;
}

/** Non-negative integer ids below this are looked up in a growing array instead of a Map. */
const DENSE_ID_LIMIT = 1 << 22;

/**
 * Raw ids to first-appearance indices. Non-negative integer ids are looked up in a growing array
 * while they stay below both 2^22 and 16 × (distinct ids + 4096), so a few huge ids do not cost
 * megabytes; every other id, and an integer first met above that bound, lives in a Map (checked on
 * every array miss, so an id is never indexed twice).
 */
class IdIndexer {
  /** `dense[id]` is index + 1 (0: not in the array, maybe in the Map). */
  #dense = new Int32Array(0);
  readonly #other = new Map<RawId, number>();
  readonly list: RawId[] = [];

  /** The index of a non-negative safe integer id (the parser's fast path). */
  indexOfInteger(id: number): number {
    if (id < this.#dense.length) {
      const found = this.#dense[id]!;
      if (found !== 0) return found - 1;
    }
    return this.#miss(id);
  }

  indexOf(id: RawId): number {
    if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0)
      return this.indexOfInteger(id + 0); // -0 is the id 0, as for a Map key
    let index = this.#other.get(id);
    if (index === undefined) {
      index = this.list.length;
      this.#other.set(id, index);
      this.list.push(id);
    }
    return index;
  }

  #miss(id: number): number {
    let index = this.#other.get(id);
    const fresh = index === undefined;
    if (index === undefined) {
      index = this.list.length;
      this.list.push(id);
    }
    if (id >= this.#dense.length && id < DENSE_ID_LIMIT && id < 16 * (this.list.length + 4096)) {
      let size = Math.max(1024, this.#dense.length);
      while (size <= id) size *= 2;
      const grown = new Int32Array(Math.min(size, DENSE_ID_LIMIT));
      grown.set(this.#dense);
      this.#dense = grown;
    }
    if (id < this.#dense.length) this.#dense[id] = index + 1;
    else if (fresh) this.#other.set(id, index);
    return index;
  }
}

type ColumnArray = Int32Array | Float32Array | Float64Array;
type ColumnConstructor<T extends ColumnArray> = {
  new (length: number): T;
  new (buffer: ArrayBuffer, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
};

/** Whether this platform has resizable ArrayBuffers (Node 20, Chrome 111, Safari 16.4, Firefox 128). */
const RESIZABLE = typeof (ArrayBuffer.prototype as { resize?: unknown }).resize === 'function';
/** Address space reserved per resizable column (only pages written to take memory). */
const MAX_COLUMN_BYTES = 2 ** 31;

/**
 * A typed-array column that grows without copying where the platform has resizable ArrayBuffers:
 * it reserves address space, the memory is committed page by page as rows are written, and
 * {@link GrowableColumn.finish} shrinks it to the rows written. So a table of n rows never holds
 * more than its final bytes (plus one growth step of untouched pages). Without resizable buffers,
 * or past 2 GiB, it doubles a plain typed array (a copy each time).
 */
class GrowableColumn<T extends ColumnArray> {
  array: T;
  #buffer: ArrayBuffer | undefined;
  readonly #make: ColumnConstructor<T>;

  constructor(make: ColumnConstructor<T>, capacity: number) {
    this.#make = make;
    if (RESIZABLE && capacity * make.BYTES_PER_ELEMENT <= MAX_COLUMN_BYTES) {
      const Resizable = ArrayBuffer as unknown as new (
        length: number,
        options: { maxByteLength: number },
      ) => ArrayBuffer;
      this.#buffer = new Resizable(capacity * make.BYTES_PER_ELEMENT, {
        maxByteLength: MAX_COLUMN_BYTES,
      });
      this.array = new make(this.#buffer, 0, capacity);
    } else {
      this.array = new make(capacity);
    }
  }

  /** Doubles the capacity, keeping the values; returns the new array. */
  grow(): T {
    const capacity = this.array.length * 2;
    const bytes = capacity * this.#make.BYTES_PER_ELEMENT;
    const buffer = this.#buffer;
    if (buffer && bytes <= MAX_COLUMN_BYTES) {
      (buffer as ArrayBuffer & { resize(length: number): void }).resize(bytes);
      this.array = new this.#make(buffer, 0, capacity);
    } else {
      const next = new this.#make(capacity);
      next.set(this.array);
      this.array = next;
      this.#buffer = undefined;
    }
    return this.array;
  }

  /** The first `length` values as the column's final array (the column is spent). */
  finish(length: number): T {
    const buffer = this.#buffer;
    if (buffer) {
      (buffer as ArrayBuffer & { resize(length: number): void }).resize(
        length * this.#make.BYTES_PER_ELEMENT,
      );
      return new this.#make(buffer, 0, length);
    }
    return this.array.length === length ? this.array : (this.array.slice(0, length) as T);
  }
}

/**
 * Appends rows one at a time into typed-array columns, assigning dense indices to raw ids as they
 * first appear, then {@link RatingsTableBuilder.finish}es into a {@link RatingsTable}.
 *
 * The columns grow in place (resizable ArrayBuffers, see `GrowableColumn`), so building a table of
 * n rows holds about 16 bytes a row, where doubling arrays and a final trim copied up to 48.
 * Timestamps are kept as 32-bit integers until one does not fit. Small integer ids are indexed
 * through an array instead of a Map.
 */
export class RatingsTableBuilder {
  readonly #userColumn: GrowableColumn<Int32Array>;
  readonly #itemColumn: GrowableColumn<Int32Array>;
  readonly #ratingColumn: GrowableColumn<Float32Array>;
  #timestampColumn: GrowableColumn<Int32Array> | GrowableColumn<Float64Array> | undefined;
  #user: Int32Array;
  #item: Int32Array;
  #rating: Float32Array;
  #timestamp: Int32Array | Float64Array | undefined;
  #length = 0;
  /** Rating stats of the rows so far, in row order (what a loop over `rating` at the end gives). */
  #minRating = Infinity;
  #maxRating = -Infinity;
  #ratingSum = 0;
  readonly #users = new IdIndexer();
  readonly #items = new IdIndexer();
  readonly #options: RatingsTableBuilderOptions;

  constructor(options: RatingsTableBuilderOptions = {}) {
    const capacity = Math.max(16, options.initialCapacity ?? 1024);
    this.#userColumn = new GrowableColumn(Int32Array, capacity);
    this.#itemColumn = new GrowableColumn(Int32Array, capacity);
    this.#ratingColumn = new GrowableColumn(Float32Array, capacity);
    this.#user = this.#userColumn.array;
    this.#item = this.#itemColumn.array;
    this.#rating = this.#ratingColumn.array;
    this.#options = options;
  }

  /** Rows added so far. */
  get length(): number {
    return this.#length;
  }

  /**
   * Appends one rating. `timestamp` must be given for every row or for none: otherwise throws
   * {@link InvalidArgumentError} (`argument: 'timestamp'`) and the row is not added.
   */
  add(userId: RawId, itemId: RawId, rating: number, timestamp?: number): void {
    const row = this.#length;
    if (this.#options.implicit && rating !== 1) {
      throw new InvalidArgumentError(
        'rating',
        `row ${row + 1} has rating ${rating}, but an implicit table holds 1 for every row (one interaction); build an explicit table to keep ratings`,
      );
    }
    // Checked before any state changes, so a rejected row registers no user or item id.
    if (row > 0 && (timestamp !== undefined) !== (this.#timestampColumn !== undefined)) {
      throw new InvalidArgumentError(
        'timestamp',
        `row ${row + 1} ${timestamp === undefined ? 'has no timestamp but earlier rows have one' : 'has a timestamp but earlier rows have none'}; give a timestamp for every row or for none`,
      );
    }
    this.#append(this.#users.indexOf(userId), this.#items.indexOf(itemId), rating, timestamp);
  }

  /**
   * Appends the rows of a {@link PlainRowBatch} (the parser's fast path: ids are non-negative safe
   * integers), with timestamps when `withTimestamp`: the same table as {@link RatingsTableBuilder.add}
   * row by row, in one loop, with its checks left to the caller (a rating of 1 for an implicit
   * table, a timestamp for every row or none).
   * @internal
   */
  addPlainRows(batch: PlainRowBatch, withTimestamp: boolean): void {
    const count = batch.length;
    const start = this.#length;
    while (start + count > this.#user.length) this.#grow();
    const users = this.#users;
    const items = this.#items;
    const userColumn = this.#user;
    const itemColumn = this.#item;
    const ratingColumn = this.#rating;
    const { userId, itemId, rating } = batch;
    let min = this.#minRating;
    let max = this.#maxRating;
    let sum = this.#ratingSum;
    for (let k = 0; k < count; k++) {
      userColumn[start + k] = users.indexOfInteger(userId[k]!);
      itemColumn[start + k] = items.indexOfInteger(itemId[k]!);
      const value = Math.fround(rating[k]!);
      ratingColumn[start + k] = value;
      if (value < min) min = value;
      if (value > max) max = value;
      sum += value;
    }
    this.#minRating = min;
    this.#maxRating = max;
    this.#ratingSum = sum;
    if (withTimestamp && count > 0) {
      if (this.#timestampColumn === undefined) {
        this.#timestampColumn = new GrowableColumn(Int32Array, this.#user.length);
        this.#timestamp = this.#timestampColumn.array;
      }
      const { timestamp } = batch;
      let k = 0;
      const column = this.#timestamp!;
      if (column instanceof Int32Array) {
        for (; k < count; k++) {
          const t = timestamp[k]!;
          if ((t | 0) !== t) break;
          column[start + k] = t;
        }
        // a timestamp that is not a 32-bit integer turns the column into float64
        if (k < count) this.#timestampsToFloat(start + k);
      }
      const wide = this.#timestamp!;
      for (; k < count; k++) wide[start + k] = timestamp[k]!;
    }
    this.#length = start + count;
  }

  #append(user: number, item: number, rating: number, timestamp: number | undefined): void {
    const row = this.#length;
    if (row === this.#user.length) this.#grow();
    this.#user[row] = user;
    this.#item[row] = item;
    const value = Math.fround(rating);
    this.#rating[row] = value;
    if (value < this.#minRating) this.#minRating = value;
    if (value > this.#maxRating) this.#maxRating = value;
    this.#ratingSum += value;
    if (timestamp !== undefined) {
      // Only the first row starts the column: add() refuses a first timestamp on a later row.
      if (this.#timestampColumn === undefined) {
        this.#timestampColumn = new GrowableColumn(Int32Array, this.#user.length);
        this.#timestamp = this.#timestampColumn.array;
      }
      // A timestamp that is not a 32-bit integer turns the column into float64 (-0 fits as 0).
      if (this.#timestamp instanceof Int32Array && (timestamp | 0) !== timestamp)
        this.#timestampsToFloat(row);
      this.#timestamp![row] = timestamp;
    }
    this.#length = row + 1;
  }

  #grow(): void {
    this.#user = this.#userColumn.grow();
    this.#item = this.#itemColumn.grow();
    this.#rating = this.#ratingColumn.grow();
    if (this.#timestampColumn) this.#timestamp = this.#timestampColumn.grow();
  }

  #timestampsToFloat(rows: number): void {
    const column = new GrowableColumn(Float64Array, this.#user.length);
    column.array.set(this.#timestamp!.subarray(0, rows));
    this.#timestampColumn = column;
    this.#timestamp = column.array;
  }

  /** Concatenates the columns, applies the id order, computes the stats. The builder is spent. */
  finish(): RatingsTable {
    const n = this.#length;
    const userIndex = this.#userColumn.finish(n);
    const itemIndex = this.#itemColumn.finish(n);
    const rating = this.#ratingColumn.finish(n);
    const timestamp = this.#timestampColumn?.finish(n);
    const order = this.#options.idOrder ?? 'first-appearance';
    const userList = this.#users.list;
    const itemList = this.#items.list;
    const userIds = IdMap.fromIds('user', userList, { order });
    const itemIds = IdMap.fromIds('item', itemList, { order });
    if (order === 'sorted') {
      remap(userIndex, userList, userIds);
      remap(itemIndex, itemList, itemIds);
    }
    const min = this.#minRating;
    const max = this.#maxRating;
    const sum = this.#ratingSum;
    return {
      userIndex,
      itemIndex,
      rating,
      timestamp,
      implicit: this.#options.implicit ?? false,
      userIds,
      itemIds,
      source: this.#options.source ?? '<memory>',
      stats: {
        count: n,
        nUsers: userIds.size,
        nItems: itemIds.size,
        minRating: n ? min : NaN,
        maxRating: n ? max : NaN,
        meanRating: n ? sum / n : NaN,
      },
    };
  }
}

function remap(indices: Int32Array, firstAppearance: RawId[], map: IdMap): void {
  const lookup = Int32Array.from(firstAppearance, (id) => map.indexOf(id));
  for (let r = 0; r < indices.length; r++) indices[r] = lookup[indices[r]!]!;
}

/**
 * Builds a {@link RatingsTable} from rows of raw ids and ratings (tests, small data, fold-in).
 * With `implicit: true` the rows may omit `rating` (each row is one interaction, stored as 1);
 * otherwise every row needs one ({@link InvalidArgumentError} `argument: 'rating'`).
 */
export function createRatingsTable(
  rows: readonly { userId: RawId; itemId: RawId; rating?: number; timestamp?: number }[],
  options: RatingsTableBuilderOptions = {},
): RatingsTable {
  const builder = new RatingsTableBuilder({ initialCapacity: rows.length, ...options });
  rows.forEach((row, k) => {
    let rating = row.rating;
    if (rating === undefined) {
      if (!options.implicit)
        throw new InvalidArgumentError(
          'rating',
          `row ${k + 1} has no rating; give every row a rating, or pass implicit: true for interactions without ratings`,
        );
      rating = 1;
    }
    builder.add(row.userId, row.itemId, rating, row.timestamp);
  });
  return builder.finish();
}
