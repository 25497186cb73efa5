import { InvalidArgumentError } from './errors.js';
import { IdMap, type IdOrder } from './id-map.js';
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

function grow<T extends Int32Array | Float32Array | Float64Array>(array: T, capacity: number): T {
  const next = new (array.constructor as new (n: number) => T)(capacity);
  next.set(array);
  return next;
}

/**
 * Appends rows one at a time into growing typed arrays, assigning dense indices to raw ids as they
 * first appear, then {@link RatingsTableBuilder.finish}es into a {@link RatingsTable}.
 */
export class RatingsTableBuilder {
  #userIndex: Int32Array;
  #itemIndex: Int32Array;
  #rating: Float32Array;
  #timestamp: Float64Array | undefined;
  #length = 0;
  readonly #users = new Map<RawId, number>();
  readonly #items = new Map<RawId, number>();
  readonly #userList: RawId[] = [];
  readonly #itemList: RawId[] = [];
  readonly #options: RatingsTableBuilderOptions;

  constructor(options: RatingsTableBuilderOptions = {}) {
    const capacity = Math.max(16, options.initialCapacity ?? 1024);
    this.#userIndex = new Int32Array(capacity);
    this.#itemIndex = new Int32Array(capacity);
    this.#rating = new Float32Array(capacity);
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
    if (row > 0 && (timestamp !== undefined) !== (this.#timestamp !== undefined)) {
      throw new InvalidArgumentError(
        'timestamp',
        `row ${row + 1} ${timestamp === undefined ? 'has no timestamp but earlier rows have one' : 'has a timestamp but earlier rows have none'}; give a timestamp for every row or for none`,
      );
    }
    if (row === this.#rating.length) {
      const capacity = row * 2;
      this.#userIndex = grow(this.#userIndex, capacity);
      this.#itemIndex = grow(this.#itemIndex, capacity);
      this.#rating = grow(this.#rating, capacity);
      if (this.#timestamp) this.#timestamp = grow(this.#timestamp, capacity);
    }
    let user = this.#users.get(userId);
    if (user === undefined) {
      user = this.#userList.length;
      this.#users.set(userId, user);
      this.#userList.push(userId);
    }
    let item = this.#items.get(itemId);
    if (item === undefined) {
      item = this.#itemList.length;
      this.#items.set(itemId, item);
      this.#itemList.push(itemId);
    }
    this.#userIndex[row] = user;
    this.#itemIndex[row] = item;
    this.#rating[row] = rating;
    if (timestamp !== undefined) {
      this.#timestamp ??= new Float64Array(this.#rating.length);
      this.#timestamp[row] = timestamp;
    }
    this.#length = row + 1;
  }

  /** Trims the columns to length, applies the id order, computes the stats. The builder is spent. */
  finish(): RatingsTable {
    const n = this.#length;
    const userIndex = this.#userIndex.slice(0, n);
    const itemIndex = this.#itemIndex.slice(0, n);
    const rating = this.#rating.slice(0, n);
    let timestamp: Int32Array | Float64Array | undefined;
    if (this.#timestamp) {
      const ts = this.#timestamp.subarray(0, n);
      const fitsInt32 = ts.every((t) => Number.isInteger(t) && t >= -2147483648 && t <= 2147483647);
      timestamp = fitsInt32 ? Int32Array.from(ts) : ts.slice();
    }
    const order = this.#options.idOrder ?? 'first-appearance';
    const userIds = IdMap.fromIds('user', this.#userList, { order });
    const itemIds = IdMap.fromIds('item', this.#itemList, { order });
    if (order === 'sorted') {
      remap(userIndex, this.#userList, userIds);
      remap(itemIndex, this.#itemList, itemIds);
    }
    let min = Infinity;
    let max = -Infinity;
    let sum = 0;
    for (let r = 0; r < n; r++) {
      const v = rating[r]!;
      if (v < min) min = v;
      if (v > max) max = v;
      sum += v;
    }
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
