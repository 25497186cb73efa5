import type { RatingsTable } from '@cf/data';
import { InvalidArgumentError } from '@cf/data';

/** Options of {@link fitRecentRatingsOffset}. */
export interface RecentRatingsOffsetOptions {
  /**
   * Time constant τ of the weights `exp(−Δt/τ)`, in the unit of the table's timestamps (seconds
   * for MovieLens). Default 120.
   */
  tau?: number;
  /** Shrinkage λ of the weighted mean: `Σ w·r̃ / (λ + Σ w)`. Default 3. */
  shrinkage?: number;
  /** Multiplier of the offset. Default 1. */
  weight?: number;
  /** Ridge penalties of the bias baseline's user and item biases. Defaults 5 and 10. */
  userBiasPenalty?: number;
  /** See `userBiasPenalty`. */
  itemBiasPenalty?: number;
  /** Alternations of the bias baseline's least squares (item biases, then user biases). Default 15. */
  baselineSweeps?: number;
}

/** The settings a {@link RecentRatingsOffset} was fitted with (every option filled in). */
export type RecentRatingsOffsetConfig = Required<RecentRatingsOffsetOptions>;

/**
 * How a user's ratings made shortly **before** a query deviate from a bias baseline: for a query
 * (user `u`, time `t`), `weight · Σ_j w_j·r̃_j / (shrinkage + Σ_j w_j)` over the user's training
 * ratings `j` made strictly before `t`, with `w_j = exp(−(t − t_j)/τ)` and `r̃_j = r_j − (μ + b_u +
 * b_i)` the residual of a ridge-regularised bias baseline fitted on the same rows. Only ratings
 * strictly earlier than the query count, so a live system has every one of them when it predicts:
 * none made at the query's second (on MovieLens those were sent in the same form as the query) or
 * after it. A user with no rating in the last minutes gets ~0. Host arrays only, no tensors.
 */
export interface RecentRatingsOffset {
  /** The settings it was fitted with. */
  readonly config: RecentRatingsOffsetConfig;
  /**
   * The offsets of the queries `(userIndex[k], timestamp[k])`, into `out` when it is long enough
   * (a new array otherwise). A user index outside the fitted table's users gets 0.
   */
  predict(userIndex: Int32Array, timestamp: ArrayLike<number>, out?: Float32Array): Float32Array;
}

/**
 * Fits a {@link RecentRatingsOffset} on the training `rows` of `table`, which must have timestamps
 * (otherwise throws {@link InvalidArgumentError} `argument: 'table'`). Cost: a few passes over the
 * rows and one sort per user; a query walks back over the user's ratings of the last `13·τ`.
 */
