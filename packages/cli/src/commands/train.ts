import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { readdir, rm, rmdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  allRowsSplit,
  describeSplit,
  splitByCvIdxs,
  type RatingsTable,
  type Split,
} from '@cf/data';
import { createTrainedModel, hasBlockedForm } from '@cf/model';
import { fileSystemIO, saveModelToDirectory } from '@cf/model/node';
import {
  checkpointFromArtifacts,
  checkpointToArtifacts,
  defaultRelevanceThreshold,
  ONE_THREAD_RECIPES,
  rankingMetricsAsync,
  RANKING_RECIPES,
  runRecipe,
  trainOnAllRows,
  type RecipeName,
  type FitCallback,
  type RecipeOptions,
  type RankingMetricsResult,
  type RankingMetricsAsyncOptions,
  type RecipeResult,
  type AllRowsRecipeResult,
  type TrainingCheckpoint,
} from '@cf/trainer';
import { selectBackend, type BackendName } from '../backend.js';
import { EXIT, UsageError, type CliIO } from '../cli-io.js';
import { loadDataset, type DatasetOptions } from '../dataset.js';
import { epochProgress } from '../progress.js';
import { claimOutputFolder, outputFolderFailure } from '../output-folder.js';
import { TrainingDataError } from '../training-data-error.js';

/** Parsed options of `cf train` (and the training part of `cf cv`). */
export interface TrainCommandOptions extends DatasetOptions {
  model?: 'embedding-net' | 'embedding-dot-bias' | 'bias';
  recipe?: RecipeName;
  epochs?: number;
  lr?: number;
  wd?: number;
  /** Batch size; unset: the recipe's (the fastai recipe's grows with the data, see `fastaiBatchSize`). */
  bs?: number;
  seed: number;
  valPct: number;
  cvIdx?: number;
  /** Train on every row, with no validation split and no validation numbers. */
  all?: boolean;
  embeddingUpdate?: 'dense' | 'lazy';
  /** Training threads (default: {@link defaultThreads}: 1 below a million training rows, else every core). */
  threads?: number;
  backend: BackendName;
  out?: string;
  resume?: boolean;
  json?: boolean;
  quiet?: boolean;
}

/** Where `cf train --out DIR` keeps the checkpoint of its last completed epoch. */
export function checkpointDirOf(modelDir: string): string {
  return join(modelDir, 'checkpoint');
}

/** Reads the checkpoint of an interrupted `cf train --out DIR`. */
async function readCheckpoint(modelDir: string): Promise<TrainingCheckpoint> {
  const dir = checkpointDirOf(modelDir);
  let artifacts;
  try {
    artifacts = await fileSystemIO(dir).load!();
  } catch (error) {
    throw new UsageError(
      `--resume: there is no readable checkpoint in ${dir} (${error instanceof Error ? error.message : String(error)}); run without --resume to start afresh`,
    );
  }
  return checkpointFromArtifacts(artifacts, dir);
}

/**
 * The recipes with fixed training schedules, and why: an option they would ignore (`--epochs`,
 * `--lr`, `--wd`; `--embedding-update` too for those without a gradient-trained member) is an error
 * that says this.
 */
const FIXED_SCHEDULES: Partial<Record<RecipeName, string>> = {
  bias: 'a closed-form fit with no epochs',
  best: 'a fixed schedule chosen by inner cross-validation; see the trainer README, Accuracy',
  topn: 'iALS sweeps and a softmax retrieval schedule chosen on an inner split; see the trainer README, Top-N',
  'topn-softmax':
    'a softmax retrieval schedule chosen on an inner split; see the trainer README, Top-N',
};

