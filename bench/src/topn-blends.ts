// Blends for the topn recipe, on the same inner split as topn-selection.ts (cvIdx 0's training
// rows, @cf/data's innerSplit): iALS alone, BPR alone, iALS plus a rating signal, iALS plus BPR.
// Usage: CF_DATA_DIR=../shared/datasets node --import tsx src/topn-blends.ts '<iALS options>' '<BPR options>'
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { innerSplit, splitByCvIdxs } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { fitBiasBaseline, type RatingModel } from '@cf/model';
import { fitBpr, fitImplicitAls, rankingMetrics } from '@cf/trainer';

const root = process.env['CF_DATA_DIR'];
if (!root) throw new Error('set CF_DATA_DIR to the folder that contains ml-latest-small/');
await tf.setBackend('cpu');
const { table } = await loadRatings(join(root, 'ml-latest-small'));
const inner = innerSplit(splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 }));

const ialsOptions = JSON.parse(process.argv[2] ?? '{}') as Record<string, unknown>;
const bprOptions = JSON.parse(process.argv[3] ?? '{}') as Record<string, unknown>;
let started = performance.now();
const ials = await fitImplicitAls(table, inner.train, ialsOptions);
const ialsSeconds = (performance.now() - started) / 1000;
started = performance.now();
const bpr = fitBpr(table, inner.train, bprOptions);
const bprSeconds = (performance.now() - started) / 1000;
const baseline = fitBiasBaseline(table, inner.train);
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
  };
}
/** Spread of a model's scores over a fixed sample of (user, item) pairs, to put two models on one scale. */
function spread(m: RatingModel): number {
  const n = 20000;
  const u = Int32Array.from({ length: n }, (_, k) => (k * 7919) % table.userIds.size);
  const i = Int32Array.from({ length: n }, (_, k) => (k * 104729) % table.itemIds.size);
  const s = m.predict(u, i);
  let m1 = 0;
  for (const x of s) m1 += x / n;
  let v = 0;
  for (const x of s) v += (x - m1) ** 2 / n;
  return Math.sqrt(v);
}
const row = (name: string, m: RatingModel): void => {
  const r = rankingMetrics(m, table, inner, { k: 10 });
  console.log(`| ${name} | ${r.ndcgAtK.toFixed(4)} | ${r.recallAtK.toFixed(4)} |`);
};
console.log(
  `iALS ${JSON.stringify(ialsOptions)}: ${ialsSeconds.toFixed(1)} s; BPR ${JSON.stringify(bprOptions)}: ${bprSeconds.toFixed(1)} s`,
);
row('iALS', ials);
row('BPR', bpr);
for (const beta of [0.01, 0.02, 0.04])
  row(`iALS + ${beta}·(bias baseline − mean)`, blend(ials, baseline, beta, mean));
const scale = spread(ials) / spread(bpr);
for (const w of [0.25, 0.5, 1])
  row(`iALS + ${w}·BPR (on iALS's scale)`, blend(ials, bpr, w * scale, 0));
