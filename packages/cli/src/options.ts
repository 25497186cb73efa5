import { InvalidArgumentError, Option, type Command } from 'commander';
import { addRatingsFormatOptions } from './ratings-format-options.js';

/** Parses a whole number ≥ `min` for an option, or explains what was expected. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected a whole number ≥ ${min}`
          : `expected a whole number from ${min} to ${max}`,
      );
    }
    return n;
  };
}

/** Parses `auto` or a whole number ≥ 1 (a thread count). */
export function threadCount(value: string): number | 'auto' {
  if (value.trim() === 'auto') return 'auto';
  try {
    return wholeNumber(1)(value);
  } catch {
    throw new InvalidArgumentError("expected 'auto' or a whole number ≥ 1");
  }
}

/** Seeds are 32-bit, as numpy's `np.random.seed` takes them. */
export const SEED_MAX = 0xffffffff;

/** Parses a finite number in (low, high) (exclusive unless `inclusive`). */
export function numberIn(low: number, high: number, inclusive = false) {
  return (value: string): number => {
    const n = Number(value);
    const ok =
      Number.isFinite(n) &&
      value.trim() !== '' &&
      (inclusive ? n >= low && n <= high : n > low && n < high);
    if (!ok)
      throw new InvalidArgumentError(
        `expected a number ${inclusive ? 'from' : 'between'} ${low} ${inclusive ? 'to' : 'and'} ${high}`,
      );
    return n;
  };
}

/** Parses a positive finite number. */
export function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0 || value.trim() === '')
    throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** Parses a non-negative finite number. */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || value.trim() === '')
    throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}

/**
 * Parses a validation fraction in (0, 1); 0 is refused with a pointer to `cf train --all`, the
 * way to train on every row.
 */
export function validationFraction(value: string): number {
  const n = Number(value);
  if (value.trim() !== '' && n === 0)
    throw new InvalidArgumentError(
      'expected a number between 0 and 1; 0 would leave no validation rows: to train on every row use cf train --all',
    );
  return numberIn(0, 1)(value);
}

/** The data options every data-reading command has: where the ratings are and how to read them. */
export function addDataOptions(command: Command): Command {
  return addRatingsFormatOptions(
    command
      .option(
        '--data <path>',
        'a folder holding any MovieLens layout (ratings.csv, u.data, ratings.dat) or a ratings file (any other delimited file with --columns)',
      )
      .option(
        '--dataset <name>',
        'a MovieLens release, from $CF_DATA_DIR/<name>, else the cache, else downloaded',
        'ml-latest-small',
      ),
  );
}

/** The model and recipe options of train and cv. */
export function addTrainingOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--model <model>', "model (default: the recipe's)").choices([
        'embedding-net',
        'embedding-dot-bias',
        'bias',
      ]),
    )
    .addOption(
      new Option(
        '--recipe <recipe>',
        "notebook: fastai 0.7 EmbeddingNet; fastai: fastai v2 EmbeddingDotBias one-cycle; bias: the damped bias baseline; best: the most accurate rating predictor, a weighted blend of Bayesian MF by Gibbs sampling, a 128-factor EmbeddingDotBias and an item-based AutoRec; topn: for recommendations, iALS blended with topn-softmax's model (ratings from 70 % up the file's range — 4 stars on MovieLens — weigh 1, lower 0.1; implicit files: every row 1); topn-softmax: a neural two-tower retrieval model alone, trained with a softmax loss (full over the catalogue, or sampled with the log-Q correction above 20,000 items) (default: notebook, or the --model's)",
      ).choices(['notebook', 'fastai', 'bias', 'best', 'topn', 'topn-softmax']),
    )
    .option(
      '--epochs <n>',
      "epochs (default: the recipe's: notebook 5 then 10, fastai 5)",
      wholeNumber(0),
    )
    .option(
      '--lr <x>',
      "learning rate (default: the recipe's: notebook 1e-3, fastai 5e-3)",
      positiveNumber,
    )
    .option(
      '--wd <x>',
      "weight decay (default: the recipe's: notebook 2e-5 L2, fastai 0.1 decoupled)",
      nonNegativeNumber,
    )
    .option(
      '--bs <n>',
      "batch size (default: 64; the fastai recipe's grows with the data: 64 up to ml-latest-small's size, then rows / 1576, so an epoch keeps 1576 steps)",
      wholeNumber(1),
    )
    .option(
      '--seed <n>',
      'seed of the split, the weights, the batch order and dropout',
      wholeNumber(0, SEED_MAX),
      42,
    )
    .option('--val-pct <x>', 'validation fraction of getCvIdxs', validationFraction, 0.2)
    .addOption(
      new Option(
        '--embedding-update <mode>',
        "dense (PyTorch-exact) or lazy (row-sparse) embedding updates (default: the recipe's)",
      ).choices(['dense', 'lazy']),
    )
    .option(
      '--threads <n>',
      'training threads: workers that update shared weights without locks (Hogwild); 1 is the deterministic one-thread loop; also the threads that rank the top-10 of every user afterwards (same numbers for any count) (default: 1 below 1,000,000 training rows, every core from there)',
      wholeNumber(1),
    )
    .addOption(
      new Option('--backend <name>', 'tfjs backend')
        .choices(['auto', 'cpu', 'wasm', 'webgl', 'tensorflow'])
        .default('auto'),
    )
    .option('--json', 'print one JSON object on stdout when done; progress goes to stderr')
    .option('--quiet', 'print nothing but errors (and the JSON with --json)');
}