/** The recipe and model a combination of `--recipe` and `--model` means. */
export function resolveRecipe(
  options: Pick<TrainCommandOptions, 'model' | 'recipe'> &
    Partial<Pick<TrainCommandOptions, 'epochs' | 'lr' | 'wd' | 'embeddingUpdate'>>,
): {
  recipe: RecipeName;
  model: string;
} {
  const resolved = resolveRecipeAndModel(options);
  const schedule = FIXED_SCHEDULES[resolved.recipe];
  if (schedule !== undefined) {
    const ignored = (
      [
        ['--epochs', options.epochs],
        ['--lr', options.lr],
        ['--wd', options.wd],
        // best's gradient-trained member takes --embedding-update; bias has no optimizer at all
        ['--embedding-update', resolved.recipe !== 'best' ? options.embeddingUpdate : undefined],
      ] as const
    )
      .filter(([, value]) => value !== undefined)
      .map(([flag]) => flag);
    if (ignored.length > 0)
      throw new UsageError(
        `${ignored.join(', ')} ${ignored.length === 1 ? 'does' : 'do'} not apply to the ${resolved.recipe} recipe (${schedule}); drop ${ignored.length === 1 ? 'it' : 'them'}`,
      );
  }
  return resolved;
}

function resolveRecipeAndModel(options: Pick<TrainCommandOptions, 'model' | 'recipe'>): {
  recipe: RecipeName;
  model: string;
} {
  const { model, recipe } = options;
  if (model === 'bias' || options.recipe === 'bias') {
    if (model && model !== 'bias')
      throw new UsageError(`--recipe bias trains the bias baseline, not ${model}`);
    if (recipe && recipe !== 'bias')
      throw new UsageError(
        `--model bias is the bias baseline, not the ${recipe} recipe; drop --recipe ${recipe}`,
      );
    return { recipe: 'bias', model: 'bias' };
  }
  if (recipe === 'best') {
    if (model)
      throw new UsageError(
        `--recipe best trains its own model (Bayesian biased MF, a 128-factor EmbeddingDotBias and an item-based AutoRec, saved as an ensemble); drop --model ${model}`,
      );
    return { recipe: 'best', model: 'ensemble' };
  }
  if (recipe === 'topn') {
    if (model)
      throw new UsageError(
        `--recipe topn trains its own model (iALS blended with a softmax retrieval model, saved as implicit-mf, for ranking); drop --model ${model}`,
      );
    return { recipe: 'topn', model: 'implicit-mf' };
  }
  if (recipe === 'topn-softmax') {
    if (model)
      throw new UsageError(
        `--recipe topn-softmax trains its own model (a two-tower retrieval model trained with a softmax loss, saved as implicit-mf, for ranking); drop --model ${model}`,
      );
    return { recipe: 'topn-softmax', model: 'implicit-mf' };
  }
  const byModel: Record<string, RecipeName> = {
    'embedding-net': 'notebook',
    'embedding-dot-bias': 'fastai',
  };
  const chosen = recipe ?? (model ? byModel[model]! : 'notebook');
  const expected = chosen === 'notebook' ? 'embedding-net' : 'embedding-dot-bias';
  if (model && model !== expected) {
    throw new UsageError(
      `--recipe ${chosen} trains ${expected}, not ${model}; drop --recipe to use ${model}'s recipe (${byModel[model]})`,
    );
  }
  return { recipe: chosen, model: expected };
}

/**
 * Training rows from which `--threads` defaults to every core. Below it an epoch takes a second or
 * less, the workers' start-up and the shared rows' cache traffic cost more than a second thread
 * gains, and one thread keeps the run bit-identical for a seed.
 */
export const THREADS_FROM_ROWS = 1_000_000;

/**
 * The ranking options of `cf train` and `cf cv` that choose threads: `--threads` when given, else
 * every core from {@link THREADS_FROM_ROWS} rows of the table (worker start-up is not worth it
 * below); the first ranking says how many ranked (and why fewer than asked, when so).
 */
