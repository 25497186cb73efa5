import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { RatingsTableBuilder, createRatingsTable } from './ratings-table.js';

const rows = [
  { userId: 'u3', itemId: 20, rating: 4 },
  { userId: 'u1', itemId: 10, rating: 3.5 },
  { userId: 'u3', itemId: 10, rating: 5 },
  { userId: 'u2', itemId: 2 ** 31, rating: 0.5 },
];

describe('createRatingsTable / RatingsTableBuilder', () => {
  it('assigns dense indices in first-appearance order by default', () => {
    const table = createRatingsTable(rows, { source: 'hand' });
    expect(table.userIds.ids()).toEqual(['u3', 'u1', 'u2']);
    expect(table.itemIds.ids()).toEqual([20, 10, 2 ** 31]);
    expect(table.userIndex).toEqual(Int32Array.from([0, 1, 0, 2]));
    expect(table.itemIndex).toEqual(Int32Array.from([0, 1, 1, 2]));
    expect(table.rating).toEqual(Float32Array.from([4, 3.5, 5, 0.5]));
    expect(table.timestamp).toBeUndefined();
    expect(table.source).toBe('hand');
  });

  it('with idOrder "sorted" sorts the maps and remaps the index columns', () => {
    const table = createRatingsTable(rows, { idOrder: 'sorted' });
    expect(table.userIds.ids()).toEqual(['u1', 'u2', 'u3']);
    expect(table.itemIds.ids()).toEqual([10, 20, 2 ** 31]);
    expect(table.userIndex).toEqual(Int32Array.from([2, 0, 2, 1]));
    expect(table.itemIndex).toEqual(Int32Array.from([1, 0, 0, 2]));
    for (let r = 0; r < rows.length; r++) {
      expect(table.userIds.idAt(table.userIndex[r]!)).toBe(rows[r]!.userId);
      expect(table.itemIds.idAt(table.itemIndex[r]!)).toBe(rows[r]!.itemId);
    }
  });

  it('computes the stats', () => {
    expect(createRatingsTable(rows).stats).toEqual({
      count: 4,
      nUsers: 3,
      nItems: 3,
      minRating: 0.5,
      maxRating: 5,
      meanRating: 13 / 4,
    });
  });

  it('an empty table has zero counts and NaN rating stats', () => {
    const table = new RatingsTableBuilder().finish();
    expect(table.rating).toHaveLength(0);
    expect(table.stats).toEqual({
      count: 0,
      nUsers: 0,
      nItems: 0,
      minRating: NaN,
      maxRating: NaN,
      meanRating: NaN,
    });
    expect(table.source).toBe('<memory>');
  });

  it('grows past its initial capacity, timestamps included', () => {
    const builder = new RatingsTableBuilder({ initialCapacity: 1 });
    for (let r = 0; r < 100; r++) builder.add(r % 7, `i${r % 13}`, r % 5, 1000 + r);
    expect(builder.length).toBe(100);
    const table = builder.finish();
    expect(table.rating).toHaveLength(100);
    expect(table.rating.buffer.byteLength).toBe(400); // trimmed to length
    expect(Array.from(table.timestamp!)).toEqual(Array.from({ length: 100 }, (_, r) => 1000 + r));
    expect(table.userIndex[99]).toBe(99 % 7);
    expect(table.stats).toMatchObject({ nUsers: 7, nItems: 13 });
  });

  it('stores timestamps as Int32Array when every value fits, else Float64Array', () => {
    const withTimestamps = (timestamps: number[]) =>
      createRatingsTable(
        timestamps.map((timestamp, r) => ({ userId: r, itemId: 1, rating: 1, timestamp })),
      );
    const fits = withTimestamps([0, 2147483647, -2147483648, 964982703]);
    expect(fits.timestamp).toBeInstanceOf(Int32Array);
    expect(Array.from(fits.timestamp!)).toEqual([0, 2147483647, -2147483648, 964982703]);
    const large = withTimestamps([1, 2147483648]);
    expect(large.timestamp).toBeInstanceOf(Float64Array);
    expect(Array.from(large.timestamp!)).toEqual([1, 2147483648]);
    const fractional = withTimestamps([1, 1.5]);
    expect(fractional.timestamp).toBeInstanceOf(Float64Array);
    expect(Array.from(fractional.timestamp!)).toEqual([1, 1.5]);
  });

  it('rejects timestamps on some rows only, without half-adding the row', () => {
    const late = new RatingsTableBuilder();
    late.add('a', 'x', 1);
    expectError(() => late.add('b', 'y', 2, 100), InvalidArgumentError, { argument: 'timestamp' });
    const early = new RatingsTableBuilder();
    early.add('a', 'x', 1, 100);
    expectError(() => early.add('b', 'y', 2), InvalidArgumentError, { argument: 'timestamp' });
    for (const builder of [late, early]) {
      expect(builder.length).toBe(1);
      const table = builder.finish();
      expect(table.userIds.ids()).toEqual(['a']); // 'b' and 'y' were not registered
      expect(table.itemIds.ids()).toEqual(['x']);
      expect(table.stats).toMatchObject({ count: 1, nUsers: 1, nItems: 1 });
    }
  });

  it('finish() returns columns that do not alias the builder', () => {
    const builder = new RatingsTableBuilder();
    builder.add(1, 1, 1);
    const first = builder.finish();
    builder.add(2, 2, 2);
    expect(first.rating).toEqual(Float32Array.from([1]));
    expect(first.userIds.size).toBe(1);
  });
});
