import { describe, expect, it } from 'vitest';
import { applyDuplicatePolicy } from './duplicate-ratings.js';
import { InvalidArgumentError } from './errors.js';
import { expectCsvError } from './expect-csv-error.test-util.js';
import { expectError } from './expect-error.test-helper.js';
import { parseRatingsText } from './ratings-parser.js';
import { RatingsTableBuilder, createRatingsTable } from './ratings-table.js';

// A shop's purchase log: no rating column, string ids, a semicolon, a column we do not use.
const PURCHASES =
  'customer_id;product_id;store;bought_at\nc-07;p-1;north;100\nc-07;p-2;north;110\nc-11;p-1;south;120\n';

describe('implicit tables (no rating column: each row one interaction)', () => {
  it('loads a file without a rating column as an implicit table with every rating 1', () => {
    const { table, report } = parseRatingsText(PURCHASES, {
      source: 'purchases.csv',
      format: {
        delimiter: ';',
        header: true,
        columns: { user: 'customer_id', item: 'product_id', timestamp: 'bought_at' },
      },
    });
    expect(table.implicit).toBe(true);
    expect(table.userIds.ids()).toEqual(['c-07', 'c-11']);
    expect(table.itemIds.ids()).toEqual(['p-1', 'p-2']);
    expect(Array.from(table.userIndex)).toEqual([0, 0, 1]);
    expect(Array.from(table.itemIndex)).toEqual([0, 1, 0]);
    expect(Array.from(table.rating)).toEqual([1, 1, 1]);
    expect(Array.from(table.timestamp!)).toEqual([100, 110, 120]);
    expect(table.stats).toMatchObject({ count: 3, minRating: 1, maxRating: 1, meanRating: 1 });
    expect(report.format.columns.rating).toBeUndefined();
  });

  it('loads positions without a header or a timestamp', () => {
    const { table } = parseRatingsText('u1,i9\nu2,i9\n', {
      format: { delimiter: ',', header: false, columns: { user: 0, item: 1 } },
    });
    expect(table.implicit).toBe(true);
    expect(table.timestamp).toBeUndefined();
    expect(table.itemIds.ids()).toEqual(['i9']);
    expect(Array.from(table.rating)).toEqual([1, 1]);
  });

  it('a file with a rating column stays explicit', () => {
    const { table } = parseRatingsText('u,i,r\na,b,4\n', {
      format: { delimiter: ',', header: true, columns: { user: 'u', item: 'i', rating: 'r' } },
    });
    expect(table.implicit).toBe(false);
    expect(Array.from(table.rating)).toEqual([4]);
  });

  it('names the file, line and fields when an implicit row is short', () => {
    expectCsvError(
      () =>
        parseRatingsText('u,i\na,b\nc\n', {
          source: 'plays.csv',
          format: { delimiter: ',', header: true, columns: { user: 'u', item: 'i' } },
        }),
      { file: 'plays.csv', line: 3, message: /at least 2 fields .*\(u, i\), got 1/ },
    );
  });

  it('refuses a rating scale for a file without ratings, and a format without an item column', () => {
    expectError(
      () =>
        parseRatingsText('u,i\na,b\n', {
          ratingScale: [1, 5],
          format: { delimiter: ',', header: true, columns: { user: 'u', item: 'i' } },
        }),
      InvalidArgumentError,
      { argument: 'ratingScale' },
    );
    expectError(
      () =>
        parseRatingsText('u,i\na,b\n', {
          format: { delimiter: ',', header: true, columns: { user: 'u' } as never },
        }),
      InvalidArgumentError,
      { argument: 'format.columns' },
    );
  });

  it('createRatingsTable and the builder: rating 1 for every row, others refused', () => {
    const table = createRatingsTable(
      [
        { userId: 1, itemId: 'a' },
        { userId: 2, itemId: 'a', rating: 1 },
      ],
      { implicit: true },
    );
    expect(table.implicit).toBe(true);
    expect(Array.from(table.rating)).toEqual([1, 1]);
    expect(createRatingsTable([{ userId: 1, itemId: 'a', rating: 3 }]).implicit).toBe(false);
    expectError(() => createRatingsTable([{ userId: 1, itemId: 'a' }]), InvalidArgumentError, {
      argument: 'rating',
    });
    const builder = new RatingsTableBuilder({ implicit: true });
    expectError(() => builder.add(1, 2, 4), InvalidArgumentError, { argument: 'rating' });
    expect(builder.length).toBe(0);
  });

  it('duplicate policies keep the table implicit', () => {
    const table = createRatingsTable(
      [
        { userId: 1, itemId: 'a' },
        { userId: 1, itemId: 'a' },
        { userId: 2, itemId: 'b' },
      ],
      { implicit: true },
    );
    for (const policy of ['keep-last', 'average'] as const) {
      const result = applyDuplicatePolicy(table, policy);
      expect(result.duplicateCount).toBe(1);
      expect(result.table.implicit).toBe(true);
      expect(Array.from(result.table.rating)).toEqual([1, 1]);
    }
  });
});