export function rankingThreadsOf(
  threads: number | undefined,
  rows: number,
  log: (line: string) => void,
): Pick<RankingMetricsAsyncOptions, 'threads' | 'cores' | 'onThreads'> {
  let said = false;
  return {
    threads: threads ?? (rows >= THREADS_FROM_ROWS ? 'auto' : 1),
    cores: availableParallelism(),
    onThreads: (n, reason) => {
      if (said) return;
      said = true;
      if (reason) log(reason);
      else if (n > 1) log(`ranking on ${n} threads`);
    },
  };
}

/** `--threads` when not given: 1 below {@link THREADS_FROM_ROWS} training rows, every core from there. */
export function defaultThreads(trainRows: number): number {
  return trainRows < THREADS_FROM_ROWS ? 1 : availableParallelism();
}

/** The recipe hyper-parameters the command-line options set (unset ones keep the recipe's defaults). */
export function recipeOptionsOf(
  options: Pick<
    TrainCommandOptions,
    'seed' | 'bs' | 'epochs' | 'lr' | 'wd' | 'embeddingUpdate' | 'threads'
  >,
  io: CliIO,
  trainRows: number,
): RecipeOptions {
  return {
    seed: options.seed,
    threads: options.threads ?? defaultThreads(trainRows),
    ...(options.bs !== undefined ? { batchSize: options.bs } : {}),
    ...(options.epochs !== undefined ? { epochs: [options.epochs] } : {}),
    ...(options.lr !== undefined ? { lr: options.lr } : {}),
    ...(options.wd !== undefined ? { wd: options.wd } : {}),
    ...(options.embeddingUpdate ? { embeddingUpdate: options.embeddingUpdate } : {}),
    ...(io.signal ? { signal: io.signal } : {}),
  };
}

/** Why `--threads n` (n > 1) trains `recipe` on one thread; undefined when it does not. */
export function oneThreadRecipeNote(
  recipe: RecipeName,
  threads: number | undefined,
): string | undefined {
  const why = ONE_THREAD_RECIPES[recipe];
  if (threads === undefined || threads <= 1 || why === undefined) return undefined;
  return `--threads ${threads}: the ${recipe} recipe trains on one thread (${why}; threads train the notebook, fastai and best recipes)`;
}

/** List length of the ranking metrics `cf train` and `cf cv` report. */
export const RANKING_K = 10;

/**
 * For a model ranked one user at a time (an EmbeddingNet with more than one hidden layer, the bias
 * baseline, an ensemble), the
 * ranking metrics of `cf train` and `cf cv` look at the first this many users (by index) of a
 * larger table: ranking every item for each of ml-25m's 162,541 users that way takes over 8
 * CPU-minutes; 10,000 users give a standard error of about 0.003 on NDCG@10. A dot-product model
 * (fastai's EmbeddingDotBias, biased MF, the topn recipe's implicit MF) or the notebook's
 * one-hidden-layer EmbeddingNet is ranked in blocks and every user is evaluated.
 */
export const RANKING_MAX_USERS = 10_000;

/** The ranking options of `cf train` and `cf cv`. */
export const CLI_RANKING = { k: RANKING_K, perUserMaxUsers: RANKING_MAX_USERS } as const;

/** What `--json` prints under `ranking`: the trainer's {@link rankingMetrics} protocol at k = 10. */
export interface RankingSummary {
  k: number;
  ndcg: number;
  recall: number;
  precision: number;
  hitRate: number;
  /** Users with at least one relevant validation item (see `defaultRelevanceThreshold`; any, in an implicit table): the mean is over them. */
  users: number;
  /** Set when only the users of index below this were looked at (a model ranked one user at a time, on a large table). */
  firstUsers?: number;
}

/** The `ranking` object of `--json` from a {@link rankingMetrics} result. */
export function rankingSummaryOf(result: RankingMetricsResult): RankingSummary {
  return {
    k: result.k,
    ndcg: result.ndcgAtK,
    recall: result.recallAtK,
    precision: result.precisionAtK,
    hitRate: result.hitRateAtK,
    users: result.users,
    ...(result.firstUsers !== undefined ? { firstUsers: result.firstUsers } : {}),
  };
}

