import { getCvIdxs } from './get-cv-idxs.js';
import { rowCountOf, splitFromMask, type RowSource, type Split } from './split.js';

/** Options of {@link splitByCvIdxs}; the same as fastai 0.7's `get_cv_idxs`. */
export interface SplitByCvIdxsOptions {
  /** Which validation slice of the permutation to take. Default 0. */
  cvIdx?: number;
  /** Fraction of rows in validation, in (0, 1); the count is `int(valPct * n)`. Default 0.2. */
  valPct?: number;
  /** `np.random.seed` value. Default 42. */
  seed?: number;
}

/**
 * fastai 0.7's split: `valid` holds the rows of {@link getCvIdxs}`(n, options)`, `train` every other
 * row. fastai's `split_by_idx` selects rows with a boolean mask, so both sides come out in
 * ascending row order (not permutation order); so do they here, and so the same rows land in the
 * same place as in fastai. Errors are those of {@link getCvIdxs}.
 */
export function splitByCvIdxs(source: RowSource, options: SplitByCvIdxsOptions = {}): Split {
  const n = rowCountOf(source);
  const mask = new Uint8Array(n);
  for (const row of getCvIdxs(n, options)) mask[row] = 1;
  return splitFromMask(mask);
}
