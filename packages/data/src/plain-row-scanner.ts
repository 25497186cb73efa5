// The byte-level fast path of the ratings parser: plain numeric rows read straight from the bytes,
// without decoding to text, splitting into strings or Number(). Anything unusual is left to the
// full parser (DelimitedTextReader + RatingsParser), which is the definition of what a line means:
// this scanner accepts a line only when that parser would read it to the same row.

/** What a field of a plain row holds. */
export const FIELD_USER = 0;
export const FIELD_ITEM = 1;
export const FIELD_RATING = 2;
export const FIELD_TIMESTAMP = 3;
/** A column the ratings do not use: any printable ASCII except `"` and the delimiter. */
export const FIELD_OTHER = 4;

/** The shape of the rows the scanner accepts. */
export interface PlainRowLayout {
  /** The delimiter's bytes (ASCII, no digit, `.`, `"`, CR or LF). */
  delimiter: Uint8Array;
  /** The role of each field, in order; a row must have exactly this many fields. */
  roles: Uint8Array;
  /** Ratings outside [min, max] are left to the full parser (which reports them). */
  ratingMin: number;
  ratingMax: number;
}

/**
 * Rows read by {@link scanPlainRows}, as columns of up to `capacity` rows: row `k < length` has
 * raw ids `userId[k]`, `itemId[k]` (non-negative integers), `rating[k]`, `timestamp[k]` (0 when the
 * layout has none) and its 1-based source line `line[k]`. Reused from scan to scan.
 */
export class PlainRowBatch {
  readonly userId: Float64Array;
  readonly itemId: Float64Array;
  readonly rating: Float64Array;
  readonly timestamp: Float64Array;
  readonly line: Int32Array;
  /** Rows filled by the last scan. */
  length = 0;

  constructor(readonly capacity = 4096) {
    this.userId = new Float64Array(capacity);
    this.itemId = new Float64Array(capacity);
    this.rating = new Float64Array(capacity);
    this.timestamp = new Float64Array(capacity);
    this.line = new Int32Array(capacity);
  }
}

/** Where {@link scanPlainRows} stopped. */
export interface PlainRowScan {
  /** Byte offset of the first line not consumed (a line start). */
  position: number;
  /** 1-based number of that line. */
  line: number;
  /**
   * `'end'`: every byte consumed; `'partial'`: the last line has no line end yet; `'unusual'`: the
   * line at `position` is for the full parser; `'full'`: the batch is full, scan on from `position`.
   */
  stop: 'end' | 'partial' | 'unusual' | 'full';
}

/** 10^k for k = 0…15 (exact doubles). */
const POW10 = Float64Array.from({ length: 16 }, (_, k) => 10 ** k);
/** More digits than this could exceed 2^53, where the digit loop stops being exact. */
const MAX_DIGITS = 15;

/**
 * Reads plain rows of `bytes` from `start` (a line start) into `batch` (from its row 0; sets
 * `batch.length`). A plain row has exactly the layout's fields; ids are canonical non-negative
 * integers (`0` or no leading zero, at most 15 digits: what `parseRawId` turns into the same
 * number); a rating is digits with an optional `.digits` (value = mantissa / 10^decimals, which is
 * correctly rounded and so equal to `Number(text)`); a timestamp is digits; the line ends with LF
 * or CRLF. Empty lines are skipped. It stops when the batch is full, at the first line it cannot
 * read that way, or at a last line with no line end.
 */
export function scanPlainRows(
  bytes: Uint8Array,
  start: number,
  firstLine: number,
  layout: PlainRowLayout,
  batch: PlainRowBatch,
): PlainRowScan {
  const { roles } = layout;
  const standard =
    (roles.length === 3 || (roles.length === 4 && roles[3] === FIELD_TIMESTAMP)) &&
    roles[0] === FIELD_USER &&
    roles[1] === FIELD_ITEM &&
    roles[2] === FIELD_RATING;
  return standard
    ? scanStandardRows(bytes, start, firstLine, layout, batch)
    : scanAnyRows(bytes, start, firstLine, layout, batch);
}

