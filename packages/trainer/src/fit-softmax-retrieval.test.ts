import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { createRatingsTable, type RatingsTable } from '@cf/data';
import { SeededRandom, createTrainedModel, loadModel, saveModel } from '@cf/model';
import { describeEachBackend, maxAbsDiff } from '@cf/test-utils';
import { AliasTable, fitSoftmaxRetrieval, softmaxBlockGradients } from './fit-softmax-retrieval.js';

/**
 * Two taste groups: users 0–19 like items 0–9 (rating 5), users 20–39 items 10–19; each user rates
 * six items of their group and, with rating 1, three of the filler items 20–29.
 */
function plantedTable(): RatingsTable {
  const random = new SeededRandom(5);
  const rows: { userId: number; itemId: number; rating: number }[] = [];
  for (let u = 0; u < 40; u++) {
    const group = u < 20 ? 0 : 10;
    const liked = new Set<number>();
    while (liked.size < 6) liked.add(group + Math.floor(random.next() * 10));
    const filler = new Set<number>();
    while (filler.size < 3) filler.add(20 + Math.floor(random.next() * 10));
    for (const i of liked) rows.push({ userId: u, itemId: i, rating: 5 });
    for (const i of filler) rows.push({ userId: u, itemId: i, rating: 1 });
  }
  return createRatingsTable(rows);
}

const allRows = (table: RatingsTable): Int32Array =>
  Int32Array.from({ length: table.rating.length }, (_, r) => r);

describeEachBackend('fitSoftmaxRetrieval', () => {
  const table = plantedTable();
  const rows = allRows(table);

  it.each(['full', 'sampled'] as const)(
    'with the %s softmax, lowers the loss and ranks an unseen item of the user’s own group first',
    async (softmax) => {
      const losses: number[] = [];
      const model = await fitSoftmaxRetrieval(table, rows, {
        nFactors: 8,
        epochs: 40,
        lr: 0.05,
        l2: 1e-2,
        usersPerStep: 8,
        softmax,
        sampledItems: 16,
        onEpoch: (info) => {
          expect(info.softmax).toBe(softmax);
          losses.push(info.loss);
        },
      });
      expect(model.config).toMatchObject({ type: 'implicit-mf', nFactors: 9 });
      expect(losses[39]!).toBeLessThan(0.8 * losses[0]!);
      const trained = createTrainedModel(model, table, { trainRows: rows });
      let hits = 0;
      for (let u = 0; u < 40; u++) {
        const [top] = trained.recommend(table.userIds.idAt(u), { k: 1 });
        const item = top!.itemId as number;
        if ((u < 20 && item < 10) || (u >= 20 && item >= 10 && item < 20)) hits++;
      }
      // an untrained model picks the group's items for about a third of the users
      expect(hits).toBeGreaterThanOrEqual(38);
      trained.dispose();
    },
  );

  it.each([
    [
      'weighs a positive by its rating: each user’s rating-1 items score below their rating-5 ones',
      undefined,
      38,
    ],
    ['with every row weighing 1 (confidence null) they do not', null, -1],
  ] as const)('%s', async (_name, confidence, atLeast) => {
    const model = await fitSoftmaxRetrieval(table, rows, {
      nFactors: 8,
      epochs: 30,
      lr: 0.05,
      l2: 1e-2,
      usersPerStep: 8,
      ...(confidence === null ? { confidence } : {}),
    });
    let ordered = 0;
    for (let u = 0; u < 40; u++) {
      const liked: number[] = [];
      const fillers: number[] = [];
      for (const r of rows) {
        if (table.userIndex[r] !== u) continue;
        const score = model.predict(Int32Array.of(u), Int32Array.of(table.itemIndex[r]!))[0]!;
        (table.rating[r]! >= 4 ? liked : fillers).push(score);
      }
      if (Math.min(...liked) > Math.max(...fillers)) ordered++;
    }
    if (atLeast > 0) expect(ordered).toBeGreaterThanOrEqual(atLeast);
    else expect(ordered).toBeLessThan(30);
    model.dispose();
  });

  it('saves, loads and folds a new user in (the closed-form row solve against its item rows)', async () => {
    const model = await fitSoftmaxRetrieval(table, rows, { nFactors: 8, epochs: 30, lr: 0.05 });
    const trained = createTrainedModel(model, table, { trainRows: rows });
    let saved: tf.io.ModelArtifacts | undefined;
    await saveModel(
      trained,
      tf.io.withSaveHandler((artifacts) => {
        saved = artifacts;
        return Promise.resolve({
          modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts),
        });
      }),
    );
    const loaded = await loadModel(tf.io.fromMemory(saved!));
    expect(loaded.model.config).toEqual(model.config);
    const userId = table.userIds.idAt(25);
    expect(loaded.recommend(userId, { k: 5 })).toEqual(trained.recommend(userId, { k: 5 }));
    // a new user who liked four items of the second group gets the other items of that group
    const folded = loaded.foldInUser([10, 11, 12, 13].map((itemId) => ({ itemId, rating: 5 })));
    const recs = folded.recommend({ k: 3 }).map((r) => r.itemId as number);
    for (const item of recs) expect(item >= 14 && item < 20).toBe(true);
    folded.dispose();
    loaded.dispose();
    trained.dispose();
  });
});

