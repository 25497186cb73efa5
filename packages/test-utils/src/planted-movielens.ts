// Writes an ml-25m-shaped MovieLens folder (ratings.csv, movies.csv, links.csv) whose ratings come
// from a planted model, plus a JSON sidecar with the planted parameters' summary and the best RMSE
// any model can reach on it. Node only (node:fs); `@cf/test-utils/planted`.
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** ml-25m's shape: rows, distinct users and distinct rated items. */
export const ML_25M_SHAPE = { rows: 25_000_000, users: 162_541, items: 59_047 } as const;

/** Bumped whenever the same options would write different bytes. */
export const PLANTED_GENERATOR_VERSION = 1;

/** Options of {@link writePlantedMovieLens}. */
export interface PlantedMovieLensOptions {
  /** Ratings to write. */
  rows: number;
  /** Seed of every random draw; the same options write the same bytes. Default 1. */
  seed?: number;
  /** Users; default ml-25m's 162,541 scaled by rows / 25M (at least 10). */
  users?: number;
  /** Items in the catalogue; default ml-25m's 59,047 scaled by rows / 25M (at least 50). */
  items?: number;
  /** Rank of the planted factors. Default 16. */
  rank?: number;
  /** Standard deviation of the Gaussian noise added before rounding. Default 0.75. */
  noiseStd?: number;
}

/** The JSON sidecar (`planted.json`) {@link writePlantedMovieLens} writes and returns. */
export interface PlantedMovieLensSummary {
  generator: string;
  version: number;
  seed: number;
  rows: number;
  users: number;
  items: number;
  files: { ratings: string; movies: string; links: string; bytes: number };
  model: {
    formula: string;
    globalMean: number;
    userBiasStd: number;
    itemBiasStd: number;
    rank: number;
    factorStd: number;
    noiseStd: number;
    ratingScale: [number, number];
    userActivity: string;
    itemPopularity: string;
  };
  realised: {
    meanRating: number;
    ratingStd: number;
    histogram: Record<string, number>;
    ratingsPerUser: { min: number; median: number; max: number };
    ratingsPerItem: { min: number; median: number; max: number };
    itemsRated: number;
    plantedScoreStd: number;
  };
  /** RMSE of the Bayes-optimal prediction E[rating | planted parameters] against the written ratings. */
  bestRmse: number;
  /** RMSE of the planted linear score clipped to [0.5, 5] (what a perfect EmbeddingDotBias predicts). */
  plantedScoreRmse: number;
  /** RMSE of predicting the realised mean rating for every row. */
  meanRmse: number;
  bestRmseDefinition: string;
  seconds: number;
  /**
   * The data-limited floor: not written by the generator but added afterwards by
   * `bench/numpy/planted_floor.py --write` (Gibbs sampling of the planted model on the rows
   * `cf train --data` trains on), absent until that has run on the folder.
   */
  dataLimited?: PlantedDataLimitedFloor;
}

/** `planted.json`'s `dataLimited`: what the best estimator given the training rows reaches. */
export interface PlantedDataLimitedFloor {
  /** Validation RMSE of the posterior-mean prediction given the training rows and the true hyperparameters. */
  rmse: number;
  /** rmse / bestRmse − 1. */
  aboveBestRmse: number;
  /** bestRmse on the validation rows alone (the oracle on the same rows). */
  oracleValidRmse: number;
  /** Item parameters known, each user's inferred from its training rows. */
  halfOracleItemsKnown: number;
  /** User parameters known, each item's inferred. */
  halfOracleUsersKnown: number;
  /** The Gibbs chains' RMSEs by start (zero, truth): they agree once the chain has mixed. */
  chains: Record<string, number>;
  sweeps: number;
  burn: number;
  split: string;
  definition: string;
  command: string;
  cpuSeconds: number;
}

const GLOBAL_MEAN = 3.53;
const USER_BIAS_STD = 0.35;
const ITEM_BIAS_STD = 0.45;
/** Standard deviation of the planted dot product p_u·q_i (each factor entry has std (0.35²/rank)^¼). */
const DOT_STD = 0.35;
/** Pareto shape of user activity (ml-25m: at least 20 ratings a user, mean 154, max 32,202). */
const USER_PARETO_ALPHA = 1.15;
const MIN_PER_USER = 20;
/** Share of the catalogue the most active user may rate (ml-25m: 32,202 / 59,047). */
const MAX_USER_SHARE = 0.545;
/** Item popularity weight (rank + ITEM_ZIPF_OFFSET)^-ITEM_ZIPF_EXPONENT (top item ≈ 0.3 % of rows at 59k items). */
const ITEM_ZIPF_EXPONENT = 1.2;
const ITEM_ZIPF_OFFSET = 60;
const FIRST_TIMESTAMP = 789_652_009; // ml-25m's first and last rating times
const LAST_TIMESTAMP = 1_574_327_703;
const GENRES = [
  'Action',
  'Adventure',
  'Animation',
  'Children',
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'IMAX',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
];

