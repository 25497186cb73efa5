// Top-N quality of cf's recipes beside the numpy anchors (popularity, PureSVD, EASE, rating-weighted
// EASE from bench/numpy/topn_anchors.py): NDCG@10, Recall@10, HR@10 and training seconds on
// ml-latest-small (getCvIdxs cvIdx 0, and the mean of cvIdx 0-4) and ml-100k (mean of u1-u5), by
// the trainer's rankingMetrics (relevant = rating >= 4, all items ranked, training items excluded).
// Every recipe of the trainer's registry (RECIPE_DEFAULTS) is run, `topn` included once it is there.
// Needs CF_DATA_DIR (the folder holding ml-latest-small/ and ml-100k/) and the anchors' JSON:
//   CF_DATA_DIR=../shared/datasets /usr/bin/python3 bench/numpy/topn_anchors.py   (writes results/topn-anchors.json)
//   CF_DATA_DIR=../shared/datasets pnpm bench topn                                 (writes results/topn.json)
// Env: BENCH_TOPN_RECIPES (comma list, default every registered recipe), BENCH_TOPN_FOLDS (folds
// per data set, default 5), BENCH_TOPN_DATASETS (default ml-latest-small,ml-100k), BENCH_TOPN_ANCHORS
// (the anchors' JSON, default results/topn-anchors.json), BENCH_TOPN_REUSE=1 (keep the rows of the
// recipes not in BENCH_TOPN_RECIPES from the previous results/topn.json, e.g. to add a new recipe),
// BENCH_TOPN_RECIPE_FOLDS (e.g. best=1: run a slow recipe on its first folds only; its row says so).
// Checks that the two sides are comparable: cf's rankingMetrics of a popularity scorer must equal
// the numpy script's popularity on every fold (same data, split, item order, tie-breaking and
// metric), and innerSplit must give the inner splits the numpy script tuned on (their checksums).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { innerSplit, splitByCvIdxs, type RatingsTable, type Split } from '@cf/data';
import { loadPredefinedFolds, loadRatings } from '@cf/data/node';
import {
  RECIPE_DEFAULTS,
  rankingMetrics,
  runRecipe,
  type RankingScorer,
  type RecipeName,
} from '@cf/trainer';
import type { Benchmark, BenchRow } from './benchmark.js';

const here = dirname(fileURLToPath(import.meta.url));
const ANCHORS =
  process.env['BENCH_TOPN_ANCHORS'] ?? join(here, '..', 'results', 'topn-anchors.json');
const ANCHOR_MODELS = ['popularity', 'puresvd', 'ease', 'ease-weighted'] as const;
type AnchorModel = (typeof ANCHOR_MODELS)[number];

interface Metrics {
  ndcg: number;
  recall: number;
  precision: number;
  hitRate: number;
}
interface FoldRow extends Metrics {
  fold: string;
  trainSeconds: number;
  users: number;
}
interface Checksum {
  count: number;
  sum: number;
  sumOfSquares: number;
}
interface AnchorFold {
  fold: string;
  innerSplit: { train: Checksum; valid: Checksum };
  [model: string]: unknown;
}
interface AnchorEntry {
  metrics: Metrics & { users: number };
  fitSeconds: number;
  hyperParameters: Record<string, unknown>;
}
interface Anchors {
  date: string;
  loadAverage: number;
  datasets: Record<string, { folds: AnchorFold[] }>;
}

/**
 * The anchors' JSON. With BENCH_TOPN_WAIT_SECONDS, waits that long for the numpy script (started
 * beside this run) to write it; cf's recipes run first, so the two can run at the same time.
 */
async function readAnchors(root: string): Promise<Anchors> {
  const deadline = Date.now() + 1000 * Number(process.env['BENCH_TOPN_WAIT_SECONDS'] ?? 0);
  let told = false;
  while (!existsSync(ANCHORS) && Date.now() < deadline) {
    if (!told) console.log(`waiting for ${ANCHORS} (the numpy anchors)`);
    told = true;
    await new Promise((done) => setTimeout(done, 10_000));
  }
  if (!existsSync(ANCHORS))
    throw new Error(
      `no ${ANCHORS}: run CF_DATA_DIR=${root} /usr/bin/python3 bench/numpy/topn_anchors.py first`,
    );
  return JSON.parse(readFileSync(ANCHORS, 'utf8')) as Anchors;
}

