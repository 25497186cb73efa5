import type { RatingModel } from '@cf/model';
import type { ModelData } from './model-data.js';
import type { Optimizer } from './optimizer.js';

/** One row of the fit table: what fastai 0.7 prints after each epoch. */
export interface EpochResult {
  /** 0-based epoch within this `fit` call, plus `FitOptions.startEpoch` (resumed runs). */
  epoch: number;
  /** EWMA of the batch losses (β 0.98, debiased), in training mode; reset once per `fit`. */
  trainLoss: number;
  /** Exact mean loss over all validation rows, eval mode. NaN with no validation rows. */
  valLoss: number;
  /** Metric values by name. */
  metrics: Record<string, number>;
  /** Seconds of the training pass. */
  seconds: number;
  /** Seconds of the validation pass. */
  validSeconds: number;
  /** False when training stopped before the epoch's last batch (abort or stop request). */
  complete: boolean;
}

/** What callbacks see, and how they steer training. */
export interface FitContext {
  readonly model: RatingModel;
  readonly optimizer: Optimizer;
  readonly data: ModelData;
  /** Epochs of this `fit` call. */
  readonly epochs: number;
  /** Batches per epoch. */
  readonly batchesPerEpoch: number;
  /** 0-based epoch within this `fit` call. */
  epoch: number;
  /** 0-based batch within the epoch. */
  batch: number;
  /** 0-based batch within this `fit` call (what schedules use). */
  iteration: number;
  /** Loss of the last batch. */
  batchLoss: number;
  /** The debiased EWMA of the batch losses so far. */
  smoothedLoss: number;
  /** Threads this `fit` call trains on (see `FitOptions.threads`). */
  threads: number;
  /** Why training runs on fewer threads than `FitOptions.threads` asked, if it does. */
  threadsNote?: string;
  /** Results of the finished epochs of this call. */
  readonly history: EpochResult[];
  /** Asks training to stop after the current batch (not an error). */
  stop(reason?: string): void;
  /** Why training was asked to stop, if it was. */
  readonly stopReason: string | undefined;
}

/**
 * Hooks into the training loop (fastai-style callbacks). Each may return a promise, which the
 * loop awaits. Order: onTrainBegin, (onEpochBegin, (onBatchBegin, onBatchEnd)*, onEpochEnd)*, onTrainEnd.
 */
export interface FitCallback {
  /** Once, before the first epoch of a `fit` call. */
  onTrainBegin?(context: FitContext): void | Promise<void>;
  /** Before each epoch's first batch. */
  onEpochBegin?(context: FitContext): void | Promise<void>;
  /** Before the batch's forward pass: schedules set the learning rate and momentum here. */
  onBatchBegin?(context: FitContext): void | Promise<void>;
  /** After the batch's optimizer step (its loss is in the context). */
  onBatchEnd?(context: FitContext): void | Promise<void>;
  /** After each epoch's validation pass, with the epoch's row of results. */
  onEpochEnd?(context: FitContext, result: EpochResult): void | Promise<void>;
  /** Once, after the last epoch (or after training stopped early). */
  onTrainEnd?(context: FitContext): void | Promise<void>;
}
