import { describe, expect, it } from 'vitest';
import { expectCsvError } from './expect-csv-error.test-util.js';
import {
  FIELD_ITEM,
  FIELD_OTHER,
  FIELD_RATING,
  FIELD_TIMESTAMP,
  FIELD_USER,
  PlainRowBatch,
  scanPlainRows,
  type PlainRowLayout,
} from './plain-row-scanner.js';
import { RatingsParser, parseRatingsText, type RatingsParserOptions } from './ratings-parser.js';

const encoder = new TextEncoder();

/** Parses `text` as bytes cut every `size` bytes (the stream loaders' path). */
function parseBytes(text: string | Uint8Array, size: number, options: RatingsParserOptions = {}) {
  const bytes = typeof text === 'string' ? encoder.encode(text) : text;
  const parser = new RatingsParser({ source: 'bytes.csv', ...options });
  for (let at = 0; at < bytes.length; at += size) parser.pushBytes(bytes.subarray(at, at + size));
  return parser.end();
}

function rows(text: string | Uint8Array, size: number, options: RatingsParserOptions = {}) {
  const { table } = parseBytes(text, size, options);
  return Array.from(table.rating, (rating, r) => [
    table.userIds.idAt(table.userIndex[r]!),
    table.itemIds.idAt(table.itemIndex[r]!),
    rating,
    table.timestamp?.[r],
  ]);
}

const LAYOUT: PlainRowLayout = {
  delimiter: Uint8Array.of(44),
  roles: Uint8Array.of(FIELD_USER, FIELD_ITEM, FIELD_RATING, FIELD_TIMESTAMP),
  ratingMin: -Infinity,
  ratingMax: Infinity,
};

/** Scans `text` from line 2 through batches of `capacity` rows, as the parser does. */
function scan(text: string, layout = LAYOUT, capacity = 4096) {
  const got: number[][] = [];
  const bytes = encoder.encode(text);
  const batch = new PlainRowBatch(capacity);
  let position = 0;
  let line = 2;
  for (;;) {
    const result = scanPlainRows(bytes, position, line, layout, batch);
    for (let k = 0; k < batch.length; k++)
      got.push([
        batch.userId[k]!,
        batch.itemId[k]!,
        batch.rating[k]!,
        batch.timestamp[k]!,
        batch.line[k]!,
      ]);
    if (result.stop !== 'full') return { got, ...result };
    position = result.position;
    line = result.line;
  }
}

/** The layout's roles reordered (item first), which the general field loop reads. */
const SWAPPED: PlainRowLayout = {
  ...LAYOUT,
  roles: Uint8Array.of(FIELD_ITEM, FIELD_USER, FIELD_RATING, FIELD_TIMESTAMP),
};

