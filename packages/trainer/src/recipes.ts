import { InvalidArgumentError, type RatingsTable, type Split } from '@cf/data';
import {
  createEmbeddingDotBias,
  type ImplicitMatrixFactorization,
  createEmbeddingNet,
  createEnsemble,
  fitBiasBaseline,
  type BiasBaseline,
  type RatingModel,
} from '@cf/model';
import { createAdam, createAdamW } from './adam.js';
import { fitBayesianMf, type BayesianMfSweep } from './fit-bayesian-mf.js';
import { fitItemAutoRec, type ItemAutoRecEpoch } from './fit-item-autorec.js';
import {
  addRecentRatings,
  fitRecentRatingsOffset,
  type RecentRatingsOffset,
} from './fit-recent-ratings-offset.js';
import { fitImplicitAls, type ImplicitAlsSweep } from './fit-implicit-als.js';
import { defaultRatingConfidence } from './default-rating-confidence.js';
import { scaleByItem } from './scale-by-item.js';
import {
  fitSoftmaxRetrieval,
  type SoftmaxRetrievalEpoch,
  type SoftmaxRetrievalOptions,
} from './fit-softmax-retrieval.js';
import { blendImplicitModels } from './blend-implicit-models.js';
import type { EpochResult, FitCallback } from './callback.js';
import { evaluate, fit } from './fit.js';
import { mae, mse, rmse } from './metrics.js';
import { createModelData } from './model-data.js';
import { oneCycleSchedule } from './one-cycle.js';
import { setLrs, type EmbeddingUpdateMode, type Optimizer } from './optimizer.js';
import { ImplicitDataError } from './errors.js';
import { CheckpointError, type TrainingCheckpoint } from './training-checkpoint.js';
import type { ModelData } from './model-data.js';
import type { ThreadEnvironment } from '@cf/data';

/** The named training recipes. */
export type RecipeName = 'notebook' | 'fastai' | 'bias' | 'best' | 'topn' | 'topn-softmax';

/** The recipes that predict ratings, and so refuse implicit tables ({@link ImplicitDataError}). */
export const RATING_RECIPES: readonly RecipeName[] = ['notebook', 'fastai', 'bias', 'best'];

/** The recipes whose models score for ranking, not ratings (no rating errors; implicit tables welcome). */
export const RANKING_RECIPES: readonly RecipeName[] = ['topn', 'topn-softmax'];

/** Overrides of a recipe's hyper-parameters. */
export interface RecipeOptions {
  /** Seeds initial weights, batch order and dropout. Default 42. */
  seed?: number;
  /**
   * Epochs: the notebook recipe runs `fit` once per entry with `setLrs` in between (default
   * `[5, 10]`); the fastai recipe one one-cycle of the sum (default 5).
   */
  epochs?: number[];
  lr?: number;
  wd?: number;
  /**
   * Batch size. Default: the recipe's (64), except the fastai recipe's, which grows with the data
   * ({@link fastaiBatchSize}): 64 up to ml-latest-small's size, then large enough that an epoch keeps
   * {@link FASTAI_STEPS_PER_EPOCH} optimizer steps.
   */
  batchSize?: number;
  embeddingUpdate?: EmbeddingUpdateMode;
  nFactors?: number;
  callbacks?: FitCallback[];
  /**
   * Stops training at the next safe point (a batch, a sweep, an epoch). A stopped run is not
   * evaluated (its metrics are NaN); `best` stopped before its last member is trained returns the
   * Bayesian MF alone rather than a blend with a half-trained member.
   */
  signal?: AbortSignal;
  engine?: 'auto' | 'tfjs' | 'fused';
  /** Training threads of the notebook and fastai recipes and of `best`'s EmbeddingDotBias (see `FitOptions.threads`). Default 1. */
  threads?: number | 'auto';
  /** Where `threads: 'auto'` counts cores (see `FitOptions.threadEnvironment`). */
  threadEnvironment?: ThreadEnvironment;
  /** `best` only: Gibbs sweeps (default 150) and burn-in sweeps (default 20). */
  sweeps?: number;
  burnIn?: number;
  /** `best` only: called after every Gibbs sweep (the `best` recipe has no epochs). */
  onSweep?: (info: BayesianMfSweep) => void;
  /** `best` only: called after every epoch of its AutoRec member. */
  onAutoRecEpoch?: (info: ItemAutoRecEpoch) => void;
  /** `topn` only: called after every iALS sweep (the `topn` recipe has no epochs). */
  onImplicitSweep?: (info: ImplicitAlsSweep) => void;
  /** `topn-softmax` and `topn` (its neural member): called after every epoch of the softmax retrieval model. */
  onSoftmaxEpoch?: (info: SoftmaxRetrievalEpoch) => void;
  /** Called when a new `fit` call starts (for printing a table header per fit). */
  onFitBegin?: (fitIndex: number, epochs: number) => void;
  /** Called after every completed epoch with the state to resume from (notebook and fastai recipes). */
  onCheckpoint?: (checkpoint: TrainingCheckpoint) => void | Promise<void>;
  /**
   * What the arrays of an {@link RecipeOptions.onCheckpoint} checkpoint are. `'copies'` (default):
   * copies the callback may keep. `'live'`: the model's parameters and the optimizer's moments
   * themselves, current until the promise `onCheckpoint` returns settles (training waits for it,
   * then changes them): write them out, never keep them. Saves a copy of the weights and both of
   * Adam's moments every epoch (135 MB at 25M ratings; `cf train` writes its checkpoints so, with
   * `checkpointToArtifacts(…, {weightParts: 'views'})`).
   */
  checkpointArrays?: 'copies' | 'live';
  /** Continue a run from its last checkpoint instead of starting afresh (same recipe and hyper-parameters). */
  resume?: TrainingCheckpoint;
}

