// Issue #13's "will rate it × will like it" on the inner split of cvIdx 0 (@cf/data's innerSplit,
// as topn-selection.ts): the topn recipe's iALS (exposure) plus β times the rating the `fastai`
// recipe's EmbeddingDotBias predicts (a neural rating model), ranked by rankingMetrics on the
// inner validation rows. The reported validation rows are never read.
// Usage: CF_DATA_DIR=../shared/datasets node --import tsx src/topn-two-stage.ts
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { innerSplit, splitByCvIdxs } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { createEnsemble } from '@cf/model';
import {
  RECIPE_DEFAULTS,
  defaultRatingConfidence,
  fitImplicitAls,
  rankingMetrics,
  runRecipe,
} from '@cf/trainer';

const root = process.env['CF_DATA_DIR'];
if (!root) throw new Error('set CF_DATA_DIR to the folder that contains ml-latest-small/');
await tf.setBackend('cpu');
const { table } = await loadRatings(join(root, 'ml-latest-small'));
const inner = innerSplit(splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 }));
const topn = RECIPE_DEFAULTS.topn;

let started = performance.now();
const ials = await fitImplicitAls(table, inner.train, {
  nFactors: topn.nFactors,
  solver: topn.solver,
  conjugateGradientSteps: topn.conjugateGradientSteps,
  confidence: defaultRatingConfidence(table, topn.confidence),
});
const ialsSeconds = (performance.now() - started) / 1000;
started = performance.now();
const rating = await runRecipe('fastai', table, inner);
const ratingSeconds = (performance.now() - started) / 1000;
console.log(
  `iALS ${ialsSeconds.toFixed(1)} s; fastai EmbeddingDotBias ${ratingSeconds.toFixed(1)} s, inner RMSE ${rating.rmse.toFixed(4)}`,
);
for (const beta of [0, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3]) {
  // ratings only shift every item of a user by the same amount, so no centring is needed
  const blend = createEnsemble([ials, rating.model], {
    weights: [1, beta],
    ratingRange: [-1e9, 1e9],
  });
  const m = rankingMetrics(blend, table, inner, { k: 10 });
  console.log(
    `| iALS + ${beta} · EmbeddingDotBias rating | ${m.ndcgAtK.toFixed(4)} | ${m.recallAtK.toFixed(4)} |`,
  );
}
