import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from './errors.js';
import type { TitlesLayout } from './item-titles.js';
import type { RatingsLayout } from './ratings-format.js';

/** The files of a MovieLens folder and how to read them, as found by {@link detectLayout}. */
export interface DatasetLayout {
  /** The folder. */
  folder: string;
  /** Path of the ratings file (`ratings.csv`, `u.data` or `ratings.dat`). */
  ratingsFile: string;
  ratingsLayout: RatingsLayout;
  /** Path of the item file, when the folder has one. */
  titlesFile: string | undefined;
  titlesLayout: TitlesLayout | undefined;
  /** Whether the ml-100k fold files `u1.base` … `u5.test` are all there. */
  hasPredefinedFolds: boolean;
}

const CANDIDATES: {
  ratings: string;
  ratingsLayout: RatingsLayout;
  titles: string;
  titlesLayout: TitlesLayout;
}[] = [
  {
    ratings: 'ratings.csv',
    ratingsLayout: 'ratings-csv',
    titles: 'movies.csv',
    titlesLayout: 'movies-csv',
  },
  { ratings: 'u.data', ratingsLayout: 'u-data', titles: 'u.item', titlesLayout: 'u-item' },
  {
    ratings: 'ratings.dat',
    ratingsLayout: 'ratings-dat',
    titles: 'movies.dat',
    titlesLayout: 'movies-dat',
  },
];

/**
 * Looks at the files of a folder and tells which MovieLens layout it holds: `ratings.csv` +
 * `movies.csv` (ml-latest-small, ml-25m, ml-32m), `u.data` + `u.item` (ml-100k) or
 * `ratings.dat` + `movies.dat` (ml-1m, ml-10m). Throws {@link InvalidArgumentError} when none fits.
 */
export async function detectLayout(folder: string): Promise<DatasetLayout> {
  let names: Set<string>;
  try {
    names = new Set(await readdir(folder));
  } catch (error) {
    throw new InvalidArgumentError(
      'path',
      `cannot read folder ${folder}: ${(error as Error).message}`,
    );
  }
  const found = CANDIDATES.find((candidate) => names.has(candidate.ratings));
  if (!found) {
    throw new InvalidArgumentError(
      'path',
      `${folder} holds none of ${CANDIDATES.map((c) => c.ratings).join(', ')}; pass the folder of an unzipped MovieLens dataset, or the ratings file itself with a format`,
    );
  }
  const hasTitles = names.has(found.titles);
  return {
    folder,
    ratingsFile: join(folder, found.ratings),
    ratingsLayout: found.ratingsLayout,
    titlesFile: hasTitles ? join(folder, found.titles) : undefined,
    titlesLayout: hasTitles ? found.titlesLayout : undefined,
    hasPredefinedFolds: [1, 2, 3, 4, 5].every(
      (k) => names.has(`u${k}.base`) && names.has(`u${k}.test`),
    ),
  };
}
