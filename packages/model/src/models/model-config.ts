/** The notebook's EmbeddingNet: embeddings → dropout → MLP with ReLU and dropout → scaled sigmoid. */
export interface EmbeddingNetConfig {
  type: 'embedding-net';
  nUsers: number;
  nItems: number;
  nFactors: number;
  /** Widths of the hidden layers (notebook: `[10]`). */
  hidden: number[];
  /** Dropout before each linear layer: `[p1, p2, ...]`, length `hidden.length + 1` (notebook: `[0.5, 0.5]`). */
  dropout: number[];
  /** Ratings scale `[min, max]`; the output is `sigmoid · (max − min + 1) + min − 0.5`. */
  ratingRange: [number, number];
}

/** fastai v2's default collab model: dot product plus user and item biases through `sigmoid_range`. */
export interface EmbeddingDotBiasConfig {
  type: 'embedding-dot-bias';
  nUsers: number;
  nItems: number;
  nFactors: number;
  /** `[low, high]` of `sigmoid_range`, or null for no squashing (fastai v2 default `[0, 5.5]`). */
  yRange: [number, number] | null;
}

/** Global mean + user bias + item bias; the yardstick printed beside every RMSE. */
export interface BiasBaselineConfig {
  type: 'bias';
  nUsers: number;
  nItems: number;
  /** Predictions are clipped to this range. */
  ratingRange: [number, number];
}

/** Biased matrix factorisation `μ + b_u + b_i + p_u·q_i`, clipped to the rating range (what `fitBayesianMf` produces). */
export interface BiasedMatrixFactorizationConfig {
  type: 'biased-mf';
  nUsers: number;
  nItems: number;
  nFactors: number;
  /** Predictions are clipped to this range. */
  ratingRange: [number, number];
}

/**
 * A weighted average of member models, `Σ w_k · member_k`, clipped to the rating range. Member k's
 * parameters are named `members.<k>.<name>` (e.g. `members.0.userEmbedding`).
 */
export interface EnsembleConfig {
  type: 'ensemble';
  nUsers: number;
  nItems: number;
  /** Predictions are clipped to this range. */
  ratingRange: [number, number];
  /** The members' configs, each for the same `nUsers` and `nItems`. */
  members: RatingModelConfig[];
  /** One weight per member (finite; usually summing to 1). */
  weights: number[];
}

/** The serialisable config of any cf model. */
export type RatingModelConfig =
  | EmbeddingNetConfig
  | EmbeddingDotBiasConfig
  | BiasBaselineConfig
  | BiasedMatrixFactorizationConfig
  | EnsembleConfig;
