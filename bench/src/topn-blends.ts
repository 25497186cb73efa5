// Blends for the topn recipe, on the same inner split as topn-selection.ts (cvIdx 0's training
// rows, @cf/data's innerSplit): iALS scores plus a rating signal.
// Usage: CF_DATA_DIR=../shared/datasets node --import tsx src/topn-blends.ts '<iALS options JSON>'
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { innerSplit, splitByCvIdxs } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { fitBiasBaseline, type RatingModel } from '@cf/model';
import { fitImplicitAls, rankingMetrics, runRecipe } from '@cf/trainer';

const root = process.env['CF_DATA_DIR'];
if (!root) throw new Error('set CF_DATA_DIR to the folder that contains ml-latest-small/');
await tf.setBackend('cpu');
const { table } = await loadRatings(join(root, 'ml-latest-small'));
const outer = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
const inner = innerSplit(outer);

const options = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
let started = performance.now();
const ials = fitImplicitAls(table, inner.train, options);
const ialsSeconds = (performance.now() - started) / 1000;
const baseline = fitBiasBaseline(table, inner.train);
started = performance.now();
const fastai = (await runRecipe('fastai', table, inner)).model;
const fastaiSeconds = (performance.now() - started) / 1000;
const mean = table.stats.meanRating;

/** `a + β · (b − centre)` as a model for rankingMetrics. */
function blend(a: RatingModel, b: RatingModel, beta: number, centre: number): RatingModel {
  return {
    ...a,
    predict: (u: Int32Array, i: Int32Array) => {
      const x = a.predict(u, i).slice();
      const y = b.predict(u, i);
      for (let k = 0; k < x.length; k++) x[k] = x[k]! + beta * (y[k]! - centre);
      return x;
    },
  } as RatingModel;
}
const row = (name: string, m: RatingModel): void => {
  const r = rankingMetrics(m, table, inner, { k: 10 });
  console.log(`| ${name} | ${r.ndcgAtK.toFixed(4)} | ${r.recallAtK.toFixed(4)} |`);
};
console.log(
  `iALS ${JSON.stringify(options)}: ${ialsSeconds.toFixed(1)} s; fastai ${fastaiSeconds.toFixed(1)} s`,
);
row('iALS', ials);
for (const beta of [0.02, 0.05, 0.1, 0.2])
  row(`iALS + ${beta}·(bias baseline − mean)`, blend(ials, baseline, beta, mean));
for (const beta of [0.02, 0.05, 0.1, 0.2])
  row(`iALS + ${beta}·(fastai − mean)`, blend(ials, fastai, beta, mean));
