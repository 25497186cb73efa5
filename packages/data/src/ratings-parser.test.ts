import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectCsvError } from './expect-csv-error.test-util.js';
import { RatingsParser, parseRatingsText, type LoadRatingsOptions } from './ratings-parser.js';
import type { RatingsTable } from './ratings-table.js';

const CSV = 'userId,movieId,rating,timestamp\n1,10,4.0,100\n2,10,3.5,200\n1,30,5.0,300\n';

function columns(table: RatingsTable) {
  return {
    users: table.userIds.ids(),
    items: table.itemIds.ids(),
    userIndex: Array.from(table.userIndex),
    itemIndex: Array.from(table.itemIndex),
    rating: Array.from(table.rating),
    timestamp: table.timestamp ? Array.from(table.timestamp) : undefined,
  };
}

const EXPECTED = {
  users: [1, 2],
  items: [10, 30],
  userIndex: [0, 1, 0],
  itemIndex: [0, 0, 1],
  rating: [4, 3.5, 5],
  timestamp: [100, 200, 300],
};

describe('parseRatingsText: layouts', () => {
  it('reads ratings.csv (header userId,movieId,rating,timestamp)', () => {
    const { table, report } = parseRatingsText(CSV, { source: 'ratings.csv' });
    expect(columns(table)).toEqual(EXPECTED);
    expect(table.timestamp).toBeInstanceOf(Int32Array);
    expect(table.stats).toEqual({
      count: 3,
      nUsers: 2,
      nItems: 2,
      minRating: 3.5,
      maxRating: 5,
      meanRating: 12.5 / 3,
    });
    expect(table.source).toBe('ratings.csv');
    expect(report).toMatchObject({
      source: 'ratings.csv',
      rowsRead: 3,
      duplicateCount: 0,
      duplicates: 'keep-all',
      lineOfRow: undefined,
    });
  });

  it("reads u.data ('u-data': tab, no header)", () => {
    const { table } = parseRatingsText('1\t10\t4\t100\n2\t10\t3.5\t200\n1\t30\t5\t300\n', {
      format: 'u-data',
    });
    expect(columns(table)).toEqual(EXPECTED);
  });

  it("reads ratings.dat ('ratings-dat': '::', no header)", () => {
    const { table } = parseRatingsText('1::10::4::100\n2::10::3.5::200\n1::30::5::300', {
      format: 'ratings-dat',
    });
    expect(columns(table)).toEqual(EXPECTED);
  });

  it('reads a custom format by column name, in any column order, without timestamps', () => {
    const text = 'stars;who;what\n4;1;10\n3.5;2;10\n5;1;30\n';
    const { table } = parseRatingsText(text, {
      format: {
        delimiter: ';',
        header: true,
        columns: { user: 'who', item: 'what', rating: 'stars' },
      },
    });
    expect(columns(table)).toEqual({ ...EXPECTED, timestamp: undefined });
  });

  it('reads a custom format by 0-based position, skipping its header', () => {
    const text = 'a|b|c|d\nx|1|10|4\nx|2|10|3.5\nx|1|30|5\n';
    const { table } = parseRatingsText(text, {
      format: { delimiter: '|', header: true, columns: { user: 1, item: 2, rating: 3 } },
    });
    expect(columns(table)).toEqual({ ...EXPECTED, timestamp: undefined });
  });

  it('keeps non-canonical ids as strings (parseRawId)', () => {
    const { table } = parseRatingsText('u,i,r\nu7,007,1\n42,1.5,2\n', {
      format: { delimiter: ',', header: true, columns: { user: 'u', item: 'i', rating: 'r' } },
    });
    expect(table.userIds.ids()).toEqual(['u7', 42]);
    expect(table.itemIds.ids()).toEqual(['007', '1.5']);
  });

  it("orders ids by first appearance by default and ascending with idOrder 'sorted'", () => {
    const text = 'userId,movieId,rating,timestamp\n9,30,1,1\n2,10,2,2\n5,20,3,3\n';
    expect(parseRatingsText(text).table.userIds.ids()).toEqual([9, 2, 5]);
    const { table } = parseRatingsText(text, { idOrder: 'sorted' });
    expect(table.userIds.ids()).toEqual([2, 5, 9]);
    expect(table.itemIds.ids()).toEqual([10, 20, 30]);
    expect(Array.from(table.userIndex)).toEqual([2, 0, 1]);
    expect(Array.from(table.itemIndex)).toEqual([2, 0, 1]);
  });

  it('loads a BOM, CRLF line ends, empty lines and a last line without newline', () => {
    const text =
      '\uFEFFuserId,movieId,rating,timestamp\r\n1,10,4.0,100\r\n\r\n2,10,3.5,200\r\n1,30,5.0,300';
    const { table, report } = parseRatingsText(text, { trackLines: true });
    expect(columns(table)).toEqual(EXPECTED);
    expect(Array.from(report.lineOfRow ?? [])).toEqual([2, 4, 5]);
  });

  it('gives the same table whether pushed whole or one character at a time', () => {
    const text = 'userId,movieId,rating,timestamp\r\n1,10,4.0,100\r\n2,10,3.5,200\r\n1,30,5.0,300';
    const parser = new RatingsParser();
    for (const char of text) parser.push(char);
    expect(columns(parser.end().table)).toEqual(EXPECTED);
  });

  it('the hand-split fast path and csv-parse give identical tables (also with quoted fields)', () => {
    const plain =
      'userId,movieId,rating,timestamp\n' +
      Array.from(
        { length: 500 },
        (_, r) => `${(r * 7) % 13},${(r * 11) % 17},${(r % 10) / 2 + 0.5},${1000 + r}`,
      ).join('\n');
    const quoted = plain.replace(/\n(\d+),/g, '\n"$1",');
    for (const text of [plain, quoted]) {
      const fast = parseRatingsText(text, { parser: 'auto' }).table;
      const library = parseRatingsText(text, { parser: 'csv-parse' }).table;
      expect(columns(library)).toEqual(columns(fast));
      expect(fast.stats.count).toBe(500);
    }
  });
});

