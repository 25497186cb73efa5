import { Command, CommanderError, Option } from 'commander';
import { CfError, InvalidArgumentError } from '@cf/data';
import { EXIT, UsageError, type CliIO } from './cli-io.js';
import {
  addDataOptions,
  addTrainingOptions,
  SEED_MAX,
  validationFraction,
  wholeNumber,
  threadCount,
} from './options.js';
import { addRatingsFormatOptions } from './ratings-format-options.js';
import { trainCommand, type TrainCommandOptions } from './commands/train.js';
import { cvCommand, type CvCommandOptions } from './commands/cv.js';
import { infoCommand, type InfoCommandOptions } from './commands/info.js';
import { downloadCommand } from './commands/download.js';
import { predictCommand } from './commands/predict.js';
import { recommendCommand } from './commands/recommend.js';
import { similarCommand } from './commands/similar.js';
import { foldInCommand } from './commands/fold-in.js';
import { packageVersion } from './package-version.js';

const backendOption = (): Option =>
  new Option('--backend <name>', 'tfjs backend')
    .choices(['auto', 'cpu', 'wasm', 'tensorflow'])
    .default('auto');

/**
 * Runs the `cf` command line with `argv` (without `node` and the script) against `io`, and
 * resolves to the exit code: 0 success, 1 the run failed, 2 bad usage, 130 interrupted.
 * Never calls `process.exit`.
 */
export async function run(argv: readonly string[], cliIO: CliIO): Promise<number> {
  const io: CliIO = { ...cliIO, argv };
  let exitCode: number = EXIT.ok;
  const program = new Command('cf')
    .description('cf: collaborative filtering with neural nets (fastai-style training on tfjs)')
    .version(packageVersion(), '-v, --version')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
    });
  const set = (code: number): void => {
    exitCode = code;
  };

  addTrainingOptions(
    addDataOptions(
      program
        .command('train')
        .description('train a model (default: the fastai notebook on ml-latest-small) and save it'),
    ),
  )
    .option('--cv-idx <n>', 'which getCvIdxs fold to validate on', wholeNumber(0), 0)
    .addOption(
      new Option(
        '--all',
        "train on every row with the recipe's schedule, for the model you deploy: no validation split, so no validation numbers",
      ).conflicts(['cvIdx', 'valPct']),
    )
    .option('--out <dir>', 'where to save the model folder', 'cf-model')
    .option(
      '--resume',
      'continue an interrupted run from the checkpoint of its last completed epoch in <out>/checkpoint',
    )
    .action(async (options: TrainCommandOptions) => set(await trainCommand(options, io)));

  addTrainingOptions(
    addDataOptions(
      program
        .command('cv')
        .description(
          'cross-validate a recipe: getCvIdxs folds (default), --folds k, or --predefined (ml-100k u1…u5)',
        ),
    ),
  )
    .option('--folds <k>', 'k-fold cross-validation with k folds', wholeNumber(2))
    .option('--predefined', "use the data set's own folds (ml-100k u1.base/u1.test … u5)")
    .action(async (options: CvCommandOptions) => set(await cvCommand(options, io)));

  program
    .command('predict')
    .description('predict the rating of a user for an item (raw ids)')
    .requiredOption('--model <dir>', 'a model folder saved by cf train')
    .requiredOption('--user <id>', 'raw user id')
    .requiredOption('--item <id>', 'raw item id')
    .addOption(
      new Option('--unknown <policy>', 'unknown ids: error, or fallback to biases / global mean')
        .choices(['error', 'fallback'])
        .default('fallback'),
    )
    .addOption(backendOption())
    .option('--json', 'print JSON')
    .action(async (options: Parameters<typeof predictCommand>[0]) =>
      set(await predictCommand(options, io)),
    );

  program
    .command('recommend')
    .description(
      'top-k items for a user, excluding every item they rated in the data the model was trained from',
    )
    .requiredOption('--model <dir>', 'a model folder saved by cf train')
    .option('--user <id>', 'raw user id')
    .option(
      '--all',
      'every user: CSV userId,rank,itemId,score (JSON lines with --json) on stdout or in --out',
    )
    .option(
      '--threads <n>',
      'with --all: threads ranking users (default auto: every core; the result is the same for any count)',
      threadCount,
    )
    .option('--out <file>', 'with --all: write the lists to this file instead of stdout')
    .option('-k, --k <n>', 'how many', wholeNumber(1), 10)
    .option('--include-seen', 'keep items the user already rated')
    .addOption(backendOption())
    .option('--json', 'print JSON')
    .action(async (options: Parameters<typeof recommendCommand>[0]) =>
      set(await recommendCommand(options, io)),
    );

  program
    .command('similar')
    .description('items most similar to an item (cosine over item embeddings)')
    .requiredOption('--model <dir>', 'a model folder saved by cf train')
    .requiredOption('--item <id>', 'raw item id')
    .option('-k, --k <n>', 'how many', wholeNumber(1), 10)
    .addOption(backendOption())
    .option('--json', 'print JSON')
    .action(async (options: Parameters<typeof similarCommand>[0]) =>
      set(await similarCommand(options, io)),
    );

  addRatingsFormatOptions(
    program
      .command('fold-in')
      .description('recommend for a new user from their ratings, without retraining')
      .requiredOption('--model <dir>', 'a model folder saved by cf train')
      .requiredOption(
        '--ratings <file>',
        'CSV with a header: itemId (or movieId),rating; any other file with --columns',
      ),
    ['item', 'rating'],
  )
    .option('-k, --k <n>', 'how many', wholeNumber(1), 10)
    .addOption(
      new Option(
        '--duplicates <policy>',
        'an item rated more than once: its last rating, the mean of its ratings, or an error',
      )
        .choices(['keep-last', 'average', 'error'])
        .default('keep-last'),
    )
    .addOption(backendOption())
    .option('--json', 'print JSON')
    .action(async (options: Parameters<typeof foldInCommand>[0]) =>
      set(await foldInCommand(options, io)),
    );

  program
    .command('download')
    .description(
      'download a MovieLens release (ml-latest-small, ml-100k, ml-1m, ml-25m, ml-32m) into the cache',
    )
    .argument('<name>', 'data set name')
    .option('--dir <dir>', 'target folder (default: $CF_DATA_DIR, else the user cache)')
    .option('--json', 'print JSON')
    .action(async (name: string, options: { dir?: string; json?: boolean }) =>
      set(await downloadCommand(name, options, io)),
    );

  addDataOptions(
    program.command('info').description('counts, rating histogram, sparsity, ids unseen per split'),
  )
    .argument('[path]', 'a data folder or ratings file (same as --data)')
    .option('--seed <n>', 'seed of getCvIdxs', wholeNumber(0, SEED_MAX), 42)
    .option('--val-pct <x>', 'validation fraction', validationFraction, 0.2)
    .option('--json', 'print JSON')
    .action(async (path: string | undefined, options: InfoCommandOptions) =>
      set(await infoCommand(path, options, io)),
    );

  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version are not errors; everything else commander rejects is bad usage
      // help and version asked for are not errors; help shown because a command is missing is bad usage
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
        return EXIT.ok;
      if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
      if (error.code === 'commander.executeSubCommandAsync') return EXIT.failure;
      return EXIT.usage;
    }
    if (error instanceof UsageError || error instanceof InvalidArgumentError) {
      // an option value the libraries refuse (e.g. --cv-idx past the last fold) is bad usage too
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT.usage;
    }
    if (error instanceof CfError) {
      io.stderr.write(`error: ${error.message}\n`);
      return EXIT.failure;
    }
    io.stderr.write(
      `error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.failure;
  }
}
