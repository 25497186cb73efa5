import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { randomHoldoutSplit } from './random-holdout-split.js';
import { expectPartition } from './split.test-helper.js';

describe('randomHoldoutSplit', () => {
  it('holds out the first round(valPct * n) of np.random.seed(7) permutation(10)', () => {
    // permutation = [8 5 0 2 1 9 7 3 6 4]
    expect(randomHoldoutSplit(10, { valPct: 0.3, seed: 7 })).toEqual({
      train: Int32Array.from([1, 2, 3, 4, 6, 7, 9]),
      valid: Int32Array.from([0, 5, 8]),
    });
  });

  it('rounds the count (Math.round: 0.25 * 10 = 2.5 → 3) and partitions the rows', () => {
    const split = randomHoldoutSplit(10, { valPct: 0.25, seed: 7 });
    expect(split.valid).toHaveLength(3);
    expectPartition(split, 10);
    expect(randomHoldoutSplit(1001, { valPct: 0.1 }).valid).toHaveLength(100);
  });

  it('is deterministic for a seed and changes with it', () => {
    expect(randomHoldoutSplit(500, { valPct: 0.2, seed: 1 })).toEqual(
      randomHoldoutSplit(500, { valPct: 0.2, seed: 1 }),
    );
    expect(randomHoldoutSplit(500, { valPct: 0.2, seed: 1 }).valid).not.toEqual(
      randomHoldoutSplit(500, { valPct: 0.2, seed: 2 }).valid,
    );
  });

  it('rejects valPct outside (0, 1), an empty side and n < 0', () => {
    for (const valPct of [0, 1, -0.1, 2, NaN]) {
      expectError(() => randomHoldoutSplit(10, { valPct }), InvalidArgumentError, {
        argument: 'valPct',
      });
    }
    expectError(() => randomHoldoutSplit(3, { valPct: 0.1 }), InvalidArgumentError, {
      argument: 'valPct',
    });
    expectError(() => randomHoldoutSplit(3, { valPct: 0.9 }), InvalidArgumentError, {
      argument: 'valPct',
    });
    expectError(() => randomHoldoutSplit(-1, { valPct: 0.5 }), InvalidArgumentError, {
      argument: 'n',
    });
  });
});
