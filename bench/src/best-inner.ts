// Selection harness of the `best` recipe (issue 17): one member trained on an inner split of a
// fold's training rows, its inner-validation predictions written for blending. The inner split is
// the trainer README's: the fold's training rows (ml-100k u<k>.base, or ml-latest-small cvIdx k's
// training rows from getCvIdxs valPct 0.2 seed 42) shuffled by SeededRandom(2024), 15 % held out.
// The fold's validation rows are never read. Usage:
//   CF_DATA_DIR=../shared/datasets node --import tsx src/best-inner.ts <u1|cv0|...> <member> <outDir>
// member: bayes | bayes-svdpp (Bayesian MF with implicit feedback) | autorec | recent (the
// recent-ratings offset, weight 1; TAU=<s> overrides τ) | best (the whole recipe:
// its inner RMSE, and each member's own predictions, for fitting the blend). Writes <outDir>/<fold>.<member>.json ({ rmse, cpuSeconds,
// predictions: number[][] }; SEED=<n> sets a bayes or autorec member's seed and adds .s<n> to the
// name), <outDir>/<fold>.split.json (the inner rows) and <outDir>/<fold>.valid.json (the inner-validation ratings).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { splitByCvIdxs, type RatingsTable } from '@cf/data';
import { loadPredefinedFolds, loadRatings } from '@cf/data/node';
import { SeededRandom } from '@cf/model';
import {
  fitBayesianMf,
  fitItemAutoRec,
  fitRecentRatingsOffset,
  runRecipe,
  RECIPE_DEFAULTS,
} from '@cf/trainer';

await tf.setBackend('cpu');
const [which = 'u1', member = 'bayes', outDir = '.'] = process.argv.slice(2);
const root = process.env['CF_DATA_DIR'];
if (!root) throw new Error('set CF_DATA_DIR to the directory holding ml-100k and ml-latest-small');
let table: RatingsTable;
let train: Int32Array;
if (which.startsWith('u')) {
  const p = await loadPredefinedFolds(join(root, 'ml-100k'));
  table = p.table;
  train = p.folds[Number(which.slice(1)) - 1]!.train;
} else {
  table = (await loadRatings(join(root, 'ml-latest-small'))).table;
  train = splitByCvIdxs(table, { cvIdx: Number(which.slice(2)), valPct: 0.2, seed: 42 }).train;
}
const shuffled = Array.from(train);
const random = new SeededRandom(2024);
for (let k = shuffled.length - 1; k > 0; k--) {
  const j = Math.floor(random.next() * (k + 1));
  [shuffled[k], shuffled[j]] = [shuffled[j]!, shuffled[k]!];
}
const nValid = Math.round(shuffled.length * 0.15);
const innerValid = Int32Array.from(shuffled.slice(0, nValid));
const innerTrain = Int32Array.from(shuffled.slice(nValid));
const users = Int32Array.from(innerValid, (r) => table.userIndex[r]!);
const items = Int32Array.from(innerValid, (r) => table.itemIndex[r]!);
const truth = Array.from(innerValid, (r) => table.rating[r]!);
writeFileSync(join(outDir, `${which}.valid.json`), JSON.stringify(truth));
// The inner split itself (user index, item index, rating, timestamp per row), for prototypes
// outside TypeScript (bench/numpy) that must see exactly these rows.
const rowsOf = (rows: Int32Array): number[][] =>
  Array.from(rows, (r) => [
    table.userIndex[r]!,
    table.itemIndex[r]!,
    table.rating[r]!,
    table.timestamp?.[r] ?? 0,
  ]);
writeFileSync(
  join(outDir, `${which}.split.json`),
  JSON.stringify({ train: rowsOf(innerTrain), valid: rowsOf(innerValid) }),
);
const rmseOf = (p: ArrayLike<number>): number => {
  let se = 0;
  for (let k = 0; k < p.length; k++) se += (p[k]! - truth[k]!) ** 2;
  return Math.sqrt(se / p.length);
};
const best = RECIPE_DEFAULTS.best;
const c0 = process.cpuUsage();
let predictions: number[][];
if (member === 'bayes' || member === 'bayes-svdpp') {
  const model = await fitBayesianMf(table, innerTrain, {
    nFactors: best.nFactors,
    sweeps: Number(process.env['SWEEPS'] ?? best.sweeps),
    burnIn: best.burnIn,
    thin: best.thin,
    rank: best.rank,
    seed: Number(process.env['SEED'] ?? 42),
    implicitFeedback: member === 'bayes-svdpp',
  });
  predictions = [Array.from(model.predict(users, items))];
  model.dispose();
} else if (member === 'autorec') {
  const model = await fitItemAutoRec(table, innerTrain, {
    ...best.autorec,
    seed: Number(process.env['SEED'] ?? 42),
  });
  predictions = [Array.from(model.predict(users, items))];
  model.dispose();
} else if (member === 'recent') {
  // the recent-ratings offset with weight 1 (its weight is fitted on these predictions)
  const offset = fitRecentRatingsOffset(table, innerTrain, {
    ...RECIPE_DEFAULTS.best.recentRatings,
    ...(process.env['TAU'] ? { tau: Number(process.env['TAU']) } : {}),
    weight: 1,
  });
  const times = Float64Array.from(innerValid, (r) => table.timestamp![r]!);
  predictions = [Array.from(offset.predict(users, times))];
} else if (member === 'best') {
  const res = await runRecipe(
    'best',
    table,
    { train: innerTrain, valid: innerValid },
    { seed: 42 },
  );
  console.log(`${which}: the whole recipe, inner RMSE ${res.rmse.toFixed(4)}`);
  const ensemble = res.model as unknown as {
    members: { predict(u: Int32Array, i: Int32Array): Float32Array }[];
  };
  // The linear members are stored scaled per item (scaleByItem: g_i · member + offset_i, with
  // g_i = a + b·s_i, s_i = 1/√(1 + n_i)); undo that to get each member's own clipped prediction.
  const counts = new Float64Array(table.itemIds.size);
  for (const r of innerTrain) counts[table.itemIndex[r]!]!++;
  const { bayes, autorec, offset } = best.blend;
  const [lo, hi] = [table.stats.minRating, table.stats.maxRating];
  const unscale = (p: Float32Array, gate: readonly number[], off?: readonly number[]): number[] =>
    Array.from(p, (x, k) => {
      const s = 1 / Math.sqrt(1 + counts[items[k]!]!);
      const raw = (x - (off ? off[0]! + off[1]! * s : 0)) / (gate[0]! + gate[1]! * s);
      return Math.min(hi, Math.max(lo, raw));
    });
  const [b, m, a] = ensemble.members.map((x) => x.predict(users, items));
  predictions = [unscale(b!, bayes, offset), Array.from(m!), unscale(a!, autorec)];
  res.model.dispose();
  res.baseline.dispose();
} else throw new Error(`unknown member ${member}`);
const c = process.cpuUsage(c0);
const cpuSeconds = (c.user + c.system) / 1e6;
const rmse = predictions.map(rmseOf);
console.log(JSON.stringify({ which, member, rmse, cpuSeconds }));
writeFileSync(
  join(outDir, `${which}.${member}${process.env['SEED'] ? `.s${process.env['SEED']}` : ''}.json`),
  JSON.stringify({ rmse, cpuSeconds, predictions }),
);