/** The folds of a data set: ml-latest-small's five getCvIdxs folds, ml-100k's u1-u5. */
async function loadFolds(
  root: string,
  name: string,
): Promise<{ table: RatingsTable; folds: { name: string; split: Split }[] }> {
  if (name === 'ml-latest-small') {
    const { table } = await loadRatings(join(root, name));
    return {
      table,
      folds: [0, 1, 2, 3, 4].map((cvIdx) => ({
        name: `cvIdx ${cvIdx}`,
        split: splitByCvIdxs(table, { cvIdx, valPct: 0.2, seed: 42 }),
      })),
    };
  }
  if (name === 'ml-100k') {
    const { table, folds } = await loadPredefinedFolds(join(root, name));
    return { table, folds: folds.map((f) => ({ name: f.name, split: f })) };
  }
  throw new Error(`unknown data set ${name}: expected ml-latest-small or ml-100k`);
}

/** Scores every item by its number of training rows (the same for every user). */
function popularityScorer(table: RatingsTable, train: Int32Array): RankingScorer {
  const counts = new Float32Array(table.itemIds.size);
  for (const r of train) counts[table.itemIndex[r]!]!++;
  const score = (itemIndex: Int32Array, out: Float32Array): Float32Array => {
    const view = out.subarray(0, itemIndex.length);
    for (let j = 0; j < itemIndex.length; j++) view[j] = counts[itemIndex[j]!]!;
    return view;
  };
  return {
    predict: (_user, itemIndex, out) => score(itemIndex, out ?? new Float32Array(itemIndex.length)),
    scoreItemsForUser: (_user, itemIndex, out) => score(itemIndex, out),
  };
}

