import type { RatingsTable, Split } from '@cf/data';
import { createEmbeddingDotBias, createEmbeddingNet, fitBiasBaseline, type BiasBaseline, type RatingModel } from '@cf/model';
import { createAdam, createAdamW } from './adam.js';
import type { EpochResult, FitCallback } from './callback.js';
import { evaluate, fit } from './fit.js';
import { mae, mse, rmse } from './metrics.js';
import { createModelData } from './model-data.js';
import { oneCycleSchedule } from './one-cycle.js';
import { setLrs, type EmbeddingUpdateMode } from './optimizer.js';

/** The named training recipes. */
export type RecipeName = 'notebook' | 'fastai' | 'bias';

/** Overrides of a recipe's hyper-parameters. */
export interface RecipeOptions {
  /** Seeds initial weights, batch order and dropout. Default 42. */
  seed?: number;
  /**
   * Epochs: the notebook recipe runs `fit` once per entry with `setLrs` in between (default
   * `[5, 10]`); the fastai recipe one one-cycle of the sum (default 5).
   */
  epochs?: number[];
  lr?: number;
  wd?: number;
  batchSize?: number;
  embeddingUpdate?: EmbeddingUpdateMode;
  nFactors?: number;
  callbacks?: FitCallback[];
  signal?: AbortSignal;
  engine?: 'auto' | 'tfjs' | 'fused';
  /** Called when a new `fit` call starts (for printing a table header per fit). */
  onFitBegin?: (fitIndex: number, epochs: number) => void;
}

/** What a recipe run gives back. The caller owns `model` and `baseline` (dispose them). */
export interface RecipeResult {
  recipe: RecipeName;
  model: RatingModel;
  /** The closed-form bias baseline fit on the same training rows: the yardstick. */
  baseline: BiasBaseline;
  /** One list of epoch rows per `fit` call. */
  fits: EpochResult[][];
  mse: number;
  rmse: number;
  mae: number;
  baselineRmse: number;
  /** Median seconds of a training pass. */
  secondsPerEpoch: number;
  /** The hyper-parameters used. */
  hyperParameters: Record<string, unknown>;
}

/** Default hyper-parameters of each recipe (see the trainer README for their sources). */
export const RECIPE_DEFAULTS = {
  notebook: { model: 'embedding-net', lr: 1e-3, wd: 2e-5, batchSize: 64, epochs: [5, 10], embeddingUpdate: 'lazy', nFactors: 50 },
  fastai: { model: 'embedding-dot-bias', lr: 5e-3, wd: 0.1, batchSize: 64, epochs: [5], embeddingUpdate: 'lazy', nFactors: 50 },
  bias: { model: 'bias', lr: 0, wd: 0, batchSize: 64, epochs: [], embeddingUpdate: 'lazy', nFactors: 0 },
} as const;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Trains a named recipe on `split` of `table` and evaluates it on `split.valid`:
 * - `notebook`: the fastai 0.7 notebook: EmbeddingNet (50 factors, hidden 10, dropout 0.5/0.5),
 *   Adam lr 1e-3 with coupled L2 2e-5, batch 64, `fit` 5, `setLrs(1e-3)`, `fit` 10.
 * - `fastai`: fastai v2's collab recipe: EmbeddingDotBias (50 factors, yRange (0, 5.5)),
 *   `fitOneCycle(5, 5e-3, wd 0.1)` with AdamW (0.9, 0.99), eps 1e-5, batch 64.
 * - `bias`: the damped bias baseline in closed form (no epochs); `model` and `baseline` are the same.
 */
export async function runRecipe(recipe: RecipeName, table: RatingsTable, split: Split, options: RecipeOptions = {}): Promise<RecipeResult> {
  const defaults = RECIPE_DEFAULTS[recipe];
  const seed = options.seed ?? 42;
  const lr = options.lr ?? defaults.lr;
  const wd = options.wd ?? defaults.wd;
  const batchSize = options.batchSize ?? defaults.batchSize;
  const epochs = options.epochs ?? [...defaults.epochs];
  const embeddingUpdate = options.embeddingUpdate ?? defaults.embeddingUpdate;
  const nFactors = options.nFactors ?? defaults.nFactors;
  const nUsers = table.userIds.size;
  const nItems = table.itemIds.size;
  const data = createModelData(table, split, { batchSize, seed });
  const fits: EpochResult[][] = [];
  const base = { metrics: [rmse], callbacks: options.callbacks ?? [], engine: options.engine ?? 'auto' } as const;
  const fitOptions = options.signal ? { ...base, signal: options.signal } : base;
  const baseline = fitBiasBaseline(table, split.train);
  let model: RatingModel;
  const record = (rows: EpochResult[]): FitCallback => ({ onEpochEnd: (_c, r) => void rows.push(r) });
  if (recipe === 'notebook') {
    model = createEmbeddingNet({ nUsers, nItems, nFactors, ratingRange: [table.stats.minRating, table.stats.maxRating], seed });
    const opt = createAdam(model.parameters, { lr, weightDecay: wd, embeddingUpdate });
    for (let k = 0; k < epochs.length; k++) {
      if (k > 0) setLrs(opt, lr);
      if (options.signal?.aborted) break;
      options.onFitBegin?.(k, epochs[k]!);
      const rows: EpochResult[] = [];
      fits.push(rows);
      await fit(model, data, epochs[k]!, opt, 'mse', { ...fitOptions, callbacks: [...fitOptions.callbacks, record(rows)] });
    }
  } else if (recipe === 'bias') {
    model = baseline;
  } else {
    model = createEmbeddingDotBias({ nUsers, nItems, nFactors, yRange: [0, 5.5], seed });
    const opt = createAdamW(model.parameters, { lr, weightDecay: wd, embeddingUpdate });
    const total = epochs.reduce((a, b) => a + b, 0);
    options.onFitBegin?.(0, total);
    const rows: EpochResult[] = [];
    fits.push(rows);
    await fit(model, data, total, opt, 'mse', { ...fitOptions, callbacks: [oneCycleSchedule(lr), ...fitOptions.callbacks, record(rows)] });
  }
  const final = evaluate(model, data, [mse, rmse, mae]);
  const baselineRmse = evaluate(baseline, data, [rmse]).metrics['rmse']!;
  return {
    recipe,
    model,
    baseline,
    fits,
    mse: final.metrics['mse']!,
    rmse: final.metrics['rmse']!,
    mae: final.metrics['mae']!,
    baselineRmse,
    secondsPerEpoch: fits.length ? median(fits.flat().map((r) => r.seconds)) : 0,
    hyperParameters: { model: defaults.model, lr, wd, batchSize, epochs, embeddingUpdate, nFactors, seed },
  };
}
