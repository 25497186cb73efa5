import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { splitByCvIdxs, type RatingsTable, type Split } from '@cf/data';
import { createModelFromConfig } from '@cf/model';
import { loadRatings } from '@cf/data/node';
import { realDataDir } from '@cf/test-utils';
import { runRecipe } from './recipes.js';

// The `best` recipe's accuracy claim of the README (section "Accuracy"), on the real
// ml-latest-small with getCvIdxs (cvIdx 0, seed 42). Its hyper-parameters were chosen on an inner
// split of the training rows only (the ensemble weight too); this fold's validation rows were never
// used to choose them. One backend: the Gibbs sampler is host arithmetic, and the gradient-trained
// member and prediction use the fused engine.
const dir = realDataDir('ml-latest-small');

describe.skipIf(!dir)('the best recipe on ml-latest-small (CF_DATA_DIR)', () => {
  let table: RatingsTable;
  let split: Split;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    table = (await loadRatings(dir!)).table;
    split = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
  });

  it('reaches RMSE ≤ 0.835 on cvIdx 0 (measured 0.8340), beating the fastai recipe’s 0.8484, and survives a config round trip', async () => {
    const result = await runRecipe('best', table, split, { seed: 42 });
    console.log(
      `best recipe: rmse ${result.rmse.toFixed(4)}, mae ${result.mae.toFixed(4)}, baseline ${result.baselineRmse.toFixed(4)}, ${result.trainSeconds.toFixed(1)} s`,
    );
    // Measured 0.8340 (seed 42): the goal (≤ 0.835) is met; see the README.
    expect(result.rmse).toBeLessThanOrEqual(0.835);
    expect(result.rmse).toBeLessThan(result.baselineRmse);
    expect(result.model.config.type).toBe('ensemble');
    const rebuilt = createModelFromConfig(
      result.model.config,
      Object.fromEntries(result.model.parameters.map((p) => [p.name, p.values])),
    );
    const u = Int32Array.from(split.valid.subarray(0, 100), (r) => table.userIndex[r]!);
    const i = Int32Array.from(split.valid.subarray(0, 100), (r) => table.itemIndex[r]!);
    expect([...rebuilt.predict(u, i)]).toEqual([...result.model.predict(u, i)]);
    rebuilt.dispose();
    result.model.dispose();
  }, 300_000);
});
