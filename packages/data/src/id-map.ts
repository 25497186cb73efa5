import { UnknownIdError, type IdKind, InvalidArgumentError } from './errors.js';
import type { RawId } from './raw-id.js';

/** How dense indices are assigned: in first-appearance order (what `pandas.unique` gives) or sorted. */
export type IdOrder = 'first-appearance' | 'sorted';

/** What a lookup of an id that is not in the map does: throw {@link UnknownIdError}, or return -1. */
export type UnknownIdPolicy = 'throw' | 'missing';

/** The serialised form of an {@link IdMap}: `ids[index]` is the raw id of dense index `index`. */
export interface IdMapConfig {
  kind: IdKind;
  ids: RawId[];
}

/** Options of {@link IdMap.fromIds}. */
export interface IdMapOptions {
  /** Index order. Default `'first-appearance'`. */
  order?: IdOrder;
}

function compareRawIds(a: RawId, b: RawId): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1; // numbers before strings
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A two-way map between raw ids (numbers or strings, as in the data) and the dense indices
 * `0..size-1` that a model's embedding tables use.
 */
export class IdMap {
  readonly kind: IdKind;
  readonly #ids: RawId[];
  readonly #indexById: Map<RawId, number>;

  private constructor(kind: IdKind, ids: RawId[], indexById: Map<RawId, number>) {
    this.kind = kind;
    this.#ids = ids;
    this.#indexById = indexById;
  }

  /** Builds a map from ids in the given order of appearance; repeated ids keep their first index. */
  static fromIds(kind: IdKind, ids: Iterable<RawId>, options: IdMapOptions = {}): IdMap {
    const indexById = new Map<RawId, number>();
    const unique: RawId[] = [];
    for (const id of ids) {
      if (!indexById.has(id)) {
        indexById.set(id, unique.length);
        unique.push(id);
      }
    }
    if ((options.order ?? 'first-appearance') === 'sorted') {
      unique.sort(compareRawIds);
      unique.forEach((id, index) => indexById.set(id, index));
    }
    return new IdMap(kind, unique, indexById);
  }

  /** Restores a map saved with {@link IdMap.toJSON}. Throws if an id repeats. */
  static fromJSON(config: IdMapConfig): IdMap {
    const indexById = new Map<RawId, number>();
    config.ids.forEach((id, index) => {
      if (typeof id !== 'number' && typeof id !== 'string') {
        throw new InvalidArgumentError(
          `${config.kind} id map`,
          `entry ${index} is not a number or a string`,
        );
      }
      if (indexById.has(id)) {
        throw new InvalidArgumentError(
          `${config.kind} id map`,
          `id ${JSON.stringify(id)} appears twice (indices ${indexById.get(id)} and ${index})`,
        );
      }
      indexById.set(id, index);
    });
    return new IdMap(config.kind, [...config.ids], indexById);
  }

  /** Number of distinct ids. */
  get size(): number {
    return this.#ids.length;
  }

  /** The dense index of a raw id; unknown ids throw {@link UnknownIdError} or give -1, per `onUnknown` (default throw). */
  indexOf(id: RawId, onUnknown: UnknownIdPolicy = 'throw'): number {
    const index = this.#indexById.get(id);
    if (index !== undefined) return index;
    if (onUnknown === 'missing') return -1;
    throw new UnknownIdError(this.kind, id);
  }

  /** Whether the raw id is in the map. */
  has(id: RawId): boolean {
    return this.#indexById.has(id);
  }

  /** The raw id of a dense index. Throws a RangeError outside `0..size-1`. */
  idAt(index: number): RawId {
    const id = this.#ids[index];
    if (id === undefined)
      throw new RangeError(`${this.kind} index ${index} is outside 0..${this.#ids.length - 1}`);
    return id;
  }

  /** The raw ids in index order (a copy). */
  ids(): RawId[] {
    return [...this.#ids];
  }

  /** Serialisable form, restored by {@link IdMap.fromJSON}. */
  toJSON(): IdMapConfig {
    return { kind: this.kind, ids: [...this.#ids] };
  }
}
