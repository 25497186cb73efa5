import { allRowsSplit, type RatingsTable } from '@cf/data';
import type { EpochResult } from './callback.js';
import { runRecipe, type RecipeName, type RecipeOptions, type RecipeResult } from './recipes.js';

/** An epoch of a run without validation rows: {@link EpochResult} without the validation fields. */
export type TrainingEpoch = Omit<EpochResult, 'valLoss' | 'metrics' | 'validSeconds'>;

/**
 * What {@link trainOnAllRows} gives back: a {@link RecipeResult} without any validation number
 * (there are no validation rows to compute one on). The caller owns `model` and `baseline`
 * (dispose them; they are the same object for the `bias` recipe).
 */
export interface AllRowsRecipeResult extends Omit<
  RecipeResult,
  'mse' | 'rmse' | 'mae' | 'baselineRmse' | 'fits'
> {
  /** One list of epochs per `fit` call, training loss and seconds only. */
  fits: TrainingEpoch[][];
  /** Rows trained on: every row of the table. */
  nTrain: number;
}

/**
 * Trains a named recipe on **every row** of `table` with the recipe's own schedule (epochs,
 * learning rates, weight decay: the ones chosen on a validation split), for the model you deploy
 * once the recipe has been evaluated. No validation numbers are computed or returned. The same as
 * `runRecipe(recipe, table, allRowsSplit(table), options)` with the validation fields dropped;
 * options (seed, callbacks, checkpoints, resume) are {@link runRecipe}'s. The rating recipes
 * throw `ImplicitDataError` for an implicit table, as `runRecipe` does.
 */
export async function trainOnAllRows(
  recipe: RecipeName,
  table: RatingsTable,
  options: RecipeOptions = {},
): Promise<AllRowsRecipeResult> {
  const split = allRowsSplit(table);
  const result = await runRecipe(recipe, table, split, options);
  return {
    recipe: result.recipe,
    model: result.model,
    baseline: result.baseline,
    fits: result.fits.map((rows) =>
      rows.map(({ epoch, trainLoss, seconds, complete }) => ({
        epoch,
        trainLoss,
        seconds,
        complete,
      })),
    ),
    secondsPerEpoch: result.secondsPerEpoch,
    trainSeconds: result.trainSeconds,
    hyperParameters: result.hyperParameters,
    nTrain: split.train.length,
  };
}
