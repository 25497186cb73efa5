import type { Command } from 'commander';
import { CsvParseError, type ColumnRef, type RatingsFormat } from '@cf/data';
import { UsageError } from './cli-io.js';

/** `--columns`, `--delimiter` and `--no-header` as commander parses them. */
export interface RatingsFormatOptions {
  /** `user=NAME,item=NAME[,rating=NAME][,timestamp=NAME]`; names or 0-based positions. */
  columns?: string;
  /** Field separator: `,` `;` `|` `tab` (or `\t`) or any string. */
  delimiter?: string;
  /** False with `--no-header`; commander sets it to true otherwise. */
  header?: boolean;
}

type ColumnKey = 'user' | 'item' | 'rating' | 'timestamp';

/** Adds `--columns`, `--delimiter` and `--no-header` to a command. `keys` lists the columns it reads. */
export function addRatingsFormatOptions(
  command: Command,
  keys: readonly ColumnKey[] = ['user', 'item', 'rating', 'timestamp'],
): Command {
  const required = keys.filter((k) => k === 'user' || k === 'item');
  const example = keys.map((k) => `${k}=${k === 'rating' ? 'stars' : `${k}_id`}`).join(',');
  return command
    .option(
      '--columns <spec>',
      `which column holds what, by header name or 0-based position, e.g. ${example} (${required.join(' and ')} required; ${keys.includes('rating') ? 'no rating column: each row is one interaction, an implicit file for --recipe topn; ' : ''}default with --delimiter or --no-header: ${defaultColumnsSpec(keys)})`,
    )
    .option('--delimiter <d>', "field separator: ',' ';' '|', tab (or '\\t'), or any string")
    .option(
      '--no-header',
      'the first line is data, not column names (give --columns as positions)',
    );
}

function defaultColumnsSpec(keys: readonly ColumnKey[]): string {
  return keys
    .filter((k) => k !== 'timestamp')
    .map((k, position) => `${k}=${position}`)
    .join(',');
}

/** Whether any of `--columns`, `--delimiter`, `--no-header` was given. */
export function hasRatingsFormatOptions(options: RatingsFormatOptions): boolean {
  return (
    options.columns !== undefined || options.delimiter !== undefined || options.header === false
  );
}

/** Parses `--delimiter`: `tab` and the two characters `\t` mean a tab. */
export function parseDelimiter(text: string): string {
  if (text === 'tab' || text === '\\t') return '\t';
  if (text.length === 0)
    throw new UsageError("--delimiter: expected a separator such as ',' ';' '|' or tab, got ''");
  if (/[\r\n"]/.test(text))
    throw new UsageError(
      `--delimiter: ${JSON.stringify(text)} cannot separate fields (it holds a line end or a quote); expected a separator such as ',' ';' '|' or tab`,
    );
  return text;
}

/**
 * Parses `--columns user=customer_id,item=product_id,rating=stars`: each `key=column` with key one
 * of `keys`; a column of digits only is a 0-based position, anything else a header name.
 */
export function parseColumnsOption(
  spec: string,
  keys: readonly ColumnKey[] = ['user', 'item', 'rating', 'timestamp'],
): Partial<Record<ColumnKey, ColumnRef>> {
  const columns: Partial<Record<ColumnKey, ColumnRef>> = {};
  const expected = `expected comma-separated key=column pairs with keys ${keys.join(', ')} (e.g. ${keys
    .map((k, i) => `${k}=${i}`)
    .join(',')})`;
  for (const pair of spec.split(',')) {
    const eq = pair.indexOf('=');
    const key = (eq < 0 ? pair : pair.slice(0, eq)).trim();
    const column = eq < 0 ? '' : pair.slice(eq + 1).trim();
    if (eq < 0 || column === '')
      throw new UsageError(`--columns: ${JSON.stringify(pair)} has no column; ${expected}`);
    if (!(keys as readonly string[]).includes(key)) {
      const near = keys.find((k) => k.startsWith(key.slice(0, 2).toLowerCase()));
      throw new UsageError(
        `--columns: unknown key ${JSON.stringify(key)}${near ? ` (did you mean ${near}?)` : ''}; ${expected}`,
      );
    }
    const k = key as ColumnKey;
    if (columns[k] !== undefined)
      throw new UsageError(`--columns: ${k} is given twice; ${expected}`);
    const ref = /^\d+$/.test(column) ? Number(column) : column;
    const other = (Object.keys(columns) as ColumnKey[]).find((o) => columns[o] === ref);
    if (other !== undefined)
      throw new UsageError(
        `--columns: ${k} and ${other} both name column ${JSON.stringify(ref)}; give each its own column`,
      );
    columns[k] = ref;
  }
  for (const k of keys.filter((key) => key === 'user' || key === 'item'))
    if (columns[k] === undefined)
      throw new UsageError(`--columns: the ${k} column is missing; ${expected}`);
  return columns;
}

/**
 * The {@link RatingsFormat} that `--columns`, `--delimiter` and `--no-header` describe, or
 * undefined when none was given (the MovieLens layout is then picked from the file name). Without
 * `--columns` the columns are the positions of `keys` but the timestamp (`user=0,item=1,rating=2`).
 * For a command that reads no user column (`fold-in`), `user` is set to the item column, so every
 * row belongs to the one user being read.
 */
export function ratingsFormatOf(
  options: RatingsFormatOptions,
  keys: readonly ColumnKey[] = ['user', 'item', 'rating', 'timestamp'],
): RatingsFormat | undefined {
  if (!hasRatingsFormatOptions(options)) return undefined;
  const header = options.header !== false;
  const parsed =
    options.columns === undefined
      ? Object.fromEntries(
          keys.filter((k) => k !== 'timestamp').map((k, position) => [k, position]),
        )
      : parseColumnsOption(options.columns, keys);
  if (!header) {
    const named = Object.entries(parsed).filter(([, ref]) => typeof ref === 'string');
    if (named.length > 0)
      throw new UsageError(
        `--columns names ${named.map(([k, ref]) => `${k}=${String(ref)}`).join(', ')} but --no-header says the file has no header line; give 0-based positions (e.g. ${named[0]![0]}=0)`,
      );
  }
  const { item, rating, timestamp } = parsed;
  const user = keys.includes('user') ? parsed.user : item;
  return {
    delimiter: options.delimiter === undefined ? ',' : parseDelimiter(options.delimiter),
    header,
    columns: {
      user: user!,
      item: item!,
      ...(rating !== undefined ? { rating } : {}),
      ...(timestamp !== undefined ? { timestamp } : {}),
    },
  };
}

const FORMAT_HINT =
  'cf reads MovieLens layouts by default; describe your own file with --columns user=NAME,item=NAME[,rating=NAME][,timestamp=NAME] (names or 0-based positions), --delimiter and --no-header';

/**
 * Adds to a parse error near the top of a file (where a wrong layout shows) how to describe the
 * file to the CLI; other errors pass through unchanged.
 */
export function withFormatHint(error: unknown): unknown {
  if (!(error instanceof CsvParseError) || error.line > 2) return error;
  const location = {
    file: error.file,
    line: error.line,
    ...(error.column !== undefined ? { column: error.column } : {}),
  };
  const hinted = new CsvParseError(location, `${error.expected}; ${FORMAT_HINT}`, undefined, {
    cause: error,
  });
  hinted.message = `${error.message}; ${FORMAT_HINT}`;
  return hinted;
}
