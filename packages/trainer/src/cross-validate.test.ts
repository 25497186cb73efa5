import { expect, it } from 'vitest';
import { fitBiasBaseline } from '@cf/model';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { crossValidate, cvIdxFolds, formatCrossValidation, kFolds } from './cross-validate.js';
import { rmse } from './metrics.js';

describeEachBackend('crossValidate', () => {
  const { table } = makeSyntheticRatings({ nUsers: 25, nItems: 30, density: 0.4, seed: 4 });

  it('trains one model per fold and reports each fold and mean ± sample std', async () => {
    const folds = kFolds(table, { k: 3, seed: 1 });
    const seen: number[] = [];
    const result = await crossValidate({
      table,
      folds,
      train: (split) => fitBiasBaseline(table, split.train),
      onFold: (f) => void seen.push(f.fold),
    });
    expect(seen).toEqual([0, 1, 2]);
    const direct = folds.map((split) => {
      const model = fitBiasBaseline(table, split.train);
      const pred = model.predict(
        Int32Array.from(split.valid, (r) => table.userIndex[r]!),
        Int32Array.from(split.valid, (r) => table.itemIndex[r]!),
      );
      return rmse.compute(
        pred,
        Float32Array.from(split.valid, (r) => table.rating[r]!),
      );
    });
    result.folds.forEach((f, k) => expect(f.metrics['rmse']).toBeCloseTo(direct[k]!, 10));
    const mean = direct.reduce((a, b) => a + b, 0) / 3;
    const std = Math.sqrt(direct.reduce((a, b) => a + (b - mean) ** 2, 0) / 2);
    expect(result.mean['rmse']).toBeCloseTo(mean, 10);
    expect(result.std['rmse']).toBeCloseTo(std, 10);
    expect(result.mean).toHaveProperty('mae');
    const text = formatCrossValidation(result);
    expect(text.split('\n')).toHaveLength(5);
    expect(text).toMatch(/mean\s+\d\.\d{4}±\d\.\d{4}/);
  });

  it('cvIdxFolds gives the five disjoint getCvIdxs validation folds', () => {
    const folds = cvIdxFolds(table);
    expect(folds).toHaveLength(5);
    const all = new Set<number>();
    for (const f of folds) {
      expect(f.train.length + f.valid.length).toBe(table.rating.length);
      for (const r of f.valid) {
        expect(all.has(r)).toBe(false);
        all.add(r);
      }
    }
    expect(all.size).toBe(5 * Math.floor(0.2 * table.rating.length));
  });
});