/** FNV-1a over the bytes of some typed arrays: identifies the exact data and split of a run. */
function fingerprint(...arrays: (Int32Array | Float32Array)[]): string {
  let h = 0x811c9dc5;
  for (const a of arrays) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let k = 0; k < bytes.length; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
    h = Math.imul(h ^ a.length, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/** Says in one sentence which settings of a checkpoint differ from this run's. */
export function resumeMismatch(
  checkpoint: Pick<TrainingCheckpoint, 'recipe' | 'hyperParameters'>,
  recipe: string,
  hyperParameters: Record<string, unknown>,
): string {
  const show = (value: unknown): string =>
    value === undefined
      ? 'unset'
      : Array.isArray(value)
        ? value.map((v) => JSON.stringify(v)).join(', ')
        : typeof value === 'string'
          ? value
          : JSON.stringify(value);
  const differing: string[] = [];
  if (checkpoint.recipe !== recipe)
    differing.push(`recipe ${checkpoint.recipe} (this run: ${recipe})`);
  const saved = checkpoint.hyperParameters;
  for (const key of new Set([...Object.keys(saved), ...Object.keys(hyperParameters)])) {
    if (JSON.stringify(saved[key]) === JSON.stringify(hyperParameters[key])) continue;
    differing.push(
      key === 'data'
        ? 'the data or the split (other ratings, rows or validation fold)'
        : `${key} ${show(saved[key])} (this run: ${show(hyperParameters[key])})`,
    );
  }
  return `was written by a run with other settings: ${differing.join('; ')}. Resume with the same data, split and options, or start afresh without --resume`;
}

/** Puts a checkpoint's parameters, optimizer state and data position back; refuses one from another run. */
function restoreCheckpoint(
  checkpoint: TrainingCheckpoint,
  recipe: RecipeName,
  hyperParameters: Record<string, unknown>,
  model: RatingModel,
  optimizer: Optimizer,
  data: ModelData,
): void {
  if (
    checkpoint.recipe !== recipe ||
    JSON.stringify(checkpoint.hyperParameters) !== JSON.stringify(hyperParameters)
  ) {
    throw new CheckpointError('checkpoint', resumeMismatch(checkpoint, recipe, hyperParameters));
  }
  for (const p of model.parameters) {
    const saved = checkpoint.parameters[p.name];
    if (!saved || saved.length !== p.values.length)
      throw new CheckpointError(
        'checkpoint',
        `has no parameter ${p.name} of ${p.values.length} values`,
      );
    p.values.set(saved);
    p.markChanged();
  }
  optimizer.loadStateDict(checkpoint.optimizerState, checkpoint.optimizerStep);
  if (checkpoint.lrs.length === optimizer.groups.length) setLrs(optimizer, checkpoint.lrs);
  data.epochsSeen = checkpoint.epochsSeen;
  data.random.setState(checkpoint.random);
}

/** A callback that hands a checkpoint to `save` after each epoch of `fit` call `fitIndex`. */
function checkpointer(
  save: NonNullable<RecipeOptions['onCheckpoint']>,
  state: {
    recipe: RecipeName;
    hyperParameters: Record<string, unknown>;
    fitIndex: number;
    done: number;
    model: RatingModel;
    optimizer: Optimizer;
    data: ModelData;
    fits: EpochResult[][];
    arrays: 'copies' | 'live';
  },
): FitCallback {
  // live: the arrays themselves, which do not change while `save` runs (fit awaits it)
  const take = (a: Float32Array): Float32Array => (state.arrays === 'live' ? a : a.slice());
  return {
    async onEpochEnd(_context, result) {
      if (!result.complete) return; // a stopped epoch is not a point to resume from
      const moments = state.optimizer.stateDict();
      await save({
        recipe: state.recipe,
        hyperParameters: state.hyperParameters,
        fitIndex: state.fitIndex,
        epochInFit: result.epoch + 1, // rows are numbered from the start of the fit call (startEpoch)
        epochsSeen: state.data.epochsSeen,
        random: state.data.random.getState(),
        optimizerStep: state.optimizer.stepCount,
        lrs: state.optimizer.groups.map((g) => g.lr),
        history: state.fits.map((rows) => rows.map((r) => ({ ...r }))),
        parameters: Object.fromEntries(state.model.parameters.map((p) => [p.name, take(p.values)])),
        optimizerState: Object.fromEntries(
          Object.entries(moments).map(([name, arrays]) => [name, arrays.map(take)]),
        ),
      });
    },
  };
}

/** What a recipe run gives back. The caller owns `model` and `baseline` (dispose them). */
export interface RecipeResult {
  recipe: RecipeName;
  model: RatingModel;
  /** The closed-form bias baseline fit on the same training rows: the yardstick. */
  baseline: BiasBaseline;
  /** One list of epoch rows per `fit` call. */
  fits: EpochResult[][];
  /** Validation MSE; NaN for the ranking recipes `topn` and `topn-softmax` and for a run stopped by `signal` (not evaluated). */
  mse: number;
  /** Validation RMSE; NaN for the ranking recipes and for a stopped run, as `mse`. */
  rmse: number;
  /** Validation MAE; NaN for the ranking recipes and for a stopped run, as `mse`. */
  mae: number;
  /**
   * `best` on a table with timestamps: the recent-ratings offset whose predictions (at each
   * validation row's own timestamp) were added to `model`'s before `mse`, `rmse` and `mae` were
   * measured, the sum clipped to the rating range. `model` alone predicts without it: to reproduce
   * the metrics, add `recentRatings.predict(userIndex, timestamp)` and clip.
   */
  recentRatings?: RecentRatingsOffset;
  /**
   * With `recentRatings`: the validation RMSE of `model` alone (what a saved model predicts, as it
   * keeps no offset).
   */
  modelRmse?: number;
  /** The bias baseline's validation RMSE; NaN for a stopped run. */
  baselineRmse: number;
  /** Median seconds of a training pass (of a Gibbs sweep for `best`). */
  secondsPerEpoch: number;
  /** Wall-clock seconds of training (without the baseline and the final evaluation). */
  trainSeconds: number;
  /** The hyper-parameters used. */
  hyperParameters: Record<string, unknown>;
}

/** Default hyper-parameters of each recipe (see the trainer README for their sources). */
export const RECIPE_DEFAULTS = {
  notebook: {
    model: 'embedding-net',
    lr: 1e-3,
    wd: 2e-5,
    batchSize: 64,
    epochs: [5, 10],
    embeddingUpdate: 'lazy',
    nFactors: 50,
  },
  fastai: {
    model: 'embedding-dot-bias',
    lr: 5e-3,
    wd: 0.1,
    batchSize: 64,
    epochs: [5],
    embeddingUpdate: 'lazy',
    nFactors: 50,
  },
  bias: {
    model: 'bias',
    lr: 0,
    wd: 0,
    batchSize: 64,
    epochs: [],
    embeddingUpdate: 'lazy',
    nFactors: 0,
  },
  best: {
    model: 'ensemble',
    lr: 0,
    wd: 0,
    batchSize: 64,
    epochs: [],
    embeddingUpdate: 'lazy',
    nFactors: 20,
    sweeps: 150,
    burnIn: 20,
    thin: 2,
    rank: 64,
    /** The gradient-trained member: EmbeddingDotBias, one-cycle AdamW with separate weight decay for factors and biases. */
    mf: { nFactors: 128, epochs: 8, lr: 5e-3, wdFactors: 0.3, wdBiases: 0.1 },
    /** The item-based AutoRec member ({@link fitItemAutoRec}): hidden units, L2 λ, full-batch Adam epochs and peak lr. */
    autorec: { hidden: 500, lambda: 100, epochs: 150, lr: 0.01 },
    /**
     * The blend, fitted on inner splits (trainer README): `Σ_k (a_k + b_k·s_i) · member_k + (a₀ + b₀·s_i)`
     * with `s_i = 1/√(1 + n_i)`, `n_i` the item's training ratings, so rarely rated items lean
     * on the Bayesian MF and often rated ones on the AutoRec. `[a, b]` of the Bayesian MF, of
     * the AutoRec and of the offset; the gradient-trained MF (not linear: a sigmoid range) has one
     * fixed weight.
     */
    blend: { bayes: [0.155, 0.583], mf: 0.32, autorec: [0.502, -0.156], offset: [0.105, -1.228] },
    /**
     * The recent-ratings offset added to the blend when the table has timestamps
     * ({@link fitRecentRatingsOffset}: the user's residuals from a bias baseline over the ratings
     * made strictly before the query, weighted `exp(−Δt/τ)`), τ in seconds; chosen on the inner
     * splits (trainer README, round 5).
     */
    recentRatings: { tau: 120, shrinkage: 3, weight: 0.57 },
  },
  topn: {
    model: 'implicit-mf',
    lr: 0,
    wd: 0,
    batchSize: 64,
    epochs: [],
    embeddingUpdate: 'lazy',
    nFactors: 128,
    /** iALS sweeps. */
    sweeps: 8,
    /** Row solver: conjugate gradient warm-started from the previous sweep (Cholesky costs `nFactors³` per row). */
    solver: 'conjugate-gradient',
    /** Conjugate-gradient steps per row solve. */
    conjugateGradientSteps: 6,
    /** α₀: weight of the unobserved pairs. */
    unobservedWeight: 0.1,
    /** λ, scaled per row by `(n + α₀·N)^ν`. */
    regularization: 0.01,
    frequencyExponent: 1,
    /**
     * Confidence of a rating at or above the table's relevance threshold and of a lower one
     * (`defaultRelevanceThreshold`: 70 % up the rating range, 4 stars on MovieLens; implicit
     * tables: every row 1). See {@link defaultRatingConfidence}.
     */
    confidence: { atOrAbove: 1, below: 0.1 },
    /**
     * Weight of the neural member, the `topn-softmax` model (its defaults, same seed), blended with
     * iALS after each is divided by the standard deviation of its scores; 0: iALS alone.
     */
    softmaxWeight: 1,
  },
  'topn-softmax': {
    model: 'implicit-mf',
    lr: 0.01,
    wd: 0,
    batchSize: 64,
    epochs: [],
    embeddingUpdate: 'lazy',
    nFactors: 64,
    /** Passes over the users. */
    softmaxEpochs: 20,
    /** L2 on the rows a step touches. */
    l2: 0.01,
    temperature: 1,
    /** Adam rate of the user rows (each is stepped once per epoch; `lr` is the item rows'). */
    userLr: 0.3,
    usersPerStep: 16,
    cosineAnnealing: true,
    /** The backward pass keeps about this many softmax terms per user (unbiased thinning). */
    backwardTerms: 2048,
    /**
     * Weight of a positive with a rating at or above the table's relevance threshold and of a
     * lower one (as `topn`'s `confidence`; implicit tables: every row 1).
     */
    confidence: { atOrAbove: 1, below: 0.1 },
    /** The full softmax up to this many items, the sampled one (log-Q corrected) above. */
    fullSoftmaxMaxItems: 20_000,
    sampledItems: 2048,
    /** α₀, λ, ν of the closed-form fold-in against the trained item rows. */
    foldIn: { unobservedWeight: 0.1, regularization: 0.01, frequencyExponent: 1 },
  },
} as const;

/**
 * The recipes that train on one thread whatever `RecipeOptions.threads` says, and why (threads
 * train the notebook and fastai recipes and `best`'s EmbeddingDotBias). A new recipe without a
 * threaded trainer belongs here, so that `cf train` and `cf cv` say so when given `--threads`.
 */
export const ONE_THREAD_RECIPES: Readonly<Partial<Record<RecipeName, string>>> = {
  bias: 'a closed-form fit',
  topn: 'its iALS sweeps and softmax epochs run on one thread',
  'topn-softmax': 'its softmax epochs run on one thread',
};

/**
 * Optimizer steps per epoch that the fastai recipe keeps at any size of data: ml-latest-small's
 * whole table (100,836 ratings) at fastai's batch 64, `ceil(100836 / 64)`. AdamW's decoupled
 * weight decay shrinks every row by `1 − lr·wd` per step, so at a fixed batch the decay of an epoch
 * grows with the rows (312,500 steps an epoch at 20M rows and batch 64, which shrinks the factors to
 * nothing); a fixed number of steps keeps it, and each user's and item's share of the batches, what
 * they are at ml-latest-small. Chosen on inner splits of the 1M and 5M planted files (trainer
 * README, "Scale").
 */
export const FASTAI_STEPS_PER_EPOCH = 1576;

/**
 * The fastai recipe's default batch size for `trainRows` training rows: fastai's 64 while an epoch
 * at 64 has at most {@link FASTAI_STEPS_PER_EPOCH} steps (every table up to ml-latest-small's
 * size, whose numbers are therefore fastai's), else `ceil(trainRows / FASTAI_STEPS_PER_EPOCH)`
 * (2,031 at 3.2M rows, 12,690 at 20M).
 */
export function fastaiBatchSize(trainRows: number): number {
  if (!(Number.isInteger(trainRows) && trainRows >= 0))
    throw new InvalidArgumentError('trainRows', `expected a whole number ≥ 0, got ${trainRows}`);
  return Math.max(RECIPE_DEFAULTS.fastai.batchSize, Math.ceil(trainRows / FASTAI_STEPS_PER_EPOCH));
}

/**
 * The options the `topn-softmax` recipe (and `topn`'s neural member) passes to
 * {@link fitSoftmaxRetrieval} for `table`: {@link RECIPE_DEFAULTS}' settings, with the rating
 * confidence from the table's own relevance threshold ({@link defaultRatingConfidence}). Train the
 * recipe's model on rows of your choosing (or for fewer epochs) with
 * `fitSoftmaxRetrieval(table, rows, topnSoftmaxOptions(table, { epochs: 1 }))`.
 *
 * @param table - The ratings the model is trained on (its rating scale sets the confidence).
 * @param overrides - Settings that replace the recipe's (factors, learning rate, epochs, seed, ...).
 */
export function topnSoftmaxOptions(
  table: RatingsTable,
  overrides: SoftmaxRetrievalOptions = {},
): SoftmaxRetrievalOptions {
  const spec = RECIPE_DEFAULTS['topn-softmax'];
  return {
    nFactors: spec.nFactors,
    epochs: spec.softmaxEpochs,
    lr: spec.lr,
    l2: spec.l2,
    temperature: spec.temperature,
    userLr: spec.userLr,
    usersPerStep: spec.usersPerStep,
    backwardTerms: spec.backwardTerms,
    cosineAnnealing: spec.cosineAnnealing,
    confidence: defaultRatingConfidence(table, spec.confidence),
    fullSoftmaxMaxItems: spec.fullSoftmaxMaxItems,
    sampledItems: spec.sampledItems,
    foldIn: { ...spec.foldIn },
    ...overrides,
  };
}

/** The `topn-softmax` recipe's model (also `topn`'s neural member). */
async function fitTopnSoftmax(
  table: RatingsTable,
  split: Split,
  options: RecipeOptions,
  seed: number,
  overrides: { nFactors?: number; lr?: number } = {},
  onEpoch?: (info: SoftmaxRetrievalEpoch) => void,
): Promise<ImplicitMatrixFactorization> {
  return fitSoftmaxRetrieval(
    table,
    split.train,
    topnSoftmaxOptions(table, {
      ...(overrides.nFactors !== undefined ? { nFactors: overrides.nFactors } : {}),
      ...(overrides.lr !== undefined ? { lr: overrides.lr } : {}),
      seed,
      ...(options.signal ? { signal: options.signal } : {}),
      onEpoch: (info) => {
        onEpoch?.(info);
        options.onSoftmaxEpoch?.(info);
      },
    }),
  );
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** A resumed fit call continues its smoothed training loss from the rows its checkpoint kept. */
function lossSmoothingOf(
  rows: readonly EpochResult[],
  done: number,
  data: ModelData,
): { lossSmoothing?: { smoothedLoss: number; batches: number } } {
  const last = rows[rows.length - 1];
  if (done === 0 || !last) return {};
  // checkpoints are written after complete epochs only: `done` whole epochs of batches
  return {
    lossSmoothing: { smoothedLoss: last.trainLoss, batches: done * data.trainBatches.batchCount },
  };
}

/**
 * Trains a named recipe on `split` of `table` and evaluates it on `split.valid`:
 * - `notebook`: the fastai 0.7 notebook: EmbeddingNet (50 factors, hidden 10, dropout 0.5/0.5),
 *   Adam lr 1e-3 with coupled L2 2e-5, batch 64, `fit` 5, `setLrs(1e-3)`, `fit` 10.
 * - `fastai`: fastai v2's collab recipe: EmbeddingDotBias (50 factors, yRange (0, 5.5)),
 *   `fitOneCycle(5, 5e-3, wd 0.1)` with AdamW (0.9, 0.99), eps 1e-5, batch 64.
 * - `bias`: the damped bias baseline in closed form (no epochs); `model` and `baseline` are the same.
 * - `best`: the most accurate: an `ensemble` of three models of different families, weighted
 *   0.4 / 0.25 / 0.35: Bayesian biased MF by Gibbs sampling ({@link fitBayesianMf}, 20 factors,
 *   150 sweeps, 20 burn-in, posterior mean stored as a rank-64 `biased-mf`), a 128-factor
 *   EmbeddingDotBias trained by one-cycle AdamW (8 epochs, 5e-3, weight decay 0.3 on the factors
 *   and 0.1 on the biases), and an item-based AutoRec ({@link fitItemAutoRec}, 500 hidden units,
 *   λ 100, 150 full-batch Adam epochs, stored as a 500-factor `biased-mf`). Chosen on inner
 *   validation splits of the training rows only (see the trainer README, "Accuracy"). `fits` holds
 *   the second member's epochs; `lr`, `wd`, `epochs` and `nFactors` options do not apply
 *   (`nFactors` is the sampler's).
 *
 * - `topn`: for recommendations, an `implicit-mf` blend of iALS ({@link fitImplicitAls}, 128
 *   factors, 8 sweeps of 6 conjugate-gradient steps, confidence 1 for a rating at or above the
 *   table's relevance threshold ({@link defaultRatingConfidence}: ≥ 4 on MovieLens), 0.1 below) and the
 *   `topn-softmax` model, each divided by the standard deviation of its scores, weights 1 and 1
 *   ({@link blendImplicitModels}); `rmse`/`mae` are NaN (ranking scores).
 * - `topn-softmax`: the neural two-tower retrieval model alone ({@link fitSoftmaxRetrieval}: 64
 *   factors, full softmax up to 20,000 items, sampled with the log-Q correction above, 20 epochs).
 *
 * The rating recipes ({@link RATING_RECIPES}) throw {@link ImplicitDataError} for an implicit
 * table (`table.implicit`: a file without a rating column).
 */
export async function runRecipe(
  recipe: RecipeName,
  table: RatingsTable,
  split: Split,
  options: RecipeOptions = {},
): Promise<RecipeResult> {
  if (table.implicit && RATING_RECIPES.includes(recipe))
    throw new ImplicitDataError(recipe, table.source);
  const defaults = RECIPE_DEFAULTS[recipe];
  const seed = options.seed ?? 42;
  const lr = options.lr ?? defaults.lr;
  const wd = options.wd ?? defaults.wd;
  const batchSize =
    options.batchSize ??
    (recipe === 'fastai' ? fastaiBatchSize(split.train.length) : defaults.batchSize);
  const epochs = options.epochs ?? [...defaults.epochs];
  const embeddingUpdate = options.embeddingUpdate ?? defaults.embeddingUpdate;
  const nFactors = options.nFactors ?? defaults.nFactors;
  const nUsers = table.userIds.size;
  const nItems = table.itemIds.size;
  const data = createModelData(table, split, { batchSize, seed });
  const fits: EpochResult[][] = [];
  const base = {
    metrics: [rmse],
    callbacks: options.callbacks ?? [],
    engine: options.engine ?? 'auto',
    ...(options.threads !== undefined ? { threads: options.threads } : {}),
    ...(options.threadEnvironment ? { threadEnvironment: options.threadEnvironment } : {}),
  } as const;
  const fitOptions = options.signal ? { ...base, signal: options.signal } : base;
  const baseline = fitBiasBaseline(table, split.train);
  let model: RatingModel;
  let recentRatings: RecentRatingsOffset | undefined;
  const record = (rows: EpochResult[]): FitCallback => ({
    onEpochEnd: (_c, r) => void rows.push(r),
  });
  const hyperParameters = {
    model: defaults.model,
    lr,
    wd,
    batchSize,
    epochs,
    embeddingUpdate,
    nFactors,
    seed,
  };
  const resume = options.resume;
  // What a checkpoint must match to be resumed: the hyper-parameters, and the exact data and split.
  const runIdentity = {
    ...hyperParameters,
    data: fingerprint(table.userIndex, table.itemIndex, table.rating, split.train, split.valid),
  };
  const trainStart = performance.now();
  const sweepSeconds: number[] = [];
  if (recipe === 'best') {
    const best = RECIPE_DEFAULTS.best;
    let last = 0;
    const bayes = await fitBayesianMf(table, split.train, {
      nFactors,
      sweeps: options.sweeps ?? best.sweeps,
      burnIn: options.burnIn ?? best.burnIn,
      thin: best.thin,
      rank: best.rank,
      seed,
      ...(options.signal ? { signal: options.signal } : {}),
      onSweep: (info) => {
        sweepSeconds.push(info.seconds - last);
        last = info.seconds;
        options.onSweep?.(info);
      },
    });
    model = bayes;
    const rows: EpochResult[] = [];
    fits.push(rows);
    // stopped while sampling: the Bayesian MF alone, without building the other members
    if (!options.signal?.aborted) {
      // the second member: a well-regularised gradient-trained MF of another family
      const mfSpec = best.mf;
      const mf = createEmbeddingDotBias({
        nUsers,
        nItems,
        nFactors: mfSpec.nFactors,
        yRange: [0, 5.5],
        seed,
      });
      const byName = (names: string[]) => mf.parameters.filter((p) => names.includes(p.name));
      const opt = createAdamW(mf.parameters, {
        lr: mfSpec.lr,
        embeddingUpdate,
        groups: [
          { parameters: byName(['userEmbedding', 'itemEmbedding']), weightDecay: mfSpec.wdFactors },
          { parameters: byName(['userBias', 'itemBias']), weightDecay: mfSpec.wdBiases },
        ],
      });
      options.onFitBegin?.(0, mfSpec.epochs);
      await fit(mf, data, mfSpec.epochs, opt, 'mse', {
        ...fitOptions,
        callbacks: [oneCycleSchedule(mfSpec.lr), ...fitOptions.callbacks, record(rows)],
      });
      if (options.signal?.aborted) {
        mf.dispose(); // stopped during the gradient epochs: the Bayesian MF alone
      } else {
        const autorec = await fitItemAutoRec(table, split.train, {
          ...best.autorec,
          seed,
          ...(options.onAutoRecEpoch ? { onEpoch: options.onAutoRecEpoch } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
        if (options.signal?.aborted) {
          // stopped during AutoRec's epochs: not a blend with a half-trained member
          autorec.dispose();
          mf.dispose();
        } else {
          // per-item weights folded into the two linear members (each stays a biased-mf)
          const { bayes: wb, autorec: wa, offset: wo, mf: wm } = best.blend;
          const counts = new Float64Array(nItems);
          for (const r of split.train) counts[table.itemIndex[r]!]!++;
          const s = Float64Array.from(counts, (n) => 1 / Math.sqrt(1 + n));
          const wide: [number, number] = [-1e6, 1e6]; // the ensemble clips the sum
          const scaledBayes = scaleByItem(
            bayes,
            Float32Array.from(s, (x) => wb[0] + wb[1] * x),
            Float32Array.from(s, (x) => wo[0] + wo[1] * x),
            wide,
          );
          const scaledAutoRec = scaleByItem(
            autorec,
            Float32Array.from(s, (x) => wa[0] + wa[1] * x),
            new Float32Array(nItems),
            wide,
          );
          bayes.dispose();
          autorec.dispose();
          model = createEnsemble([scaledBayes, mf, scaledAutoRec], {
            weights: [1, wm, 1],
            ratingRange: [table.stats.minRating, table.stats.maxRating],
          });
          // the query's time as context: the user's ratings of the minutes before it
          if (table.timestamp) {
            recentRatings = fitRecentRatingsOffset(table, split.train, best.recentRatings);
          }
        }
      }
    }
  } else if (recipe === 'topn') {
    const topn = RECIPE_DEFAULTS.topn;
    model = await fitImplicitAls(table, split.train, {
      nFactors,
      sweeps: options.sweeps ?? topn.sweeps,
      unobservedWeight: topn.unobservedWeight,
      regularization: topn.regularization,
      frequencyExponent: topn.frequencyExponent,
      confidence: defaultRatingConfidence(table, topn.confidence),
      solver: topn.solver,
      conjugateGradientSteps: topn.conjugateGradientSteps,
      seed,
      ...(options.signal ? { signal: options.signal } : {}),
      onSweep: (info) => {
        sweepSeconds.push(info.seconds);
        options.onImplicitSweep?.(info);
      },
    });
    // the neural member; stopped during iALS or during its epochs: iALS alone
    if (topn.softmaxWeight > 0 && !options.signal?.aborted) {
      const softmax = await fitTopnSoftmax(table, split, options, seed);
      if (options.signal?.aborted) {
        softmax.dispose();
      } else {
        const ials = model as ImplicitMatrixFactorization;
        model = blendImplicitModels(
          [
            { model: ials, weight: 1 },
            { model: softmax, weight: topn.softmaxWeight },
          ],
          ials.config,
        );
        ials.dispose();
        softmax.dispose();
      }
    }
  } else if (recipe === 'topn-softmax') {
    model = await fitTopnSoftmax(table, split, options, seed, { nFactors, lr }, (info) =>
      sweepSeconds.push(info.seconds),
    );
  } else if (recipe === 'notebook') {
    model = createEmbeddingNet({
      nUsers,
      nItems,
      nFactors,
      ratingRange: [table.stats.minRating, table.stats.maxRating],
      seed,
    });
    const opt = createAdam(model.parameters, { lr, weightDecay: wd, embeddingUpdate });
    if (resume) {
      restoreCheckpoint(resume, recipe, runIdentity, model, opt, data);
      fits.push(...resume.history.map((rows) => [...rows]));
    }
    for (let k = resume?.fitIndex ?? 0; k < epochs.length; k++) {
      if (k > 0) setLrs(opt, lr);
      if (options.signal?.aborted) break;
      const done = resume && k === resume.fitIndex ? resume.epochInFit : 0;
      if (done >= epochs[k]!) continue;
      options.onFitBegin?.(k, epochs[k]! - done);
      const rows: EpochResult[] = fits[k] ?? [];
      fits[k] = rows;
      const save = options.onCheckpoint
        ? [
            checkpointer(options.onCheckpoint, {
              recipe,
              hyperParameters: runIdentity,
              fitIndex: k,
              done,
              model,
              optimizer: opt,
              data,
              fits,
              arrays: options.checkpointArrays ?? 'copies',
            }),
          ]
        : [];
      await fit(model, data, epochs[k]! - done, opt, 'mse', {
        ...fitOptions,
        startEpoch: done,
        ...lossSmoothingOf(rows, done, data),
        callbacks: [...fitOptions.callbacks, record(rows), ...save],
      });
    }
  } else if (recipe === 'bias') {
    model = baseline;
  } else {
    model = createEmbeddingDotBias({ nUsers, nItems, nFactors, yRange: [0, 5.5], seed });
    const opt = createAdamW(model.parameters, { lr, weightDecay: wd, embeddingUpdate });
    const total = epochs.reduce((a, b) => a + b, 0);
    if (resume) restoreCheckpoint(resume, recipe, runIdentity, model, opt, data);
    const done = resume?.epochInFit ?? 0;
    const rows: EpochResult[] = resume ? [...(resume.history[0] ?? [])] : [];
    fits.push(rows);
    if (done < total) {
      options.onFitBegin?.(0, total - done);
      const save = options.onCheckpoint
        ? [
            checkpointer(options.onCheckpoint, {
              recipe,
              hyperParameters: runIdentity,
              fitIndex: 0,
              done,
              model,
              optimizer: opt,
              data,
              fits,
              arrays: options.checkpointArrays ?? 'copies',
            }),
          ]
        : [];
      const schedule = oneCycleSchedule(lr, {}, { startEpoch: done, totalEpochs: total });
      await fit(model, data, total - done, opt, 'mse', {
        ...fitOptions,
        startEpoch: done,
        ...lossSmoothingOf(rows, done, data),
        callbacks: [schedule, ...fitOptions.callbacks, record(rows), ...save],
      });
    }
  }
  const trainSeconds = (performance.now() - trainStart) / 1000;
  // a top-N model scores for ranking, not ratings: its rating errors would mean nothing; and a
  // stopped run is not evaluated at all (the caller asked to stop, not to wait for numbers)
  const stopped = options.signal?.aborted === true;
  const final =
    RANKING_RECIPES.includes(recipe) || stopped
      ? { metrics: { mse: NaN, rmse: NaN, mae: NaN } as Record<string, number> }
      : recentRatings
        ? evaluateWithOffset(model, recentRatings, table, split.valid, data)
        : evaluate(model, data, [mse, rmse, mae]);
  const baselineRmse = stopped ? NaN : evaluate(baseline, data, [rmse]).metrics['rmse']!;
  return {
    recipe,
    model,
    baseline,
    fits,
    mse: final.metrics['mse']!,
    rmse: final.metrics['rmse']!,
    mae: final.metrics['mae']!,
    ...(recentRatings ? { recentRatings, modelRmse: final.metrics['modelRmse']! } : {}),
    baselineRmse,
    secondsPerEpoch: sweepSeconds.length
      ? median(sweepSeconds)
      : fits.length
        ? median(fits.flat().map((r) => r.seconds))
        : 0,
    trainSeconds,
    hyperParameters:
      recipe === 'best'
        ? {
            model: defaults.model,
            nFactors,
            sweeps: options.sweeps ?? RECIPE_DEFAULTS.best.sweeps,
            burnIn: options.burnIn ?? RECIPE_DEFAULTS.best.burnIn,
            thin: RECIPE_DEFAULTS.best.thin,
            rank: RECIPE_DEFAULTS.best.rank,
            mf: RECIPE_DEFAULTS.best.mf,
            autorec: RECIPE_DEFAULTS.best.autorec,
            blend: RECIPE_DEFAULTS.best.blend,
            recentRatings: RECIPE_DEFAULTS.best.recentRatings,
            embeddingUpdate,
            seed,
          }
        : recipe === 'topn'
          ? {
              model: defaults.model,
              nFactors,
              sweeps: options.sweeps ?? RECIPE_DEFAULTS.topn.sweeps,
              unobservedWeight: RECIPE_DEFAULTS.topn.unobservedWeight,
              regularization: RECIPE_DEFAULTS.topn.regularization,
              frequencyExponent: RECIPE_DEFAULTS.topn.frequencyExponent,
              confidence: defaultRatingConfidence(table, RECIPE_DEFAULTS.topn.confidence),
              solver: RECIPE_DEFAULTS.topn.solver,
              conjugateGradientSteps: RECIPE_DEFAULTS.topn.conjugateGradientSteps,
              softmaxWeight: RECIPE_DEFAULTS.topn.softmaxWeight,
              softmaxMember: {
                ...RECIPE_DEFAULTS['topn-softmax'],
                confidence: defaultRatingConfidence(
                  table,
                  RECIPE_DEFAULTS['topn-softmax'].confidence,
                ),
              },
              seed,
            }
          : recipe === 'topn-softmax'
            ? {
                ...RECIPE_DEFAULTS['topn-softmax'],
                lr,
                nFactors,
                confidence: defaultRatingConfidence(
                  table,
                  RECIPE_DEFAULTS['topn-softmax'].confidence,
                ),
                seed,
              }
            : hyperParameters,
  };
}

/** Validation metrics of `model` plus the recent-ratings offset at each row's timestamp, clipped, and `modelRmse` of the model alone. */
function evaluateWithOffset(
  model: RatingModel,
  offset: RecentRatingsOffset,
  table: RatingsTable,
  valid: Int32Array,
  data: ModelData,
): { metrics: Record<string, number> } {
  const prediction = model.predict(data.validUserIndex, data.validItemIndex);
  const modelRmse = rmse.compute(prediction, data.validTargets);
  addRecentRatings(prediction, offset, table, valid);
  return {
    metrics: {
      ...Object.fromEntries(
        [mse, rmse, mae].map((m) => [m.name, m.compute(prediction, data.validTargets)]),
      ),
      modelRmse,
    },
  };
}
