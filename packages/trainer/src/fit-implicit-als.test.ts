import { describe, expect, it } from 'vitest';
import { createRatingsTable, type RatingsTable } from '@cf/data';
import { implicitRowRegularization, type ImplicitMatrixFactorization } from '@cf/model';
import { describeEachBackend, makeSyntheticRatings } from '@cf/test-utils';
import { fitImplicitAls } from './fit-implicit-als.js';
import { defaultRelevanceThreshold } from './ranking-metrics.js';

/** The iALS objective of Rendle et al. 2021 on the given rows, computed densely. */
function objective(
  model: ImplicitMatrixFactorization,
  table: RatingsTable,
  rows: Int32Array,
): number {
  const { nUsers, nItems, nFactors: d, unobservedWeight: a0 } = model.config;
  const p = model.parameter('userEmbedding').values;
  const q = model.parameter('itemEmbedding').values;
  const dot = (u: number, i: number): number => {
    let s = 0;
    for (let k = 0; k < d; k++) s += p[u * d + k]! * q[i * d + k]!;
    return s;
  };
  let loss = 0;
  const userCount = new Float64Array(nUsers);
  const itemCount = new Float64Array(nItems);
  for (const r of rows) {
    const u = table.userIndex[r]!;
    const i = table.itemIndex[r]!;
    loss += model.confidenceOf(table.rating[r]!) * (1 - dot(u, i)) ** 2;
    userCount[u]!++;
    itemCount[i]!++;
  }
  for (let u = 0; u < nUsers; u++) for (let i = 0; i < nItems; i++) loss += a0 * dot(u, i) ** 2;
  const norm = (t: Float32Array, x: number): number => {
    let s = 0;
    for (let k = 0; k < d; k++) s += t[x * d + k]! ** 2;
    return s;
  };
  for (let u = 0; u < nUsers; u++)
    loss += implicitRowRegularization(model.config, userCount[u]!, nItems) * norm(p, u);
  for (let i = 0; i < nItems; i++)
    loss += implicitRowRegularization(model.config, itemCount[i]!, nUsers) * norm(q, i);
  return loss;
}

describe('fitImplicitAls', () => {
  const { table } = makeSyntheticRatings({ nUsers: 30, nItems: 20, density: 0.3, seed: 5 });
  const rows = Int32Array.from({ length: table.rating.length }, (_, r) => r);

  it('never increases the iALS objective from one sweep to the next (each half-sweep is an exact minimisation)', async () => {
    const losses: number[] = [];
    for (let sweeps = 0; sweeps <= 4; sweeps++) {
      const model = await fitImplicitAls(table, rows, {
        nFactors: 4,
        sweeps,
        unobservedWeight: 0.2,
        regularization: 0.02,
      });
      losses.push(objective(model, table, rows));
    }
    for (let k = 1; k < losses.length; k++)
      expect(losses[k]!).toBeLessThanOrEqual(losses[k - 1]! * (1 + 1e-6));
    expect(losses[4]!).toBeLessThan(0.6 * losses[0]!);
  });

  it('is deterministic, and at convergence a fold-in of a training user gives back its row', async () => {
    const model = await fitImplicitAls(table, rows, { nFactors: 4, sweeps: 60 });
    const again = await fitImplicitAls(table, rows, { nFactors: 4, sweeps: 60 });
    expect(again.parameter('userEmbedding').values).toEqual(
      model.parameter('userEmbedding').values,
    );
    const user = 7;
    const mine = [...rows].filter((r) => table.userIndex[r] === user);
    const folded = model.foldInItems(
      Int32Array.from(mine, (r) => table.itemIndex[r]!),
      Float32Array.from(mine, (r) => model.confidenceOf(table.rating[r]!)),
    );
    const trainedRow = model.parameter('userEmbedding').values.subarray(user * 4, user * 4 + 4);
    const foldedRow = folded.parameter('userEmbedding').values;
    let diff = 0;
    let size = 0;
    for (let k = 0; k < 4; k++) {
      diff += Math.abs(trainedRow[k]! - foldedRow[k]!);
      size += Math.abs(trainedRow[k]!);
    }
    expect(diff).toBeLessThan(1e-3 * size);
  });

  it('the conjugate-gradient solver lowers the objective and lands close to the exact (Cholesky) fit', async () => {
    const options = { nFactors: 4, unobservedWeight: 0.2, regularization: 0.02 };
    const start = objective(
      await fitImplicitAls(table, rows, { ...options, sweeps: 0 }),
      table,
      rows,
    );
    const exact = objective(
      await fitImplicitAls(table, rows, { ...options, sweeps: 8 }),
      table,
      rows,
    );
    const cg = await fitImplicitAls(table, rows, {
      ...options,
      sweeps: 8,
      solver: 'conjugate-gradient',
      conjugateGradientSteps: 3,
    });
    const approximate = objective(cg, table, rows);
    expect(approximate).toBeLessThan(0.6 * start);
    expect(approximate).toBeLessThan(exact * 1.02);
    const again = await fitImplicitAls(table, rows, {
      ...options,
      sweeps: 8,
      solver: 'conjugate-gradient',
      conjugateGradientSteps: 3,
    });
    expect(again.parameter('itemEmbedding').values).toEqual(cg.parameter('itemEmbedding').values);
  });

  it('weights ratings by the confidence map', async () => {
    const rated = await fitImplicitAls(table, rows, { sweeps: 1, nFactors: 2 });
    // by default from the table's relevance threshold (4 stars on MovieLens' scale)
    expect(rated.config.confidence).toEqual({
      threshold: defaultRelevanceThreshold(table),
      atOrAbove: 1,
      below: 0.1,
    });
    const flat = await fitImplicitAls(table, rows, { sweeps: 1, nFactors: 2, confidence: null });
    expect(flat.config.confidence).toBeNull();
    expect(flat.parameter('itemEmbedding').values).not.toEqual(
      rated.parameter('itemEmbedding').values,
    );
  });
});

