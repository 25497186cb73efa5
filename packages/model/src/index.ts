export { SeededRandom } from './core/random.js';
export { createParameter } from './core/parameter.js';
export type {
  Parameter,
  ParameterKind,
  ParameterOptions,
  ParameterGradient,
} from './core/parameter.js';
export type {
  RatingModel,
  RatingBatch,
  ForwardOptions,
  LossAndGradientsOptions,
  LossAndGradients,
} from './models/rating-model.js';
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
export { mseLoss } from './core/mse-loss.js';
export { EmbeddingNet, createEmbeddingNet } from './models/embedding-net.js';
export type { EmbeddingNetOptions } from './models/embedding-net.js';
export { EmbeddingDotBias, createEmbeddingDotBias } from './models/embedding-dot-bias.js';
export type { EmbeddingDotBiasOptions } from './models/embedding-dot-bias.js';
export { BiasBaseline, createBiasBaseline, fitBiasBaseline } from './models/bias-baseline.js';
export type { BiasBaselineFitOptions } from './models/bias-baseline.js';
export {
  BiasedMatrixFactorization,
  createBiasedMatrixFactorization,
} from './models/biased-matrix-factorization.js';
export type { BiasedMatrixFactorizationOptions } from './models/biased-matrix-factorization.js';
export {
  ImplicitMatrixFactorization,
  createImplicitMatrixFactorization,
  implicitRowRegularization,
  isImplicitMatrixFactorization,
} from './models/implicit-matrix-factorization.js';
export type { ImplicitMatrixFactorizationOptions } from './models/implicit-matrix-factorization.js';
export {
  ImplicitRowSolver,
  choleskySolveInPlace,
  scaledGramian,
} from './core/implicit-row-solver.js';
export { EnsembleModel, createEnsemble, ensembleParameterName } from './models/ensemble-model.js';
export type { EnsembleOptions } from './models/ensemble-model.js';
export {
  createModelFromConfig,
  parameterSpecsOf,
  MODEL_TYPE_NAMES,
} from './models/create-model-from-config.js';
export type {
  ParameterValue,
  ParameterValues,
  ParameterSpec,
} from './models/create-model-from-config.js';
export { ModelFormatError } from './io/model-format-error.js';
export { SimilarityUnsupportedError } from './inference/similarity-unsupported-error.js';
export type { SimilarityUnsupportedReason } from './inference/similarity-unsupported-error.js';
export type { ModelFormatReason } from './io/model-format-error.js';
export { InferenceModel } from './inference/inference-model.js';
export { BlockedRanker } from './inference/blocked-ranker.js';
export { rankAllUsers } from './inference/rank-all-users.js';
export type { RankAllUsersOptions, RankAllUsersResult } from './inference/rank-all-users.js';
export { recommendForAllUsers } from './inference/recommend-for-all-users.js';
export type {
  RecommendForAllUsersOptions,
  RecommendForAllUsersResult,
} from './inference/recommend-for-all-users.js';
export type {
  BlockedRankerOptions,
  BlockedRankOptions,
  BlockedRankerWork,
} from './inference/blocked-ranker.js';
export { TopK } from './inference/top-k.js';
export { dotProductForm, hasBlockedForm } from './inference/dot-product-form.js';
export type { DotProductForm, DotProductHead } from './inference/dot-product-form.js';
export type { InferenceModelParts, FallbackBiases } from './inference/inference-model.js';
export type { ScoringModel, ScoringParameter } from './inference/scoring-model.js';
export { TrainedModel, createTrainedModel } from './inference/trained-model.js';
export type {
  UnknownIdStrategy,
  PredictionSource,
  Prediction,
  PredictOptions,
  RecommendOptions,
  TrainingDataSummary,
  TrainingSplitInfo,
  TrainedModelParts,
  CreateTrainedModelOptions,
} from './inference/trained-model.js';
export type { Recommendation } from './inference/recommendation.js';
export { FoldedInUser, foldInUser } from './inference/fold-in.js';
export type { FoldInDuplicatePolicy, FoldInOptions, FoldInRating } from './inference/fold-in.js';
export { buildSeenItems } from './inference/seen-items.js';
export type { SeenItems } from './inference/seen-items.js';
export { principalComponents } from './inference/principal-components.js';
export type {
  PrincipalComponents,
  PrincipalComponentsOptions,
} from './inference/principal-components.js';
export { saveModel, loadModel } from './io/save-model.js';
export type { ModelLocation } from './io/save-model.js';
export {
  toModelArtifacts,
  fromModelArtifacts,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
} from './io/model-artifacts.js';
export type { SavedModelJson, ToModelArtifactsOptions } from './io/model-artifacts.js';
