/**
 * The one error hierarchy of cf. Every failure that cf can foresee is a {@link CfError}
 * subclass carrying structured fields, with a message that tells the user what to do.
 * Stopping training early is not an error.
 */
export class CfError extends Error {
  /** A stable machine-readable code, e.g. `CSV_PARSE`. */
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Where in a text input a problem was found. `line` and `column` are 1-based. */
export interface InputLocation {
  /** The file (or stream label) being read. */
  file: string;
  /** 1-based line number. */
  line: number;
  /** 1-based column (field) number, when one field is at fault. */
  column?: number;
}

/** A delimited text file (CSV, TSV, `::`) could not be read as ratings or titles. */
export class CsvParseError extends CfError {
  readonly file: string;
  readonly line: number;
  readonly column: number | undefined;
  /** What was expected at that place, in words. */
  readonly expected: string;
  constructor(
    location: InputLocation,
    expected: string,
    found?: string,
    options?: { cause?: unknown },
  ) {
    const where = `${location.file}:${location.line}${location.column !== undefined ? `:${location.column}` : ''}`;
    const got =
      found === undefined
        ? ''
        : `, found ${JSON.stringify(found.length > 60 ? found.slice(0, 60) + '…' : found)}`;
    super('CSV_PARSE', `${where}: expected ${expected}${got}`, options);
    this.file = location.file;
    this.line = location.line;
    this.column = location.column;
    this.expected = expected;
  }
}

/** Which id space an id belongs to. */
export type IdKind = 'user' | 'item';

/** A raw user or item id was not in the id map (the model never saw it). */
export class UnknownIdError extends CfError {
  readonly kind: IdKind;
  readonly id: string | number;
  constructor(kind: IdKind, id: string | number) {
    super(
      'UNKNOWN_ID',
      `unknown ${kind} id ${JSON.stringify(id)}: it is not in the ${kind} id map (it had no rating in the training data); use the 'fallback' unknown-id policy or fold the ${kind} in`,
    );
    this.kind = kind;
    this.id = id;
  }
}

/** An argument or option had a value cf cannot use. */
export class InvalidArgumentError extends CfError {
  /** The argument or option at fault. */
  readonly argument: string;
  constructor(argument: string, message: string) {
    super('INVALID_ARGUMENT', `${argument}: ${message}`);
    this.argument = argument;
  }
}

/** A dataset could not be downloaded: offline, an HTTP error, a truncated body, or not a zip. */
export class DownloadError extends CfError {
  /** The URL that was fetched. */
  readonly url: string;
  /** The HTTP status, when the server answered. */
  readonly status: number | undefined;
  constructor(url: string, message: string, options?: { status?: number; cause?: unknown }) {
    super('DOWNLOAD', message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.url = url;
    this.status = options?.status;
  }
}

/** A zip archive held an entry that would land outside the target folder (or a link); nothing was extracted. */
export class UnsafeArchiveError extends CfError {
  /** The entry name as stored in the archive. */
  readonly entry: string;
  constructor(entry: string, reason: string) {
    super(
      'UNSAFE_ARCHIVE',
      `refusing to extract zip entry ${JSON.stringify(entry)}: ${reason}; the archive is damaged or malicious, download it again from the official URL`,
    );
    this.entry = entry;
  }
}