function checksumOf(rows: Int32Array): Checksum {
  let sum = 0;
  let sumOfSquares = 0;
  for (const r of rows) {
    sum += r;
    sumOfSquares += r * r;
  }
  return { count: rows.length, sum, sumOfSquares };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

function summary(rows: FoldRow[]): Metrics & { trainSeconds: number } {
  return {
    ndcg: mean(rows.map((r) => r.ndcg)),
    recall: mean(rows.map((r) => r.recall)),
    precision: mean(rows.map((r) => r.precision)),
    hitRate: mean(rows.map((r) => r.hitRate)),
    trainSeconds: mean(rows.map((r) => r.trainSeconds)),
  };
}

const benchmark: Benchmark = {
  name: 'topn',
  description:
    "top-10 ranking (rankingMetrics: relevant = rating ≥ 4, all items, training items excluded) of cf's recipes beside the numpy anchors; ml-latest-small cvIdx 0 and 5-fold mean, ml-100k u1-u5 mean",
  async run() {
    const root = process.env['CF_DATA_DIR'];
    if (!root)
      throw new Error('set CF_DATA_DIR to the folder holding ml-latest-small/ and ml-100k/');
    tf.enableProdMode();
    await tf.setBackend('cpu');
    const registered = Object.keys(RECIPE_DEFAULTS) as RecipeName[];
    const recipes = (process.env['BENCH_TOPN_RECIPES']?.split(',') ?? registered) as RecipeName[];
    for (const r of recipes)
      if (!registered.includes(r))
        throw new Error(`unknown recipe ${r}; the trainer has ${registered.join(', ')}`);
    const nFolds = Number(process.env['BENCH_TOPN_FOLDS'] ?? 5);
    // e.g. BENCH_TOPN_RECIPE_FOLDS=best=1: a slow recipe on its first fold(s) only (said in its row)
    const recipeFolds = new Map(
      (process.env['BENCH_TOPN_RECIPE_FOLDS'] ?? '')
        .split(',')
        .filter(Boolean)
        .map((entry) => {
          const [recipe, count] = entry.split('=');
          return [recipe as RecipeName, Number(count)] as const;
        }),
    );
    const datasets = (process.env['BENCH_TOPN_DATASETS'] ?? 'ml-latest-small,ml-100k').split(',');
    const notes: string[] = [
      `recipes from the trainer's registry: ${registered.join(', ')}${registered.includes('topn') ? '' : ' (no topn recipe registered yet)'}; run: ${recipes.join(', ')}`,
      `cf on the tfjs cpu backend, one process; load at start ${loadavg()[0]!.toFixed(1)}`,
    ];
    let anchors: Anchors | undefined;
    const previousFile = join(here, '..', 'results', 'topn.json');
    let reuse:
      Record<string, { models: Record<string, { folds: FoldRow[]; hyper?: unknown }> }> | undefined;
    let reuseDate = '';
    if (process.env['BENCH_TOPN_REUSE'] === '1' && existsSync(previousFile)) {
      const old = JSON.parse(readFileSync(previousFile, 'utf8')) as {
        date: string;
        results: typeof reuse;
      };
      reuse = old.results;
      reuseDate = `run of ${old.date}`;
      notes.push(`BENCH_TOPN_REUSE: rows of recipes not run now are kept from the ${reuseDate}`);
    }
    const rows: BenchRow[] = [];
    const results: Record<string, unknown> = {};
    const started = performance.now();
    for (const dataset of datasets) {
      const { table, folds: allFolds } = await loadFolds(root, dataset);
      const folds = allFolds.slice(0, nFolds);
      // 1. cf's recipes
      const perModel: Record<string, { source: string; folds: FoldRow[]; hyper?: unknown }> = {};
      // BENCH_TOPN_REUSE=1: recipes not run now keep their rows from the previous results/topn.json
      const previous = reuse?.[dataset]?.models ?? {};
      for (const recipe of registered) {
        const kept = previous[`cf ${recipe}`];
        if (recipes.includes(recipe) || !kept) continue;
        perModel[`cf ${recipe}`] = { ...kept, source: `cf (${reuseDate})` };
      }
      for (const recipe of recipes) {
        const foldRows: FoldRow[] = [];
        let hyper: unknown;
        const limit = recipeFolds.get(recipe) ?? folds.length;
        for (const { name, split } of folds.slice(0, limit)) {
          const result = await runRecipe(recipe, table, split, { seed: 42 });
          const m = rankingMetrics(result.model, table, split);
          hyper = result.hyperParameters;
          foldRows.push({
            fold: name,
            ndcg: m.ndcgAtK,
            recall: m.recallAtK,
            precision: m.precisionAtK,
            hitRate: m.hitRateAtK,
            users: m.users,
            trainSeconds: result.trainSeconds,
          });
          console.log(
            `${dataset} ${recipe} ${name}: NDCG@10 ${m.ndcgAtK.toFixed(4)} recall ${m.recallAtK.toFixed(4)} HR ${m.hitRateAtK.toFixed(3)}, train ${result.trainSeconds.toFixed(1)} s (elapsed ${((performance.now() - started) / 1000).toFixed(0)} s)`,
          );
          if (result.model !== result.baseline) result.model.dispose();
          result.baseline.dispose();
        }
        const label =
          limit < folds.length
            ? `cf ${recipe} (${limit} of ${folds.length} folds)`
            : `cf ${recipe}`;
        perModel[label] = { source: 'cf', folds: foldRows, hyper };
      }
      if (!anchors) {
        anchors = await readAnchors(root);
        notes.push(
          `anchors from ${relative(join(here, '..'), ANCHORS)} (${anchors.date}, load ${anchors.loadAverage.toFixed(1)})`,
        );
      }
      const anchorFolds = anchors.datasets[dataset]?.folds;
      if (!anchorFolds)
        throw new Error(`results/topn-anchors.json has no ${dataset}: rerun topn_anchors.py`);
      // 2. the two sides are comparable: same popularity numbers, same inner splits
      let worst = 0;
      for (const [k, { name, split }] of folds.entries()) {
        const numpy = anchorFolds.find((f) => f.fold === name);
        if (!numpy) throw new Error(`results/topn-anchors.json has no ${dataset} ${name}`);
        const cf = rankingMetrics(popularityScorer(table, split.train), table, split);
        const py = (numpy['popularity'] as AnchorEntry).metrics;
        const diffs = [
          cf.ndcgAtK - py.ndcg,
          cf.recallAtK - py.recall,
          cf.precisionAtK - py.precision,
          cf.hitRateAtK - py.hitRate,
        ].map(Math.abs);
        worst = Math.max(worst, ...diffs);
        if (cf.users !== py.users || Math.max(...diffs) > 1e-9)
          throw new Error(
            `${dataset} ${name}: cf's rankingMetrics of popularity (NDCG ${cf.ndcgAtK}, ${cf.users} users) differs from numpy's (${py.ndcg}, ${py.users} users): the tables would not be comparable`,
          );
        const inner = innerSplit(split);
        const want = numpy.innerSplit;
        const got = { train: checksumOf(inner.train), valid: checksumOf(inner.valid) };
        if (JSON.stringify(got) !== JSON.stringify(want))
          throw new Error(
            `${dataset} ${name}: innerSplit ${JSON.stringify(got)} is not the inner split numpy tuned on ${JSON.stringify(want)}`,
          );
        if (k === 0)
          console.log(
            `${dataset}: popularity agrees with numpy (${name}: NDCG ${cf.ndcgAtK.toFixed(4)}); inner split checksums agree`,
          );
      }
      notes.push(
        `${dataset}: cf's rankingMetrics and the numpy metric agree on popularity on all ${folds.length} folds (largest difference ${worst.toExponential(1)}); innerSplit gives the numpy inner splits on every fold`,
      );
      // 3. the anchors, fold by fold from the numpy JSON
      for (const model of ANCHOR_MODELS) {
        const foldRows = folds.map(({ name }) => {
          const entry = anchorFolds.find((f) => f.fold === name)![model] as AnchorEntry;
          return {
            fold: name,
            ...entry.metrics,
            trainSeconds: entry.fitSeconds,
          };
        });
        const first = anchorFolds.find((f) => f.fold === folds[0]!.name)![model] as AnchorEntry;
        perModel[`numpy ${model satisfies AnchorModel}`] = {
          source: 'numpy',
          folds: foldRows,
          hyper: first.hyperParameters,
        };
      }
      // cf's recipes in the registry's order, then the anchors
      const order = [
        ...registered.flatMap((r) =>
          Object.keys(perModel).filter(
            (name) => name === `cf ${r}` || name.startsWith(`cf ${r} (`),
          ),
        ),
        ...Object.keys(perModel).filter((name) => !name.startsWith('cf ')),
      ];
      for (const model of order) {
        const foldRows = perModel[model]!.folds;
        const m = summary(foldRows);
        const f0 = foldRows[0]!;
        const firstFold = dataset === 'ml-latest-small';
        rows.push({
          'data set': dataset,
          model,
          'NDCG@10 f0': firstFold ? f0.ndcg.toFixed(4) : null,
          'R@10 f0': firstFold ? f0.recall.toFixed(4) : null,
          'HR@10 f0': firstFold ? f0.hitRate.toFixed(3) : null,
          's f0': firstFold ? f0.trainSeconds.toFixed(1) : null,
          'NDCG@10 mean': m.ndcg.toFixed(4),
          'R@10 mean': m.recall.toFixed(4),
          'HR@10 mean': m.hitRate.toFixed(3),
          's mean': m.trainSeconds.toFixed(1),
        });
      }
      results[dataset] = {
        folds: folds.map((f) => f.name),
        models: Object.fromEntries(
          Object.entries(perModel).map(([model, v]) => [model, { ...v, mean: summary(v.folds) }]),
        ),
      };
    }
    notes.push(
      `columns: f0 = the first fold (ml-latest-small cvIdx 0); mean over ${nFolds} folds; s = training seconds (cf: runRecipe's trainSeconds; numpy: fit at the chosen hyper-parameters, one thread); whole run ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    return { rows, notes, results };
  },
};

export default benchmark;
