import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { splitByCvIdxs, type RatingsTable, type Split } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { realDataDir } from '@cf/test-utils';
import { rankingMetrics } from './ranking-metrics.js';
import { runRecipe } from './recipes.js';

// The top-N claim of the README on the real ml-latest-small, getCvIdxs cvIdx 0 (valPct 0.2, seed
// 42), by the trainer's rankingMetrics protocol (relevant = rating ≥ 4, all items ranked, training
// items excluded). Anchors (numpy, issue #13): popularity 0.158, EASE λ 200 0.293, rating-weighted
// EASE 0.318. One backend: iALS runs on the host, identically on cpu and wasm (the unit tests run both).
const dir = realDataDir('ml-latest-small');

describe.skipIf(!dir)('the topn recipe on ml-latest-small (CF_DATA_DIR)', () => {
  let table: RatingsTable;
  let split: Split;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    table = (await loadRatings(dir!)).table;
    split = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
  });

  it('ranks ahead of popularity and plain EASE: NDCG@10 ≥ 0.30, recall@10 ≥ 0.21 on cvIdx 0', async () => {
    const result = await runRecipe('topn', table, split);
    const m = rankingMetrics(result.model, table, split, { k: 10 });
    console.log(
      `topn recipe: NDCG@10 ${m.ndcgAtK.toFixed(4)}, recall@10 ${m.recallAtK.toFixed(4)}, ${m.users} users, ${result.trainSeconds.toFixed(1)} s`,
    );
    expect(m.users).toBe(599);
    expect(m.ndcgAtK).toBeGreaterThanOrEqual(0.3);
    expect(m.recallAtK).toBeGreaterThanOrEqual(0.21);
    result.model.dispose();
  }, 300_000);
});