export function fitRecentRatingsOffset(
  table: RatingsTable,
  rows: Int32Array,
  options: RecentRatingsOffsetOptions = {},
): RecentRatingsOffset {
  const config: RecentRatingsOffsetConfig = {
    tau: options.tau ?? 120,
    shrinkage: options.shrinkage ?? 3,
    weight: options.weight ?? 1,
    userBiasPenalty: options.userBiasPenalty ?? 5,
    itemBiasPenalty: options.itemBiasPenalty ?? 10,
    baselineSweeps: options.baselineSweeps ?? 15,
  };
  const time = table.timestamp;
  if (!time) {
    throw new InvalidArgumentError(
      'table',
      'the table has no timestamps; load ratings with a timestamp column to fit a recent-ratings offset',
    );
  }
  if (!(config.tau > 0) || !(config.shrinkage >= 0)) {
    throw new InvalidArgumentError(
      'options',
      `tau must be > 0 and shrinkage ≥ 0 (got tau ${config.tau}, shrinkage ${config.shrinkage})`,
    );
  }
  const nUsers = table.userIds.size;
  const nItems = table.itemIds.size;
  const n = rows.length;
  // the bias baseline μ + b_u + b_i by alternating ridge least squares
  let mu = 0;
  for (const r of rows) mu += table.rating[r]!;
  mu = n > 0 ? mu / n : 0;
  const userCount = new Float64Array(nUsers);
  const itemCount = new Float64Array(nItems);
  for (const r of rows) {
    userCount[table.userIndex[r]!]!++;
    itemCount[table.itemIndex[r]!]!++;
  }
  const bu = new Float64Array(nUsers);
  const bi = new Float64Array(nItems);
  for (let sweep = 0; sweep < config.baselineSweeps; sweep++) {
    bi.fill(0);
    for (const r of rows) {
      const u = table.userIndex[r]!;
      bi[table.itemIndex[r]!]! += table.rating[r]! - mu - bu[u]!;
    }
    for (let i = 0; i < nItems; i++) bi[i] = bi[i]! / (itemCount[i]! + config.itemBiasPenalty);
    bu.fill(0);
    for (const r of rows) {
      const i = table.itemIndex[r]!;
      bu[table.userIndex[r]!]! += table.rating[r]! - mu - bi[i]!;
    }
    for (let u = 0; u < nUsers; u++) bu[u] = bu[u]! / (userCount[u]! + config.userBiasPenalty);
  }
  // each user's rows, sorted by time, with their residuals
  const start = new Int32Array(nUsers + 1);
  for (let u = 0; u < nUsers; u++) start[u + 1] = start[u]! + userCount[u]!;
  const fill = start.slice(0, nUsers);
  const byUser = new Int32Array(n);
  for (const r of rows) byUser[fill[table.userIndex[r]!]!++] = r;
  const times = new Float64Array(n);
  const residuals = new Float64Array(n);
  for (let u = 0; u < nUsers; u++) {
    const part = Array.from(byUser.subarray(start[u], start[u + 1])).sort(
      (a, b) => time[a]! - time[b]!,
    );
    part.forEach((r, k) => {
      times[start[u]! + k] = time[r]!;
      residuals[start[u]! + k] = table.rating[r]! - mu - bu[u]! - bi[table.itemIndex[r]!]!;
    });
  }
  const horizon = config.tau * Math.log(1e6); // weights below 1e-6 are left out
  return {
    config,
    predict(userIndex, timestamp, out) {
      if (timestamp.length !== userIndex.length) {
        throw new RangeError(
          `userIndex has ${userIndex.length} entries but timestamp has ${timestamp.length}`,
        );
      }
      const m = userIndex.length;
      const result = out && out.length >= m ? out.subarray(0, m) : new Float32Array(m);
      for (let k = 0; k < m; k++) {
        const u = userIndex[k]!;
        const t = timestamp[k]!;
        result[k] = 0;
        if (!(u >= 0 && u < nUsers)) continue;
        // first of the user's rows at or after t: everything before it is strictly earlier
        let lo = start[u]!;
        let hi = start[u + 1]!;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (times[mid]! < t) lo = mid + 1;
          else hi = mid;
        }
        let num = 0;
        let den = 0;
        for (let j = lo - 1; j >= start[u]! && t - times[j]! <= horizon; j--) {
          const w = Math.exp(-(t - times[j]!) / config.tau);
          num += w * residuals[j]!;
          den += w;
        }
        result[k] = (config.weight * num) / (config.shrinkage + den);
      }
      return result;
    },
  };
}

/**
 * Adds `offset` at each of `rows`' own timestamps to `prediction` (one value per row of `rows`, in
 * place) and clips the sums to `table`'s rating range: the rating predictions `best` is measured
 * by (`runRecipe`, `crossValidate`). `table` must have timestamps.
 *
 * @returns `prediction`.
 */
export function addRecentRatings(
  prediction: Float32Array,
  offset: RecentRatingsOffset,
  table: RatingsTable,
  rows: Int32Array,
): Float32Array {
  const time = table.timestamp;
  if (!time) throw new RangeError('addRecentRatings needs a table with timestamps');
  const shift = offset.predict(
    Int32Array.from(rows, (r) => table.userIndex[r]!),
    Float64Array.from(rows, (r) => time[r]!),
  );
  const { minRating: lo, maxRating: hi } = table.stats;
  for (let k = 0; k < prediction.length; k++)
    prediction[k] = Math.min(hi, Math.max(lo, prediction[k]! + shift[k]!));
  return prediction;
}