describe('fitImplicitAls under a stop signal', () => {
  it('lets a timer run while it solves and stops soon after the signal is aborted', async () => {
    const { table } = makeSyntheticRatings({ nUsers: 30, nItems: 20, density: 0.3, seed: 5 });
    const rows = Int32Array.from({ length: table.rating.length }, (_, r) => r);
    const controller = new AbortController();
    // a synchronous fit would run every sweep before this timer could fire
    setTimeout(() => controller.abort(), 0);
    let sweepsDone = 0;
    const model = await fitImplicitAls(table, rows, {
      nFactors: 4,
      sweeps: 200_000,
      signal: controller.signal,
      onSweep: () => sweepsDone++,
    });
    expect(controller.signal.aborted).toBe(true);
    expect(sweepsDone).toBeGreaterThan(0);
    expect(sweepsDone).toBeLessThan(200_000);
    expect(model.parameter('userEmbedding').values.every(Number.isFinite)).toBe(true);
  });

  it('stops inside a half-sweep: a table whose one sweep takes seconds is left within it', async () => {
    // 20,000 users: one user half-sweep is far longer than the 50 ms between yields on any machine
    const { table } = makeSyntheticRatings({ nUsers: 20_000, nItems: 40, density: 0.2, seed: 2 });
    const rows = Int32Array.from({ length: table.rating.length }, (_, r) => r);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 0);
    let sweepsDone = 0;
    await fitImplicitAls(table, rows, {
      nFactors: 32,
      sweeps: 1,
      signal: controller.signal,
      onSweep: () => sweepsDone++,
    });
    // a fit that yielded only between sweeps would have finished its one sweep
    expect(sweepsDone).toBe(0);
  });

  it('does no sweep when the signal is aborted before it starts', async () => {
    const { table } = makeSyntheticRatings({ nUsers: 5, nItems: 5, density: 0.5, seed: 1 });
    let sweepsDone = 0;
    await fitImplicitAls(table, Int32Array.of(0, 1, 2), {
      signal: AbortSignal.abort(),
      onSweep: () => sweepsDone++,
    });
    expect(sweepsDone).toBe(0);
  });
});

describeEachBackend('fitImplicitAls on an implicit table', () => {
  it('counts every row 1', async () => {
    const implicit = createRatingsTable(
      [
        { userId: 'a', itemId: 'x' },
        { userId: 'a', itemId: 'y' },
        { userId: 'b', itemId: 'y' },
      ],
      { implicit: true },
    );
    const model = await fitImplicitAls(implicit, Int32Array.of(0, 1, 2), {
      sweeps: 2,
      nFactors: 2,
    });
    expect(model.config.confidence).toBeNull();
    expect(model.confidenceOf(1)).toBe(1);
    // user b interacted with y only: y must outscore x for b
    const scores = model.predict(Int32Array.of(1, 1), Int32Array.of(0, 1));
    expect(scores[1]!).toBeGreaterThan(scores[0]!);
  });
});

describe('fitImplicitAls arguments', () => {
  const { table } = makeSyntheticRatings({ nUsers: 5, nItems: 5, density: 0.5, seed: 1 });
  const rows = Int32Array.of(0, 1, 2);
  it('refuses no rows and a bad number of sweeps', async () => {
    await expect(fitImplicitAls(table, new Int32Array(0))).rejects.toThrow(
      /at least one training row/,
    );
    await expect(fitImplicitAls(table, rows, { sweeps: -1 })).rejects.toThrow(
      /non-negative integer/,
    );
  });
  it('refuses an unknown solver and a bad number of conjugate-gradient steps', async () => {
    await expect(
      fitImplicitAls(table, rows, { solver: 'lu' as unknown as 'cholesky' }),
    ).rejects.toThrow(/'cholesky' or 'conjugate-gradient'/);
    await expect(
      fitImplicitAls(table, rows, { solver: 'conjugate-gradient', conjugateGradientSteps: 0 }),
    ).rejects.toThrow(/positive integer/);
  });
});
