export { fit, evaluate, EVALUATE_CHUNK_ROWS } from './fit.js';
export type { FitOptions, LossName } from './fit.js';
export { createModelData } from './model-data.js';
export type { ModelData, ModelDataOptions } from './model-data.js';
export type { EpochResult, FitCallback, FitContext } from './callback.js';
export { setLrs } from './optimizer.js';
export type {
  Optimizer,
  OptimizerOptions,
  ParameterGroup,
  EmbeddingUpdateMode,
} from './optimizer.js';
export { Adam, createAdam, createAdamW } from './adam.js';
export type { AdamOptions } from './adam.js';
export { Sgd, createSgd } from './sgd.js';
export type { SgdOptions } from './sgd.js';
export { mse, rmse, mae } from './metrics.js';
export type { Metric } from './metrics.js';
export { TrainingDivergedError, ImplicitDataError } from './errors.js';
export {
  oneCycleSchedule,
  oneCycleAt,
  fitOneCycle,
  cosineInterpolate,
  combinedCosine,
} from './one-cycle.js';
export type { OneCycleOptions, FitOneCycleOptions } from './one-cycle.js';
export { cosineAnnealingSchedule } from './cosine-annealing.js';
export type { CosineAnnealingOptions } from './cosine-annealing.js';
export { lrFind } from './lr-find.js';
export type { LrFindOptions, LrFindResult } from './lr-find.js';
export {
  earlyStopping,
  saveBestModel,
  printEpochTable,
  formatEpochRow,
  formatEpochHeader,
} from './standard-callbacks.js';
export type { EarlyStoppingOptions } from './standard-callbacks.js';
export {
  defaultRelevanceThreshold,
  rankingMetrics,
  rankingMetricsAsync,
} from './ranking-metrics.js';
export type {
  RankingMetricsAsyncOptions,
  RankingMetricsOptions,
  RankingMetricsResult,
  RankingScorer,
} from './ranking-metrics.js';
export {
  crossValidate,
  cvIdxFolds,
  kFolds,
  lazyCvIdxFolds,
  lazyKFolds,
  formatCrossValidation,
  rankingMetricNames,
} from './cross-validate.js';
export type {
  CrossValidateOptions,
  CrossValidationResult,
  FoldResult,
  LazyFolds,
  TrainedFold,
} from './cross-validate.js';
export {
  runRecipe,
  RECIPE_DEFAULTS,
  RATING_RECIPES,
  RANKING_RECIPES,
  FASTAI_STEPS_PER_EPOCH,
  fastaiBatchSize,
  topnSoftmaxOptions,
  ONE_THREAD_RECIPES,
} from './recipes.js';
export { trainOnAllRows } from './train-on-all-rows.js';
export type { AllRowsRecipeResult, TrainingEpoch } from './train-on-all-rows.js';
export { fitBayesianMf } from './fit-bayesian-mf.js';
export { fitItemAutoRec } from './fit-item-autorec.js';
export { addRecentRatings, fitRecentRatingsOffset } from './fit-recent-ratings-offset.js';
export type {
  RecentRatingsOffset,
  RecentRatingsOffsetConfig,
  RecentRatingsOffsetOptions,
} from './fit-recent-ratings-offset.js';
export { scaleByItem } from './scale-by-item.js';
export type { ItemAutoRecOptions, ItemAutoRecEpoch } from './fit-item-autorec.js';
export type { BayesianMfOptions, BayesianMfSweep } from './fit-bayesian-mf.js';
export type { RecipeName, RecipeOptions, RecipeResult } from './recipes.js';
export {
  checkpointToArtifacts,
  checkpointFromArtifacts,
  CheckpointError,
  CHECKPOINT_FORMAT_VERSION,
} from './training-checkpoint.js';
export type {
  CheckpointArtifactsOptions,
  CheckpointArtifactViews,
  TrainingCheckpoint,
} from './training-checkpoint.js';
export type { OneCycleResume } from './one-cycle.js';
export { resolveThreads, currentThreadEnvironment } from '@cf/data';
export { setDotBiasEngineEnabled } from './dot-bias-engine.js';
export type { ThreadEnvironment, ThreadChoice } from '@cf/data';
export { fitImplicitAls, DEFAULT_RATING_CONFIDENCE } from './fit-implicit-als.js';
export { defaultRatingConfidence } from './default-rating-confidence.js';
export type {
  ImplicitAlsOptions,
  ImplicitAlsSolver,
  ImplicitAlsSweep,
} from './fit-implicit-als.js';
export { fitBpr } from './fit-bpr.js';
export { fitSoftmaxRetrieval } from './fit-softmax-retrieval.js';
export { blendImplicitModels, implicitScoreStd } from './blend-implicit-models.js';
export type { ImplicitBlendMember } from './blend-implicit-models.js';
export type {
  SoftmaxRetrievalOptions,
  SoftmaxRetrievalEpoch,
  SoftmaxMode,
} from './fit-softmax-retrieval.js';
export type { BprOptions } from './fit-bpr.js';
