import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRatingsTable, InvalidArgumentError } from '@cf/data';
import { SeededRandom } from '@cf/model';
import { fitRecentRatingsOffset } from './fit-recent-ratings-offset.js';
import { runRecipe } from './recipes.js';

// Host arithmetic only: no tensors, one backend (the recipe test's models predict through tfjs cpu).
const rowsOf = (n: number) => Int32Array.from({ length: n }, (_, r) => r);

describe('fitRecentRatingsOffset', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('weights the residuals of the user’s strictly earlier ratings by exp(−Δt/τ), shrunk: exact values', () => {
    // users a, b; with no baseline sweeps the residuals are r − μ (μ = 3.5)
    const table = createRatingsTable([
      { userId: 'a', itemId: 'x', rating: 5, timestamp: 1000 },
      { userId: 'a', itemId: 'y', rating: 3, timestamp: 1100 },
      { userId: 'a', itemId: 'z', rating: 4, timestamp: 1200 },
      { userId: 'b', itemId: 'x', rating: 2, timestamp: 1000 },
    ]);
    const offset = fitRecentRatingsOffset(table, rowsOf(4), {
      tau: 120,
      shrinkage: 3,
      weight: 0.5,
      baselineSweeps: 0,
    });
    const a = table.userIds.indexOf('a');
    const b = table.userIds.indexOf('b');
    const w1 = Math.exp(-200 / 120);
    const w2 = Math.exp(-100 / 120);
    const wb = Math.exp(-1 / 120);
    const got = offset.predict(Int32Array.of(a, a, a, b, 99), [1200, 1000, 5000, 1001, 1200]);
    // at 1200: the ratings of 1000 and 1100, not the one made at the query's own second
    expect(got[0]).toBeCloseTo((0.5 * (w1 * 1.5 + w2 * -0.5)) / (3 + w1 + w2), 6);
    expect(got[1]).toBe(0); // nothing before the user's first rating
    expect(got[2]).toBe(0); // 63 minutes later: beyond 13·τ, weights < 1e-6 left out
    expect(got[3]).toBeCloseTo((0.5 * wb * -1.5) / (3 + wb), 6);
    expect(got[4]).toBe(0); // an unknown user index
    expect(offset.config).toEqual({
      tau: 120,
      shrinkage: 3,
      weight: 0.5,
      userBiasPenalty: 5,
      itemBiasPenalty: 10,
      baselineSweeps: 0,
    });
    // into a caller's array
    const out = new Float32Array(8);
    expect(offset.predict(Int32Array.of(a), [1200], out)).toEqual(out.subarray(0, 1));
    expect(out[0]).toBeCloseTo(got[0]!, 6);
  });

  it('recovers a planted session effect that the bias baseline cannot: the user’s later session rated 1 higher', () => {
    // 40 users × 30 items; each user rates 15 items in session 1 and 15 in session 2 (a day
    // later), ten seconds apart each, with +1 on every rating of session 2
    const random = new SeededRandom(5);
    const itemBase = Array.from({ length: 30 }, () => 2 + 2 * random.next());
    const rows: { userId: number; itemId: number; rating: number; timestamp: number }[] = [];
    for (let u = 0; u < 40; u++) {
      const userBase = random.next() - 0.5;
      for (let i = 0; i < 30; i++) {
        const session = i < 15 ? 0 : 1;
        const noise = (random.next() - 0.5) * 0.4;
        rows.push({
          userId: u,
          itemId: (i + u) % 30,
          rating: itemBase[(i + u) % 30]! + userBase + session + noise - 0.5,
          timestamp: 1e6 * u + 86400 * session + 10 * i,
        });
      }
    }
    const table = createRatingsTable(rows);
    const all = rowsOf(rows.length);
    const train = all.filter((r) => r % 3 !== 0);
    const valid = all.filter((r) => r % 3 === 0);
    const offset = fitRecentRatingsOffset(table, train, { shrinkage: 0.5 });
    const got = offset.predict(
      Int32Array.from(valid, (r) => table.userIndex[r]!),
      Float64Array.from(valid, (r) => table.timestamp![r]!),
    );
    let late = 0;
    let nLate = 0;
    let early = 0;
    let nEarly = 0;
    valid.forEach((r, k) => {
      if ((table.timestamp![r]! % 1e6) % 86400 === 0) return; // a session's first: no earlier one in it
      if (table.timestamp![r]! % 1e6 >= 86400) {
        late += got[k]!;
        nLate++;
      } else {
        early += got[k]!;
        nEarly++;
      }
    });
    // the baseline puts the user between the sessions: residuals ≈ −0.5 early, +0.5 late
    expect(late / nLate).toBeGreaterThan(0.3);
    expect(early / nEarly).toBeLessThan(-0.3);
  });

  it('throws InvalidArgumentError on a table without timestamps and on a bad tau', () => {
    const noTime = createRatingsTable([{ userId: 1, itemId: 1, rating: 4 }]);
    expect(() => fitRecentRatingsOffset(noTime, rowsOf(1))).toThrow(
      expect.objectContaining({ argument: 'table' }) as Error,
    );
    const table = createRatingsTable([{ userId: 1, itemId: 1, rating: 4, timestamp: 1 }]);
    expect(() => fitRecentRatingsOffset(table, rowsOf(1), { tau: 0 })).toThrow(
      InvalidArgumentError,
    );
  });

  it('the best recipe adds it when the table has timestamps, and its metrics are those of model + offset, clipped', async () => {
    const random = new SeededRandom(9);
    const rows: { userId: number; itemId: number; rating: number; timestamp?: number }[] = [];
    for (let u = 0; u < 30; u++) {
      for (let i = 0; i < 25; i++) {
        if (random.next() < 0.5) continue;
        const rating = Math.min(5, Math.max(1, Math.round(1 + 4 * random.next())));
        rows.push({ userId: u, itemId: i, rating, timestamp: 1e5 * u + 30 * i });
      }
    }
    const table = createRatingsTable(rows);
    const all = rowsOf(rows.length);
    const split = { train: all.filter((r) => r % 4 !== 0), valid: all.filter((r) => r % 4 === 0) };
    const options = { seed: 1, sweeps: 6, burnIn: 2 };
    const result = await runRecipe('best', table, split, options);
    expect(result.recentRatings).toBeDefined();
    const users = Int32Array.from(split.valid, (r) => table.userIndex[r]!);
    const items = Int32Array.from(split.valid, (r) => table.itemIndex[r]!);
    const base = result.model.predict(users, items);
    const shift = result.recentRatings!.predict(
      users,
      Float64Array.from(split.valid, (r) => table.timestamp![r]!),
    );
    let se = 0;
    let seWithout = 0;
    split.valid.forEach((r, k) => {
      const p = Math.min(5, Math.max(1, base[k]! + shift[k]!));
      se += (p - table.rating[r]!) ** 2;
      seWithout += (base[k]! - table.rating[r]!) ** 2;
    });
    expect(result.rmse).toBeCloseTo(Math.sqrt(se / split.valid.length), 5);
    expect(Math.abs(se - seWithout)).toBeGreaterThan(1e-6); // the offset changed the predictions
    expect(result.modelRmse).toBeCloseTo(Math.sqrt(seWithout / split.valid.length), 5);
    // the same rows without timestamps: no offset, the model's own predictions are measured
    const plain = createRatingsTable(rows.map(({ timestamp: _, ...rest }) => rest));
    const noTime = await runRecipe('best', plain, split, options);
    expect(noTime.recentRatings).toBeUndefined();
    expect(noTime.rmse).toBeCloseTo(Math.sqrt(seWithout / split.valid.length), 4);
    for (const r of [result, noTime]) {
      r.model.dispose();
      r.baseline.dispose();
    }
  });
});
