import { describe, expect, it } from 'vitest';
import { createRatingsTable } from '@cf/data';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { fitBpr } from './fit-bpr.js';

describeEachBackend('fitBpr', () => {
  const { table } = makeSyntheticRatings({ nUsers: 40, nItems: 30, density: 0.3, seed: 2 });
  const rows = Int32Array.from({ length: table.rating.length }, (_, r) => r);

  it('lowers the BPR loss epoch by epoch and ranks a user’s positives above the rest', () => {
    const losses: number[] = [];
    const model = fitBpr(table, rows, {
      nFactors: 8,
      epochs: 30,
      onEpoch: (info) => losses.push(info.loss),
    });
    expect(model.config).toMatchObject({ type: 'embedding-dot-bias', yRange: null });
    expect(losses[29]!).toBeLessThan(0.8 * losses[0]!);
    // AUC over (positive, non-interacted) pairs of every user, on the training data
    let wins = 0;
    let pairs = 0;
    for (let u = 0; u < 40; u++) {
      const items = Int32Array.from({ length: 30 }, (_, i) => i);
      const s = model.predict(new Int32Array(30).fill(u), items);
      const pos = new Set<number>();
      const seen = new Set<number>();
      for (const r of rows)
        if (table.userIndex[r] === u) {
          seen.add(table.itemIndex[r]!);
          if (table.rating[r]! >= 4) pos.add(table.itemIndex[r]!);
        }
      for (const i of pos)
        for (let j = 0; j < 30; j++)
          if (!seen.has(j)) {
            pairs++;
            if (s[i]! > s[j]!) wins++;
          }
    }
    expect(wins / pairs).toBeGreaterThan(0.7); // an untrained model is near 0.5
    model.dispose();
  });

  it('takes every row of an implicit table as a positive', () => {
    const implicit = createRatingsTable(
      [
        { userId: 'a', itemId: 'x' },
        { userId: 'a', itemId: 'y' },
        { userId: 'b', itemId: 'x' },
      ],
      { implicit: true },
    );
    const model = fitBpr(implicit, Int32Array.of(0, 1, 2), { nFactors: 2, epochs: 50 });
    // b interacted with x only; y is b's only other item
    const s = model.predict(Int32Array.of(1, 1), Int32Array.of(0, 1));
    expect(s[0]!).toBeGreaterThan(s[1]!);
    model.dispose();
  });
});

describe('fitBpr arguments', () => {
  it('refuses rows without a positive', () => {
    const table = createRatingsTable([{ userId: 1, itemId: 1, rating: 2 }]);
    expect(() => fitBpr(table, Int32Array.of(0))).toThrow(/at least one positive row/);
  });
});
