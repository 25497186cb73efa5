import { CfError } from '@cf/data';

/** Why the ratings cannot train a model: `one-rating-value` (every rating the same). */
export type TrainingDataReason = 'one-rating-value';

/** The ratings loaded fine but cannot train a model; exit code 1, decided before training. */
export class TrainingDataError extends CfError {
  /** The data file or folder. */
  readonly source: string;
  readonly reason: TrainingDataReason;
  constructor(source: string, reason: TrainingDataReason, message: string) {
    super('TRAINING_DATA', `${source}: ${message}`);
    this.source = source;
    this.reason = reason;
  }
}
