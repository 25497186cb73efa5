import { InvalidArgumentError } from './errors.js';

/** A column picked by its header name or its 0-based position. */
export type ColumnRef = string | number;

/**
 * How to read a delimited ratings file: the separator, whether line 1 is a header, and which
 * column holds the user id, item id, rating and (optionally) timestamp. Without a `rating` column
 * each row is one interaction (a purchase, a play) and the file loads as an implicit table
 * (`table.implicit`, every rating 1).
 */
export interface RatingsFormat {
  /** Field separator, one or more characters. */
  delimiter: string;
  /** Whether the first line names the columns. Names in `columns` need `header: true`. */
  header: boolean;
  /**
   * Where each value sits, by header name or 0-based position. `rating` and `timestamp` are
   * optional: no `rating` makes an implicit table (each row one interaction, rating 1).
   */
  columns: { user: ColumnRef; item: ColumnRef; rating?: ColumnRef; timestamp?: ColumnRef };
  /** Whether `"` quotes fields (RFC 4180). Default true. */
  quoted?: boolean;
  /**
   * With a header and a named `timestamp` column: a header without that name loads the file
   * without timestamps instead of failing (so `userId,movieId,rating` reads with the MovieLens
   * layout). Default false: a named column must be there.
   */
  timestampOptional?: boolean;
}

/**
 * The MovieLens ratings layouts: `'ratings-csv'` (ml-latest-small, ml-25m, ml-32m: `ratings.csv`
 * with header `userId,movieId,rating,timestamp`; the timestamp column may be left out), `'u-data'` (ml-100k `u.data` and its
 * `u1.base`… fold files: tab-separated, no header) and `'ratings-dat'` (ml-1m, ml-10m: `::`
 * separated, no header).
 */
export type RatingsLayout = 'ratings-csv' | 'u-data' | 'ratings-dat';

/** The {@link RatingsFormat} of each {@link RatingsLayout}. */
export const RATINGS_LAYOUTS: Readonly<Record<RatingsLayout, Readonly<RatingsFormat>>> = {
  'ratings-csv': {
    delimiter: ',',
    header: true,
    columns: { user: 'userId', item: 'movieId', rating: 'rating', timestamp: 'timestamp' },
    timestampOptional: true,
  },
  'u-data': {
    delimiter: '\t',
    header: false,
    quoted: false,
    columns: { user: 0, item: 1, rating: 2, timestamp: 3 },
  },
  'ratings-dat': {
    delimiter: '::',
    header: false,
    quoted: false,
    columns: { user: 0, item: 1, rating: 2, timestamp: 3 },
  },
};

/** Resolves a layout name or a custom format into a checked {@link RatingsFormat}. */
export function resolveRatingsFormat(
  format: RatingsLayout | RatingsFormat | undefined,
): RatingsFormat {
  if (format === undefined) return RATINGS_LAYOUTS['ratings-csv'];
  if (typeof format === 'string') {
    const preset = RATINGS_LAYOUTS[format] as RatingsFormat | undefined;
    if (!preset) {
      throw new InvalidArgumentError(
        'format',
        `unknown ratings layout ${JSON.stringify(format)}; use one of ${Object.keys(RATINGS_LAYOUTS).join(', ')} or a {delimiter, header, columns} object`,
      );
    }
    return preset;
  }
  if (typeof format.delimiter !== 'string' || format.delimiter.length === 0) {
    throw new InvalidArgumentError(
      'format.delimiter',
      'must be a non-empty string such as "," or "\\t"',
    );
  }
  const { user, item } = format.columns as Partial<RatingsFormat['columns']>;
  if (user === undefined || item === undefined) {
    throw new InvalidArgumentError(
      'format.columns',
      `must name the ${user === undefined ? 'user' : 'item'} column (by header name or 0-based position); rating and timestamp are optional`,
    );
  }
  for (const [key, ref] of Object.entries(format.columns)) {
    if (ref === undefined) continue;
    if (typeof ref === 'number' && !(Number.isInteger(ref) && ref >= 0)) {
      throw new InvalidArgumentError(
        `format.columns.${key}`,
        `a column position must be a 0-based integer, got ${ref}`,
      );
    }
    if (typeof ref === 'string' && !format.header) {
      throw new InvalidArgumentError(
        `format.columns.${key}`,
        `column ${JSON.stringify(ref)} is given by name but the format has header: false; give its 0-based position or set header: true`,
      );
    }
  }
  return format;
}

/** Describes a delimiter in words for messages: `','` → `comma (",")`. */
export function describeDelimiter(delimiter: string): string {
  const names: Record<string, string> = {
    ',': 'comma',
    '\t': 'tab',
    ';': 'semicolon',
    '|': 'pipe',
    ' ': 'space',
    '::': 'double colon',
  };
  const name = names[delimiter];
  return name === undefined ? JSON.stringify(delimiter) : `${name} (${JSON.stringify(delimiter)})`;
}
