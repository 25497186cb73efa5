import type { RatingModel } from '@cf/model';
import type { FitCallback, FitContext } from './callback.js';
import { createAdamW } from './adam.js';
import { fit, type FitOptions } from './fit.js';
import type { ModelData } from './model-data.js';
import type { Optimizer } from './optimizer.js';

/** fastai v2's `SchedCos(start, end)` at `pos ∈ [0, 1]`. */
export function cosineInterpolate(start: number, end: number, pos: number): number {
  return start + ((1 + Math.cos(Math.PI * (1 - pos))) * (end - start)) / 2;
}

/** fastai v2's `combined_cos(pct, start, middle, end)` at `pos ∈ [0, 1]`. */
export function combinedCosine(
  pct: number,
  start: number,
  middle: number,
  end: number,
  pos: number,
): number {
  if (pos < pct) return cosineInterpolate(start, middle, pct > 0 ? pos / pct : 1);
  return cosineInterpolate(middle, end, pct < 1 ? (pos - pct) / (1 - pct) : 1);
}

/** Options of {@link oneCycleSchedule} and {@link fitOneCycle}; defaults are fastai v2's. */
export interface OneCycleOptions {
  /** Start lr = lrMax / div. Default 25. */
  div?: number;
  /** End lr = lrMax / divFinal. Default 1e5. */
  divFinal?: number;
  /** Fraction of the steps spent warming up. Default 0.25. */
  pctStart?: number;
  /** Momentum (Adam β1) at start, middle, end. Default `[0.95, 0.85, 0.95]`. */
  moms?: [number, number, number];
}

/** The learning rate and momentum of one-cycle at position `pos` (0 = first batch, 1 = end). */
export function oneCycleAt(
  lrMax: number,
  pos: number,
  options: OneCycleOptions = {},
): { lr: number; momentum: number } {
  const { div = 25, divFinal = 1e5, pctStart = 0.25, moms = [0.95, 0.85, 0.95] } = options;
  return {
    lr: combinedCosine(pctStart, lrMax / div, lrMax, lrMax / divFinal, pos),
    momentum: combinedCosine(pctStart, moms[0], moms[1], moms[2], pos),
  };
}

/** Where a resumed one-cycle run picks up: the cycle spans `totalEpochs`, of which `startEpoch` are done. */
export interface OneCycleResume {
  startEpoch: number;
  totalEpochs: number;
}

/**
 * A callback that sets every group's lr and momentum before each batch as fastai v2's
 * `fit_one_cycle` does: position = batches done / total batches of the `fit` call (or of the
 * whole cycle when a run is resumed after `resume.startEpoch` of `resume.totalEpochs` epochs).
 */
export function oneCycleSchedule(
  lrMax: number | readonly number[],
  options: OneCycleOptions = {},
  resume?: OneCycleResume,
): FitCallback {
  return {
    onBatchBegin(context: FitContext) {
      const done = (resume?.startEpoch ?? 0) * context.batchesPerEpoch;
      const total = (resume?.totalEpochs ?? context.epochs) * context.batchesPerEpoch;
      const pos = (done + context.iteration) / total;
      context.optimizer.groups.forEach((group, k) => {
        const max = typeof lrMax === 'number' ? lrMax : lrMax[k]!;
        const { lr, momentum } = oneCycleAt(max, pos, options);
        group.lr = lr;
        group.momentum = momentum;
      });
    },
  };
}

/** Options of {@link fitOneCycle}. */
export interface FitOneCycleOptions extends OneCycleOptions, FitOptions {
  /** Decoupled weight decay of the default AdamW. Default 0.01 (fastai's). */
  wd?: number;
  /** Optimizer; default AdamW with fastai v2's defaults (betas 0.9/0.99, eps 1e-5). */
  optimizer?: Optimizer;
}

/** fastai v2's `learn.fit_one_cycle(epochs, lrMax, wd=…)`. Returns what {@link fit} returns. */
export async function fitOneCycle(
  model: RatingModel,
  data: ModelData,
  epochs: number,
  lrMax: number,
  options: FitOneCycleOptions = {},
): Promise<number[]> {
  const optimizer =
    options.optimizer ??
    createAdamW(model.parameters, { lr: lrMax, weightDecay: options.wd ?? 0.01 });
  if (options.optimizer && options.wd !== undefined)
    for (const g of optimizer.groups) g.weightDecay = options.wd;
  const schedule = oneCycleSchedule(lrMax, options);
  return fit(model, data, epochs, optimizer, 'mse', {
    ...options,
    callbacks: [schedule, ...(options.callbacks ?? [])],
  });
}
