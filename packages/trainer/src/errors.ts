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

/**
 * A rating-prediction recipe was given an implicit table (interactions without ratings, every
 * value 1): there is nothing for it to predict. Train the `topn` recipe on such data.
 */
export class ImplicitDataError extends CfError {
  /** The recipe that refused the data. */
  readonly recipe: string;
  /** The table's source (usually the file path). */
  readonly source: string;
  constructor(recipe: string, source: string) {
    super(
      'IMPLICIT_DATA',
      `${source} has no rating column (implicit data: each row is one interaction), but the ${recipe} recipe predicts ratings and cannot learn from it; use --recipe topn (runRecipe('topn', …)), which ranks items from interactions, or name the rating column (--columns …,rating=NAME)`,
    );
    this.recipe = recipe;
    this.source = source;
  }
}
