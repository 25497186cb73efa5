import { DelimitedTextReader, type RecordParser } from './delimited-text-reader.js';
import { applyDuplicatePolicy, type DuplicatePolicy } from './duplicate-ratings.js';
import { CsvParseError, InvalidArgumentError } from './errors.js';
import type { IdOrder } from './id-map.js';
import { parseRawId, type RawId } from './raw-id.js';
import { RatingsTableBuilder, type RatingsTable } from './ratings-table.js';
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
import {
  describeDelimiter,
  resolveRatingsFormat,
  type ColumnRef,
  type RatingsFormat,
  type RatingsLayout,
} from './ratings-format.js';

/** Options of every ratings loader ({@link parseRatingsText}, `loadRatingsFromStream`, `loadRatings`). */
export interface LoadRatingsOptions {
  /** A MovieLens layout or a custom format. Default `'ratings-csv'` (the node `loadRatings` picks it from the file name). */
  format?: RatingsLayout | RatingsFormat;
  /** Dense index order of users and items. Default `'first-appearance'`. */
  idOrder?: IdOrder;
  /** Declared rating scale `[min, max]`; a rating outside it is an error. Default: no check. Refused for a format without a rating column. */
  ratingScale?: readonly [number, number];
  /** What to do with repeated (user, item) pairs. Default `'keep-all'`. */
  duplicates?: DuplicatePolicy;
  /** Label (usually the path) named in errors and kept as `table.source`. Default `'<text>'` or `'<stream>'`. */
  source?: string;
  /** Record parser. Default `'auto'` (hand-split plain lines, csv-parse for quoted ones). */
  parser?: RecordParser;
  /** Keep the 1-based source line of every kept row in `report.lineOfRow`. Default false. */
  trackLines?: boolean;
  /** Expected number of rows, to size the first column chunk. */
  initialCapacity?: number;
}

/** Options of {@link RatingsParser}: the ratings options plus the encoding of bytes given to `pushBytes`. */
export interface RatingsParserOptions extends LoadRatingsOptions {
  /** Text encoding of the bytes given to {@link RatingsParser.pushBytes}. Default `'utf-8'` (invalid UTF-8 is an error). */
  encoding?: 'utf-8' | 'latin1';
}

/** What a ratings loader did besides building the table. */
export interface RatingsLoadReport {
  /** The file or stream label. */
  source: string;
  /** The format that was applied. */
  format: RatingsFormat;
  /** Rating rows read (header and empty lines not counted). */
  rowsRead: number;
  /** Rows that repeated an earlier (user, item) pair; with `'keep-all'` they are still in the table. */
  duplicateCount: number;
  /** The duplicate policy that was applied. */
  duplicates: DuplicatePolicy;
  /** 1-based source line of each row of the table, when `trackLines` was set. */
  lineOfRow: Int32Array | undefined;
}

/** A loaded ratings table and its {@link RatingsLoadReport}. */
export interface LoadedRatings {
  table: RatingsTable;
  report: RatingsLoadReport;
}

interface ResolvedColumns {
  user: number;
  item: number;
  rating: number;
  timestamp: number;
  minFields: number;
}

const DELIMITER_CANDIDATES = ['\t', ',', '::', ';', '|'];

function isBlank(text: string): boolean {
  return text.trim().length === 0;
}

/**
 * Parses ratings text (`push`) or bytes (`pushBytes`) given in pieces (any split, even inside a
 * line or a UTF-8 sequence) into a {@link RatingsTable}. The engine under {@link parseRatingsText}
 * and the stream loaders; no Node APIs.
 *
 * Bytes take a fast path: once the header is read, plain numeric rows (see `scanPlainRows`) are
 * read straight from the bytes into the table; the first line that is not plain (quotes, string or
 * zero-padded ids, signs, exponents, spaces, a rating outside `ratingScale`, a wrong field count,
 * non-ASCII bytes) is decoded and given to the full text parser, which reads it (or reports it with
 * its line) exactly as it would have without the fast path, and the fast path resumes at the next
 * line end outside quotes. `parser: 'csv-parse'` turns the fast path off.
 */
export class RatingsParser {
  readonly #format: RatingsFormat;
  readonly #options: LoadRatingsOptions;
  readonly #file: string;
  readonly #builder: RatingsTableBuilder;
  readonly #reader: DelimitedTextReader;
  #columns: ResolvedColumns | undefined;
  /** Whether rows carry a timestamp: the format names one and the header (if any) has it. */
  #hasTimestamp = false;
  /** Fields of the header line (0 without a header). */
  #headerFields = 0;
  #lastLine = 0;
  #lastUserText = '';
  #lastUserId: RawId = '';
  #lines: Int32Array | undefined;
  readonly #decoder: TextDecoder;
  /** The fast path's layout once the columns are known; null when it does not apply. */
  #plainLayout: PlainRowLayout | null | undefined;
  /** Bytes of an unfinished plain line, waiting for the next piece. */
  #byteCarry: Uint8Array | undefined;
  /** Whether everything given to the full parser so far ended with a line end. */
  #atLineStart = true;
  /** The fast path's rows, reused from scan to scan (made with the layout). */
  #batch: PlainRowBatch | undefined;

