import { open, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { detectLayout } from './detect-layout.js';
import { MOVIELENS_DATASETS } from './download-dataset.js';
import { InvalidArgumentError } from './errors.js';
import {
  parseItemTitles,
  type ItemTitles,
  type ItemTitlesOptions,
  type TitlesLayout,
} from './item-titles.js';
import type { LoadRatingsFromStreamOptions } from './load-ratings-from-stream.js';
import type { RatingsLayout } from './ratings-format.js';
import { RatingsParser, type LoadedRatings } from './ratings-parser.js';

/** The ratings layout a file name suggests: `*.dat` → `'ratings-dat'`, `u.data`/`*.base`/`*.test` → `'u-data'`, else `'ratings-csv'`. */
export function ratingsLayoutOfFile(file: string): RatingsLayout {
  const name = basename(file);
  if (name.endsWith('.dat')) return 'ratings-dat';
  if (name === 'u.data' || name.endsWith('.base') || name.endsWith('.test')) return 'u-data';
  return 'ratings-csv';
}

/** The titles layout a file name suggests: `u.item` → `'u-item'`, `*.dat` → `'movies-dat'`, else `'movies-csv'`. */
export function titlesLayoutOfFile(file: string): TitlesLayout {
  const name = basename(file);
  if (name === 'u.item') return 'u-item';
  return name.endsWith('.dat') ? 'movies-dat' : 'movies-csv';
}

async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch (error) {
    // a bare release name (`loadRatings('ml-latest-small')`) is not a path: say how to load it
    const byName =
      (error as NodeJS.ErrnoException).code === 'ENOENT' && Object.hasOwn(MOVIELENS_DATASETS, path)
        ? `; ${JSON.stringify(path)} names a MovieLens release, not a path: load it with loadRatings(await resolveDataset(${JSON.stringify(path)})), which reads $CF_DATA_DIR/${path}, else the cache, else downloads it`
        : '';
    throw new InvalidArgumentError(
      'path',
      `cannot read ${path}: ${(error as Error).message}${byName}`,
    );
  }
}

/**
 * Loads ratings from a file, or from a MovieLens folder (the layout is picked by the files in it,
 * see `detectLayout`). The file is read in 1 MiB pieces into two reused buffers (the next read under way while the last is parsed); the format defaults to the one its
 * name suggests ({@link ratingsLayoutOfFile}). Returns the table and a load report.
 */
export async function loadRatings(
  path: string,
  options: LoadRatingsFromStreamOptions = {},
): Promise<LoadedRatings> {
  let file = path;
  let format = options.format;
  if (await isFolder(path)) {
    const layout = await detectLayout(path);
    file = layout.ratingsFile;
    format ??= layout.ratingsLayout;
  }
  format ??= ratingsLayoutOfFile(file);
  // Read into two reused 1 MiB buffers in turn (no garbage per chunk, unlike a ReadStream): the
  // next read runs on the thread pool while the parser reads the last one, which it copies only
  // an unfinished last line of.
  const parser = new RatingsParser({ ...options, format, source: options.source ?? file });
  const handle = await open(file, 'r');
  const buffers = [new Uint8Array(1 << 20), new Uint8Array(1 << 20)] as const;
  let next = 0;
  let pending: Promise<{ bytesRead: number }> | undefined = handle.read(
    buffers[0],
    0,
    buffers[0].length,
    null,
  );
  try {
    for (;;) {
      const { bytesRead } = await pending;
      pending = undefined;
      if (bytesRead === 0) break;
      const buffer = buffers[next]!;
      next ^= 1;
      const following = buffers[next]!;
      pending = handle.read(following, 0, following.length, null);
      parser.pushBytes(buffer.subarray(0, bytesRead));
    }
  } finally {
    // a read still under way (the parser threw) must end before the handle closes
    await pending?.catch(() => undefined);
    await handle.close();
  }
  return parser.end();
}

/**
 * Loads item titles and genres from a MovieLens folder (`movies.csv`, `u.item` or `movies.dat`)
 * or from an item file, decoding UTF-8 or latin-1 as the bytes require.
 */
export async function loadItemTitles(
  path: string,
  options: ItemTitlesOptions = {},
): Promise<ItemTitles> {
  let file = path;
  let layout = options.layout;
  if (await isFolder(path)) {
    const found = await detectLayout(path);
    if (found.titlesFile === undefined) {
      throw new InvalidArgumentError(
        'path',
        `${path} has no movies.csv, u.item or movies.dat next to its ratings file`,
      );
    }
    file = found.titlesFile;
    layout ??= found.titlesLayout;
  }
  layout ??= titlesLayoutOfFile(file);
  return parseItemTitles(await readFile(file), {
    ...options,
    layout,
    source: options.source ?? file,
  });
}
