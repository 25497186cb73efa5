import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CsvParseError, parseRatingsText, type RatingsFormat } from '@cf/data';
import { EXIT, UsageError, type CliIO } from '../cli-io.js';
import { ratingsFormatOf, type RatingsFormatOptions } from '../ratings-format-options.js';
import type { BackendName } from '../backend.js';
import { loadModelForCommand } from './load-model.js';
import { printRanking } from './print-recommendations.js';

/**
 * Reads a new user's ratings: by default a CSV with a header naming an item column (`itemId`,
 * `movieId` or `item`) and a `rating` column, any other columns ignored; or any delimited file
 * that `format` describes (`--columns item=…,rating=…`, `--delimiter`, `--no-header`).
 */
export async function readFoldInRatings(
  path: string,
  format?: RatingsFormat,
): Promise<{ itemId: string | number; rating: number }[]> {
  const text = await readFile(path, 'utf8');
  if (format) {
    if (format.columns.rating === undefined)
      throw new UsageError(
        `--columns: fold-in fits the new user's ratings, so it needs a rating column (--columns item=…,rating=…)`,
      );
    const { table } = parseRatingsText(text, { source: path, format });
    return Array.from(table.rating, (rating, r) => ({
      itemId: table.itemIds.idAt(table.itemIndex[r]!),
      rating,
    }));
  }
  const header = (text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '')
    .split(',')
    .map((h) => h.trim());
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
    backend: BackendName;
    json?: boolean;
  } & RatingsFormatOptions,
  io: CliIO,
): Promise<number> {
  const ratings = await readFoldInRatings(
    resolve(io.cwd, options.ratings),
    ratingsFormatOf(options, ['item', 'rating']),
  );
  const trained = await loadModelForCommand(options.model, options.backend, io);
  try {
    const user = trained.foldInUser(ratings);
    const rows = user.recommend({ k: options.k });
    const skippedIds = [...new Set(user.skipped)];
    const skipped = skippedIds.length;
    if (!options.json && skipped)
      io.stderr.write(`${skipped} rated items are unknown to the model and were skipped\n`);
    printRanking(
      io,
      `top ${options.k} for the folded-in user (${user.used} ratings used):`,
      rows,
      options.json
        ? { k: options.k, ratingsUsed: user.used, skippedItemIds: skippedIds }
        : undefined,
      'predicted',
    );
    return EXIT.ok;
  } finally {
    trained.dispose();
  }
}