describe('parseRatingsText: duplicates', () => {
  // (1,10) three times (lines 2, 4, 6), (2,10) once.
  const text =
    'userId,movieId,rating,timestamp\n1,10,1,100\n2,10,2,200\n1,10,3,300\n1,20,4,400\n1,10,5,50\n';

  it("'keep-all' (default) keeps every row and counts the repeats", () => {
    const { table, report } = parseRatingsText(text);
    expect(Array.from(table.rating)).toEqual([1, 2, 3, 4, 5]);
    expect(report.duplicateCount).toBe(2);
    expect(report.rowsRead).toBe(5);
  });

  it("'keep-last' keeps the last row of each pair at its own position", () => {
    const { table, report } = parseRatingsText(text, { duplicates: 'keep-last', trackLines: true });
    expect(columns(table)).toEqual({
      users: [2, 1],
      items: [10, 20],
      userIndex: [0, 1, 1],
      itemIndex: [0, 1, 0],
      rating: [2, 4, 5],
      timestamp: [200, 400, 50],
    });
    expect(report.duplicateCount).toBe(2);
    expect(Array.from(report.lineOfRow ?? [])).toEqual([3, 5, 6]);
  });

  it("'average' keeps the first position with the mean rating and the latest timestamp", () => {
    const { table } = parseRatingsText(text, { duplicates: 'average' });
    expect(columns(table)).toEqual({
      users: [1, 2],
      items: [10, 20],
      userIndex: [0, 1, 0],
      itemIndex: [0, 0, 1],
      rating: [3, 2, 4],
      timestamp: [300, 200, 400],
    });
  });

  it("'error' throws at the first repeated pair, naming the earlier line", () => {
    expectCsvError(() => parseRatingsText(text, { duplicates: 'error', source: 'd.csv' }), {
      file: 'd.csv',
      line: 4,
      message: /user 1 rated item 10 already at line 2 \(2 repeated pairs in all\).*keep-last/,
    });
  });

  it("'error' accepts a file without repeats", () => {
    expect(parseRatingsText(CSV, { duplicates: 'error' }).report.duplicateCount).toBe(0);
  });
});

