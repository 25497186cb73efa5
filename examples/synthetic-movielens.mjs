// Small synthetic MovieLens-shaped data for the examples' samples and tests, so that no real
// MovieLens file is ever copied into the repository. Ratings come from a known low-rank model plus
// user and item biases and noise: a model that learns beats the bias-only baseline on them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const GENRES = [
  'Action',
  'Comedy',
  'Drama',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'Animation',
  'Horror',
];
const WORDS = [
  'Silent',
  'Red',
  'Last',
  'Hidden',
  'Golden',
  'Broken',
  'Midnight',
  'Lost',
  'Wild',
  'Iron',
];
const NOUNS = [
  'River',
  'Empire',
  'Garden',
  'Signal',
  'Harbor',
  'Mirror',
  'Station',
  'Forest',
  'Code',
  'Crown',
];

/**
 * Generates `ratings.csv` and `movies.csv` text in the ml-latest-small layout.
 * @param {{ nUsers?: number, nItems?: number, density?: number, nFactors?: number, seed?: number }} [options]
 * @returns {{ ratingsCsv: string, moviesCsv: string, nRatings: number }}
 */
export function makeSyntheticMovieLens(options = {}) {
  const nUsers = options.nUsers ?? 150;
  const nItems = options.nItems ?? 120;
  const density = options.density ?? 0.25;
  const k = options.nFactors ?? 3;
  let state = (options.seed ?? 7) >>> 0;
  const rand = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 4294967296;
  };
  const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const userFactors = Array.from({ length: nUsers }, () => Array.from({ length: k }, normal));
  const itemFactors = Array.from({ length: nItems }, () => Array.from({ length: k }, normal));
  const userBias = Array.from({ length: nUsers }, () => 0.4 * normal());
  const itemBias = Array.from({ length: nItems }, () => 0.5 * normal());
  const ratings = ['userId,movieId,rating,timestamp'];
  let timestamp = 964_982_703;
  for (let u = 0; u < nUsers; u++) {
    for (let i = 0; i < nItems; i++) {
      if (rand() >= density) continue;
      let dot = 0;
      for (let d = 0; d < k; d++) dot += userFactors[u][d] * itemFactors[i][d];
      const raw = 3.5 + userBias[u] + itemBias[i] + 0.6 * dot + 0.3 * normal();
      const rating = Math.min(5, Math.max(0.5, Math.round(raw * 2) / 2));
      ratings.push(`${u + 1},${10 * (i + 1)},${rating},${timestamp++}`);
    }
  }
  const movies = ['movieId,title,genres'];
  for (let i = 0; i < nItems; i++) {
    const title = `${WORDS[i % WORDS.length]} ${NOUNS[Math.floor(i / WORDS.length) % NOUNS.length]}`;
    const year = 1960 + ((i * 7) % 60);
    const genres = [GENRES[i % GENRES.length], GENRES[(i * 3 + 1) % GENRES.length]];
    movies.push(`${10 * (i + 1)},"${title} (${year})",${[...new Set(genres)].join('|')}`);
  }
  return {
    ratingsCsv: ratings.join('\n') + '\n',
    moviesCsv: movies.join('\n') + '\n',
    nRatings: ratings.length - 1,
  };
}

/**
 * Writes the synthetic data as a MovieLens folder (`ratings.csv`, `movies.csv`) and returns its path.
 * @param {string} dir
 * @param {Parameters<typeof makeSyntheticMovieLens>[0]} [options]
 * @returns {string}
 */
export function writeSyntheticMovieLens(dir, options = {}) {
  const { ratingsCsv, moviesCsv } = makeSyntheticMovieLens(options);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ratings.csv'), ratingsCsv);
  writeFileSync(join(dir, 'movies.csv'), moviesCsv);
  return dir;
}