describe('scanPlainRows', () => {
  it('reads plain rows with their line numbers, skipping empty lines, LF or CRLF', () => {
    const { got, stop, line, position } = scan('1,10,4.5,100\r\n\n2,0,3,7\n');
    expect(got).toEqual([
      [1, 10, 4.5, 100, 2],
      [2, 0, 3, 7, 4],
    ]);
    expect({ stop, line, position }).toEqual({ stop: 'end', line: 5, position: 23 });
  });

  it('gives ratings equal to Number() of their text', () => {
    const texts = ['0', '5', '3.5', '0.1', '4.25', '1.333333333', '12345678.9012345', '007.50'];
    const { got } = scan(texts.map((r, k) => `1,${k},${r},0\n`).join(''));
    expect(got.map((row) => row[2])).toEqual(texts.map(Number));
  });

  it.each([
    ['a zero-padded id', '007,1,4,0\n'],
    ['a negative id', '-1,1,4,0\n'],
    ['a string id', 'u1,1,4,0\n'],
    ['16 digits', '1234567890123456,1,4,0\n'],
    ['an exponent', '1,1,4e0,0\n'],
    ['a rating "4."', '1,1,4.,0\n'],
    ['a rating ".5"', '1,1,.5,0\n'],
    ['a space', '1, 1,4,0\n'],
    ['too few fields', '1,1,4\n'],
    ['too many fields', '1,1,4,0,9\n'],
    ['a quote', '"1",1,4,0\n'],
    ['a lone CR', '1,1,4,0\r9\n'],
    ['a non-ASCII byte', '1,1,4,0é\n'],
    ['an empty field', '1,,4,0\n'],
  ])('leaves %s to the full parser', (_, text) => {
    for (const layout of [LAYOUT, SWAPPED]) {
      expect(scan(`1,2,3,4\n${text}`, layout)).toMatchObject({
        stop: 'unusual',
        position: 8,
        line: 3,
      });
      // the same line without its line end is unfinished, not unusual (more bytes may follow)
      expect(scan(`1,2,3,4\n${text.slice(0, -1)}`, layout)).toMatchObject({
        stop: 'partial',
        position: 8,
        line: 3,
      });
    }
  });

  it('stops before a last line without a line end', () => {
    for (const layout of [LAYOUT, SWAPPED]) {
      expect(scan('1,2,3,4\n5,6,7', layout)).toMatchObject({
        stop: 'partial',
        position: 8,
        line: 3,
      });
      expect(scan('1,2,3,4\n5,6,7,8\r', layout)).toMatchObject({ stop: 'partial', line: 3 });
    }
  });

  it('leaves ratings outside the declared scale to the full parser', () => {
    for (const roles of [LAYOUT.roles, SWAPPED.roles]) {
      const layout = { ...LAYOUT, roles, ratingMin: 0.5, ratingMax: 5 };
      expect(scan('1,2,5,4\n1,3,5.5,4\n', layout)).toMatchObject({ stop: 'unusual', line: 3 });
      expect(scan('1,2,0.5,4\n1,3,0.4,4\n', layout)).toMatchObject({ stop: 'unusual', line: 3 });
    }
  });

  it('reads the same rows with the MovieLens and the general loop, in batches of any size', () => {
    const text = '1,10,4.5,100\r\n\n2,0,3,7\n\r\n33,44,0.25,9\n5,6,5,123456789012345\n7,8,1.5,0\n';
    const all = scan(text);
    expect(all).toMatchObject({ stop: 'end', line: 9, position: text.length });
    expect(all.got).toEqual([
      [1, 10, 4.5, 100, 2],
      [2, 0, 3, 7, 4],
      [33, 44, 0.25, 9, 6],
      [5, 6, 5, 123456789012345, 7],
      [7, 8, 1.5, 0, 8],
    ]);
    const swapped = all.got.map(([u, i, ...rest]) => [i, u, ...rest]);
    for (const capacity of [1, 2, 3, 5]) {
      expect(scan(text, LAYOUT, capacity)).toEqual(all);
      expect(scan(text, SWAPPED, capacity)).toEqual({ ...all, got: swapped });
    }
    const batch = new PlainRowBatch(2);
    expect(scanPlainRows(encoder.encode(text), 0, 2, LAYOUT, batch)).toEqual({
      stop: 'full',
      position: '1,10,4.5,100\r\n\n2,0,3,7\n'.length,
      line: 5,
    });
    expect(batch.length).toBe(2);
    const noTimestamp = { ...LAYOUT, roles: LAYOUT.roles.subarray(0, 3) };
    expect(scan('1,2,3\r\n4,5,6.5\n', noTimestamp).got).toEqual([
      [1, 2, 3, 0, 2],
      [4, 5, 6.5, 0, 3],
    ]);
    expect(scan('1,2,3,4\n', noTimestamp)).toMatchObject({ stop: 'unusual', line: 2 });
  });

  it('reads other columns and two-byte delimiters', () => {
    const other = {
      ...LAYOUT,
      roles: Uint8Array.of(FIELD_ITEM, FIELD_OTHER, FIELD_USER, FIELD_RATING),
    };
    expect(scan('5,any text!,7,2\n', other).got).toEqual([[7, 5, 2, 0, 2]]);
    const dat = { ...LAYOUT, delimiter: Uint8Array.of(58, 58) };
    expect(scan('1::2::3::4\n1:2::3::4\n', dat)).toMatchObject({
      got: [[1, 2, 3, 4, 2]],
      stop: 'unusual',
    });
  });
});

