import { rowCountOf, type RowSource, type Split } from './split.js';

/**
 * The split that trains on every row and validates on none: `train` is `0..n-1`, `valid` empty.
 * What a production model is trained on once its recipe has been chosen on a real split (the
 * `cf train --all` of the CLI, `trainOnAllRows` of `@cf/trainer`). The split helpers refuse
 * `valPct: 0` and point here, so an empty validation side is always asked for by name.
 */
export function allRowsSplit(source: RowSource): Split {
  const n = rowCountOf(source);
  return { train: Int32Array.from({ length: n }, (_, r) => r), valid: new Int32Array(0) };
}
