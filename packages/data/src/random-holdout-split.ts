import { NumpyRandomState } from './numpy-random.js';
import { rowCountOf, splitFromMask, type RowSource, type Split } from './split.js';
import { roundedValidCount } from './validate.js';

/** Options of {@link randomHoldoutSplit}. */
export interface RandomHoldoutSplitOptions {
  /** Fraction of rows held out for validation, in (0, 1); the count is `Math.round(valPct * n)`. */
  valPct: number;
  /** Seed of the permutation (numpy legacy `RandomState`); same seed, same split. Default 42. */
  seed?: number;
}

/**
 * A seeded random holdout: the first `Math.round(valPct * n)` rows of
 * `np.random.seed(seed); np.random.permutation(n)` go to validation, the rest to training, both
 * ascending. Unlike {@link splitByCvIdxs} (fastai's `int()` truncation) the count is rounded.
 * Throws {@link InvalidArgumentError} when `valPct` is outside (0, 1) or either side would be empty.
 */
export function randomHoldoutSplit(source: RowSource, options: RandomHoldoutSplitOptions): Split {
  const n = rowCountOf(source);
  const { valPct, seed = 42 } = options;
  const nValid = roundedValidCount(valPct, n);
  const permutation = new NumpyRandomState(seed).permutation(n);
  const mask = new Uint8Array(n);
  for (let i = 0; i < nValid; i++) mask[permutation[i]!] = 1;
  return splitFromMask(mask);
}