/** Why a scan stopped before the end: no line end left (`'partial'`) or a line for the full parser. */
function stopAt(bytes: Uint8Array, position: number): 'partial' | 'unusual' {
  return bytes.indexOf(10, position) === -1 ? 'partial' : 'unusual';
}

/**
 * {@link scanPlainRows} for the MovieLens layouts (user, item, rating and maybe timestamp, in that
 * order): the same rules in straight-line code, about twice as fast as the field loop of
 * `scanAnyRows`.
 */
function scanStandardRows(
  bytes: Uint8Array,
  start: number,
  firstLine: number,
  layout: PlainRowLayout,
  batch: PlainRowBatch,
): PlainRowScan {
  const { delimiter, ratingMin, ratingMax } = layout;
  const withTimestamp = layout.roles.length === 4;
  const d0 = delimiter[0]!;
  const d1 = delimiter.length > 1 ? delimiter[1]! : -1;
  const length = bytes.length;
  const { userId: users, itemId: items, rating: ratings, timestamp: times, capacity } = batch;
  const lines = batch.line;
  let count = 0;
  let position = start;
  let line = firstLine;
  let stop: PlainRowScan['stop'] = 'end';
  while (position < length) {
    if (count === capacity) {
      stop = 'full';
      break;
    }
    let p = position;
    const c0 = bytes[p]!;
    if (c0 === 10 || (c0 === 13 && p + 1 < length && bytes[p + 1] === 10)) {
      position = c0 === 10 ? p + 1 : p + 2; // an empty line
      line++;
      continue;
    }
    let digit = 0;
    // user id
    let first = p;
    let user = 0;
    while (p < length && (digit = bytes[p]! - 48) >>> 0 <= 9) {
      user = user * 10 + digit;
      p++;
    }
    let digits = p - first;
    if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && bytes[first] === 48)) break;
    if (p >= length || bytes[p] !== d0) break;
    p++;
    if (d1 >= 0) {
      if (p >= length || bytes[p] !== d1) break;
      p++;
    }
    // item id
    first = p;
    let item = 0;
    while (p < length && (digit = bytes[p]! - 48) >>> 0 <= 9) {
      item = item * 10 + digit;
      p++;
    }
    digits = p - first;
    if (digits === 0 || digits > MAX_DIGITS || (digits > 1 && bytes[first] === 48)) break;
    if (p >= length || bytes[p] !== d0) break;
    p++;
    if (d1 >= 0) {
      if (p >= length || bytes[p] !== d1) break;
      p++;
    }
    // rating
    first = p;
    let rating = 0;
    while (p < length && (digit = bytes[p]! - 48) >>> 0 <= 9) {
      rating = rating * 10 + digit;
      p++;
    }
    digits = p - first;
    if (digits === 0 || digits > MAX_DIGITS) break;
    if (p < length && bytes[p] === 46) {
      p++;
      const fraction = p;
      while (p < length && (digit = bytes[p]! - 48) >>> 0 <= 9) {
        rating = rating * 10 + digit;
        p++;
      }
      const decimals = p - fraction;
      if (decimals === 0 || digits + decimals > MAX_DIGITS) break;
      rating /= POW10[decimals]!;
    }
    if (rating < ratingMin || rating > ratingMax) break;
    // timestamp
    let timestamp = 0;
    if (withTimestamp) {
      if (p >= length || bytes[p] !== d0) break;
      p++;
      if (d1 >= 0) {
        if (p >= length || bytes[p] !== d1) break;
        p++;
      }
      first = p;
      while (p < length && (digit = bytes[p]! - 48) >>> 0 <= 9) {
        timestamp = timestamp * 10 + digit;
        p++;
      }
      digits = p - first;
      if (digits === 0 || digits > MAX_DIGITS) break;
    }
    // line end
    if (p >= length) break;
    const c = bytes[p]!;
    if (c === 13) {
      if (++p >= length || bytes[p] !== 10) break;
    } else if (c !== 10) break;
    users[count] = user;
    items[count] = item;
    ratings[count] = rating;
    times[count] = timestamp;
    lines[count] = line;
    count++;
    position = p + 1;
    line++;
  }
  // the loop ends at the end of the bytes, on a full batch, or (break) at a line it cannot read
  if (position < length && stop === 'end') stop = stopAt(bytes, position);
  batch.length = count;
  return { position, line, stop };
}