/** The lowest rating of the table that counts as relevant (4 on MovieLens), for the human line. */
function lowestRelevantRating(table: RatingsTable): number {
  const threshold = defaultRelevanceThreshold(table);
  let lowest = Infinity;
  for (const rating of table.rating) if (rating >= threshold && rating < lowest) lowest = rating;
  return Number.isFinite(lowest) ? lowest : Number(threshold.toFixed(2));
}

/** The human line for a {@link RankingSummary}. */
export function formatRankingSummary(r: RankingSummary, table: RatingsTable): string {
  const f = (x: number): string => x.toFixed(4);
  const relevant = table.implicit
    ? 'every validation interaction'
    : `validation rating ≥ ${lowestRelevantRating(table)}`;
  if (r.users === 0)
    return `top-${r.k} ranking: no validation user has a relevant item (${relevant}), so there is nothing to rank against`;
  const sampled =
    r.firstUsers !== undefined
      ? ` among the first ${r.firstUsers} of ${table.userIds.size} users`
      : '';
  return `top-${r.k} ranking of all ${table.itemIds.size} items (training items excluded; relevant = ${relevant}; ${r.users} users${sampled}): NDCG ${f(r.ndcg)}, recall ${f(r.recall)}, precision ${f(r.precision)}, hit rate ${f(r.hitRate)}`;
}

