import { kFoldSplit, splitByCvIdxs, type RatingsTable, type Split } from '@cf/data';
import type { RatingModel } from '@cf/model';
import { mae, rmse, type Metric } from './metrics.js';
import { addRecentRatings, type RecentRatingsOffset } from './fit-recent-ratings-offset.js';
import {
  rankingMetricsAsync,
  type RankingMetricsAsyncOptions,
  type RankingMetricsResult,
} from './ranking-metrics.js';

/** One fold's outcome. */
export interface FoldResult {
  fold: number;
  metrics: Record<string, number>;
  /** The whole {@link rankingMetrics} result, when {@link CrossValidateOptions.ranking} was given. */
  ranking?: RankingMetricsResult;
  fitSeconds: number;
  testSeconds: number;
}

/** All folds, with the mean and (sample) standard deviation of every metric and timing. */
export interface CrossValidationResult {
  folds: FoldResult[];
  mean: Record<string, number>;
  std: Record<string, number>;
  /** True when {@link CrossValidateOptions.signal} stopped the run: `folds` holds the folds completed before. */
  stopped: boolean;
}

/**
 * Folds built one at a time: {@link crossValidate} calls `split(fold)` when fold `fold`'s turn
 * comes and drops it after the fold, so that one fold's index arrays are alive at a time instead
 * of all of them (at 25M ratings each fold's split holds 100 MB). See {@link lazyCvIdxFolds}.
 */
export interface LazyFolds {
  /** How many folds. */
  readonly count: number;
  /** Builds fold `fold`'s split (0 ≤ fold < count). */
  split(fold: number): Split;
}

/**
 * A fold's model with a {@link RecentRatingsOffset}: each validation row's prediction is the
 * model's plus the offset at the row's own timestamp, clipped to the table's rating range (the
 * ranking metrics use the model alone: a per-user offset does not change a user's ranking).
 */
export interface TrainedFold {
  /** The model; {@link crossValidate} disposes it. */
  model: RatingModel;
  /** Added to the model's rating predictions when the table has timestamps. */
  recentRatings?: RecentRatingsOffset;
}

/** Options of {@link crossValidate}. */
export interface CrossValidateOptions {
  table: RatingsTable;
  /** The folds: built splits, or {@link LazyFolds} built when their turn comes. */
  folds: readonly Split[] | LazyFolds;
  /**
   * Trains a fresh model on `split.train` (it may use `split.valid` only for reporting). It may
   * return a {@link TrainedFold} instead: a model with a recent-ratings offset, as `runRecipe`'s
   * `best` gives on a table with timestamps.
   */
  train: (
    split: Split,
    fold: number,
  ) => RatingModel | TrainedFold | Promise<RatingModel | TrainedFold>;
  /** Default `[rmse, mae]`. */
  metrics?: readonly Metric[];
  /**
   * Also rank every item for each user with {@link rankingMetrics} (these options) and record
   * `ndcg@k`, `recall@k`, `precision@k` and `hitRate@k` among each fold's metrics (so they get a
   * mean and std, and a column in {@link formatCrossValidation}). Default: not computed. With
   * `threads` above 1 (or `'auto'`) each fold ranks on that many worker threads, as
   * {@link rankingMetricsAsync} does (same numbers for any count; default 1).
   */
  ranking?: Omit<RankingMetricsAsyncOptions, 'signal'>;
  /** Called after each fold (for progress tables). */
  onFold?: (result: FoldResult) => void;
  /**
   * Stops once aborted: no further fold is trained, and a fold whose training was stopped is not
   * evaluated (the ranking, the longest part of a fold's evaluation, stops between users). The
   * result then holds the folds completed before, and `stopped` is true. Pass the same signal to
   * the training in `train` so that it stops too.
   */
  signal?: AbortSignal;
}

