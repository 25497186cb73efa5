import { parse as parseCsv } from 'csv-parse/browser/esm/sync';
import { CsvParseError } from './errors.js';

/**
 * Which record parser reads the lines: `'auto'` splits lines that hold no `"` by hand (the fast
 * path for the plain numeric MovieLens layouts) and hands blocks with quotes to csv-parse;
 * `'csv-parse'` sends everything through csv-parse (slower; for comparison and odd files).
 */
export type RecordParser = 'auto' | 'csv-parse';

/** Options of {@link DelimitedTextReader}. */
export interface DelimitedTextReaderOptions {
  /** The file or stream label named in errors. */
  file: string;
  /** Field separator, one or more characters (`,`, `\t`, `::`, `|`). */
  delimiter: string;
  /** Whether `"` quotes fields as in RFC 4180. `::` and `|` files of MovieLens are not quoted. */
  quoted: boolean;
  /** Record parser, default `'auto'`. */
  parser?: RecordParser;
  /** Reject U+FFFD, which is what invalid UTF-8 decodes to (binary data or the wrong encoding). */
  rejectInvalidUtf8: boolean;
  /** Receives each non-empty record with the 1-based line it ends on. The array is reused: copy it to keep it. */
  onRecord: (fields: string[], line: number) => void;
}

function countNewlines(text: string, end = text.length): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

interface CsvLibraryError {
  message: string;
  lines?: number;
}

/**
 * Turns text arriving in pieces into delimited records without ever holding more than one piece
 * plus one unfinished record: a piece is cut after its last line end that is outside quotes, the
 * rest waits for the next piece. Strips a leading BOM, accepts LF and CRLF line ends and a last
 * line without a line end, skips empty lines, and rejects NUL bytes (and U+FFFD when asked) with
 * a {@link CsvParseError} naming the line.
 */
export class DelimitedTextReader {
  readonly #options: DelimitedTextReaderOptions;
  #carry = '';
  /** 1-based line number of the first line in `#carry`. */
  #line = 1;
  /** Whether the end of `#carry` is inside a quoted field. */
  #inQuote = false;
  #started = false;

  constructor(options: DelimitedTextReaderOptions) {
    this.#options = options;
  }

  /** Lines completely read so far. */
  get linesRead(): number {
    return this.#line - 1;
  }

  /** True when no unfinished record is held: the next piece starts a line. */
  get idle(): boolean {
    return this.#carry.length === 0 && !this.#inQuote;
  }

  /** 1-based number of the next line to be read. */
  get nextLine(): number {
    return this.#line;
  }

  /**
   * Counts `count` lines as read elsewhere (the ratings parser's byte-level fast path) so that
   * later line numbers stay right. Only while {@link DelimitedTextReader.idle}.
   */
  skipLines(count: number): void {
    if (!this.idle) throw new Error('DelimitedTextReader.skipLines inside an unfinished record');
    this.#line += count;
    this.#started = true;
  }

  /** Feeds the next piece of text; complete records are passed to `onRecord` now. */
  push(piece: string): void {
    let text = piece;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (text.length === 0) return;
    this.#checkText(text);
    const cut = this.#lastRecordEnd(text);
    if (cut < 0) {
      this.#carry += text;
      return;
    }
    const block = this.#carry + text.slice(0, cut + 1);
    this.#carry = text.slice(cut + 1);
    this.#processBlock(block);
  }

  /** Reads the last record (a file may end without a line end). The reader is spent. */
  end(): void {
    if (this.#inQuote) {
      throw new CsvParseError(
        { file: this.#options.file, line: this.#line },
        'a closing quote `"` before the end of the file',
      );
    }
    const block = this.#carry;
    this.#carry = '';
    if (block.length > 0) this.#processBlock(block);
  }

  #checkText(text: string): void {
    const nul = text.indexOf('\0');
    const bad = this.#options.rejectInvalidUtf8 ? text.indexOf('\uFFFD') : -1;
    if (nul === -1 && bad === -1) return;
    const at = nul === -1 ? bad : bad === -1 ? nul : Math.min(nul, bad);
    const line = this.#line + countNewlines(this.#carry) + countNewlines(text, at);
    const what = at === nul ? 'a NUL byte' : 'an invalid UTF-8 byte sequence';
    throw new CsvParseError(
      { file: this.#options.file, line },
      `UTF-8 text, but the line holds ${what}: this looks like a binary file (or a compressed one, or text in another encoding such as latin-1); pass the unzipped ratings file, or the right encoding`,
    );
  }

  /** Index of the last `\n` of `text` outside quotes (-1 if none); updates the quote state. */
  #lastRecordEnd(text: string): number {
    if (!this.#options.quoted || (!this.#inQuote && !text.includes('"')))
      return text.lastIndexOf('\n');
    let inQuote = this.#inQuote;
    let last = -1;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 34) inQuote = !inQuote;
      else if (c === 10 && !inQuote) last = i;
    }
    this.#inQuote = inQuote;
    return last;
  }

  #processBlock(block: string): void {
    const useLibrary =
      this.#options.parser === 'csv-parse' || (this.#options.quoted && block.includes('"'));
    if (useLibrary) this.#parseWithLibrary(block);
    else this.#splitLines(block);
  }

  /** The fast path: no quotes, so a record is a line and a field is what lies between delimiters. */
  #splitLines(block: string): void {
    const { delimiter, onRecord } = this.#options;
    const step = delimiter.length;
    const fields: string[] = []; // reused for every line (1.6x faster than slice().split() in bench/)
    let line = this.#line;
    let start = 0;
    while (start < block.length) {
      const newline = block.indexOf('\n', start);
      let end = newline === -1 ? block.length : newline;
      if (end > start && block.charCodeAt(end - 1) === 13) end--;
      if (end > start) {
        fields.length = 0;
        for (let from = start; ;) {
          const at = block.indexOf(delimiter, from);
          if (at === -1 || at >= end) {
            fields.push(block.slice(from, end));
            break;
          }
          fields.push(block.slice(from, at));
          from = at + step;
        }
        onRecord(fields, line);
      }
      if (newline === -1) break;
      line++;
      start = newline + 1;
    }
    this.#line = line;
  }

  #parseWithLibrary(block: string): void {
    const { delimiter, quoted, onRecord, file } = this.#options;
    const text = block.includes('\r') ? block.replace(/\r\n/g, '\n') : block;
    const first = this.#line;
    let records: { record: string[]; info: { lines: number } }[];
    try {
      records = parseCsv(text, {
        delimiter,
        quote: quoted ? '"' : false,
        relax_column_count: true,
        info: true,
      }) as unknown as typeof records;
    } catch (error) {
      const { message, lines } = error as CsvLibraryError;
      throw new CsvParseError(
        { file, line: first + (lines ?? 1) - 1 },
        `a well-formed CSV record (csv-parse: ${message})`,
        undefined,
        { cause: error },
      );
    }
    for (const { record, info } of records) {
      if (record.length === 1 && record[0] === '') continue;
      onRecord(record, first + info.lines - 1);
    }
    this.#line = first + countNewlines(text);
  }
}
