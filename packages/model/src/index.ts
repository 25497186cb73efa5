export { SeededRandom } from './random.js';
export { createParameter } from './parameter.js';
export type { Parameter, ParameterKind, ParameterOptions, ParameterGradient } from './parameter.js';
export type {
  RatingModel,
  RatingBatch,
  ForwardOptions,
  LossAndGradientsOptions,
  LossAndGradients,
} from './rating-model.js';
export type {
  RatingModelConfig,
  EmbeddingNetConfig,
  EmbeddingDotBiasConfig,
  BiasBaselineConfig,
  BiasedMatrixFactorizationConfig,
  EnsembleConfig,
} from './model-config.js';
export { mseLoss } from './mse-loss.js';
export { EmbeddingNet, createEmbeddingNet } from './embedding-net.js';
export type { EmbeddingNetOptions } from './embedding-net.js';
export { EmbeddingDotBias, createEmbeddingDotBias } from './embedding-dot-bias.js';
export type { EmbeddingDotBiasOptions } from './embedding-dot-bias.js';
export { BiasBaseline, createBiasBaseline, fitBiasBaseline } from './bias-baseline.js';
export type { BiasBaselineFitOptions } from './bias-baseline.js';
export {
  BiasedMatrixFactorization,
  createBiasedMatrixFactorization,
} from './biased-matrix-factorization.js';
export type { BiasedMatrixFactorizationOptions } from './biased-matrix-factorization.js';
export { EnsembleModel, createEnsemble, ensembleParameterName } from './ensemble-model.js';
export type { EnsembleOptions } from './ensemble-model.js';
export {
  createModelFromConfig,
  parameterSpecsOf,
  MODEL_TYPE_NAMES,
} from './create-model-from-config.js';
export type { ParameterValue, ParameterValues, ParameterSpec } from './create-model-from-config.js';
export { ModelFormatError } from './model-format-error.js';
export type { ModelFormatReason } from './model-format-error.js';
export { TrainedModel, createTrainedModel } from './trained-model.js';
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
} from './trained-model.js';
export type { Recommendation } from './recommendation.js';
export { FoldedInUser, foldInUser } from './fold-in.js';
export type { FoldInOptions, FoldInRating } from './fold-in.js';
export { buildSeenItems } from './seen-items.js';
export type { SeenItems } from './seen-items.js';
export { principalComponents } from './principal-components.js';
export type { PrincipalComponents, PrincipalComponentsOptions } from './principal-components.js';
export { saveModel, loadModel } from './save-model.js';
export type { ModelLocation } from './save-model.js';
export {
  toModelArtifacts,
  fromModelArtifacts,
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
} from './model-artifacts.js';
export type { SavedModelJson } from './model-artifacts.js';
