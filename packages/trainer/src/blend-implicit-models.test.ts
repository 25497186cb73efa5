import { expect, it } from 'vitest';
import { createImplicitMatrixFactorization } from '@cf/model';
import { describeEachBackend, maxAbsDiff } from '@cf/test-utils';
import { blendImplicitModels, implicitScoreStd } from './blend-implicit-models.js';

describeEachBackend('blendImplicitModels', () => {
  const a = createImplicitMatrixFactorization({
    nUsers: 7,
    nItems: 9,
    nFactors: 3,
    initStd: 1,
    seed: 1,
  });
  const b = createImplicitMatrixFactorization({
    nUsers: 7,
    nItems: 9,
    nFactors: 5,
    initStd: 2,
    seed: 2,
  });
  const config = {
    unobservedWeight: 0.1,
    regularization: 0.01,
    frequencyExponent: 1,
    confidence: null,
  };

  it('scores Σ weight · score / std of each member, as one implicit-mf of concatenated factors', () => {
    const blend = blendImplicitModels(
      [
        { model: a, weight: 1 },
        { model: b, weight: 0.5 },
      ],
      a.config, // a member's whole config: only its fold-in settings are taken
    );
    expect(blend.config).toMatchObject({ type: 'implicit-mf', nUsers: 7, nItems: 9, nFactors: 8 });
    const u = Int32Array.from({ length: 63 }, (_, k) => Math.floor(k / 9));
    const i = Int32Array.from({ length: 63 }, (_, k) => k % 9);
    const sa = a.predict(u, i);
    const sb = b.predict(u, i);
    const stdA = implicitScoreStd(a);
    const stdB = implicitScoreStd(b);
    expect(stdA).toBeGreaterThan(0);
    const expected = sa.map((x, k) => x / stdA + (0.5 * sb[k]!) / stdB);
    expect(maxAbsDiff(blend.predict(u, i), expected)).toBeLessThan(1e-4);
    blend.dispose();
  });

  it('refuses members of other shapes and no members', () => {
    const c = createImplicitMatrixFactorization({ nUsers: 7, nItems: 8, nFactors: 2 });
    expect(() =>
      blendImplicitModels(
        [
          { model: a, weight: 1 },
          { model: c, weight: 1 },
        ],
        config,
      ),
    ).toThrow(/9 items/);
    expect(() => blendImplicitModels([], config)).toThrow(/at least one model/);
  });
});