/** Trains per the options and returns what `--json` prints; writes progress to `log`. */
export async function trainAndEvaluate(
  table: RatingsTable,
  split: Split,
  options: TrainCommandOptions,
  io: CliIO,
  log: (line: string) => void,
  checkpoints: {
    resume?: TrainingCheckpoint;
    /** Writes a checkpoint after each epoch; its arrays are the live ones (`checkpointArrays: 'live'`): write, never keep them. */
    save?: (checkpoint: TrainingCheckpoint) => Promise<void>;
  } = {},
): Promise<{
  result: RecipeResult | AllRowsRecipeResult;
  /** `ranking` is undefined when the run was interrupted or trained on every row (`--all`). */
  summary: Record<string, unknown> & { ranking: RankingSummary | undefined };
  interrupted: boolean;
}> {
  const { recipe, model } = resolveRecipe(options);
  const progressStream = options.quiet ? 'quiet' : 'normal';
  let threads = 1;
  // a recipe without a threaded trainer: say so rather than drop --threads without a word
  let threadsNoted = oneThreadRecipeNote(recipe, options.threads);
  if (threadsNoted) log(threadsNoted);
  // say once how many threads train (and why fewer than asked, when so)
  const threadReport: FitCallback = {
    onTrainBegin(context) {
      if (context.threadsNote && context.threadsNote !== threadsNoted) log(context.threadsNote);
      else if (context.threads !== threads) log(`training on ${context.threads} threads`);
      threadsNoted = context.threadsNote;
      threads = context.threads;
    },
  };
  const recipeOptions: RecipeOptions = {
    ...recipeOptionsOf(options, io, options.all ? table.rating.length : split.train.length),
    callbacks: [
      threadReport,
      epochProgress(io.stderr, progressStream, { validation: !options.all }),
    ],
    ...(checkpoints.resume ? { resume: checkpoints.resume } : {}),
    ...(checkpoints.save
      ? { onCheckpoint: checkpoints.save, checkpointArrays: 'live' as const }
      : {}),
    onFitBegin: (k, epochs) =>
      log(
        k === 0 ? `fit: ${epochs} epochs` : `setLrs(${options.lr ?? 1e-3}); fit: ${epochs} epochs`,
      ),
    // the best recipe samples instead of running epochs: report every 10th Gibbs sweep
    onSweep: (info) => {
      if (info.sweep % 10 === 0 || info.sweep === info.sweeps)
        log(
          `Gibbs sweep ${info.sweep}/${info.sweeps}: noise precision ${info.noisePrecision.toFixed(3)}, ${info.seconds.toFixed(1)} s`,
        );
    },
    // and its AutoRec member runs full-batch epochs: report every 25th
    onAutoRecEpoch: (info) => {
      if ((info.epoch + 1) % 25 === 0 || info.epoch + 1 === info.epochs)
        log(
          `AutoRec epoch ${info.epoch + 1}/${info.epochs}: train rmse ${info.trainRmse.toFixed(4)}, ${info.seconds.toFixed(1)} s`,
        );
    },
    onImplicitSweep: (info) =>
      log(`iALS sweep ${info.sweep}/${info.sweeps}: ${info.seconds.toFixed(2)} s`),
    onSoftmaxEpoch: (info) =>
      log(
        `softmax epoch ${info.epoch + 1}/${info.epochs} (${info.softmax} softmax): loss ${info.loss.toFixed(4)}, ${info.seconds.toFixed(2)} s`,
      ),
  };
  if (options.all) {
    // every row trains; no validation rows, so no validation number is computed or reported
    const result = await trainOnAllRows(recipe, table, recipeOptions);
    let global = 0;
    const summary = {
      validation: null,
      ranking: undefined,
      epochs: result.fits.flatMap((rows, fitIndex) =>
        rows.map((r) => ({
          epoch: global++,
          fit: fitIndex,
          fitEpoch: r.epoch,
          trainLoss: r.trainLoss,
          seconds: r.seconds,
        })),
      ),
      secondsPerEpoch: result.secondsPerEpoch,
      model,
      recipe,
      ...(threadsNoted ? { threadsNote: threadsNoted } : {}),
      hyperParameters: result.hyperParameters,
    };
    return { result, summary, interrupted: io.signal?.aborted === true };
  }
  const result = await runRecipe(recipe, table, split, recipeOptions);
  let global = 0;
  const epochs = result.fits.flatMap((rows, fitIndex) =>
    rows.map((r) => ({
      epoch: global++,
      fit: fitIndex,
      fitEpoch: r.epoch,
      trainLoss: r.trainLoss,
      valLoss: r.valLoss,
      rmse: r.metrics['rmse'],
      seconds: r.seconds,
    })),
  );
  // top-N quality beside RMSE: every item ranked for every user (the models' one-user fast path);
  // not for a run that was interrupted, which reports nothing; a Ctrl-C while it ranks stops it
  const capped = table.userIds.size > RANKING_MAX_USERS && !hasBlockedForm(result.model);
  if (!io.signal?.aborted)
    log(
      `ranking: the top ${RANKING_K} of all ${table.itemIds.size} items for every user with a validation rating${capped ? ` among the first ${RANKING_MAX_USERS} users` : ''} (Ctrl-C stops it)`,
    );
  const ranking = io.signal?.aborted
    ? undefined
    : await rankingMetricsAsync(result.model, table, split, {
        ...CLI_RANKING,
        ...rankingThreadsOf(options.threads, table.rating.length, log),
        ...(io.signal ? { signal: io.signal } : {}),
      }).then(rankingSummaryOf, (error: unknown) => {
        if (io.signal?.aborted) return undefined;
        throw error;
      });
  const interrupted = io.signal?.aborted === true;
  const summary = {
    rmse: result.rmse,
    mse: result.mse,
    mae: result.mae,
    baselineRmse: result.baselineRmse,
    ...(result.modelRmse !== undefined ? { modelRmse: result.modelRmse } : {}),
    ranking,
    epochs,
    secondsPerEpoch: result.secondsPerEpoch,
    model,
    recipe,
    threads,
    ...(threadsNoted ? { threadsNote: threadsNoted } : {}),
    hyperParameters: result.hyperParameters,
  };
  return { result, summary, interrupted };
}

/**
 * `cf train`: check and lock the output folder, load, split, train, report, save. The folder's lock
 * ({@link claimOutputFolder}) is held from before loading until the model is saved, so a second
 * writer fails at once; a failure leaves no folder this run created and the previous model intact.
 */
