import { InvalidArgumentError } from './errors.js';
import { getCvIdxs } from './get-cv-idxs.js';
import type { Split } from './split.js';

/** Options of {@link innerSplit}. */
export interface InnerSplitOptions {
  /** Fraction of the training rows held out as inner validation, in (0, 1). Default 0.2. */
  valPct?: number;
  /** `np.random.seed` value of the permutation. Default 42. */
  seed?: number;
}

/**
 * The inner split of a split's training rows, on which cf chooses hyper-parameters (λ, weights,
 * factors, epochs) without ever looking at `split.valid`: a seeded `valPct` of `split.train` held
 * out. Position `p` of the training rows in ascending order is held out when `p` is among the first
 * `int(valPct · n)` entries of numpy's `RandomState(seed).permutation(n)` (n = `split.train.length`):
 * `getCvIdxs(n, {cvIdx: 0, valPct, seed})` applied to `split.train`, so a numpy script reproduces it
 * bit for bit (`bench/numpy/topn_anchors.py` does). Both sides come out ascending; together they are
 * `split.train` (which need not be sorted: predefined folds are in file order), and neither touches
 * `split.valid`. Returns new arrays. Throws {@link InvalidArgumentError} for a split without
 * training rows, too few for a non-empty inner validation set, or a bad `valPct` or seed.
 */
export function innerSplit(split: Split, options: InnerSplitOptions = {}): Split {
  let rows = split.train;
  const n = rows.length;
  const valPct = options.valPct ?? 0.2;
  if (n === 0)
    throw new InvalidArgumentError(
      'split',
      'has no training rows to hold an inner validation set out of',
    );
  // predefined folds list their rows in file order: positions count in ascending row order
  for (let p = 1; p < n; p++)
    if (!(rows[p - 1]! < rows[p]!)) {
      rows = rows.slice().sort();
      break;
    }
  const held = new Uint8Array(n);
  for (const p of getCvIdxs(n, { cvIdx: 0, valPct, seed: options.seed ?? 42 })) held[p] = 1;
  let nValid = 0;
  for (let p = 0; p < n; p++) nValid += held[p]!;
  const train = new Int32Array(n - nValid);
  const valid = new Int32Array(nValid);
  let t = 0;
  let v = 0;
  for (let p = 0; p < n; p++) {
    if (held[p]) valid[v++] = rows[p]!;
    else train[t++] = rows[p]!;
  }
  return { train, valid };
}
