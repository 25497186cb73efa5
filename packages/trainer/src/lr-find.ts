import type { RatingModel } from '@cf/model';
import type { ModelData } from './model-data.js';
import type { Optimizer } from './optimizer.js';

/** Options of {@link lrFind}; defaults are fastai v2's. */
export interface LrFindOptions {
  startLr?: number;
  endLr?: number;
  /** Batches in the ramp. Default 100. */
  iterations?: number;
  /** Stop when the smoothed loss exceeds this multiple of the best. Default 4. */
  divergeFactor?: number;
}

/** The curve and suggestions of {@link lrFind}. */
export interface LrFindResult {
  lrs: number[];
  /** Debiased EWMA losses (β 0.98), one per lr. */
  losses: number[];
  /** The lr at the minimum smoothed loss divided by 10 (fastai's `lr_min`). */
  suggestedLr: number;
  /** The lr where the smoothed loss falls fastest (fastai's `lr_steep`). */
  steepestLr: number;
  /** Whether the ramp stopped early on divergence. */
  diverged: boolean;
}

/**
 * The learning-rate finder: trains on batches with an exponentially growing lr from `startLr` to
 * `endLr`, stops when the smoothed loss diverges, then restores the model's parameters. The
 * optimizer's moments are advanced by the probe: use a fresh optimizer for the real run.
 */
export function lrFind(
  model: RatingModel,
  data: ModelData,
  optimizer: Optimizer,
  options: LrFindOptions = {},
): LrFindResult {
  const { startLr = 1e-7, endLr = 10, iterations = 100, divergeFactor = 4 } = options;
  const saved = model.parameters.map((p) => p.values.slice());
  const lrs: number[] = [];
  const losses: number[] = [];
  let avg = 0;
  let best = Infinity;
  let diverged = false;
  let step = 0;
  let epoch = data.epochsSeen;
  outer: while (step < iterations) {
    for (const batch of data.trainBatches.epoch(epoch++)) {
      const lr = startLr * Math.pow(endLr / startLr, step / Math.max(1, iterations - 1));
      for (const g of optimizer.groups) g.lr = lr;
      const { loss, gradients } = model.lossAndGradients(batch, { random: data.random });
      step++;
      avg = 0.98 * avg + 0.02 * loss;
      const smooth = avg / (1 - Math.pow(0.98, step));
      lrs.push(lr);
      losses.push(smooth);
      if (!Number.isFinite(smooth) || smooth > divergeFactor * best) {
        diverged = true;
        break outer;
      }
      best = Math.min(best, smooth);
      optimizer.step(gradients);
      if (step >= iterations) break outer;
    }
  }
  model.parameters.forEach((p, k) => {
    p.values.set(saved[k]!);
    p.markChanged();
  });
  let minAt = 0;
  for (let k = 1; k < losses.length; k++) if (losses[k]! < losses[minAt]!) minAt = k;
  let steepAt = 0;
  let steepest = Infinity;
  for (let k = 1; k < losses.length; k++) {
    const slope = (losses[k]! - losses[k - 1]!) / (Math.log(lrs[k]!) - Math.log(lrs[k - 1]!));
    if (slope < steepest) {
      steepest = slope;
      steepAt = k;
    }
  }
  return {
    lrs,
    losses,
    suggestedLr: (lrs[minAt] ?? startLr) / 10,
    steepestLr: lrs[steepAt] ?? startLr,
    diverged,
  };
}