describe('RatingsParser.pushBytes', () => {
  const header = 'userId,movieId,rating,timestamp\n';
  const plain = Array.from(
    { length: 300 },
    (_, k) => `${1 + (k % 7)},${k % 50},${1 + (k % 9) / 2},${1000 + k}\n`,
  ).join('');

  it.each([1, 3, 17, 4096])('reads the same table as the text parser in %i-byte pieces', (size) => {
    const text = `\uFEFF${header}${plain}u9,007,4,5\n${plain}\r\n1,2,3.5,6`;
    const expected = parseRatingsText(text, { source: 'bytes.csv', trackLines: true });
    const got = parseBytes(text, size, { trackLines: true });
    expect(got.table.userIds.ids()).toEqual(expected.table.userIds.ids());
    expect(got.table.itemIds.ids()).toEqual(expected.table.itemIds.ids());
    expect(got.table.userIndex).toEqual(expected.table.userIndex);
    expect(got.table.itemIndex).toEqual(expected.table.itemIndex);
    expect(got.table.rating).toEqual(expected.table.rating);
    expect(got.table.timestamp).toEqual(expected.table.timestamp);
    expect(got.report.lineOfRow).toEqual(expected.report.lineOfRow);
    expect(got.table.stats).toEqual(expected.table.stats);
    expect(got.report.duplicateCount).toBe(expected.report.duplicateCount);
    expect(got.table.userIds.ids()).toContain('u9');
    expect(got.table.itemIds.ids()).toContain('007');
  });

  it('names the right line and column of a bad row after thousands of fast rows', () => {
    const text = `${header}${plain}${plain}1,2,x,4\n${plain}`;
    for (const size of [5, 1 << 20])
      expectCsvError(() => parseBytes(text, size), {
        file: 'bytes.csv',
        line: 602,
        column: 3,
        message: /a number for the rating/,
      });
    expectCsvError(() => parseBytes(`${header}${plain}1,2,6,4\n`, 64, { ratingScale: [0.5, 5] }), {
      file: 'bytes.csv',
      line: 302,
      column: 3,
      message: /within the declared scale/,
    });
  });

  it('rejects an invalid UTF-8 byte after fast rows, at its line', () => {
    const bytes = encoder.encode(`${header}${plain}1,2,3,4\n`);
    bytes[bytes.length - 3] = 0xff;
    expectCsvError(() => parseBytes(bytes, 100), {
      file: 'bytes.csv',
      line: 302,
      message: /invalid UTF-8/,
    });
  });

  it('reads a BOM or a UTF-8 character cut between pieces anywhere', () => {
    const text = `\uFEFF${header}1,2,3,4\nü9,2,3,4\n1,é,3,5\n1,3,3,6\n`;
    const bytes = encoder.encode(text);
    const expected = parseRatingsText(text, { source: 'bytes.csv' }).table;
    for (let cut = 0; cut <= bytes.length; cut++) {
      const parser = new RatingsParser({ source: 'bytes.csv' });
      parser.pushBytes(bytes.subarray(0, cut));
      parser.pushBytes(bytes.subarray(cut));
      const { table } = parser.end();
      expect(table.userIds.ids()).toEqual(expected.userIds.ids());
      expect(table.itemIds.ids()).toEqual(expected.itemIds.ids());
      expect(table.userIndex).toEqual(expected.userIndex);
    }
    expect(expected.userIds.ids()).toEqual([1, 'ü9']);
  });

  it('finds quoted fields spanning lines between plain rows', () => {
    const text = `userId,movieId,rating,timestamp,note\n1,2,3,4,a\n1,3,4,5,"two\nlines"\n2,2,1,6,b\n`;
    for (const size of [1, 7, 1000]) {
      expect(rows(text, size)).toEqual([
        [1, 2, 3, 4],
        [1, 3, 4, 5],
        [2, 2, 1, 6],
      ]);
      expect(parseBytes(text, size, { trackLines: true }).report.lineOfRow).toEqual(
        Int32Array.of(2, 4, 5),
      );
    }
  });

  it('keeps ids exact: 2^31 and above as numbers, beyond 2^53 as strings', () => {
    const text = `${header}2147483648,9007199254740991,4,1\n1,99999999999999999,4,1\n`;
    expect(rows(text, 8)).toEqual([
      [2147483648, 9007199254740991, 4, 1],
      [1, '99999999999999999', 4, 1],
    ]);
  });

  it('falls back to float64 timestamps when one does not fit 32 bits', () => {
    const { table } = parseBytes(`${header}1,2,3,4\n1,3,4,99999999999\n`, 5);
    expect(table.timestamp).toBeInstanceOf(Float64Array);
    expect(Array.from(table.timestamp!)).toEqual([4, 99999999999]);
    expect(parseBytes(`${header}1,2,3,4\n`, 5).table.timestamp).toBeInstanceOf(Int32Array);
  });

  it('reads a column that has two roles (user and item, as fold-in reads) as the text parser does', () => {
    const format = {
      delimiter: ',',
      header: true,
      columns: { user: 'item', item: 'item', rating: 'rating' },
    };
    const text = 'item,rating\n1,5\n2,4\n3,1\n';
    const expected = parseRatingsText(text, { source: 'bytes.csv', format }).table;
    expect(rows(text, 4096, { format })).toEqual([
      [1, 1, 5, undefined],
      [2, 2, 4, undefined],
      [3, 3, 1, undefined],
    ]);
    expect(parseBytes(text, 4096, { format }).table.userIds.ids()).toEqual(expected.userIds.ids());
  });

  it("reads ml-100k's tab-separated u.data and ml-1m's '::' ratings.dat", () => {
    expect(
      rows('196\t242\t3\t881250949\n186\t302\t3\t891717742\n', 9, { format: 'u-data' }),
    ).toEqual([
      [196, 242, 3, 881250949],
      [186, 302, 3, 891717742],
    ]);
    expect(
      rows('1::1193::5::978300760\n1::661::3::978302109\n', 9, { format: 'ratings-dat' }),
    ).toEqual([
      [1, 1193, 5, 978300760],
      [1, 661, 3, 978302109],
    ]);
  });
});
