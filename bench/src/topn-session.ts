// The session item-item of issue #13's fifth round (bench/numpy/topn_time.py), measured on cf's own
// `topn` model instead of its numpy twins: items that the same user rated within `window` positions
// of each other in their time-ordered training rows (ties in file order), weighted exp(-gap / tau),
// normalised by ((n_j + 1)(n_k + 1))^0.5; a user's score for item k sums those weights over their
// training items j. It is added to the recipe's model as `topn / std + gamma · session / std` (each
// divided by the standard deviation of its scores over the same spread of pairs) and ranked by the
// trainer's rankingMetrics. A measurement, not a model: the session part lives in this script only.
// Usage (from bench/):
//   CF_DATA_DIR=../shared/datasets node --import tsx src/topn-session.ts inner [gamma,...]
//   CF_DATA_DIR=../shared/datasets node --import tsx src/topn-session.ts ml-latest-small|ml-100k [gamma] [folds]
// SESSION_TOP_K=20,50,... keeps only each item's strongest neighbours (what a scalable model would store).
// `inner`: @cf/data's innerSplit of ml-latest-small cvIdx 0 (where gamma is chosen), the reported
// rows never read. Otherwise the reported folds (cvIdx 0-4, u1-u5), measured with a chosen gamma.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { innerSplit, splitByCvIdxs, type RatingsTable, type Split } from '@cf/data';
import { loadPredefinedFolds, loadRatings } from '@cf/data/node';
import type { RatingModel } from '@cf/model';
import { rankingMetrics, runRecipe, type RankingScorer } from '@cf/trainer';

const root = process.env['CF_DATA_DIR'];
if (!root) throw new Error('set CF_DATA_DIR to the folder that contains ml-latest-small/');
await tf.setBackend('cpu');

/** Sparse symmetric item-item weights as one neighbour map per item. */
function sessionItemItem(
  table: RatingsTable,
  rows: Int32Array,
  topK = Infinity,
  window = 5,
  tau = 1,
) {
  const stamp = table.timestamp;
  if (!stamp) throw new Error(`${table.source} has no timestamps`);
  const order = Int32Array.from(rows).sort((a, b) => {
    const du = table.userIndex[a]! - table.userIndex[b]!;
    if (du !== 0) return du;
    const dt = stamp[a]! - stamp[b]!;
    return dt !== 0 ? dt : a - b;
  });
  const count = new Float64Array(table.itemIds.size);
  for (const r of rows) count[table.itemIndex[r]!]! += 1;
  const neighbours = Array.from({ length: table.itemIds.size }, () => new Map<number, number>());
  const add = (j: number, k: number, w: number) => {
    const m = neighbours[j]!;
    m.set(k, (m.get(k) ?? 0) + w);
  };
  for (let p = 0; p < order.length; p++) {
    const a = order[p]!;
    for (let d = 1; d <= window && p + d < order.length; d++) {
      const b = order[p + d]!;
      if (table.userIndex[b] !== table.userIndex[a]) break;
      const j = table.itemIndex[a]!;
      const k = table.itemIndex[b]!;
      if (j === k) continue;
      const w = Math.exp(-d / tau);
      add(j, k, w);
      add(k, j, w);
    }
  }
  const lists = neighbours.map((m, j) => {
    const kept = Array.from(m, ([k, w]) => [k, w / Math.sqrt((count[j]! + 1) * (count[k]! + 1))]);
    if (kept.length > topK) kept.sort((a, b) => b[1]! - a[1]!).length = topK;
    return {
      items: Int32Array.from(kept, (e) => e[0]!),
      weights: Float32Array.from(kept, (e) => e[1]!),
    };
  });
  const seen: number[][] = Array.from({ length: table.userIds.size }, () => []);
  for (const r of rows) seen[table.userIndex[r]!]!.push(table.itemIndex[r]!);
  return { lists, seen };
}

