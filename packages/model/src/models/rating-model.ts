import type * as tf from '@tensorflow/tfjs-core';
import type { Parameter, ParameterGradient } from '../core/parameter.js';
import type { SeededRandom } from '../core/random.js';
import type { RatingModelConfig } from './model-config.js';

/** A batch of training rows as dense indices and targets (typed-array views are fine). */
export interface RatingBatch {
  readonly userIndex: Int32Array;
  readonly itemIndex: Int32Array;
  readonly rating: Float32Array;
  /** Rows used; defaults to `rating.length`. */
  readonly size?: number;
}

/** Options of {@link RatingModel.forward}. */
export interface ForwardOptions {
  /** Training mode applies dropout (needs `random`). Default false (eval mode). */
  training?: boolean;
  /** Source of dropout masks in training mode. */
  random?: SeededRandom;
}

/** Options of {@link RatingModel.lossAndGradients}. */
export interface LossAndGradientsOptions {
  /** Training mode (dropout on). Default true. */
  training?: boolean;
  /** Source of dropout masks in training mode. */
  random?: SeededRandom;
  /**
   * `tfjs` computes with tfjs-core ops on the registered backend; `fused` with the model's
   * hand-written host kernel (same maths, no per-op dispatch); `auto` (default) picks `fused` when
   * the backend is `cpu` or `wasm` and the model has a fused kernel, else `tfjs`.
   */
  engine?: 'auto' | 'tfjs' | 'fused';
}

/** The result of one forward and backward pass. Gradient buffers are reused by the next call. */
export interface LossAndGradients {
  /** Mean squared error over the batch. */
  loss: number;
  gradients: ParameterGradient[];
}

/**
 * What every cf model is: a serialisable config, parameters on the host, a tfjs forward pass, and
 * a loss-and-gradients step that gives row-sparse gradients for embedding tables.
 */
export interface RatingModel {
  readonly config: RatingModelConfig;
  readonly parameters: readonly Parameter[];
  /** Names of the parameters with one row per user (replaced when a user is folded in). */
  readonly userParameterNames: readonly string[];
  /**
   * The parameter (`[nItems, dim]`) whose rows are item vectors meant for item-to-item similarity:
   * set by models that score a user and an item by a dot product of their vectors, so that items
   * with close vectors are scored alike by every user and their cosine says which items go
   * together. Undefined for a model whose item vectors are not meant for that (EmbeddingNet feeds
   * them through a neural network) or that has none (the bias baseline, an ensemble):
   * `TrainedModel.similarItems` then throws `SimilarityUnsupportedError`.
   */
  readonly itemSimilarityParameter?: string;
  /**
   * Predictions for `userIndex[b], itemIndex[b]` as a `[B]` tensor, computed with tfjs-core ops on
   * the current backend. The caller owns (and must dispose) the returned tensor.
   */
  forward(userIndex: Int32Array, itemIndex: Int32Array, options?: ForwardOptions): tf.Tensor1D;
  /**
   * Eval-mode predictions read back to the host, computed in chunks. Nothing to dispose. With `out`
   * (at least as long as the pairs), a model may write there and return a view of it instead of
   * allocating; callers must use the returned array.
   */
  predict(userIndex: Int32Array, itemIndex: Int32Array, out?: Float32Array): Float32Array;
  /**
   * Eval-mode predictions of one user for many items: entry `j` is what
   * `predict([userIndex], [itemIndex[j]])` gives (the same maths on the host, so equal on the `cpu`
   * and `wasm` backends, and within float32 rounding of the tfjs path on others). The fast path of
   * recommend: per-user work is done once, not per item. Writes to `out` (at least
   * `itemIndex.length` long) and returns a view of its first `itemIndex.length` entries; nothing to
   * dispose. Throws `RangeError` for an index outside the model or a short `out`. Optional: callers
   * fall back to `predict` for a model without it.
   */
  scoreItemsForUser?(userIndex: number, itemIndex: Int32Array, out: Float32Array): Float32Array;
  /** Mean squared error of a batch and its gradients (row-sparse for embeddings). */
  lossAndGradients(batch: RatingBatch, options?: LossAndGradientsOptions): LossAndGradients;
  /** A model of the same kind and hyper-parameters for `nUsers` users whose item-side parameters share this model's storage. */
  withUsers(nUsers: number): RatingModel;
  /** Frees the tensors the model caches on the backend. The host parameters stay usable. */
  dispose(): void;
}