/** sfc32 seeded through splitmix32: fast 32-bit generator with good statistical quality. */
class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = NaN;
  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = mix();
    this.b = mix();
    this.c = mix();
    this.d = mix();
    for (let k = 0; k < 12; k++) this.uint32();
  }
  uint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Uniform in (0, 1), never 0. */
  uniform(): number {
    return (this.uint32() + 0.5) / 4294967296;
  }
  /** Integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.uniform() * n);
  }
  normal(): number {
    if (!Number.isNaN(this.spare)) {
      const value = this.spare;
      this.spare = NaN;
      return value;
    }
    const radius = Math.sqrt(-2 * Math.log(this.uniform()));
    const angle = 2 * Math.PI * this.uniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }
}

/** Standard normal CDF (erfc by W. J. Cody's rational approximation via Numerical Recipes' erfcc, |error| < 1.2e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const erfc =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 +
                            t *
                              (-1.13520398 +
                                t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - erfc / 2 : erfc / 2;
}

/**
 * E[rating | planted score m] = Σ_k (k/2)·P(round(2(m + ε)) clipped to [1, 10] = k), ε ~ N(0, σ²):
 * the rounding bins are r ∈ [(k − ½)/2, (k + ½)/2), the end bins open. Tabulated on a grid of
 * 0.0005 over m ∈ [−4, 11) and interpolated linearly (interpolation error < 1e-7).
 */
export function expectedRatingTable(noiseStd: number): (score: number) => number {
  const lo = -4;
  const step = 0.0005;
  const size = Math.round(15 / step) + 1;
  const table = new Float64Array(size);
  for (let g = 0; g < size; g++) {
    const m = lo + g * step;
    let expected = 0;
    let below = 0;
    for (let k = 1; k <= 10; k++) {
      const upper = k === 10 ? 1 : normalCdf(((k + 0.5) / 2 - m) / noiseStd);
      expected += (k / 2) * (upper - below);
      below = upper;
    }
    table[g] = expected;
  }
  return (score) => {
    const x = (score - lo) / step;
    if (x <= 0) return table[0]!;
    if (x >= size - 1) return table[size - 1]!;
    const g = Math.floor(x);
    const f = x - g;
    return table[g]! * (1 - f) + table[g + 1]! * f;
  };
}

/** Vose's alias table over `weights`: O(1) weighted draws. */
function aliasTable(weights: Float64Array): { probability: Float64Array; alias: Int32Array } {
  const n = weights.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += weights[i]!;
  const probability = new Float64Array(n);
  const alias = new Int32Array(n);
  const scaled = new Float64Array(n);
  const small = new Int32Array(n);
  const large = new Int32Array(n);
  let nSmall = 0;
  let nLarge = 0;
  for (let i = 0; i < n; i++) {
    scaled[i] = (weights[i]! * n) / total;
    if (scaled[i]! < 1) small[nSmall++] = i;
    else large[nLarge++] = i;
  }
  while (nSmall > 0 && nLarge > 0) {
    const s = small[--nSmall]!;
    const l = large[--nLarge]!;
    probability[s] = scaled[s]!;
    alias[s] = l;
    scaled[l] = scaled[l]! + scaled[s]! - 1;
    if (scaled[l] < 1) small[nSmall++] = l;
    else large[nLarge++] = l;
  }
  while (nLarge > 0) probability[large[--nLarge]!] = 1;
  while (nSmall > 0) probability[small[--nSmall]!] = 1;
  return { probability, alias };
}

function median(values: Int32Array): number {
  const sorted = Int32Array.from(values).sort();
  return sorted[sorted.length >> 1]!;
}