describe('softmaxBlockGradients', () => {
  // three users, 12 items, random factors; the gradient of the full softmax against the mean of
  // many sampled-softmax gradients with popularity-skewed draws
  const d = 4;
  const nItems = 12;
  const random = new SeededRandom(3);
  const userRows = Float64Array.from({ length: 3 * d }, () => random.normal());
  const itemFactors = Float32Array.from({ length: nItems * d }, () => random.normal() * 0.7);
  const itemBias = Float32Array.from({ length: nItems }, () => random.normal() * 0.5);
  const positives = {
    offsets: Int32Array.of(0, 2, 3, 5),
    items: Int32Array.of(1, 4, 7, 0, 11),
    weights: Float32Array.of(1, 0.5, 1, 1, 0.1),
  };
  const gradients = (candidates: Int32Array, logQ: Float64Array | null) => {
    const userGrad = new Float64Array(3 * d);
    softmaxBlockGradients(
      userRows,
      d,
      itemFactors,
      itemBias,
      candidates,
      logQ,
      positives,
      1,
      1,
      new Float64Array(3 * candidates.length),
      userGrad,
      new Float64Array(nItems * d),
      new Float64Array(nItems),
    );
    return userGrad;
  };

  it('matches finite differences of the full softmax loss', () => {
    const all = Int32Array.from({ length: nItems }, (_, j) => j);
    const loss = (rows: Float64Array): number =>
      softmaxBlockGradients(
        rows,
        d,
        itemFactors,
        itemBias,
        all,
        null,
        positives,
        1,
        1,
        new Float64Array(3 * nItems),
        new Float64Array(3 * d),
        new Float64Array(nItems * d),
        new Float64Array(nItems),
      );
    const grad = gradients(all, null);
    for (let k = 0; k < 3 * d; k++) {
      const up = userRows.slice();
      const down = userRows.slice();
      up[k] = up[k]! + 1e-5;
      down[k] = down[k]! - 1e-5;
      expect(grad[k]!).toBeCloseTo((loss(up) - loss(down)) / 2e-5, 5);
    }
  });

  it('the thinned backward pass (about K terms per user) agrees with the exact one in expectation', () => {
    const all = Int32Array.from({ length: nItems }, (_, j) => j);
    const exact = gradients(all, null);
    const thinned = (random: SeededRandom) => {
      const userGrad = new Float64Array(3 * d);
      softmaxBlockGradients(
        userRows,
        d,
        itemFactors,
        itemBias,
        all,
        null,
        positives,
        1,
        1,
        new Float64Array(3 * nItems),
        userGrad,
        new Float64Array(nItems * d),
        new Float64Array(nItems),
        { expectedKept: 2, random },
      );
      return userGrad;
    };
    const random = new SeededRandom(4);
    const one = thinned(random);
    expect(maxAbsDiff(one, exact)).toBeGreaterThan(0); // a single draw drops terms
    const mean = new Float64Array(3 * d);
    const reps = 4000;
    for (let rep = 0; rep < reps; rep++) {
      const g = thinned(random);
      for (let k = 0; k < 3 * d; k++) mean[k] = mean[k]! + g[k]! / reps;
    }
    expect(maxAbsDiff(mean, exact)).toBeLessThan(0.02 * Math.max(...exact.map(Math.abs)));
  });

  it('sampled with the log-Q correction agrees with the full softmax in expectation; uncorrected it does not', () => {
    const full = gradients(
      Int32Array.from({ length: nItems }, (_, j) => j),
      null,
    );
    // q_j ∝ j + 1: the most popular item is drawn 12 times as often as the least
    const q = Float64Array.from({ length: nItems }, (_, j) => (j + 1) / 78);
    const S = 400;
    const draw = new SeededRandom(9);
    const corrected = new Float64Array(3 * d);
    const uncorrected = new Float64Array(3 * d);
    const reps = 200;
    for (let rep = 0; rep < reps; rep++) {
      const candidates = new Int32Array(S);
      const logQ = new Float64Array(S);
      for (let c = 0; c < S; c++) {
        let x = draw.next();
        let j = 0;
        while (j < nItems - 1 && x >= q[j]!) x -= q[j++]!;
        candidates[c] = j;
        logQ[c] = Math.log(S * q[j]!);
      }
      const g = gradients(candidates, logQ);
      const h = gradients(candidates, null);
      for (let k = 0; k < 3 * d; k++) {
        corrected[k] = corrected[k]! + g[k]! / reps;
        uncorrected[k] = uncorrected[k]! + h[k]! / reps;
      }
    }
    const scale = Math.max(...full.map(Math.abs));
    expect(maxAbsDiff(corrected, full)).toBeLessThan(0.02 * scale);
    expect(maxAbsDiff(uncorrected, full)).toBeGreaterThan(0.1 * scale);
  });
});

