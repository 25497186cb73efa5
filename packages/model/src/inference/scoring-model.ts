import type { RatingModelConfig } from '../models/model-config.js';

/** A model parameter as inference reads it: name, shape, host values and version. */
export interface ScoringParameter {
  /** Stable name, as in the saved weights (e.g. `itemEmbedding`). */
  readonly name: string;
  readonly shape: readonly number[];
  /** The values, row-major (read them when you use them; the array may be replaced). */
  readonly values: Float32Array;
  /** Changes whenever `values` does. */
  readonly version: number;
}

/**
 * What {@link InferenceModel} needs of a model: its config, its parameters, and eval-mode
 * predictions as plain typed arrays. Every `RatingModel` of `@cf/model` is one (computing with tfjs
 * or its host engine); a model loaded by `loadInferenceModel` from `@cf/model/inference` is one
 * that computes on the host with no tfjs at all.
 */
export interface ScoringModel {
  readonly config: RatingModelConfig;
  readonly parameters: readonly ScoringParameter[];
  /** See `RatingModel.itemSimilarityParameter`: the `[nItems, dim]` parameter whose rows' cosines say which items go together. */
  readonly itemSimilarityParameter?: string | undefined;
  /**
   * Eval-mode predictions for the pairs `(userIndex[b], itemIndex[b])`; with `out` (long enough)
   * the model may write there and return a view of it. Throws `RangeError` for an index outside
   * the model.
   */
  predict(userIndex: Int32Array, itemIndex: Int32Array, out?: Float32Array): Float32Array;
  /**
   * Eval-mode predictions of one user for many items, written to `out`; returns a view of its first
   * `itemIndex.length` entries. Optional: callers fall back to `predict`.
   */
  scoreItemsForUser?(userIndex: number, itemIndex: Int32Array, out: Float32Array): Float32Array;
}