/** The names under which {@link crossValidate} records the ranking metrics of its `ranking` option. */
export function rankingMetricNames(k: number): {
  ndcg: string;
  recall: string;
  precision: string;
  hitRate: string;
} {
  return {
    ndcg: `ndcg@${k}`,
    recall: `recall@${k}`,
    precision: `precision@${k}`,
    hitRate: `hitRate@${k}`,
  };
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Trains and tests one model per fold and summarises the metrics (mean ± std), fastai/Surprise style. */
export async function crossValidate(options: CrossValidateOptions): Promise<CrossValidationResult> {
  const metrics = options.metrics ?? [rmse, mae];
  const { table } = options;
  const folds: FoldResult[] = [];
  const signal = options.signal;
  let stopped = false;
  const given = options.folds;
  const lazy = 'split' in given && typeof given.split === 'function';
  const count = lazy ? given.count : (given as readonly Split[]).length;
  // One fold per call: its model (and the optimizer memory the model's weights live in), split
  // and predictions are unreachable once it returns. Inline in the loop, the suspended async frame
  // kept the last fold's model in a register through the next fold's training (127 MB at 25M
  // ratings, about 200 MiB of peak RSS with what it held). Undefined: stopped.
  const runFold = async (fold: number): Promise<FoldResult | undefined> => {
    const split = lazy ? given.split(fold) : (given as readonly Split[])[fold]!;
    const fitStart = now();
    const trained = await options.train(split, fold);
    const model = 'predict' in trained ? trained : trained.model;
    const offset = 'predict' in trained ? undefined : trained.recentRatings;
    const fitSeconds = (now() - fitStart) / 1000;
    if (signal?.aborted) {
      model.dispose();
      return undefined;
    }
    const testStart = now();
    const prediction = model.predict(
      Int32Array.from(split.valid, (r) => table.userIndex[r]!),
      Int32Array.from(split.valid, (r) => table.itemIndex[r]!),
    );
    if (offset && table.timestamp) addRecentRatings(prediction, offset, table, split.valid);
    const target = Float32Array.from(split.valid, (r) => table.rating[r]!);
    const values = Object.fromEntries(metrics.map((m) => [m.name, m.compute(prediction, target)]));
    let ranked: RankingMetricsResult | undefined;
    if (options.ranking) {
      try {
        ranked = await rankingMetricsAsync(model, table, split, {
          ...options.ranking,
          ...(signal ? { signal } : {}),
        });
      } catch (error) {
        model.dispose();
        if (!signal?.aborted) throw error;
        return undefined;
      }
      const names = rankingMetricNames(ranked.k);
      values[names.ndcg] = ranked.ndcgAtK;
      values[names.recall] = ranked.recallAtK;
      values[names.precision] = ranked.precisionAtK;
      values[names.hitRate] = ranked.hitRateAtK;
    }
    const result: FoldResult = {
      fold,
      metrics: values,
      ...(ranked ? { ranking: ranked } : {}),
      fitSeconds,
      testSeconds: (now() - testStart) / 1000,
    };
    model.dispose();
    return result;
  };
  for (let fold = 0; fold < count; fold++) {
    if (signal?.aborted) {
      stopped = true;
      break;
    }
    const result = await runFold(fold);
    if (!result) {
      stopped = true;
      break;
    }
    folds.push(result);
    options.onFold?.(result);
  }
  const keys = [...Object.keys(folds[0]?.metrics ?? {}), 'fitSeconds', 'testSeconds'];
  const valueOf = (f: FoldResult, key: string): number =>
    key === 'fitSeconds' ? f.fitSeconds : key === 'testSeconds' ? f.testSeconds : f.metrics[key]!;
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const key of keys) {
    const xs = folds.map((f) => valueOf(f, key));
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    mean[key] = m;
    std[key] =
      xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1)) : 0;
  }
  return { folds, mean, std, stopped };
}

/** The five fastai `getCvIdxs` folds (cvIdx 0..⌊1/valPct⌋−1) of a table. */
export function cvIdxFolds(
  table: RatingsTable,
  options: { valPct?: number; seed?: number } = {},
): Split[] {
  const valPct = options.valPct ?? 0.2;
  const count = Math.floor(1 / valPct + 1e-9);
  return Array.from({ length: count }, (_, cvIdx) =>
    splitByCvIdxs(table, { cvIdx, valPct, seed: options.seed ?? 42 }),
  );
}

/**
 * {@link cvIdxFolds} built one fold at a time (see {@link LazyFolds}): the same splits, without
 * holding all five folds' index arrays at once.
 */
export function lazyCvIdxFolds(
  table: RatingsTable,
  options: { valPct?: number; seed?: number } = {},
): LazyFolds {
  const valPct = options.valPct ?? 0.2;
  return {
    count: Math.floor(1 / valPct + 1e-9),
    split: (cvIdx) => splitByCvIdxs(table, { cvIdx, valPct, seed: options.seed ?? 42 }),
  };
}

/** {@link kFolds} built one fold at a time (see {@link LazyFolds}). */
export function lazyKFolds(
  table: RatingsTable,
  options: { k?: number; seed?: number } = {},
): LazyFolds {
  const k = options.k ?? 5;
  return { count: k, split: (fold) => kFoldSplit(table, { k, fold, seed: options.seed ?? 42 }) };
}

/** `k` seeded k-fold splits of a table. */
export function kFolds(table: RatingsTable, options: { k?: number; seed?: number } = {}): Split[] {
  const k = options.k ?? 5;
  return Array.from({ length: k }, (_, fold) =>
    kFoldSplit(table, { k, fold, seed: options.seed ?? 42 }),
  );
}

/** A plain-text table of a {@link CrossValidationResult}: one row per fold, then mean ± std. */
export function formatCrossValidation(result: CrossValidationResult): string {
  const names = Object.keys(result.folds[0]?.metrics ?? {});
  const widthOf = (name: string): number => Math.max(13, name.length);
  const head = [
    'fold'.padStart(6),
    ...names.map((n) => n.padStart(widthOf(n))),
    'fit (s)'.padStart(9),
    'test (s)'.padStart(9),
  ].join('  ');
  const rows = result.folds.map((f) =>
    [
      String(f.fold).padStart(6),
      ...names.map((n) => f.metrics[n]!.toFixed(4).padStart(widthOf(n))),
      f.fitSeconds.toFixed(1).padStart(9),
      f.testSeconds.toFixed(2).padStart(9),
    ].join('  '),
  );
  const pm = (key: string, digits: number, width: number): string =>
    `${result.mean[key]!.toFixed(digits)}±${result.std[key]!.toFixed(digits)}`.padStart(width);
  const summary = [
    'mean'.padStart(6),
    ...names.map((n) => pm(n, 4, widthOf(n))),
    pm('fitSeconds', 1, 9),
    pm('testSeconds', 2, 9),
  ].join('  ');
  return [head, ...rows, summary].join('\n');
}
