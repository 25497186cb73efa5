import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from './errors.js';
import { expectError } from './expect-error.test-helper.js';
import { getCvIdxs } from './get-cv-idxs.js';
import { numpyPermutation } from './numpy-random.js';

interface NumpyFixture {
  permutations: { n: number; seed: number; permutation: number[] }[];
  get_cv_idxs: { n: number; cv_idx: number; val_pct: number; seed: number; idxs: number[] }[];
}

// <repo>/../shared/fixtures: the repo root is two levels above packages/data, three above src.
const fixturePath = fileURLToPath(
  new URL('../../../../shared/fixtures/numpy-permutation.json', import.meta.url),
);
if (!existsSync(fixturePath)) {
  // Always present in CI (shared/ is cloned beside the repo); never skip silently.
  throw new Error(`numpy fixture missing at ${fixturePath}: clone shared/ beside the repository`);
}
const fixture = JSON.parse(readFileSync(fixturePath, 'utf8')) as NumpyFixture;

describe('numpyPermutation against ../shared/fixtures (numpy legacy RandomState)', () => {
  it('the fixture has cases', () => {
    expect(fixture.permutations.length).toBeGreaterThanOrEqual(7);
  });
  it.each(fixture.permutations.map((c) => [c.n, c.seed, c] as const))(
    'np.random.seed(%i); permutation(%i) is identical',
    (_n, _seed, c) => {
      expect(Array.from(numpyPermutation(c.n, c.seed))).toEqual(c.permutation);
    },
  );
});

describe('getCvIdxs against ../shared/fixtures (fastai 0.7)', () => {
  it('the fixture has cases', () => {
    expect(fixture.get_cv_idxs.length).toBeGreaterThanOrEqual(4);
  });
  it.each(fixture.get_cv_idxs.map((c) => [c.n, c.cv_idx, c.val_pct, c.seed, c] as const))(
    'get_cv_idxs(%i, cv_idx=%i, val_pct=%f, seed=%i) is identical',
    (_n, _cvIdx, _valPct, _seed, c) => {
      const idxs = getCvIdxs(c.n, { cvIdx: c.cv_idx, valPct: c.val_pct, seed: c.seed });
      expect(idxs).toBeInstanceOf(Int32Array);
      expect(Array.from(idxs)).toEqual(c.idxs);
    },
  );
});

describe('getCvIdxs', () => {
  const perm10 = Array.from(numpyPermutation(10, 42));

  it('defaults to cvIdx 0, valPct 0.2, seed 42', () => {
    expect(Array.from(getCvIdxs(10))).toEqual(perm10.slice(0, 2));
  });

  it('truncates int(valPct * n) like Python', () => {
    // 0.2 * 100836 = 20167.2 → 20167; 0.29 * 100 = 28.999999999999996 → 28
    expect(getCvIdxs(100836)).toHaveLength(20167);
    expect(getCvIdxs(100, { valPct: 0.29 })).toHaveLength(28);
  });

  it('cuts a slice that runs past the end short, like Python slicing', () => {
    // n_val = int(0.3 * 10) = 3, cv_idx 3 → idxs[9:12] → one index
    expect(Array.from(getCvIdxs(10, { valPct: 0.3, cvIdx: 3 }))).toEqual(perm10.slice(9, 12));
  });

  it('takes consecutive slices of one permutation for consecutive cvIdx', () => {
    const slices = [0, 1, 2, 3, 4].map((cvIdx) => Array.from(getCvIdxs(10, { cvIdx })));
    expect(slices.flat()).toEqual(perm10);
  });

  it('rejects bad arguments with InvalidArgumentError', () => {
    expectError(() => getCvIdxs(-1), InvalidArgumentError, { argument: 'n' });
    expectError(() => getCvIdxs(2.5), InvalidArgumentError, { argument: 'n' });
    expectError(() => getCvIdxs(10, { valPct: 0 }), InvalidArgumentError, { argument: 'valPct' });
    expectError(() => getCvIdxs(10, { valPct: 1 }), InvalidArgumentError, { argument: 'valPct' });
    expectError(() => getCvIdxs(10, { valPct: NaN }), InvalidArgumentError, { argument: 'valPct' });
    expectError(() => getCvIdxs(10, { cvIdx: -1 }), InvalidArgumentError, { argument: 'cvIdx' });
    expectError(() => getCvIdxs(10, { seed: -1 }), InvalidArgumentError, { argument: 'seed' });
  });

  it('rejects an empty slice: cvIdx past the end, or int(valPct * n) = 0', () => {
    const error = expectError(() => getCvIdxs(10, { cvIdx: 5 }), InvalidArgumentError, {
      argument: 'cvIdx',
    });
    expect(error.message).toContain('at most 4');
    expectError(() => getCvIdxs(4, { valPct: 0.2 }), InvalidArgumentError, { argument: 'valPct' });
    expectError(() => getCvIdxs(0), InvalidArgumentError, { argument: 'valPct' });
  });
});
