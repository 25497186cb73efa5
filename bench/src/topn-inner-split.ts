import { SeededRandom } from '@cf/model';
import type { Split } from '@cf/data';

/** A seeded 15 % of the outer training rows as inner validation. */
export function innerSplit(train: Int32Array, seed = 2024, pct = 0.15): Split {
  const rows = Int32Array.from(train);
  const random = new SeededRandom(seed);
  for (let k = rows.length - 1; k > 0; k--) {
    const j = Math.floor(random.next() * (k + 1));
    const t = rows[k]!;
    rows[k] = rows[j]!;
    rows[j] = t;
  }
  const nValid = Math.floor(rows.length * pct);
  return { train: rows.subarray(nValid), valid: rows.subarray(0, nValid) };
}
