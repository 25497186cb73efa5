import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { splitByCvIdxs, type RatingsTable, type Split } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { realDataDir } from '@cf/test-utils';
import { rankingMetrics } from './ranking-metrics.js';
import { runRecipe } from './recipes.js';

// The accuracy claims of the README, on the real ml-latest-small with getCvIdxs (cvIdx 0, seed 42).
// Reference: PyTorch 1.13 runs of the same recipes (see the trainer README).
// One backend only: training runs the fused host engine on both cpu and wasm, so a second run
// would repeat the same arithmetic; engine parity is covered by fit.test.ts on every backend.
const dir = realDataDir('ml-latest-small');

describe.skipIf(!dir)('recipes on ml-latest-small (CF_DATA_DIR)', () => {
  let table: RatingsTable;
  let split: Split;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    table = (await loadRatings(dir!)).table;
    split = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
  });

  it('the notebook recipe (EmbeddingNet, fit 5 + setLrs + fit 10) lands within ±0.005 of PyTorch’s 0.8750', async () => {
    const result = await runRecipe('notebook', table, split, { seed: 42 });
    console.log(
      `notebook recipe: rmse ${result.rmse.toFixed(4)}, baseline ${result.baselineRmse.toFixed(4)}, ${result.secondsPerEpoch.toFixed(2)} s/epoch`,
    );
    expect(result.fits.map((f) => f.length)).toEqual([5, 10]);
    expect(result.rmse).toBeGreaterThan(0.875 - 0.005);
    expect(result.rmse).toBeLessThan(0.875 + 0.005);
    expect(result.baselineRmse).toBeCloseTo(0.8824, 3);
    expect(result.rmse).toBeLessThan(result.baselineRmse);
    result.model.dispose();
  }, 300_000);

  // The default (lazy, row-sparse with catch-up) and the PyTorch-exact dense mode both hold the bound.
  it.each(['lazy', 'dense'] as const)(
    'the fastai v2 recipe (EmbeddingDotBias, fitOneCycle 5 × 5e-3, wd 0.1) with %s updates lands within ±0.005 of PyTorch’s 0.8483',
    async (embeddingUpdate) => {
      const result = await runRecipe('fastai', table, split, { seed: 42, embeddingUpdate });
      console.log(
        `fastai recipe (${embeddingUpdate}): rmse ${result.rmse.toFixed(4)}, baseline ${result.baselineRmse.toFixed(4)}, ${result.secondsPerEpoch.toFixed(2)} s/epoch`,
      );
      expect(result.rmse).toBeGreaterThan(0.8483 - 0.005);
      expect(result.rmse).toBeLessThan(0.8483 + 0.005);
      result.model.dispose();
    },
    300_000,
  );

  // The top-N claim: relevant = rating ≥ 4, all items ranked, training items excluded. Anchors
  // (numpy, issue #13): popularity 0.158, EASE 0.293, rating-weighted EASE 0.318. The recipe
  // (128-factor iALS by conjugate gradient) gave 0.3142 / 0.2206.
  it('the topn recipe (iALS blended with the softmax retrieval model) ranks ahead of popularity and plain EASE: NDCG@10 ≥ 0.312, recall@10 ≥ 0.215 on cvIdx 0', async () => {
    const result = await runRecipe('topn', table, split);
    const m = rankingMetrics(result.model, table, split, { k: 10 });
    console.log(
      `topn recipe: NDCG@10 ${m.ndcgAtK.toFixed(4)}, recall@10 ${m.recallAtK.toFixed(4)}, ${m.users} users, ${result.trainSeconds.toFixed(1)} s`,
    );
    expect(m.users).toBe(599);
    expect(m.ndcgAtK).toBeGreaterThanOrEqual(0.312); // 0.3164 measured
    expect(m.recallAtK).toBeGreaterThanOrEqual(0.215);
    result.model.dispose();
  }, 300_000);

  it('the topn-softmax recipe (the neural retrieval model) is ahead of PureSVD: NDCG@10 ≥ 0.28, recall@10 ≥ 0.19 on cvIdx 0', async () => {
    const result = await runRecipe('topn-softmax', table, split);
    const m = rankingMetrics(result.model, table, split, { k: 10 });
    console.log(
      `topn-softmax recipe: NDCG@10 ${m.ndcgAtK.toFixed(4)}, recall@10 ${m.recallAtK.toFixed(4)}, ${m.users} users, ${result.trainSeconds.toFixed(1)} s`,
    );
    expect(m.users).toBe(599);
    expect(m.ndcgAtK).toBeGreaterThanOrEqual(0.28);
    expect(m.recallAtK).toBeGreaterThanOrEqual(0.19);
    result.model.dispose();
  }, 300_000);
});
