import { stat } from 'node:fs/promises';
import {
  crossValidate,
  formatCrossValidation,
  lazyCvIdxFolds,
  lazyKFolds,
  type LazyFolds,
  mae,
  rankingMetricNames,
  rmse,
  runRecipe,
} from '@cf/trainer';
import { loadPredefinedFolds } from '@cf/data/node';
import type { Split } from '@cf/data';
import { selectBackend } from '../backend.js';
import { EXIT, UsageError, type CliIO } from '../cli-io.js';
import { loadDataset } from '../dataset.js';
import {
  RANKING_K,
  CLI_RANKING,
  oneThreadRecipeNote,
  rankingThreadsOf,
  recipeOptionsOf,
  resolveRecipe,
  type RankingSummary,
  type TrainCommandOptions,
} from './train.js';
import { hasRatingsFormatOptions } from '../ratings-format-options.js';

/** Parsed options of `cf cv`. */
export interface CvCommandOptions extends Omit<TrainCommandOptions, 'out' | 'cvIdx'> {
  folds?: number;
  predefined?: boolean;
}

/** `cf cv`: cross-validation over the getCvIdxs folds, k folds, or the data set's own folds. */
export async function cvCommand(options: CvCommandOptions, io: CliIO): Promise<number> {
  const log = (line: string): void => {
    if (!options.quiet) io.stderr.write(line + '\n');
  };
  if (options.predefined && hasRatingsFormatOptions(options))
    throw new UsageError(
      "--predefined reads the data set's own fold files (ml-100k u1.base … u5.test) in their own layout; drop --columns, --delimiter and --no-header",
    );
  const backend = await selectBackend(options.backend);
  // the timestamps are read by best's recent-ratings offset only: otherwise not held for the
  // whole run (100 MB at 25M ratings)
  const dataset = await loadDataset(options, io, log, { timestamps: options.recipe === 'best' });
  let { table } = dataset.loaded;
  // built one fold at a time: at 25M ratings each fold's split is 100 MB
  let folds: Split[] | LazyFolds;
  let kind: string;
  if (options.predefined) {
    if (options.folds !== undefined)
      throw new UsageError('--predefined and --folds exclude each other');
    if (!(await stat(dataset.path)).isDirectory())
      throw new UsageError(
        `--predefined reads the data set's own folds (ml-100k's u1.base/u1.test … u5), which live in its folder; --data names the file ${dataset.path}: give the ml-100k folder, or drop --predefined`,
      );
    const predefined = await loadPredefinedFolds(dataset.path);
    table = predefined.table;
    folds = predefined.folds.map((f) => ({ train: f.train, valid: f.valid }));
    kind = `predefined folds of ${dataset.path}`;
  } else if (options.folds !== undefined) {
    if (options.folds < 2) throw new UsageError('--folds needs at least 2');
    folds = lazyKFolds(table, { k: options.folds, seed: options.seed });
    kind = `${options.folds}-fold (seed ${options.seed})`;
  } else {
    folds = lazyCvIdxFolds(table, { valPct: options.valPct, seed: options.seed });
    kind = `getCvIdxs cvIdx 0..${Math.floor(1 / options.valPct + 1e-9) - 1} (valPct ${options.valPct}, seed ${options.seed})`;
  }
  const { recipe, model } = resolveRecipe(options);
  log(
    `cross-validation: ${kind}; recipe ${recipe} (${model}); backend ${backend}; ${table.stats.count} ratings`,
  );
  // --threads on a recipe without a threaded trainer: said once, as cf train says it
  const oneThread = oneThreadRecipeNote(recipe, options.threads);
  if (oneThread) log(oneThread);
  const result = await crossValidate({
    table,
    folds,
    metrics: [rmse, mae],
    ranking: { ...CLI_RANKING, ...rankingThreadsOf(options.threads, table.rating.length, log) },
    ...(io.signal ? { signal: io.signal } : {}),
    train: async (split, fold) => {
      log(`fold ${fold}: training on ${split.train.length} rows`);
      const run = await runRecipe(
        recipe,
        table,
        split,
        recipeOptionsOf(options, io, split.train.length),
      );
      if (run.baseline !== run.model) run.baseline.dispose();
      // best on a table with timestamps: measured with its recent-ratings offset, as cf train
      return run.recentRatings ? { model: run.model, recentRatings: run.recentRatings } : run.model;
    },
  });
  if (result.stopped || io.signal?.aborted) {
    log(
      `interrupted: stopped after ${result.folds.length} of ${'count' in folds ? folds.count : folds.length} folds; nothing is reported for an incomplete cross-validation`,
    );
    return EXIT.interrupted;
  }
  log(formatCrossValidation(result));
  if (options.json) {
    const names = rankingMetricNames(RANKING_K);
    const ranking = (r: Record<string, number>): Omit<RankingSummary, 'users'> => ({
      k: RANKING_K,
      ndcg: r[names.ndcg]!,
      recall: r[names.recall]!,
      precision: r[names.precision]!,
      hitRate: r[names.hitRate]!,
    });
    const pick = (r: Record<string, number>) => ({
      rmse: r['rmse'],
      mae: r['mae'],
      ranking: ranking(r),
    });
    io.stdout.write(
      JSON.stringify({
        folds: result.folds.map((f) => ({
          fold: f.fold,
          rmse: f.metrics['rmse'],
          mae: f.metrics['mae'],
          ranking: { ...ranking(f.metrics), users: f.ranking?.users },
          seconds: f.fitSeconds,
          testSeconds: f.testSeconds,
        })),
        mean: { ...pick(result.mean), seconds: result.mean['fitSeconds'] },
        std: { ...pick(result.std), seconds: result.std['fitSeconds'] },
        recipe,
        model,
        backend,
        kind,
        nRatings: table.stats.count,
      }) + '\n',
    );
  }
  return EXIT.ok;
}