/** Buffered writer of ASCII into a file descriptor. */
class AsciiWriter {
  readonly buffer = Buffer.allocUnsafe(1 << 22);
  position = 0;
  bytes = 0;
  /** `fd` -1 counts the bytes and discards them (regenerating the parameters writes no file). */
  constructor(private readonly fd: number) {}
  ensure(room: number): void {
    if (this.position + room > this.buffer.length) this.flush();
  }
  flush(): void {
    let offset = 0;
    if (this.fd < 0) offset = this.position;
    while (offset < this.position)
      offset += writeSync(this.fd, this.buffer, offset, this.position - offset);
    this.bytes += this.position;
    this.position = 0;
  }
  text(value: string): void {
    this.ensure(value.length * 3);
    this.position += this.buffer.write(value, this.position, 'utf8');
  }
  byte(code: number): void {
    this.buffer[this.position++] = code;
  }
  /** A non-negative integer below 2^53 in decimal. */
  uint(value: number): void {
    let digits = 1;
    for (let v = value; v >= 10; v = Math.floor(v / 10)) digits++;
    let end = this.position + digits;
    this.position = end;
    let v = value;
    do {
      const next = Math.floor(v / 10);
      this.buffer[--end] = 48 + (v - next * 10);
      v = next;
    } while (v > 0);
  }
}

/**
 * Writes a file through a temp name in the same folder, fsyncs it and renames it into place; with
 * `path` null runs `write` into a writer that discards the bytes and returns their count.
 */
