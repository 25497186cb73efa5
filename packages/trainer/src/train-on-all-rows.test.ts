import { expect, it } from 'vitest';
import { allRowsSplit } from '@cf/data';
import { fitBiasBaseline } from '@cf/model';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { runRecipe } from './recipes.js';
import { trainOnAllRows } from './train-on-all-rows.js';

describeEachBackend('trainOnAllRows', () => {
  const { table } = makeSyntheticRatings({ nUsers: 20, nItems: 25, density: 0.4, seed: 3 });

  it('fits the bias recipe on every row: the closed-form baseline of the whole table', async () => {
    const result = await trainOnAllRows('bias', table);
    const whole = fitBiasBaseline(table, allRowsSplit(table).train);
    const { userIndex, itemIndex } = table;
    expect(Array.from(result.model.predict(userIndex, itemIndex))).toEqual(
      Array.from(whole.predict(userIndex, itemIndex)),
    );
    // not the baseline of a split's training rows
    const part = fitBiasBaseline(
      table,
      allRowsSplit(table).train.filter((r) => r % 3 !== 0),
    );
    expect(Array.from(part.predict(userIndex, itemIndex))).not.toEqual(
      Array.from(whole.predict(userIndex, itemIndex)),
    );
    part.dispose();
    expect(result.nTrain).toBe(table.rating.length);
    whole.dispose();
    result.model.dispose();
  });

  it("runs the recipe's schedule on every row and reports no validation number", async () => {
    const result = await trainOnAllRows('fastai', table, { epochs: [2], seed: 1 });
    for (const key of ['rmse', 'mse', 'mae', 'baselineRmse'])
      expect(result).not.toHaveProperty(key);
    expect(result.fits).toHaveLength(1);
    expect(result.fits[0]).toHaveLength(2);
    for (const epoch of result.fits[0]!) {
      expect(Object.keys(epoch).sort()).toEqual(['complete', 'epoch', 'seconds', 'trainLoss']);
      expect(Number.isFinite(epoch.trainLoss)).toBe(true);
    }
    expect(result.hyperParameters).toMatchObject({ lr: 5e-3, wd: 0.1, epochs: [2], seed: 1 });
    // the same weights as runRecipe on the all-rows split
    const direct = await runRecipe('fastai', table, allRowsSplit(table), { epochs: [2], seed: 1 });
    const u = Int32Array.of(0, 3, 7);
    const i = Int32Array.of(1, 4, 9);
    expect(Array.from(result.model.predict(u, i))).toEqual(Array.from(direct.model.predict(u, i)));
    expect(Number.isNaN(direct.rmse)).toBe(true);
    for (const r of [result, direct]) {
      r.model.dispose();
      r.baseline.dispose();
    }
  });
});
