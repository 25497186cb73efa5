import { InvalidArgumentError, type RatingsTable } from '@cf/data';
import {
  ImplicitRowSolver,
  createImplicitMatrixFactorization,
  implicitRowRegularization,
  scaledGramian,
  type ImplicitMatrixFactorization,
  type RatingConfidence,
} from '@cf/model';
import { defaultRatingConfidence } from './default-rating-confidence.js';
import { EventLoopYielder } from './event-loop-yielder.js';

/** Options of {@link fitImplicitAls}; defaults are what the `topn` recipe uses (see the trainer README). */
export interface ImplicitAlsOptions {
  /** Latent factors. Default 64. */
  nFactors?: number;
  /** Sweeps (one user half-sweep and one item half-sweep each). Default 8. */
  sweeps?: number;
  /** α₀, the weight of the unobserved pairs. Default 0.1. */
  unobservedWeight?: number;
  /** λ, scaled per row by `(n + α₀·N)^ν`. Default 0.01. */
  regularization?: number;
  /** ν. Default 1. */
  frequencyExponent?: number;
  /**
   * How ratings become confidences (ignored for an implicit table, where every row counts 1).
   * Default {@link defaultRatingConfidence}: `{threshold, atOrAbove: 1, below: 0.1}` (chosen on an
   * inner split of MovieLens) with the threshold 70 % up the table's rating range (4 stars on
   * MovieLens); `null` counts every row 1.
   */
  confidence?: RatingConfidence | null;
  /**
   * How each row's least-squares system is solved: `'cholesky'` (exact, `O(nFactors³)` per row) or
   * `'conjugate-gradient'` (`conjugateGradientSteps` steps warm-started from the previous sweep,
   * `O(nFactors²)` per step: what makes 128 factors affordable). Default `'cholesky'`.
   */
  solver?: ImplicitAlsSolver;
  /** Steps per row of the `'conjugate-gradient'` solver. Default 3. */
  conjugateGradientSteps?: number;
  /** Seed of the initial factors. Default 42. */
  seed?: number;
  /** Called after every sweep. */
  onSweep?: (info: ImplicitAlsSweep) => void;
  /**
   * Stops within 50 ms of solving once aborted, part-way through a half-sweep if need be (the
   * model holds the sweeps done, and the rows of the interrupted half-sweep solved so far).
   */
  signal?: AbortSignal;
}

/** How {@link fitImplicitAls} solves each row: exactly, or by a few conjugate-gradient steps. */
export type ImplicitAlsSolver = 'cholesky' | 'conjugate-gradient';

/** Progress of one iALS sweep. */
export interface ImplicitAlsSweep {
  sweep: number;
  sweeps: number;
  seconds: number;
}

/**
 * The rating → confidence map of the `topn` recipe on a 0.5–5 or 1–5 star table, as a constant.
 * What the recipe and {@link fitImplicitAls} use follows the table's scale:
 * {@link defaultRatingConfidence}`(table)` (the same rows as this on those scales).
 */
export const DEFAULT_RATING_CONFIDENCE: RatingConfidence = {
  threshold: 4,
  atOrAbove: 1,
  below: 0.1,
};

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Compressed rows of (row, column, confidence) triples, each row's entries in input order. */
interface CompressedRows {
  offsets: Int32Array;
  columns: Int32Array;
  confidence: Float32Array;
}

function compress(
  nRows: number,
  rowOf: Int32Array,
  columnOf: Int32Array,
  confidenceOf: Float32Array,
  rows: Int32Array,
): CompressedRows {
  const offsets = new Int32Array(nRows + 1);
  for (const r of rows) offsets[rowOf[r]! + 1]!++;
  for (let x = 0; x < nRows; x++) offsets[x + 1]! += offsets[x]!;
  const fill = offsets.slice(0, nRows);
  const columns = new Int32Array(rows.length);
  const confidence = new Float32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    const at = fill[rowOf[r]!]!++;
    columns[at] = columnOf[r]!;
    confidence[at] = confidenceOf[k]!;
  }
  return { offsets, columns, confidence };
}

/**
 * One half-sweep: every row of `out` solved against the fixed `other` table. Returns false when
 * stopped part-way (the rows solved so far keep their new values).
 */
