import type { FitCallback, FitContext } from './callback.js';

/** Options of {@link cosineAnnealingSchedule}. */
export interface CosineAnnealingOptions {
  /** Epochs in the first cycle (fastai 0.7 `cycle_len`). Default 1. */
  cycleLen?: number;
  /** Each cycle is this many times longer than the last (fastai 0.7 `cycle_mult`). Default 1. */
  cycleMult?: number;
  /** Lowest lr of a cycle. Default 0. */
  lrMin?: number;
}

/**
 * Cosine annealing with warm restarts (SGDR, fastai 0.7's `cycle_len`/`cycle_mult`): within a
 * cycle of `nb` batches the lr falls from its base value to `lrMin` as `(1 + cos(π·t/nb))/2`,
 * then restarts; each new cycle is `cycleMult` times longer. Base lrs are read at the first batch.
 */
export function cosineAnnealingSchedule(options: CosineAnnealingOptions = {}): FitCallback {
  const { cycleLen = 1, cycleMult = 1, lrMin = 0 } = options;
  let base: number[] = [];
  let cycleStart = 0;
  let cycleLength = 0;
  return {
    onTrainBegin(context: FitContext) {
      base = context.optimizer.groups.map((g) => g.lr);
      cycleStart = 0;
      cycleLength = Math.max(1, Math.round(cycleLen * context.batchesPerEpoch));
    },
    onBatchBegin(context: FitContext) {
      while (context.iteration - cycleStart >= cycleLength) {
        cycleStart += cycleLength;
        cycleLength = Math.max(1, Math.round(cycleLength * cycleMult));
      }
      const t = (context.iteration - cycleStart) / cycleLength;
      context.optimizer.groups.forEach((g, k) => {
        g.lr = lrMin + ((base[k]! - lrMin) * (1 + Math.cos(Math.PI * t))) / 2;
      });
    },
  };
}
