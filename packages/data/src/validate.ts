import { InvalidArgumentError } from './errors.js';

// Argument checks shared by the splits, the batch iterator and the numpy port (internal module:
// not re-exported from index.ts).

/** Throws {@link InvalidArgumentError} unless `value` is an integer in `min..max`. */
export function assertIntegerInRange(
  argument: string,
  value: number,
  min: number,
  max: number,
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(argument, `expected an integer in ${min}..${max}, got ${value}`);
  }
}

/** Throws unless `seed` is an integer numpy's `np.random.seed` accepts (0 ≤ seed < 2**32). */
export function assertSeed(seed: number, argument = 'seed'): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new InvalidArgumentError(
      argument,
      `expected an integer in 0..4294967295 (what np.random.seed accepts), got ${seed}`,
    );
  }
}

/** Throws unless `n` is a non-negative integer row count that fits an Int32Array index. */
export function assertRowCount(n: number, argument = 'n'): void {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) {
    throw new InvalidArgumentError(argument, `expected a non-negative integer row count, got ${n}`);
  }
}

/** Throws unless `valPct` is strictly between 0 and 1. */
export function assertValPct(valPct: number, argument = 'valPct'): void {
  if (!(valPct > 0 && valPct < 1)) {
    throw new InvalidArgumentError(
      argument,
      `expected a fraction strictly between 0 and 1, got ${valPct}${valPct === 0 ? '; to train on every row with no validation rows use allRowsSplit(table) (cf train --all)' : ''}`,
    );
  }
}

/**
 * `Math.round(valPct * n)`, the validation row count of the holdout and global temporal splits,
 * after checking `valPct`; throws when it leaves the validation or the training side empty.
 */
export function roundedValidCount(valPct: number, n: number): number {
  assertValPct(valPct);
  const nValid = Math.round(valPct * n);
  if (nValid === 0 || nValid === n) {
    throw new InvalidArgumentError(
      'valPct',
      `${valPct} of ${n} rows leaves the ${nValid === 0 ? 'validation' : 'training'} set empty`,
    );
  }
  return nValid;
}