describe('parseRatingsText: errors name the file, line and column', () => {
  const load =
    (text: string, options: LoadRatingsOptions = {}) =>
    () =>
      parseRatingsText(text, { source: 'r.csv', ...options });

  it('an empty file', () => {
    expectCsvError(load(''), {
      file: 'r.csv',
      line: 1,
      message:
        /expected a header line naming the columns \(userId, movieId, rating, timestamp\).*the file is empty/,
    });
    expectCsvError(load('\n\n', { format: 'u-data' }), {
      file: 'r.csv',
      line: 1,
      message: /rating rows of 0, 1, 2, 3, but the file is empty/,
    });
  });

  it('a header-only file (with or without the last newline)', () => {
    expectCsvError(load('userId,movieId,rating,timestamp\n'), {
      file: 'r.csv',
      line: 2,
      message: /at least one rating row after the header/,
    });
    expectCsvError(load('userId,movieId,rating,timestamp'), {
      file: 'r.csv',
      line: 2,
      message: /at least one rating row after the header/,
    });
  });

  it('a missing column in the header', () => {
    expectCsvError(load('userId,movieId,score,timestamp\n1,2,3,4\n'), {
      file: 'r.csv',
      line: 1,
      message:
        /a header with a column named "rating" for the rating \(the header has "userId", "movieId", "score", "timestamp"\)/,
    });
  });

  it('a non-numeric rating, with its column', () => {
    expectCsvError(load(CSV + '3,10,four,400\n'), {
      file: 'r.csv',
      line: 5,
      column: 3,
      message: /r\.csv:5:3: expected a number for the rating, found "four"/,
    });
    expectCsvError(load(CSV + '3,10,,400\n'), {
      file: 'r.csv',
      line: 5,
      column: 3,
      message: /a number for the rating, found ""/,
    });
  });

  it('a non-numeric timestamp, and an empty id', () => {
    expectCsvError(load(CSV + '3,10,4,soon\n'), {
      file: 'r.csv',
      line: 5,
      column: 4,
      message: /a number for the timestamp, found "soon"/,
    });
    expectCsvError(load(CSV + '3,,4,1\n'), {
      file: 'r.csv',
      line: 5,
      column: 2,
      message: /expected an item id/,
    });
  });

  it('a rating outside the declared scale', () => {
    expectCsvError(load(CSV + '3,10,7,400\n', { ratingScale: [0.5, 5] }), {
      file: 'r.csv',
      line: 5,
      column: 3,
      message: /a rating within the declared scale \[0\.5, 5\], found "7"/,
    });
    expect(parseRatingsText(CSV, { ratingScale: [0.5, 5] }).table.stats.count).toBe(3);
    expect(() => parseRatingsText(CSV, { ratingScale: [5, 1] })).toThrow(InvalidArgumentError);
  });

  it('a line with too few fields', () => {
    expectCsvError(load(CSV + '3,10\n'), {
      file: 'r.csv',
      line: 5,
      message:
        /at least 4 fields separated by comma \(","\) \(userId, movieId, rating, timestamp\), got 2, found "3,10"/,
    });
  });

  it('a tab file read as comma (and a csv read as u.data) is called a wrong delimiter', () => {
    expectCsvError(load('1\t10\t4\t100\n'), {
      file: 'r.csv',
      line: 1,
      message: /separated by comma.*but this line is separated by tab \("\\t"\).*format 'u-data'/,
    });
    expectCsvError(load('1,10,4,100\n', { format: 'u-data' }), {
      file: 'r.csv',
      line: 1,
      message: /separated by tab.*but this line is separated by comma/,
    });
    expectCsvError(load('1::10::4::100\n', { format: 'u-data' }), {
      file: 'r.csv',
      line: 1,
      message: /separated by double colon.*'ratings-dat'/,
    });
  });

  it('binary data: a NUL byte or invalid UTF-8 (decoded as U+FFFD)', () => {
    expectCsvError(load(CSV + '3,1\u0000,4,5\n'), {
      file: 'r.csv',
      line: 5,
      message: /holds a NUL byte: this looks like a binary file/,
    });
    expectCsvError(load(CSV + '3,10,4,5\n\uFFFD\uFFFD\n'), {
      file: 'r.csv',
      line: 6,
      message: /invalid UTF-8 byte sequence/,
    });
  });

  it('an unclosed quote', () => {
    expectCsvError(load(CSV + '"3,10,4,5\n'), {
      file: 'r.csv',
      line: 5,
      message: /a closing quote/,
    });
  });

  it('bad options are InvalidArgumentError', () => {
    expect(() =>
      parseRatingsText(CSV, {
        format: { delimiter: ',', header: false, columns: { user: 'u', item: 1, rating: 2 } },
      }),
    ).toThrow(/header: false/);
    expect(() => parseRatingsText(CSV, { format: 'nope' as 'u-data' })).toThrow(
      InvalidArgumentError,
    );
  });
});

describe('the MovieLens CSV layout without a timestamp column', () => {
  const text = 'userId,movieId,rating\n1,10,4.5\n1,20,3\n2,10,5\n';
  const viaBytes = (csv: string): RatingsTable => {
    const parser = new RatingsParser({ source: 'r.csv' });
    parser.pushBytes(new TextEncoder().encode(csv));
    return parser.end().table;
  };

  it.each([
    ['text (the full parser)', (csv: string) => parseRatingsText(csv).table],
    ['bytes (the plain-row scanner)', viaBytes],
  ])('loads userId,movieId,rating through %s, with no timestamps', (_how, parse) => {
    const table = parse(text);
    expect(Array.from(table.rating)).toEqual([4.5, 3, 5]);
    expect(table.stats.nUsers).toBe(2);
    expect(table.timestamp).toBeUndefined();
    // the same file with timestamps still reads them
    expect(Array.from(parse('userId,movieId,rating,timestamp\n1,10,4,7\n').timestamp!)).toEqual([
      7,
    ]);
  });

  it('still needs the rating column, and a custom format still needs a named timestamp', () => {
    expectCsvError(
      () => parseRatingsText('userId,movieId,timestamp\n1,2,3\n', { source: 'r.csv' }),
      {
        file: 'r.csv',
        line: 1,
        message: /a header with a column named "rating"/,
      },
    );
    const custom = {
      delimiter: ',',
      header: true,
      columns: { user: 'u', item: 'i', rating: 'r', timestamp: 't' },
    };
    expectCsvError(() => parseRatingsText('u,i,r\n1,2,3\n', { source: 'r.csv', format: custom }), {
      file: 'r.csv',
      line: 1,
      message: /a header with a column named "t" for the timestamp/,
    });
  });
});
