import { readFile, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import {
  CsvParseError,
  InvalidArgumentError,
  parseRatingsText,
  type RatingsFormat,
} from '@cf/data';
import type { FoldInDuplicatePolicy } from '@cf/model';
import { EXIT, UsageError, type CliIO } from '../cli-io.js';
import { ratingsFormatOf, type RatingsFormatOptions } from '../ratings-format-options.js';
import type { BackendName } from '../backend.js';
import { loadModelForCommand } from './load-model.js';
import { printRanking } from './print-recommendations.js';

/** What `cf fold-in --ratings FILE` reads: one `{itemId, rating}` per data line, in file order. */
export interface FoldInFileRating {
  itemId: string | number;
  rating: number;
}

/**
 * Reads a new user's ratings: by default a UTF-8 CSV with a header naming an item column (`itemId`,
 * `movieId` or `item`) and a `rating` column, any other columns ignored; or any delimited file that
 * `options.format` describes (`--columns item=…,rating=…`, `--delimiter`, `--no-header`). A missing file or a
 * folder is an `InvalidArgumentError` (bad usage, as `train --data`); a compressed, UTF-16 or binary
 * file, a missing column, or (with `ratingScale`) a rating outside the model's scale is a
 * `CsvParseError` naming the file and line.
 */
export async function readFoldInRatings(
  path: string,
  options: { ratingScale?: readonly [number, number]; format?: RatingsFormat | undefined } = {},
): Promise<FoldInFileRating[]> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new InvalidArgumentError(
      '--ratings',
      code === 'ENOENT'
        ? `${path} does not exist; give a CSV file with itemId (or movieId),rating`
        : code === 'EISDIR'
          ? `${path} is a folder; give the CSV file itself (itemId (or movieId),rating)`
          : `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  const text = new TextDecoder('utf-8').decode(bytes);
  const firstLine = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  // the same hint as train's reader, before the header is judged
  if (bytes[0] === 0x1f && bytes[1] === 0x8b)
    throw new CsvParseError(
      { file: path, line: 1 },
      'UTF-8 text, but the file is gzip-compressed: gunzip it first',
    );
  if (/[\0\uFFFD]/.test(firstLine))
    throw new CsvParseError(
      { file: path, line: 1 },
      `UTF-8 text, but the line holds ${firstLine.includes('\0') ? 'a NUL byte' : 'an invalid UTF-8 byte sequence'}: this looks like a binary file (or a compressed one, or text in another encoding such as UTF-16 or latin-1); save it as UTF-8 CSV`,
    );
  const scale = options.ratingScale ? { ratingScale: options.ratingScale } : {};
  const format = options.format;
  if (format) {
    if (format.columns.rating === undefined)
      throw new UsageError(
        `--columns: fold-in fits the new user's ratings, so it needs a rating column (--columns item=…,rating=…)`,
      );
    const { table } = parseRatingsText(text, { source: path, format, ...scale });
    return Array.from(table.rating, (rating, r) => ({
      itemId: table.itemIds.idAt(table.itemIndex[r]!),
      rating,
    }));
  }
  const header = firstLine.split(',').map((h) => h.trim());
  const item = header.find((h) => ['itemId', 'movieId', 'item'].includes(h));
  if (!item || !header.includes('rating')) {
    throw new CsvParseError(
      { file: path, line: 1 },
      'a header with an item column (itemId, movieId or item) and a rating column; describe your own file with --columns item=NAME,rating=NAME (names or 0-based positions), --delimiter and --no-header',
      header.join(','),
    );
  }
  // The parser wants a user column: point it at the item column; users are ignored here.
  const { table } = parseRatingsText(text, {
    source: path,
    format: { delimiter: ',', header: true, columns: { user: item, item, rating: 'rating' } },
    ...scale,
  });
  return Array.from(table.rating, (rating, r) => ({
    itemId: table.itemIds.idAt(table.itemIndex[r]!),
    rating,
  }));
}

/** `cf fold-in --model DIR --ratings FILE [-k 10]`: recommend for a user who is not in the model. */
export async function foldInCommand(
  options: {
    model: string;
    ratings: string;
    k: number;
    duplicates: FoldInDuplicatePolicy;
    backend: BackendName;
    json?: boolean;
  } & RatingsFormatOptions,
  io: CliIO,
): Promise<number> {
  const path = resolve(io.cwd, options.ratings);
  const format = ratingsFormatOf(options, ['item', 'rating']);
  const exists = await stat(path).catch(() => undefined);
  if (!exists?.isFile()) await readFoldInRatings(path); // says why, before the model is loaded
  const trained = await loadModelForCommand(options.model, options.backend, io);
  try {
    const ratings = await readFoldInRatings(path, { ratingScale: trained.ratingRange, format });
    const user = trained.foldInUser(ratings, { duplicates: options.duplicates });
    const rows = user.recommend({ k: options.k });
    const skippedIds = [...new Set(user.skipped)];
    const skipped = skippedIds.length;
    if (!options.json && skipped)
      io.stderr.write(`${skipped} rated items are unknown to the model and were skipped\n`);
    if (!options.json && user.duplicateItems)
      io.stderr.write(
        `${user.duplicateItems} items are rated more than once: ${options.duplicates === 'average' ? 'the mean' : 'the last'} rating of each was used once (--duplicates)\n`,
      );
    printRanking(
      io,
      `top ${options.k} for the folded-in user (${user.used} ratings used):`,
      rows,
      options.json
        ? {
            k: options.k,
            ratingsUsed: user.used,
            skippedItemIds: skippedIds,
            duplicateItems: user.duplicateItems,
            duplicates: options.duplicates,
          }
        : undefined,
      'predicted',
    );
    return EXIT.ok;
  } finally {
    trained.dispose();
  }
}
