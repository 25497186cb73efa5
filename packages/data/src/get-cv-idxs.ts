import { InvalidArgumentError } from './errors.js';
import { NumpyRandomState } from './numpy-random.js';
import { assertRowCount, assertValPct } from './validate.js';

/** Options of {@link getCvIdxs} (the keyword arguments of fastai 0.7's `get_cv_idxs`). */
export interface GetCvIdxsOptions {
  /** Which validation slice of the permutation to take. Default 0. */
  cvIdx?: number;
  /** Fraction of rows in the validation slice, in (0, 1). Default 0.2. */
  valPct?: number;
  /** `np.random.seed` value, an integer in `0..2**32-1`. Default 42. */
  seed?: number;
}

/**
 * The validation row indices of fastai 0.7, bit for bit:
 *
 * ```python
 * np.random.seed(seed)
 * n_val = int(val_pct * n)
 * idx_start = cv_idx * n_val
 * idxs = np.random.permutation(n)
 * return idxs[idx_start:idx_start + n_val]
 * ```
 *
 * `int()` truncates the double product (`0.2 * 100836` → 20167) and the slice follows Python
 * semantics (a slice that runs past the end is cut short). The result is in permutation order.
 * Throws {@link InvalidArgumentError} for `n < 0`, `valPct` outside (0, 1), a bad seed, or when the
 * slice would be empty (`int(valPct * n) === 0`, or `cvIdx * n_val >= n`).
 */
export function getCvIdxs(n: number, options: GetCvIdxsOptions = {}): Int32Array {
  const { cvIdx = 0, valPct = 0.2, seed = 42 } = options;
  assertRowCount(n);
  assertValPct(valPct);
  if (!Number.isInteger(cvIdx) || cvIdx < 0) {
    throw new InvalidArgumentError('cvIdx', `expected a non-negative integer, got ${cvIdx}`);
  }
  const nVal = Math.trunc(valPct * n);
  if (nVal === 0) {
    throw new InvalidArgumentError(
      'valPct',
      `int(${valPct} * ${n}) is 0, so the validation set would be empty; use a larger valPct or more rows`,
    );
  }
  const start = cvIdx * nVal;
  if (start >= n) {
    throw new InvalidArgumentError(
      'cvIdx',
      `slice ${start}..${start + nVal} of ${n} rows is empty; cvIdx must be at most ${Math.ceil(n / nVal) - 1} for valPct ${valPct}`,
    );
  }
  const permutation = new NumpyRandomState(seed).permutation(n);
  return permutation.slice(start, Math.min(start + nVal, n));
}
