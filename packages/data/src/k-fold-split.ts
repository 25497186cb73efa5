import { InvalidArgumentError } from './errors.js';
import { NumpyRandomState } from './numpy-random.js';
import { rowCountOf, splitFromMask, type RowSource, type Split } from './split.js';

/** Options of {@link kFoldSplit}. */
export interface KFoldSplitOptions {
  /** Number of folds, an integer from 2 to n. */
  k: number;
  /** Which fold is the validation set, `0..k-1`. */
  fold: number;
  /** Seed of the permutation (numpy legacy `RandomState`); same seed, same folds. Default 42. */
  seed?: number;
}

/**
 * Fold `fold` of a seeded k-fold split: `np.random.seed(seed); p = np.random.permutation(n)` cut
 * into `k` contiguous folds, the first `n % k` of size `floor(n / k) + 1` and the rest
 * `floor(n / k)` (scikit-learn's `KFold` sizes). The `k` validation sets for folds `0..k-1` with one
 * seed are disjoint and cover every row. Both sides are ascending.
 * Throws {@link InvalidArgumentError} when `k < 2`, `k > n` or `fold` is outside `0..k-1`.
 */
export function kFoldSplit(source: RowSource, options: KFoldSplitOptions): Split {
  const n = rowCountOf(source);
  const { k, fold, seed = 42 } = options;
  if (!Number.isInteger(k) || k < 2) {
    throw new InvalidArgumentError('k', `expected an integer number of folds ≥ 2, got ${k}`);
  }
  if (k > n) {
    throw new InvalidArgumentError(
      'k',
      `${k} folds of ${n} rows would leave a fold empty; use k ≤ ${n}`,
    );
  }
  if (!Number.isInteger(fold) || fold < 0 || fold >= k) {
    throw new InvalidArgumentError('fold', `expected an integer in 0..${k - 1}, got ${fold}`);
  }
  const permutation = new NumpyRandomState(seed).permutation(n);
  const base = Math.floor(n / k);
  const extra = n % k;
  const start = fold * base + Math.min(fold, extra);
  const end = start + base + (fold < extra ? 1 : 0);
  const mask = new Uint8Array(n);
  for (let i = start; i < end; i++) mask[permutation[i]!] = 1;
  return splitFromMask(mask);
}
