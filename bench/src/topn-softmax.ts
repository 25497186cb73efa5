// How the `topn-softmax` recipe's choices were made (issue #13): fitSoftmaxRetrieval trained on the
// inner split of cvIdx 0's training rows (@cf/data's innerSplit, the rows topn-selection.ts tunes
// iALS on), scored with the trainer's rankingMetrics on the inner validation rows; alone, folded in
// (every user's row re-solved from their inner training rows by the model's closed-form fold-in),
// and blended with the `topn` recipe's iALS. The reported validation rows are never read.
// Usage: CF_DATA_DIR=../shared/datasets node --import tsx src/topn-softmax.ts '[{...options}]' [foldin] [blend=w1,w2,...] [ials-seed=N]
// (one implicit-mf of concatenated factors, each member's scores divided by their standard deviation: blendImplicitModels)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { innerSplit, splitByCvIdxs, type RatingsTable } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import {
  ImplicitRowSolver,
  implicitRowRegularization,
  scaledGramian,
  type ImplicitMatrixFactorization,
} from '@cf/model';
import {
  RECIPE_DEFAULTS,
  blendImplicitModels,
  fitImplicitAls,
  fitSoftmaxRetrieval,
  rankingMetrics,
  type SoftmaxRetrievalOptions,
} from '@cf/trainer';

const root = process.env['CF_DATA_DIR'];
if (!root) throw new Error('set CF_DATA_DIR to the folder that contains ml-latest-small/');
await tf.setBackend('cpu');
const { table } = await loadRatings(join(root, 'ml-latest-small'));
const outer = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
const inner = innerSplit(outer);
const flags = process.argv.slice(3);
const blendWeights = flags
  .find((f) => f.startsWith('blend='))
  ?.slice(6)
  .split(',')
  .map(Number);

/**
 * Every user's row re-solved from their training rows by the model's own closed-form fold-in
 * (`foldInItems`: the iALS row solve against its item rows), the Gramian computed once.
 */
function foldedIn(model: ImplicitMatrixFactorization, t: RatingsTable, rows: Int32Array) {
  const { nUsers, nItems, nFactors: f, unobservedWeight } = model.config;
  const byUser = new Map<number, number[]>();
  for (const r of rows) {
    const u = t.userIndex[r]!;
    if (!byUser.has(u)) byUser.set(u, []);
    byUser.get(u)!.push(r);
  }
  const out = model.withUsers(nUsers);
  const items = model.parameter('itemEmbedding').values;
  const values = out.parameter('userEmbedding').values;
  const gramian = scaledGramian(items, nItems, f, unobservedWeight);
  const solver = new ImplicitRowSolver(f);
  for (const [u, rs] of byUser) {
    const cols = Int32Array.from(rs, (r) => t.itemIndex[r]!);
    const conf = Float32Array.from(rs, (r) => model.confidenceOf(t.rating[r]!));
    const reg = implicitRowRegularization(model.config, cols.length, nItems);
    solver.solve(gramian, items, cols, conf, 0, cols.length, reg, values, u * f);
  }
  out.parameter('userEmbedding').markChanged();
  return out;
}

const show = (m: { ndcgAtK: number; recallAtK: number }): string =>
  `${m.ndcgAtK.toFixed(4)} | ${m.recallAtK.toFixed(4)}`;
let ials: ImplicitMatrixFactorization | undefined;
if (blendWeights) {
  const t = RECIPE_DEFAULTS.topn;
  const seedFlag = flags.find((f) => f.startsWith('ials-seed='));
  ials = await fitImplicitAls(table, inner.train, {
    seed: seedFlag ? Number(seedFlag.slice(10)) : 42,
    nFactors: t.nFactors,
    sweeps: t.sweeps,
    solver: t.solver,
    conjugateGradientSteps: t.conjugateGradientSteps,
  });
  console.log(
    `| iALS (the topn recipe) | ${show(rankingMetrics(ials, table, inner, { k: 10 }))} |`,
  );
}
const grid = JSON.parse(process.argv[2] ?? '[{}]') as SoftmaxRetrievalOptions[];
for (const options of grid) {
  const cpu = process.cpuUsage();
  const model = await fitSoftmaxRetrieval(table, inner.train, options);
  const used = process.cpuUsage(cpu);
  const m = rankingMetrics(model, table, inner, { k: 10 });
  console.log(
    `| ${JSON.stringify(options)} | ${show(m)} | ${((used.user + used.system) / 1e6).toFixed(1)} CPU s |`,
  );
  if (flags.includes('foldin')) {
    const folded = foldedIn(model, table, inner.train);
    console.log(`|   folded in | ${show(rankingMetrics(folded, table, inner, { k: 10 }))} |`);
    folded.dispose();
  }
  for (const w of blendWeights ?? []) {
    const mixed = blendImplicitModels(
      [
        { model: ials!, weight: 1 },
        { model, weight: w },
      ],
      ials!.config,
    );
    console.log(`|   iALS + ${w} · it | ${show(rankingMetrics(mixed, table, inner, { k: 10 }))} |`);
    if (flags.includes('foldin')) {
      const folded = foldedIn(mixed, table, inner.train);
      console.log(`|     folded in | ${show(rankingMetrics(folded, table, inner, { k: 10 }))} |`);
      folded.dispose();
    }
    mixed.dispose();
  }
  model.dispose();
}