export async function trainCommand(options: TrainCommandOptions, io: CliIO): Promise<number> {
  if (options.out !== undefined && options.out.trim() === '')
    throw new UsageError(
      `--out is empty; give the model folder's path (default cf-model). An empty path would mean the current folder`,
    );
  const modelDir = resolve(io.cwd, options.out ?? 'cf-model');
  // usage mistakes are refused before the folder is touched
  const { recipe } = resolveRecipe(options);
  if (
    options.resume &&
    (recipe === 'best' || recipe === 'bias' || RANKING_RECIPES.includes(recipe))
  ) {
    throw new UsageError(
      `--resume: the ${recipe} recipe has no epochs and writes no checkpoints; run it again without --resume`,
    );
  }
  const folder = await claimOutputFolder(modelDir, ['cf', ...(io.argv ?? ['train'])].join(' '));
  try {
    return await trainInto(modelDir, options, io);
  } finally {
    // a checkpoint folder left empty by a failed first write goes too
    const checkpointDir = checkpointDirOf(modelDir);
    if ((await readdir(checkpointDir).catch(() => ['?'])).length === 0)
      await rmdir(checkpointDir).catch(() => undefined);
    await folder.release();
  }
}

/** Saves into the output folder, turning a full disk or a permission failure into an {@link OutputFolderError}. */
async function writingTo<T>(modelDir: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    throw outputFolderFailure(modelDir, error) ?? error;
  }
}