/** `model / stdModel + gamma · session / stdSession` as a RankingScorer. */
function withSession(
  model: RatingModel,
  session: ReturnType<typeof sessionItemItem>,
  gamma: number,
): RankingScorer {
  const { nUsers, nItems } = model.config;
  const row = new Float32Array(nItems);
  let rowUser = -1;
  const sessionRow = (u: number) => {
    if (u === rowUser) return row;
    row.fill(0);
    for (const j of session.seen[u]!) {
      const { items, weights } = session.lists[j]!;
      for (let x = 0; x < items.length; x++) row[items[x]!]! += weights[x]!;
    }
    rowUser = u;
    return row;
  };
  // the std of both parts over the pairs implicitScoreStd uses (user k·7919, item k·104729)
  const n = Math.min(20_000, nUsers * nItems);
  const us = Int32Array.from({ length: n }, (_, k) => (k * 7919) % nUsers);
  const is = Int32Array.from({ length: n }, (_, k) => (k * 104729) % nItems);
  const std = (values: ArrayLike<number>) => {
    let mean = 0;
    for (let x = 0; x < n; x++) mean += values[x]! / n;
    let v = 0;
    for (let x = 0; x < n; x++) v += (values[x]! - mean) ** 2 / n;
    return Math.sqrt(v);
  };
  const stdModel = std(model.predict(us, is));
  const sessionValues = Float64Array.from({ length: n }, (_, x) => sessionRow(us[x]!)[is[x]!]!);
  const stdSession = std(sessionValues);
  const scale = stdSession > 0 ? gamma / stdSession : 0;
  const predict = (userIndex: Int32Array, itemIndex: Int32Array, out?: Float32Array) => {
    const base = model.predict(userIndex, itemIndex);
    const result = out ? out.subarray(0, userIndex.length) : new Float32Array(userIndex.length);
    for (let b = 0; b < userIndex.length; b++)
      result[b] = base[b]! / stdModel + scale * sessionRow(userIndex[b]!)[itemIndex[b]!]!;
    return result;
  };
  return {
    predict,
    scoreItemsForUser: (u: number, itemIndex: Int32Array, out: Float32Array) =>
      predict(new Int32Array(itemIndex.length).fill(u), itemIndex, out),
  };
}

const show = (m: { ndcgAtK: number; recallAtK: number }): string =>
  `${m.ndcgAtK.toFixed(4)} | ${m.recallAtK.toFixed(4)}`;

async function measure(table: RatingsTable, name: string, split: Split, gammas: number[]) {
  const cpu = process.cpuUsage();
  const { model } = await runRecipe('topn', table, split);
  const trained = process.cpuUsage(cpu);
  console.log(
    `| ${name} | topn | ${show(rankingMetrics(model, table, split, { k: 10 }))} | ${((trained.user + trained.system) / 1e6).toFixed(1)} CPU s |`,
  );
  for (const topK of TOP_K) {
    const session = sessionItemItem(table, split.train, topK);
    const pairs = session.lists.reduce((sum, l) => sum + l.items.length, 0);
    for (const gamma of gammas)
      console.log(
        `| ${name} | topn + ${gamma} · session (top ${topK}: ${pairs} pairs) | ${show(rankingMetrics(withSession(model, session, gamma), table, split, { k: 10 }))} |`,
      );
  }
  model.dispose();
}

const [what = 'inner', gammaArg, foldArg] = process.argv.slice(2);
// SESSION_TOP_K=50,200: keep each item's strongest neighbours only (default: all)
const TOP_K = (process.env['SESSION_TOP_K'] ?? 'Infinity').split(',').map(Number);
if (what === 'inner') {
  const { table } = await loadRatings(join(root, 'ml-latest-small'));
  const inner = innerSplit(splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 }));
  await measure(table, 'inner', inner, (gammaArg ?? '0.15,0.25,0.35,0.5').split(',').map(Number));
} else {
  const gamma = Number(gammaArg ?? 0.25);
  const wanted = (foldArg ?? '0,1,2,3,4').split(',').map(Number);
  if (what === 'ml-latest-small') {
    const { table } = await loadRatings(join(root, 'ml-latest-small'));
    for (const cvIdx of wanted)
      await measure(
        table,
        `cvIdx ${cvIdx}`,
        splitByCvIdxs(table, { cvIdx, valPct: 0.2, seed: 42 }),
        [gamma],
      );
  } else {
    const { table, folds } = await loadPredefinedFolds(join(root, what));
    for (const f of wanted) await measure(table, folds[f]!.name, folds[f]!, [gamma]);
  }
}