/** {@link scanPlainRows} for any layout: one loop over the fields and their roles. */
function scanAnyRows(
  bytes: Uint8Array,
  start: number,
  firstLine: number,
  layout: PlainRowLayout,
  batch: PlainRowBatch,
): PlainRowScan {
  const { roles, delimiter, ratingMin, ratingMax } = layout;
  const nFields = roles.length;
  const d0 = delimiter[0]!;
  const d1 = delimiter.length > 1 ? delimiter[1]! : -1;
  const length = bytes.length;
  const { userId: users, itemId: items, rating: ratings, timestamp: times, capacity } = batch;
  const lines = batch.line;
  /** The value of each role in the current line (index FIELD_USER … FIELD_TIMESTAMP). */
  const values = new Float64Array(4);
  let count = 0;
  let position = start;
  let line = firstLine;
  let stop: PlainRowScan['stop'] = 'end';
  while (position < length) {
    if (count === capacity) {
      stop = 'full';
      break;
    }
    let p = position;
    const c0 = bytes[p]!;
    if (c0 === 10 || (c0 === 13 && p + 1 < length && bytes[p + 1] === 10)) {
      position = c0 === 10 ? p + 1 : p + 2; // an empty line
      line++;
      continue;
    }
    values[FIELD_RATING] = 1;
    values[FIELD_TIMESTAMP] = 0;
    let plain = true;
    for (let f = 0; ;) {
      const role = roles[f]!;
      if (role === FIELD_OTHER) {
        while (p < length) {
          const c = bytes[p]!;
          if (c === d0 || c === 34 || c < 32 || c > 126) break;
          p++;
        }
      } else {
        const first = p;
        let value = 0;
        let digit = 0;
        while (p < length && (digit = bytes[p]! - 48) >>> 0 <= 9) {
          value = value * 10 + digit;
          p++;
        }
        const digits = p - first;
        if (digits === 0 || digits > MAX_DIGITS) {
          plain = false;
          break;
        }
        if (role === FIELD_RATING) {
          if (p < length && bytes[p] === 46) {
            p++;
            const fraction = p;
            while (p < length && (digit = bytes[p]! - 48) >>> 0 <= 9) {
              value = value * 10 + digit;
              p++;
            }
            const decimals = p - fraction;
            if (decimals === 0 || digits + decimals > MAX_DIGITS) {
              plain = false;
              break;
            }
            value /= POW10[decimals]!;
          }
        } else if (role !== FIELD_TIMESTAMP && digits > 1 && bytes[first] === 48) {
          plain = false; // "007" stays a string id
          break;
        }
        values[role] = value;
      }
      if (++f === nFields) break;
      if (p >= length || bytes[p] !== d0) {
        plain = false;
        break;
      }
      p++;
      if (d1 >= 0) {
        if (p >= length || bytes[p] !== d1) {
          plain = false;
          break;
        }
        p++;
      }
    }
    if (!plain || p >= length) break;
    const c = bytes[p]!;
    if (c === 13) {
      if (++p >= length || bytes[p] !== 10) break;
    } else if (c !== 10) break;
    const rating = values[FIELD_RATING];
    if (rating < ratingMin || rating > ratingMax) break;
    users[count] = values[FIELD_USER]!;
    items[count] = values[FIELD_ITEM]!;
    ratings[count] = rating;
    times[count] = values[FIELD_TIMESTAMP]!;
    lines[count] = line;
    count++;
    position = p + 1;
    line++;
  }
  if (position < length && stop === 'end') stop = stopAt(bytes, position);
  batch.length = count;
  return { position, line, stop };
}
