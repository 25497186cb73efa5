// @cf/model/inference: load a saved model and predict, recommend and find similar items with no
// tfjs at all (nothing here imports @tensorflow/tfjs-core), for apps that only recommend.
export { loadInferenceModel, inferenceModelFromArtifacts } from './io/load-inference-model.js';
export type {
  LoadInferenceModelOptions,
  FetchLike,
  FetchResponseLike,
} from './io/load-inference-model.js';
export type { SavedModelArtifacts, SavedWeightSpec } from './io/read-model-artifacts.js';
export { InferenceModel } from './inference/inference-model.js';
export type {
  InferenceModelParts,
  FallbackBiases,
  UnknownIdStrategy,
  PredictionSource,
  Prediction,
  PredictOptions,
  RecommendOptions,
  TrainingDataSummary,
  TrainingSplitInfo,
} from './inference/inference-model.js';
export type { ScoringModel, ScoringParameter } from './inference/scoring-model.js';
export type { Recommendation } from './inference/recommendation.js';
export type { SeenItems } from './inference/seen-items.js';
export type {
  RatingModelConfig,
  EmbeddingNetConfig,
  EmbeddingDotBiasConfig,
  BiasBaselineConfig,
  BiasedMatrixFactorizationConfig,
  EnsembleConfig,
  ImplicitMatrixFactorizationConfig,
  RatingConfidence,
} from './models/model-config.js';
export { ModelFormatError } from './io/model-format-error.js';
export type { ModelFormatReason } from './io/model-format-error.js';
export { SimilarityUnsupportedError } from './inference/similarity-unsupported-error.js';
export type { SimilarityUnsupportedReason } from './inference/similarity-unsupported-error.js';
