import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CfError } from './errors.js';
import { parseRawId, type RawId } from './raw-id.js';
import { RatingsParser, parseRatingsText } from './ratings-parser.js';

/** A row as the simple reference reader sees it. */
interface ReferenceRow {
  userId: RawId;
  itemId: RawId;
  rating: number;
  /** Absent when the header has no timestamp column (the layout allows leaving it out). */
  timestamp?: number;
}

const COLUMNS = ['userId', 'movieId', 'rating', 'timestamp'] as const;

/**
 * The simplest reader of the ratings.csv layout that follows cf's documented rules for text
 * without quotes: a leading BOM is dropped; lines end at LF (one CR before it is dropped); empty
 * lines are skipped; the first line names the columns (`timestamp` may be left out); every later
 * line needs the named fields, non-empty ids and numeric rating and timestamp. NUL and U+FFFD are refused. `undefined` means
 * the text must be refused.
 */
function referenceRead(text: string): ReferenceRow[] | undefined {
  if (text.includes('\0') || text.includes('\uFFFD')) return undefined;
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const records = body
    .split('\n')
    .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line))
    .filter((line) => line.length > 0)
    .map((line) => line.split(','));
  const header = records[0];
  if (!header) return undefined;
  const at = COLUMNS.map((c) => header.indexOf(c));
  if (at.slice(0, 3).some((i) => i < 0)) return undefined;
  const hasTimestamp = at[3]! >= 0;
  const minFields = Math.max(...at) + 1;
  const rows: ReferenceRow[] = [];
  const number = (t: string): number | undefined => {
    const v = Number(t);
    return Number.isFinite(v) && (v !== 0 || t.trim().length > 0) ? v : undefined;
  };
  for (const fields of records.slice(1)) {
    if (fields.length < minFields) return undefined;
    const [u, i, r, ts] = at.map((k) => fields[k]!) as [string, string, string, string];
    if (u.length === 0 || i.length === 0) return undefined;
    const rating = number(r);
    const timestamp = hasTimestamp ? number(ts) : 0;
    if (rating === undefined || timestamp === undefined) return undefined;
    rows.push({
      userId: parseRawId(u),
      itemId: parseRawId(i),
      rating: Math.fround(rating),
      // timestamps are stored as integers where they fit, which has no -0
      ...(hasTimestamp ? { timestamp: timestamp + 0 } : {}),
    });
  }
  return rows.length ? rows : undefined;
}

function rowsOf(text: string, chunks?: number[], bytes = false): ReferenceRow[] {
  let loaded;
  if (bytes) {
    // the stream loaders' path: bytes, with the fast path for plain rows
    const encoded = new TextEncoder().encode(text);
    const parser = new RatingsParser({ source: 'prop.csv' });
    let at = 0;
    for (const size of chunks ?? []) {
      parser.pushBytes(encoded.subarray(at, at + size));
      at += size;
    }
    parser.pushBytes(encoded.subarray(at));
    loaded = parser.end();
  } else if (chunks) {
    const parser = new RatingsParser({ source: 'prop.csv' });
    let at = 0;
    for (const size of chunks) {
      parser.push(text.slice(at, at + size));
      at += size;
    }
    parser.push(text.slice(at));
    loaded = parser.end();
  } else {
    loaded = parseRatingsText(text, { source: 'prop.csv' });
  }
  const { table } = loaded;
  const { timestamp } = table;
  return Array.from(table.rating, (rating, r) => ({
    userId: table.userIds.idAt(table.userIndex[r]!),
    itemId: table.itemIds.idAt(table.itemIndex[r]!),
    rating,
    ...(timestamp ? { timestamp: timestamp[r]! + 0 } : {}), // -0 and 0 are the same time
  }));
}

/** Parses, or returns the CfError thrown; anything else thrown fails the property. */
function attempt(text: string, chunks?: number[], bytes = false): ReferenceRow[] | CfError {
  try {
    return rowsOf(text, chunks, bytes);
  } catch (error) {
    if (error instanceof CfError) return error;
    throw error;
  }
}

