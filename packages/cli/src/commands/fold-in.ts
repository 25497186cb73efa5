import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CsvParseError, parseRatingsText } from '@cf/data';
import { EXIT, type CliIO } from '../cli-io.js';
import type { BackendName } from '../backend.js';
import { loadModelForCommand } from './load-model.js';
import { printRanking } from './print-recommendations.js';

/**
 * Reads a new user's ratings: a CSV with a header naming an item column (`itemId`, `movieId` or
 * `item`) and a `rating` column; any other columns are ignored.
 */
export async function readFoldInRatings(
  path: string,
): Promise<{ itemId: string | number; rating: number }[]> {
  const text = await readFile(path, 'utf8');
  const header = (text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '')
    .split(',')
    .map((h) => h.trim());
  const item = header.find((h) => ['itemId', 'movieId', 'item'].includes(h));
  if (!item || !header.includes('rating')) {
    throw new CsvParseError(
      { file: path, line: 1 },
      'a header with an item column (itemId, movieId or item) and a rating column',
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
  options: { model: string; ratings: string; k: number; backend: BackendName; json?: boolean },
  io: CliIO,
): Promise<number> {
  const ratings = await readFoldInRatings(resolve(io.cwd, options.ratings));
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
