import { CfError } from '@cf/data';

/** The loss became NaN or infinite: training stopped at that batch. */
export class TrainingDivergedError extends CfError {
  /** 0-based epoch of the current `fit` call. */
  readonly epoch: number;
  /** 0-based batch within that epoch. */
  readonly batch: number;
  readonly loss: number;
  constructor(epoch: number, batch: number, loss: number) {
    super(
      'TRAINING_DIVERGED',
      `training diverged: the loss was ${loss} at epoch ${epoch}, batch ${batch}; lower the learning rate (try lrFind) or check the data for extreme ratings`,
    );
    this.epoch = epoch;
    this.batch = batch;
    this.loss = loss;
  }
}