const idText = fc.oneof(
  fc.integer({ min: 0, max: 700 }).map(String),
  fc.constantFrom('2147483648', '9007199254740993', '007', '-3', 'u1', 'movie-9', ''),
);
const numberText = fc.oneof(
  fc.integer({ min: 1, max: 10 }).map((k) => (k / 2).toFixed(1)),
  fc.integer({ min: 0, max: 2_000_000_000 }).map(String),
  fc.constantFrom('', ' ', 'x', 'NaN', '1e3', '-0', '4.', '.5', 'Infinity', '0x10'),
);
const rowText = fc.tuple(idText, idText, numberText, numberText).map((fields) => fields.join(','));
const csvText = fc
  .record({
    bom: fc.boolean(),
    crlf: fc.boolean(),
    header: fc.constantFrom(
      'userId,movieId,rating,timestamp',
      'movieId,userId,timestamp,rating,extra',
      'userId,movieId,rating',
      'user,item,rating,timestamp',
      '',
    ),
    rows: fc.array(
      fc.oneof({ weight: 8, arbitrary: rowText }, { weight: 1, arbitrary: fc.constant('') }),
      { maxLength: 8 },
    ),
    finalNewline: fc.boolean(),
  })
  .map(({ bom, crlf, header, rows, finalNewline }) => {
    const eol = crlf ? '\r\n' : '\n';
    const lines = [header, ...rows];
    return (bom ? '\uFEFF' : '') + lines.join(eol) + (finalNewline ? eol : '');
  });
/** A valid-looking text with a few random character edits (inserts, deletes, replacements). */
const mutatedText = fc
  .tuple(
    csvText,
    fc.array(
      fc.tuple(
        fc.nat(),
        fc.constantFrom('insert', 'delete', 'replace'),
        fc.constantFrom(',', '"', '\n', '\r', '\0', ' ', '\uFFFD', 'a', '9', '.', '\t', ':'),
      ),
      { maxLength: 4 },
    ),
  )
  .map(([text, edits]) => {
    let t = text;
    for (const [position, kind, ch] of edits) {
      const at = t.length ? position % (t.length + 1) : 0;
      if (kind === 'insert') t = t.slice(0, at) + ch + t.slice(at);
      else if (kind === 'delete') t = t.slice(0, at) + t.slice(at + 1);
      else t = t.slice(0, at) + ch + t.slice(at + 1);
    }
    return t;
  });

describe('ratings parser, property-based (issue 9)', () => {
  it('parses exactly what the reference reader accepts and throws a CfError for the rest (10,000 cases)', () => {
    fc.assert(
      fc.property(fc.oneof(csvText, mutatedText), (text) => {
        const result = attempt(text);
        if (text.includes('"')) return; // quoted text goes through csv-parse: a table or a CfError is all we ask
        const expected = referenceRead(text);
        if (expected === undefined) expect(result).toBeInstanceOf(CfError);
        else expect(result).toEqual(expected);
      }),
      { numRuns: 10_000, seed: 20261129 },
    );
  });

  it('gives the same result however the text is cut into pieces (2,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.oneof(csvText, mutatedText),
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 10 }),
        (text, chunks) => {
          const whole = attempt(text);
          const pieces = attempt(text, chunks);
          if (whole instanceof CfError) expect(pieces).toBeInstanceOf(CfError);
          else expect(pieces).toEqual(whole);
        },
      ),
      { numRuns: 2_000, seed: 7 },
    );
  });

  it('reads bytes (the fast path for plain rows) as it reads the text, however they are cut (5,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.oneof(csvText, mutatedText),
        fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 10 }),
        (text, chunks) => {
          const fromText = attempt(text);
          const fromBytes = attempt(text, chunks, true);
          if (fromText instanceof CfError) expect(fromBytes).toBeInstanceOf(CfError);
          else expect(fromBytes).toEqual(fromText);
          if (text.includes('"')) return;
          const expected = referenceRead(text);
          if (expected === undefined) expect(fromBytes).toBeInstanceOf(CfError);
          else expect(fromBytes).toEqual(expected);
        },
      ),
      { numRuns: 5_000, seed: 16 },
    );
  });
});
