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

/** Receives each accepted row. */
export interface PlainRowSink {
  row(userId: number, itemId: number, rating: number, timestamp: number, line: number): void;
}

/** Where {@link scanPlainRows} stopped. */
export interface PlainRowScan {
  /** Byte offset of the first line not consumed (a line start). */
  position: number;
  /** 1-based number of that line. */
  line: number;
  /** `'end'`: every byte consumed; `'partial'`: the last line has no line end yet; `'unusual'`: the line at `position` is for the full parser. */
  stop: 'end' | 'partial' | 'unusual';
}

/** 10^k for k = 0…15 (exact doubles). */
const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);
/** More digits than this could exceed 2^53, where the digit loop stops being exact. */
const MAX_DIGITS = 15;

/**
 * Reads plain rows of `bytes` from `start` (a line start) and hands them to `sink`. A plain row has
 * exactly the layout's fields; ids are canonical non-negative integers (`0` or no leading zero, at
 * most 15 digits: what `parseRawId` turns into the same number); a rating is digits with an
 * optional `.digits` (value = mantissa / 10^decimals, which is correctly rounded and so equal to
 * `Number(text)`); a timestamp is digits; the line ends with LF or CRLF. Empty lines are skipped.
 * It stops at the first line it cannot read that way, or at a last line with no line end.
 */
export function scanPlainRows(
  bytes: Uint8Array,
  start: number,
  firstLine: number,
  layout: PlainRowLayout,
  sink: PlainRowSink,
): PlainRowScan {
  const { roles, delimiter, ratingMin, ratingMax } = layout;
  const nFields = roles.length;
  const d0 = delimiter[0]!;
  const d1 = delimiter.length > 1 ? delimiter[1]! : -1;
  const length = bytes.length;
  let position = start;
  let line = firstLine;
  while (position < length) {
    const newline = bytes.indexOf(10, position);
    if (newline === -1) return { position, line, stop: 'partial' };
    let end = newline;
    if (end > position && bytes[end - 1] === 13) end--;
    if (end === position) {
      position = newline + 1;
      line++;
      continue;
    }
    let p = position;
    let userId = 0;
    let itemId = 0;
    let rating = 1;
    let timestamp = 0;
    let plain = true;
    for (let f = 0; f < nFields; f++) {
      if (f > 0) {
        if (p >= end || bytes[p] !== d0) {
          plain = false;
          break;
        }
        p++;
        if (d1 >= 0) {
          if (p >= end || bytes[p] !== d1) {
            plain = false;
            break;
          }
          p++;
        }
      }
      const role = roles[f]!;
      if (role === FIELD_OTHER) {
        while (p < end) {
          const c = bytes[p]!;
          if (c === d0 || c === 34 || c < 32 || c > 126) break;
          p++;
        }
        continue;
      }
      const first = p;
      let value = 0;
      while (p < end) {
        const digit = bytes[p]! - 48;
        if (digit < 0 || digit > 9) break;
        value = value * 10 + digit;
        p++;
      }
      const digits = p - first;
      if (digits === 0 || digits > MAX_DIGITS) {
        plain = false;
        break;
      }
      if (role === FIELD_RATING) {
        if (p < end && bytes[p] === 46) {
          p++;
          const fraction = p;
          while (p < end) {
            const digit = bytes[p]! - 48;
            if (digit < 0 || digit > 9) break;
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
        rating = value;
      } else if (role === FIELD_TIMESTAMP) {
        timestamp = value;
      } else {
        if (digits > 1 && bytes[first] === 48) {
          plain = false; // "007" stays a string id
          break;
        }
        if (role === FIELD_USER) userId = value;
        else itemId = value;
      }
    }
    if (!plain || p !== end || rating < ratingMin || rating > ratingMax)
      return { position, line, stop: 'unusual' };
    sink.row(userId, itemId, rating, timestamp, line);
    position = newline + 1;
    line++;
  }
  return { position, line, stop: 'end' };
}