async function halfSweep(
  solver: ImplicitRowSolver,
  data: CompressedRows,
  other: Float32Array,
  nOther: number,
  out: Float32Array,
  config: Parameters<typeof implicitRowRegularization>[0],
  yielder: EventLoopYielder,
  cgSteps: number,
): Promise<boolean> {
  const d = solver.dim;
  const gramian = scaledGramian(other, nOther, d, config.unobservedWeight);
  const nRows = data.offsets.length - 1;
  for (let x = 0; x < nRows; x++) {
    // checking the clock every 64 rows costs nothing next to 64 row solves
    if ((x & 63) === 63 && (await yielder.stopRequested())) return false;
    const start = data.offsets[x]!;
    const end = data.offsets[x + 1]!;
    const reg = implicitRowRegularization(config, end - start, nOther);
    if (cgSteps > 0) {
      solver.solveConjugateGradient(
        gramian,
        other,
        data.columns,
        data.confidence,
        start,
        end,
        reg,
        out,
        x * d,
        cgSteps,
      );
    } else {
      solver.solve(gramian, other, data.columns, data.confidence, start, end, reg, out, x * d);
    }
  }
  return true;
}

/**
 * Fits an {@link ImplicitMatrixFactorization} by implicit alternating least squares (Rendle et
 * al. 2021's iALS: exact per-row solves by Cholesky, frequency-scaled regularisation) on the given
 * rows of the table. Each row is an observed (user, item) pair with target 1 and confidence from
 * its rating (`confidence`), or 1 in an implicit table; every other pair has target 0 and weight α₀.
 * Memory: both factor tables, two compressed copies of the rows (8 bytes per row each) and one
 * `nFactors²` system; time per sweep `O(rows · nFactors² + (users + items) · nFactors³)`.
 * Asynchronous so that it can be stopped: it lets timers and signal handlers run at most every
 * 50 ms (see `signal`).
 */
export async function fitImplicitAls(
  table: RatingsTable,
  rows: Int32Array,
  options: ImplicitAlsOptions = {},
): Promise<ImplicitMatrixFactorization> {
  const sweeps = options.sweeps ?? 8;
  if (!(Number.isInteger(sweeps) && sweeps >= 0))
    throw new InvalidArgumentError('sweeps', `must be a non-negative integer, got ${sweeps}`);
  if (rows.length === 0)
    throw new InvalidArgumentError('rows', 'iALS needs at least one training row');
  const solverName = options.solver ?? 'cholesky';
  if (solverName !== 'cholesky' && solverName !== 'conjugate-gradient')
    throw new InvalidArgumentError(
      'solver',
      `must be 'cholesky' or 'conjugate-gradient', got ${String(solverName)}`,
    );
  const steps = options.conjugateGradientSteps ?? 3;
  if (!(Number.isInteger(steps) && steps >= 1))
    throw new InvalidArgumentError(
      'conjugateGradientSteps',
      `must be a positive integer, got ${steps}`,
    );
  const cgSteps = solverName === 'conjugate-gradient' ? steps : 0;
  const nUsers = table.userIds.size;
  const nItems = table.itemIds.size;
  const confidenceMap = table.implicit
    ? null
    : options.confidence === undefined
      ? defaultRatingConfidence(table)
      : options.confidence;
  const model = createImplicitMatrixFactorization({
    nUsers,
    nItems,
    nFactors: options.nFactors ?? 64,
    unobservedWeight: options.unobservedWeight ?? 0.1,
    regularization: options.regularization ?? 0.01,
    frequencyExponent: options.frequencyExponent ?? 1,
    confidence: confidenceMap,
    seed: options.seed ?? 42,
  });
  const confidence = new Float32Array(rows.length);
  for (let k = 0; k < rows.length; k++) confidence[k] = model.confidenceOf(table.rating[rows[k]!]!);
  const byUser = compress(nUsers, table.userIndex, table.itemIndex, confidence, rows);
  const byItem = compress(nItems, table.itemIndex, table.userIndex, confidence, rows);
  const user = model.parameter('userEmbedding');
  const item = model.parameter('itemEmbedding');
  const solver = new ImplicitRowSolver(model.config.nFactors);
  const yielder = new EventLoopYielder(options.signal);
  for (let sweep = 1; sweep <= sweeps; sweep++) {
    if (await yielder.stopRequested()) break;
    const started = now();
    const whole =
      (await halfSweep(
        solver,
        byUser,
        item.values,
        nItems,
        user.values,
        model.config,
        yielder,
        cgSteps,
      )) &&
      (await halfSweep(
        solver,
        byItem,
        user.values,
        nUsers,
        item.values,
        model.config,
        yielder,
        cgSteps,
      ));
    user.markChanged();
    item.markChanged();
    if (!whole) break;
    options.onSweep?.({ sweep, sweeps, seconds: (now() - started) / 1000 });
  }
  return model;
}