it('the alias table draws each item in proportion to its weight', () => {
  const weights = Float64Array.of(1, 0, 5, 2, 12);
  const table = new AliasTable(weights);
  const random = new SeededRandom(1);
  const counts = new Float64Array(5);
  const n = 200_000;
  for (let k = 0; k < n; k++) counts[table.draw(random)]! += 1;
  for (let j = 0; j < 5; j++) expect(counts[j]! / n).toBeCloseTo(weights[j]! / 20, 2);
});

describe('fitSoftmaxRetrieval arguments', () => {
  const table = createRatingsTable([
    { userId: 1, itemId: 1, rating: 5 },
    { userId: 1, itemId: 2, rating: 2 },
  ]);
  it('refuses no rows, bad numbers and an unknown softmax', async () => {
    await expect(fitSoftmaxRetrieval(table, new Int32Array(0))).rejects.toThrow(
      /at least one training row/,
    );
    await expect(fitSoftmaxRetrieval(table, Int32Array.of(0), { epochs: -1 })).rejects.toThrow(
      /epochs/,
    );
    await expect(fitSoftmaxRetrieval(table, Int32Array.of(0), { nFactors: 0 })).rejects.toThrow(
      /nFactors/,
    );
    await expect(fitSoftmaxRetrieval(table, Int32Array.of(0), { temperature: 0 })).rejects.toThrow(
      /temperature/,
    );
    await expect(
      fitSoftmaxRetrieval(table, Int32Array.of(0), { softmax: 'partial' as 'full' }),
    ).rejects.toThrow(/'auto', 'full' or 'sampled'/);
  });
  it('refuses rows that all weigh 0', async () => {
    await expect(
      fitSoftmaxRetrieval(table, Int32Array.of(1), {
        confidence: { threshold: 4, atOrAbove: 1, below: 0 },
      }),
    ).rejects.toThrow(/weight 0/);
  });
});