function writeFileAtomically(path: string | null, write: (out: AsciiWriter) => void): number {
  if (path === null) {
    const sink = new AsciiWriter(-1);
    write(sink);
    sink.flush();
    return sink.bytes;
  }
  const partial = `${path}.${process.pid}.tmp`;
  const fd = openSync(partial, 'w');
  const out = new AsciiWriter(fd);
  try {
    write(out);
    out.flush();
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(partial, path);
  return out.bytes;
}

/**
 * Writes `ratings.csv` (userId,movieId,rating,timestamp; grouped by user in id order and sorted by
 * movieId within a user, as ml-25m is), `movies.csv`, `links.csv` and `planted.json` into `dir`,
 * deterministically from `options.seed`.
 *
 * The planted model: rating = clip(round(2·(μ + b_u + b_i + p_u·q_i + ε))/2, 0.5, 5) with
 * b_u ~ N(0, 0.35²), b_i ~ N(0, 0.45²), p_u, q_i ~ N(0, s²·I) of rank 16 (p_u·q_i has std 0.35),
 * ε ~ N(0, 0.75²). Users' activity is Pareto (α 1.15, at least 20 ratings, at most 54.5 % of the
 * catalogue); items are drawn without replacement with Zipf weights (rank + 60)^-1.2 over a random
 * popularity order; movieIds are increasing with random gaps (≈ ml-25m's 1…209171 spread).
 *
 * @returns the summary also written to `planted.json`.
 */
export function writePlantedMovieLens(
  dir: string,
  options: PlantedMovieLensOptions,
): PlantedMovieLensSummary {
  return plant(dir, options).summary;
}

/** The planted model's parameters behind a {@link writePlantedMovieLens} folder. */
export interface PlantedParameters {
  /** μ of the formula. */
  globalMean: number;
  rank: number;
  noiseStd: number;
  /** Standard deviations of the priors the parameters were drawn from. */
  userBiasStd: number;
  itemBiasStd: number;
  factorStd: number;
  /** b_u of user index u, whose userId in ratings.csv is u + 1. */
  userBias: Float64Array;
  /** p_u, row-major users × rank. */
  userFactors: Float64Array;
  /** b_i of item index i, whose movieId is `movieIds[i]` (increasing). */
  itemBias: Float64Array;
  /** q_i, row-major items × rank. */
  itemFactors: Float64Array;
  movieIds: Int32Array;
  /** The summary the same options write to planted.json (its bestRmse, realised counts, …). */
  summary: PlantedMovieLensSummary;
}

/**
 * Regenerates the planted parameters of the folder {@link writePlantedMovieLens} writes with the
 * same `options` (the same random stream, the files' bytes discarded instead of written), so a
 * bench can compare estimators with the truth without the generator saving them.
 */
export function plantedMovieLensParameters(options: PlantedMovieLensOptions): PlantedParameters {
  return plant(null, options).parameters;
}

function plant(
  dir: string | null,
  options: PlantedMovieLensOptions,
): { summary: PlantedMovieLensSummary; parameters: PlantedParameters } {
  const started = performance.now();
  const rows = options.rows;
  if (!Number.isInteger(rows) || rows < 1)
    throw new RangeError(`rows must be a positive integer, got ${rows}`);
  const seed = options.seed ?? 1;
  const scale = rows / ML_25M_SHAPE.rows;
  const nUsers = options.users ?? Math.max(10, Math.round(ML_25M_SHAPE.users * scale));
  const nItems = options.items ?? Math.max(50, Math.round(ML_25M_SHAPE.items * scale));
  const rank = options.rank ?? 16;
  const noiseStd = options.noiseStd ?? 0.75;
  const factorStd = Math.pow((DOT_STD * DOT_STD) / rank, 0.25);
  const maxPerUser = Math.max(1, Math.floor(MAX_USER_SHARE * nItems));
  if (rows > nUsers * maxPerUser)
    throw new RangeError(
      `${rows} rows do not fit ${nUsers} users × at most ${maxPerUser} items each; pass more users or items`,
    );
  const random = new Random(seed);

  // Items: popularity weights over a random order, biases, factors, increasing movieIds.
  const order = new Int32Array(nItems);
  for (let i = 0; i < nItems; i++) order[i] = i;
  for (let i = nItems - 1; i > 0; i--) {
    const j = random.below(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const popularity = new Float64Array(nItems);
  for (let r = 0; r < nItems; r++)
    popularity[order[r]!] = Math.pow(r + ITEM_ZIPF_OFFSET, -ITEM_ZIPF_EXPONENT);
  const { probability, alias } = aliasTable(popularity);
  const itemBias = new Float64Array(nItems);
  const itemFactors = new Float64Array(nItems * rank);
  const movieIds = new Int32Array(nItems);
  let movieId = 0;
  for (let i = 0; i < nItems; i++) {
    itemBias[i] = ITEM_BIAS_STD * random.normal();
    for (let d = 0; d < rank; d++) itemFactors[i * rank + d] = factorStd * random.normal();
    movieId += 1 + (random.below(3) === 0 ? random.below(16) : 0); // mean gap 3.5, as ml-25m's ids up to 209,171
    movieIds[i] = movieId;
  }

  // Users' rating counts: at least min(20, rows/users), Pareto-weighted shares of the rest, capped.
  const minPerUser = Math.min(MIN_PER_USER, Math.floor(rows / nUsers), maxPerUser);
  const counts = new Int32Array(nUsers);
  const activity = new Float64Array(nUsers);
  for (let u = 0; u < nUsers; u++) {
    // Pareto(α) draws minus their minimum 1, so the least active users keep exactly the minimum.
    activity[u] = Math.pow(random.uniform(), -1 / USER_PARETO_ALPHA) - 1;
  }
  // Water-filling: share what is left in proportion to activity among the users below the cap,
  // until less than one row per such user is left; then one more row each, in user order.
  for (let u = 0; u < nUsers; u++) counts[u] = minPerUser;
  let left = rows - minPerUser * nUsers;
  for (let round = 0; left > 0 && round < 64; round++) {
    let open = 0;
    for (let u = 0; u < nUsers; u++) if (counts[u]! < maxPerUser) open += activity[u]!;
    if (open === 0) break;
    let given = 0;
    for (let u = 0; u < nUsers; u++) {
      if (counts[u]! >= maxPerUser) continue;
      const add = Math.min(maxPerUser - counts[u]!, Math.floor((left * activity[u]!) / open));
      counts[u] = counts[u]! + add;
      given += add;
    }
    left -= given;
    if (given === 0) break;
  }
  for (let u = 0; left > 0; u = (u + 1) % nUsers) {
    if (counts[u]! < maxPerUser) {
      counts[u] = counts[u]! + 1;
      left--;
    }
  }

  const expectedRating = expectedRatingTable(noiseStd);
  const itemCounts = new Int32Array(nItems);
  const histogram = new Float64Array(11);
  const stamp = new Int32Array(nItems).fill(-1);
  const chosen = new Int32Array(maxPerUser);
  const keys = new Float64Array(nItems);
  const sortedKeys = new Float64Array(nItems);
  const userFactors = new Float64Array(rank);
  const allUserBias = new Float64Array(dir === null ? nUsers : 0);
  const allUserFactors = new Float64Array(dir === null ? nUsers * rank : 0);
  let sumRating = 0;
  let sumSquares = 0;
  let bestSquares = 0;
  let scoreSquares = 0;
  let scoreSum = 0;
  let scoreSumSquares = 0;

  if (dir !== null) mkdirSync(dir, { recursive: true });
  const path = (name: string): string | null => (dir === null ? null : join(dir, name));
  const ratingsBytes = writeFileAtomically(path('ratings.csv'), (out) => {
    out.text('userId,movieId,rating,timestamp\n');
    for (let u = 0; u < nUsers; u++) {
      const count = counts[u]!;
      const userBias = USER_BIAS_STD * random.normal();
      for (let d = 0; d < rank; d++) userFactors[d] = factorStd * random.normal();
      if (dir === null) {
        allUserBias[u] = userBias;
        allUserFactors.set(userFactors, u * rank);
      }
      const span = Math.min(
        LAST_TIMESTAMP - FIRST_TIMESTAMP,
        Math.floor(86_400 * Math.exp(8 * random.uniform())),
      );
      const start = FIRST_TIMESTAMP + random.below(LAST_TIMESTAMP - FIRST_TIMESTAMP - span + 1);
      if (count * 8 <= nItems) {
        // Light user: rejection sampling of distinct items from the alias table.
        for (let k = 0; k < count;) {
          const slot = random.below(nItems);
          const item = random.uniform() < probability[slot]! ? slot : alias[slot]!;
          if (stamp[item] === u) continue;
          stamp[item] = u;
          chosen[k++] = item;
        }
      } else {
        // Heavy user: weighted sampling without replacement (Efraimidis–Spirakis exponential keys).
        for (let i = 0; i < nItems; i++) keys[i] = -Math.log(random.uniform()) / popularity[i]!;
        sortedKeys.set(keys);
        sortedKeys.sort();
        const threshold = sortedKeys[count - 1]!;
        let k = 0;
        for (let i = 0; i < nItems && k < count; i++) if (keys[i]! <= threshold) chosen[k++] = i;
      }
      const items = chosen.subarray(0, count).sort();
      for (let k = 0; k < count; k++) {
        const item = items[k]!;
        let score = GLOBAL_MEAN + userBias + itemBias[item]!;
        const base = item * rank;
        for (let d = 0; d < rank; d++) score += userFactors[d]! * itemFactors[base + d]!;
        const halfStars = Math.min(
          10,
          Math.max(1, Math.round(2 * (score + noiseStd * random.normal()))),
        );
        const rating = halfStars / 2;
        const best = expectedRating(score) - rating;
        const clipped = Math.min(5, Math.max(0.5, score)) - rating;
        bestSquares += best * best;
        scoreSquares += clipped * clipped;
        scoreSum += score;
        scoreSumSquares += score * score;
        sumRating += rating;
        sumSquares += rating * rating;
        histogram[halfStars] = histogram[halfStars]! + 1;
        itemCounts[item] = itemCounts[item]! + 1;
        out.ensure(48);
        out.uint(u + 1);
        out.byte(44);
        out.uint(movieIds[item]!);
        out.byte(44);
        out.uint(halfStars >> 1);
        out.byte(46);
        out.byte(halfStars & 1 ? 53 : 48);
        out.byte(44);
        out.uint(start + random.below(span + 1));
        out.byte(10);
      }
    }
  });

  const moviesBytes = writeFileAtomically(path('movies.csv'), (out) => {
    out.text('movieId,title,genres\n');
    for (let i = 0; i < nItems; i++) {
      const year = 1902 + random.below(118);
      // Every seventh title has a comma, so it is quoted as in ml-25m ("American President, The (1995)").
      const title =
        i % 7 === 3
          ? `"Planted Movie ${movieIds[i]!}, The (${year})"`
          : `Planted Movie ${movieIds[i]!} (${year})`;
      const nGenres = random.below(20) === 0 ? 0 : 1 + random.below(3);
      const genres: string[] = [];
      for (let g = 0; g < nGenres; g++) {
        const genre = GENRES[random.below(GENRES.length)]!;
        if (!genres.includes(genre)) genres.push(genre);
      }
      out.text(
        `${movieIds[i]!},${title},${nGenres === 0 ? '(no genres listed)' : genres.join('|')}\n`,
      );
    }
  });
  const linksBytes = writeFileAtomically(path('links.csv'), (out) => {
    out.text('movieId,imdbId,tmdbId\n');
    for (let i = 0; i < nItems; i++) {
      const imdb = String(100_000 + random.below(9_000_000)).padStart(7, '0');
      const tmdb = random.below(50) === 0 ? '' : String(1 + random.below(600_000));
      out.text(`${movieIds[i]!},${imdb},${tmdb}\n`);
    }
  });

  const userCounts = counts;
  let itemsRated = 0;
  let minItem = Infinity;
  let maxItem = 0;
  for (let i = 0; i < nItems; i++) {
    if (itemCounts[i]! > 0) itemsRated++;
    minItem = Math.min(minItem, itemCounts[i]!);
    maxItem = Math.max(maxItem, itemCounts[i]!);
  }
  let minUser = Infinity;
  let maxUser = 0;
  for (let u = 0; u < nUsers; u++) {
    minUser = Math.min(minUser, userCounts[u]!);
    maxUser = Math.max(maxUser, userCounts[u]!);
  }
  const meanRating = sumRating / rows;
  const round = (x: number, digits = 6): number => Number(x.toFixed(digits));
  const histogramOut: Record<string, number> = {};
  for (let k = 1; k <= 10; k++) histogramOut[(k / 2).toFixed(1)] = histogram[k]!;
  const scoreMean = scoreSum / rows;
  const summary: PlantedMovieLensSummary = {
    generator: '@cf/test-utils writePlantedMovieLens',
    version: PLANTED_GENERATOR_VERSION,
    seed,
    rows,
    users: nUsers,
    items: nItems,
    files: {
      ratings: 'ratings.csv',
      movies: 'movies.csv',
      links: 'links.csv',
      bytes: ratingsBytes + moviesBytes + linksBytes,
    },
    model: {
      formula:
        'rating = clip(round(2 * (globalMean + b_u + b_i + dot(p_u, q_i) + eps)) / 2, 0.5, 5); b_u ~ N(0, userBiasStd^2), b_i ~ N(0, itemBiasStd^2), p_u, q_i ~ N(0, factorStd^2 I_rank), eps ~ N(0, noiseStd^2)',
      globalMean: GLOBAL_MEAN,
      userBiasStd: USER_BIAS_STD,
      itemBiasStd: ITEM_BIAS_STD,
      rank,
      factorStd: round(factorStd),
      noiseStd,
      ratingScale: [0.5, 5],
      userActivity: `Pareto(alpha ${USER_PARETO_ALPHA}) shares of the rows above ${minPerUser} per user, capped at ${maxPerUser} (${MAX_USER_SHARE} of the items)`,
      itemPopularity: `(popularity rank + ${ITEM_ZIPF_OFFSET})^-${ITEM_ZIPF_EXPONENT}, drawn without replacement per user`,
    },
    realised: {
      meanRating: round(meanRating),
      ratingStd: round(Math.sqrt(sumSquares / rows - meanRating * meanRating)),
      histogram: histogramOut,
      ratingsPerUser: { min: minUser, median: median(userCounts), max: maxUser },
      ratingsPerItem: { min: minItem, median: median(itemCounts), max: maxItem },
      itemsRated,
      plantedScoreStd: round(Math.sqrt(scoreSumSquares / rows - scoreMean * scoreMean)),
    },
    bestRmse: round(Math.sqrt(bestSquares / rows)),
    plantedScoreRmse: round(Math.sqrt(scoreSquares / rows)),
    meanRmse: round(Math.sqrt(sumSquares / rows - meanRating * meanRating)),
    bestRmseDefinition:
      'sqrt(mean over all written rows of (rating - E[rating | m])^2), m = globalMean + b_u + b_i + dot(p_u, q_i) the planted score; E is over eps ~ N(0, noiseStd^2) through the half-star rounding and the clip to [0.5, 5] (sum over the ten half-star bins of value * bin probability, from the normal CDF, tabulated every 0.0005 of m): the Bayes-optimal squared-error prediction, so no model fitted to these rows can expect a lower RMSE on fresh rows of the same model',
    seconds: 0,
  };
  summary.seconds = round((performance.now() - started) / 1000, 2);
  if (dir !== null)
    writeFileAtomically(join(dir, 'planted.json'), (out) =>
      out.text(JSON.stringify(summary, null, 2) + '\n'),
    );
  return {
    summary,
    parameters: {
      globalMean: GLOBAL_MEAN,
      rank,
      noiseStd,
      userBiasStd: USER_BIAS_STD,
      itemBiasStd: ITEM_BIAS_STD,
      factorStd,
      userBias: allUserBias,
      userFactors: allUserFactors,
      itemBias,
      itemFactors,
      movieIds,
      summary,
    },
  };
}