  constructor(options: RatingsParserOptions = {}) {
    this.#format = resolveRatingsFormat(options.format);
    this.#options = options;
    this.#file = options.source ?? '<text>';
    const scale = options.ratingScale;
    if (
      scale !== undefined &&
      !(
        scale.length === 2 &&
        Number.isFinite(scale[0]) &&
        Number.isFinite(scale[1]) &&
        scale[0] <= scale[1]
      )
    ) {
      throw new InvalidArgumentError(
        'ratingScale',
        `must be [min, max] with finite min <= max, got ${JSON.stringify(scale)}`,
      );
    }
    if (scale !== undefined && this.#format.columns.rating === undefined) {
      throw new InvalidArgumentError(
        'ratingScale',
        'the format has no rating column (an implicit file: each row one interaction), so there is no rating scale to check; drop ratingScale or name the rating column',
      );
    }
    this.#builder = new RatingsTableBuilder({
      source: this.#file,
      implicit: this.#format.columns.rating === undefined,
      ...(options.idOrder ? { idOrder: options.idOrder } : {}),
      ...(options.initialCapacity ? { initialCapacity: options.initialCapacity } : {}),
    });
    if (options.trackLines || options.duplicates === 'error') this.#lines = new Int32Array(1024);
    this.#reader = new DelimitedTextReader({
      file: this.#file,
      delimiter: this.#format.delimiter,
      quoted: this.#format.quoted ?? true,
      parser: options.parser ?? 'auto',
      rejectInvalidUtf8: true,
      onRecord: (fields, line) => this.#onRecord(fields, line),
    });
    this.#decoder = new TextDecoder(options.encoding ?? 'utf-8');
  }

  /** Feeds the next piece of text. */
  push(text: string): void {
    this.#reader.push(text);
  }

  /** Feeds the next piece of bytes (decoded with the parser's `encoding`). Do not mix with `push`. */
  pushBytes(piece: Uint8Array): void {
    const carry = this.#byteCarry;
    if (carry === undefined) {
      this.#pushPiece(piece);
      return;
    }
    // Complete the unfinished line with the piece's first line only, so the rest of the piece is
    // read in place instead of copied behind it: a line at a time, the result is the same.
    this.#byteCarry = undefined;
    const newline = piece.indexOf(10);
    const head = newline === -1 ? piece : piece.subarray(0, newline + 1);
    const joined = new Uint8Array(carry.length + head.length);
    joined.set(carry);
    joined.set(head, carry.length);
    this.#pushPiece(joined);
    if (newline !== -1) this.#pushPiece(piece.subarray(newline + 1));
  }

  #pushPiece(bytes: Uint8Array): void {
    const reader = this.#reader;
    let position = 0;
    while (position < bytes.length) {
      const layout = this.#plainLayout === undefined ? this.#makePlainLayout() : this.#plainLayout;
      if (!layout || !reader.idle || !this.#atLineStart) {
        // The full parser's turn: up to the next line end (or all of it when the fast path is off).
        const newline = layout === null ? -1 : bytes.indexOf(10, position);
        position = this.#pushText(bytes, position, newline === -1 ? bytes.length : newline + 1);
        continue;
      }
      const batch = (this.#batch ??= new PlainRowBatch());
      const scan = scanPlainRows(bytes, position, reader.nextLine, layout, batch);
      if (batch.length > 0) this.#addBatch(batch);
      if (scan.line > reader.nextLine) {
        reader.skipLines(scan.line - reader.nextLine);
        this.#lastLine = scan.line - 1;
      }
      position = scan.position;
      if (scan.stop === 'partial') {
        this.#byteCarry = bytes.slice(position);
        return;
      }
      if (scan.stop === 'unusual') {
        const newline = bytes.indexOf(10, position);
        position = this.#pushText(bytes, position, newline === -1 ? bytes.length : newline + 1);
      }
    }
  }

  /** Appends the fast path's rows to the table (and their lines when they are kept). */
  #addBatch(batch: PlainRowBatch): void {
    const row = this.#builder.length;
    this.#builder.addPlainRows(batch, this.#hasTimestamp);
    if (this.#lines)
      for (let k = 0; k < batch.length; k++) this.#recordLine(row + k, batch.line[k]!);
  }

  /**
   * Decodes `bytes[from, to)` into the full parser; returns `to`. Remembers whether that ended at a
   * line end: otherwise the decoder may hold part of a UTF-8 sequence, and the next bytes are not
   * a line start for the fast path.
   */
  #pushText(bytes: Uint8Array, from: number, to: number): number {
    this.#reader.push(this.#decoder.decode(bytes.subarray(from, to), { stream: true }));
    this.#atLineStart = to > from && bytes[to - 1] === 10;
    return to;
  }

  /** Reads the rest, checks the file was not empty, applies the duplicate policy. The parser is spent. */
  end(): LoadedRatings {
    if (this.#byteCarry) {
      this.#reader.push(this.#decoder.decode(this.#byteCarry, { stream: true }));
      this.#byteCarry = undefined;
    }
    this.#reader.push(this.#decoder.decode());
    this.#reader.end();
    const { header } = this.#format;
    if (this.#columns === undefined) {
      const expected = header
        ? `a header line naming the columns (${this.#columnList()}) and rating rows`
        : `rating rows of ${this.#columnList()}`;
      throw new CsvParseError({ file: this.#file, line: 1 }, `${expected}, but the file is empty`);
    }
    if (this.#builder.length === 0) {
      throw new CsvParseError(
        { file: this.#file, line: this.#lastLine + 1 },
        'at least one rating row after the header, but the file ends there',
      );
    }
    const rowsRead = this.#builder.length;
    const policy = this.#options.duplicates ?? 'keep-all';
    const lines = this.#lines?.subarray(0, rowsRead);
    const { table, duplicateCount, keptRows } = applyDuplicatePolicy(
      this.#builder.finish(),
      policy,
      {
        lineOfRow: lines,
        ...(this.#options.idOrder ? { idOrder: this.#options.idOrder } : {}),
      },
    );
    let lineOfRow: Int32Array | undefined;
    if (lines && this.#options.trackLines)
      lineOfRow = keptRows ? keptRows.map((r) => lines[r]!) : lines.slice();
    return {
      table,
      report: {
        source: this.#file,
        format: this.#format,
        rowsRead,
        duplicateCount,
        duplicates: policy,
        lineOfRow,
      },
    };
  }

  #columnList(): string {
    const { user, item, rating, timestamp } = this.#format.columns;
    return [user, item, rating, timestamp]
      .filter((c) => c !== undefined)
      .map(String)
      .join(', ');
  }

  #onRecord(fields: string[], line: number): void {
    let columns = this.#columns;
    if (columns === undefined) {
      columns = this.#columns = this.#resolveColumns(fields, line);
      this.#hasTimestamp = columns.timestamp >= 0;
      if (this.#format.header) {
        this.#headerFields = fields.length;
        this.#lastLine = line;
        return;
      }
    }
    if (fields.length < columns.minFields) this.#throwTooFewFields(fields, line, columns.minFields);
    const userText = fields[columns.user]!;
    const itemText = fields[columns.item]!;
    if (userText.length === 0)
      throw new CsvParseError(
        { file: this.#file, line, column: columns.user + 1 },
        'a user id',
        userText,
      );
    if (itemText.length === 0)
      throw new CsvParseError(
        { file: this.#file, line, column: columns.item + 1 },
        'an item id',
        itemText,
      );
    const rating = columns.rating < 0 ? 1 : this.#number(fields, columns.rating, line, 'rating');
    const scale = this.#options.ratingScale;
    if (scale && (rating < scale[0] || rating > scale[1])) {
      throw new CsvParseError(
        { file: this.#file, line, column: columns.rating + 1 },
        `a rating within the declared scale [${scale[0]}, ${scale[1]}]`,
        fields[columns.rating],
      );
    }
    const timestamp =
      columns.timestamp < 0
        ? undefined
        : this.#number(fields, columns.timestamp, line, 'timestamp');
    const row = this.#builder.length;
    if (userText !== this.#lastUserText) {
      // MovieLens files group a user's ratings: parse the user id once per run of lines.
      this.#lastUserText = userText;
      this.#lastUserId = parseRawId(userText);
    }
    this.#builder.add(this.#lastUserId, parseRawId(itemText), rating, timestamp);
    if (this.#lines) this.#recordLine(row, line);
    this.#lastLine = line;
  }

  #recordLine(row: number, line: number): void {
    let lines = this.#lines!;
    if (row === lines.length) {
      const grown = new Int32Array(row * 2);
      grown.set(lines);
      this.#lines = lines = grown;
    }
    lines[row] = line;
  }

  /**
   * The fast path's layout, once the columns are resolved: null (for good) with `parser:
   * 'csv-parse'`, for an implicit table or a delimiter the scanner cannot take.
   */
  #makePlainLayout(): PlainRowLayout | null | undefined {
    const columns = this.#columns;
    if (columns === undefined) return undefined;
    const { delimiter } = this.#format;
    const used = [columns.user, columns.item, columns.rating, columns.timestamp].filter(
      (column) => column >= 0,
    );
    const usable =
      this.#options.parser !== 'csv-parse' &&
      columns.rating >= 0 &&
      delimiter.length >= 1 &&
      delimiter.length <= 2 &&
      /^[\x20-\x7e\t]+$/.test(delimiter) &&
      !/[0-9."]/.test(delimiter) &&
      (delimiter.length === 1 || this.#headerFields <= columns.minFields) &&
      // a column with two roles (fold-in reads its item column as the user) has one role per
      // field in the scanner's layout, so the other role would be lost: the full parser reads it
      new Set(used).size === used.length;
    if (!usable) return (this.#plainLayout = null);
    const nFields = Math.max(columns.minFields, this.#headerFields);
    const roles = new Uint8Array(nFields).fill(FIELD_OTHER);
    roles[columns.user] = FIELD_USER;
    roles[columns.item] = FIELD_ITEM;
    roles[columns.rating] = FIELD_RATING;
    if (columns.timestamp >= 0) roles[columns.timestamp] = FIELD_TIMESTAMP;
    const scale = this.#options.ratingScale;
    return (this.#plainLayout = {
      delimiter: Uint8Array.from(delimiter, (c) => c.charCodeAt(0)),
      roles,
      ratingMin: scale ? scale[0] : -Infinity,
      ratingMax: scale ? scale[1] : Infinity,
    });
  }

  #number(fields: string[], index: number, line: number, what: string): number {
    const text = fields[index]!;
    const value = Number(text);
    if (Number.isFinite(value) && (value !== 0 || !isBlank(text))) return value;
    throw new CsvParseError(
      { file: this.#file, line, column: index + 1 },
      `a number for the ${what}`,
      text,
    );
  }

  #throwTooFewFields(fields: string[], line: number, minFields: number): never {
    const { delimiter } = this.#format;
    const text = fields.join(delimiter);
    if (fields.length === 1) {
      const other = DELIMITER_CANDIDATES.find(
        (d) => d !== delimiter && !delimiter.includes(d) && text.split(d).length >= minFields,
      );
      if (other !== undefined) {
        throw new CsvParseError(
          { file: this.#file, line },
          `fields separated by ${describeDelimiter(delimiter)}, but this line is separated by ${describeDelimiter(other)}: pass a format with delimiter ${JSON.stringify(other)}${other === '\t' ? " (ml-100k u.data: format 'u-data')" : other === '::' ? " (ml-1m ratings.dat: format 'ratings-dat')" : ''}`,
          text,
        );
      }
    }
    throw new CsvParseError(
      { file: this.#file, line },
      `at least ${minFields} fields separated by ${describeDelimiter(delimiter)} (${this.#columnList()}), got ${fields.length}`,
      text,
    );
  }

  #resolveColumns(fields: string[], line: number): ResolvedColumns {
    const { header, columns } = this.#format;
    const resolve = (ref: ColumnRef | undefined, what: string, optional = false): number => {
      if (ref === undefined) return -1;
      if (typeof ref === 'number') return ref;
      const index = fields.indexOf(ref);
      if (index === -1 && optional && fields.length > 1) return -1;
      if (index === -1) {
        if (fields.length === 1)
          this.#throwTooFewFields(
            fields,
            line,
            Object.values(columns).filter((c) => c !== undefined).length,
          );
        throw new CsvParseError(
          { file: this.#file, line },
          `a header with a column named ${JSON.stringify(ref)} for the ${what} (the header has ${fields.map((f) => JSON.stringify(f)).join(', ')})`,
        );
      }
      return index;
    };
    const resolved = {
      user: resolve(columns.user, 'user id'),
      item: resolve(columns.item, 'item id'),
      rating: resolve(columns.rating, 'rating'),
      timestamp: resolve(
        columns.timestamp,
        'timestamp',
        header && this.#format.timestampOptional === true,
      ),
    };
    const minFields =
      Math.max(resolved.user, resolved.item, resolved.rating, resolved.timestamp) + 1;
    if (header && fields.length < minFields) this.#throwTooFewFields(fields, line, minFields);
    return { ...resolved, minFields };
  }
}

/** Parses a whole ratings text (a file read into memory, a test fixture) into a table and a report. */
export function parseRatingsText(text: string, options: LoadRatingsOptions = {}): LoadedRatings {
  const parser = new RatingsParser(options);
  parser.push(text);
  return parser.end();
}
