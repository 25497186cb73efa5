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

/**
 * How a top-N model turns ratings into confidences: `atOrAbove` for a rating ≥ `threshold`, else
 * `below` (e.g. `{threshold: 4, atOrAbove: 1, below: 0.3}`).
 */
export interface RatingConfidence {
  threshold: number;
  atOrAbove: number;
  below: number;
}

/**
 * Implicit matrix factorisation for top-N (iALS): score `p_u · q_i`, a ranking score, not a rating.
 * Keeps the training's hyper-parameters so a new user can be solved in closed form.
 */
export interface ImplicitMatrixFactorizationConfig {
  type: 'implicit-mf';
  nUsers: number;
  nItems: number;
  nFactors: number;
  /** α₀: weight of every unobserved (user, item) pair, pushed towards 0. */
  unobservedWeight: number;
  /** λ: regularisation, scaled per row by `(n_observed + α₀ · n_other)^ν`. */
  regularization: number;
  /** ν: the frequency exponent of the regularisation (0: plain λ). */
  frequencyExponent: number;
  /** How ratings became confidences; `null`: every interaction counts 1 (implicit data). */
  confidence: RatingConfidence | null;
}

/** The serialisable config of any cf model. */
export type RatingModelConfig =
  | EmbeddingNetConfig
  | EmbeddingDotBiasConfig
  | BiasBaselineConfig
  | BiasedMatrixFactorizationConfig
  | EnsembleConfig
  | ImplicitMatrixFactorizationConfig;