async function trainInto(
  modelDir: string,
  options: TrainCommandOptions,
  io: CliIO,
): Promise<number> {
  const log = (line: string): void => {
    if (!options.quiet) io.stderr.write(line + '\n');
  };
  const backend = await selectBackend(options.backend);
  // the timestamps are read by best's recent-ratings offset only: otherwise not held for the
  // whole run (100 MB at 25M ratings)
  const dataset = await loadDataset(options, io, log, { timestamps: options.recipe === 'best' });
  const { table } = dataset.loaded;
  const cvIdx = options.cvIdx ?? 0;
  const all = options.all === true;
  const split = all
    ? allRowsSplit(table)
    : splitByCvIdxs(table, { cvIdx, valPct: options.valPct, seed: options.seed });
  const { stats } = table;
  log(
    `data: ${dataset.path} — ${stats.count} ${table.implicit ? 'interactions (implicit: no rating column)' : 'ratings'}, ${stats.nUsers} users, ${stats.nItems} items${table.implicit ? '' : `, ratings ${stats.minRating}–${stats.maxRating}`}`,
  );
  if (all) {
    log(
      `split: none (--all) — training on all ${split.train.length} rows; there are no validation rows, so no validation numbers are reported`,
    );
  } else {
    const described = describeSplit(table, split);
    log(
      `split: getCvIdxs(cvIdx ${cvIdx}, valPct ${options.valPct}, seed ${options.seed}) — ${described.nTrain} train, ${described.nValid} valid (${described.validRowsWithUnseenUserOrItem} with a user or item unseen in training)`,
    );
  }
  const { recipe, model } = resolveRecipe(options);
  log(`recipe: ${recipe} (${model}), backend: ${backend}`);
  // an implicit table is all 1s by design, and a ranking recipe learns from which items were rated
  if (!RANKING_RECIPES.includes(recipe) && !table.implicit && !(stats.maxRating > stats.minRating))
    throw new TrainingDataError(
      dataset.path,
      'one-rating-value',
      `every rating is ${stats.minRating}: there is nothing to learn (every model would predict ${stats.minRating}) and no rating scale to fit; check the rating column`,
    );
  const checkpointDir = checkpointDirOf(modelDir);
  const resume = options.resume ? await readCheckpoint(modelDir) : undefined;
  if (resume)
    log(`resuming from ${checkpointDir}: fit ${resume.fitIndex}, ${resume.epochInFit} epochs done`);
  const save =
    recipe === 'bias' || RANKING_RECIPES.includes(recipe)
      ? undefined
      : async (checkpoint: TrainingCheckpoint): Promise<void> =>
          // the model's and the optimizer's live arrays (checkpointArrays 'live'), written from
          // where they lie: no copy of the weights and Adam's moments (135 MB at 25M ratings)
          void (await writingTo(modelDir, () =>
            fileSystemIO(checkpointDir).save!(
              checkpointToArtifacts(checkpoint, { weightParts: 'views' }),
            ),
          ));
  const { result, summary, interrupted } = await trainAndEvaluate(table, split, options, io, log, {
    ...(resume ? { resume } : {}),
    ...(save ? { save } : {}),
  });
  const stopped = (): number => {
    // printed even with --quiet: the run did not finish
    const canResume = existsSync(join(checkpointDir, 'model.json'));
    io.stderr.write(
      `interrupted: training stopped at the next safe point (a batch, a sweep or an epoch); the model in ${modelDir} is unchanged; ${canResume ? `continue with --resume (checkpoint of the last completed epoch in ${checkpointDir})` : recipe === 'best' || RANKING_RECIPES.includes(recipe) || recipe === 'bias' ? `the ${recipe} recipe writes no checkpoints, so there is nothing to resume` : 'no epoch was completed, so there is nothing to resume'}\n`,
    );
    result.model.dispose();
    return EXIT.interrupted;
  };
  if (interrupted) return stopped();
  if ('rmse' in result && !RANKING_RECIPES.includes(recipe)) {
    log(
      `validation RMSE ${result.rmse.toFixed(4)} (MAE ${result.mae.toFixed(4)}), bias baseline RMSE ${result.baselineRmse.toFixed(4)}`,
    );
    if (result.modelRmse !== undefined)
      log(
        `the ${recipe} RMSE adds the recent-ratings offset at each validation row's timestamp; the saved model predicts without it (validation RMSE ${result.modelRmse.toFixed(4)})`,
      );
    // the saved model is worse than the one-line baseline: say so beside the two numbers
    if (result.rmse > result.baselineRmse && recipe !== 'bias')
      log(
        `warning: the ${recipe} model's validation RMSE ${result.rmse.toFixed(4)} is worse than the bias baseline's ${result.baselineRmse.toFixed(4)}: the recipe does not fit this data as set (a small --bs on millions of rows multiplies the fastai recipe's per-step weight decay: leave --bs unset so that it grows with the data; see docs/scaling.md)`,
      );
  } else if (!('rmse' in result)) log(`no validation numbers: trained on every row (--all)`);
  if (summary.ranking) log(formatRankingSummary(summary.ranking, table));
  const splitInfo = all
    ? { kind: 'all', nTrain: split.train.length, nValid: 0 }
    : {
        kind: 'cv-idxs',
        seed: options.seed,
        valPct: options.valPct,
        cvIdx,
        nTrain: split.train.length,
        nValid: split.valid.length,
      };
  // a Ctrl-C that arrived since is handled here, before anything is written (through a timer:
  // the event loop handles pending signals before it runs timers again)
  await new Promise((resolve) => setTimeout(resolve, 0));
  if (io.signal?.aborted) return stopped();
  // seen items (never recommended): every row of the file, the validation rows included
  const trained = createTrainedModel(result.model, table, {
    trainRows: split.train,
    split: splitInfo,
    fallback: result.baseline,
    ...(dataset.titles ? { itemTitles: dataset.titles } : {}),
  });
  await writingTo(modelDir, () => saveModelToDirectory(trained, modelDir));
  await rm(checkpointDir, { recursive: true, force: true });
  log(`model saved to ${modelDir}`);
  if (options.json) {
    io.stdout.write(
      JSON.stringify({
        ...summary,
        backend,
        nRatings: stats.count,
        nUsers: stats.nUsers,
        nItems: stats.nItems,
        modelDir,
        data: dataset.path,
        implicit: table.implicit,
        split: splitInfo,
      }) + '\n',
    );
  }
  trained.dispose();
  return EXIT.ok;
}
