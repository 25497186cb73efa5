// Accuracy benchmark: every shipped recipe on ml-latest-small, getCvIdxs folds (valPct 0.2, seed 42).
// For each recipe: RMSE and MAE on cvIdx 0, mean ± sample std over cvIdx 0–4, seconds to train.
// Writes results/accuracy.json and prints a markdown table. Usage:
//   CF_DATA_DIR=../shared/datasets pnpm bench:accuracy [recipe,recipe,...] [--folds N]
// One process, one core (tfjs cpu backend; training runs the fused host engines).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { splitByCvIdxs } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { runRecipe, type RecipeName } from '@cf/trainer';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const foldsAt = args.indexOf('--folds');
const nFolds = foldsAt >= 0 ? Number(args[foldsAt + 1]) : 5;
const recipes = (args.find((a, k) => !a.startsWith('--') && k !== foldsAt + 1)?.split(',') ?? [
  'bias',
  'notebook',
  'fastai',
  'best',
]) as RecipeName[];
const root = process.env['CF_DATA_DIR'] ?? join(here, '..', '..', '..', 'shared', 'datasets');
const dir = join(root, 'ml-latest-small');

await tf.setBackend('cpu');
const { table } = await loadRatings(dir);
console.log(
  `ml-latest-small: ${table.rating.length} ratings, ${table.userIds.size} users, ${table.itemIds.size} items; recipes ${recipes.join(', ')}; ${nFolds} folds`,
);

interface FoldRow {
  cvIdx: number;
  rmse: number;
  mae: number;
  trainSeconds: number;
}
const results: {
  recipe: RecipeName;
  folds: FoldRow[];
  hyperParameters: Record<string, unknown>;
}[] = [];
const started = performance.now();
for (const recipe of recipes) {
  const folds: FoldRow[] = [];
  let hyperParameters: Record<string, unknown> = {};
  for (let cvIdx = 0; cvIdx < nFolds; cvIdx++) {
    const split = splitByCvIdxs(table, { cvIdx, valPct: 0.2, seed: 42 });
    const result = await runRecipe(recipe, table, split, { seed: 42 });
    hyperParameters = result.hyperParameters;
    folds.push({ cvIdx, rmse: result.rmse, mae: result.mae, trainSeconds: result.trainSeconds });
    console.log(
      `${recipe} cvIdx ${cvIdx}: rmse ${result.rmse.toFixed(4)} mae ${result.mae.toFixed(4)} train ${result.trainSeconds.toFixed(1)} s (elapsed ${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
    if (result.model !== result.baseline) result.model.dispose();
    result.baseline.dispose();
  }
  results.push({ recipe, folds, hyperParameters });
}

const meanStd = (xs: number[]): { mean: number; std: number } => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std =
    xs.length > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)) : 0;
  return { mean, std };
};
const summary = results.map(({ recipe, folds, hyperParameters }) => ({
  recipe,
  hyperParameters,
  cvIdx0: folds[0]!,
  rmse: meanStd(folds.map((f) => f.rmse)),
  mae: meanStd(folds.map((f) => f.mae)),
  trainSeconds: meanStd(folds.map((f) => f.trainSeconds)),
  folds,
}));
const pm = (m: { mean: number; std: number }, d = 4): string =>
  `${m.mean.toFixed(d)} ± ${m.std.toFixed(d)}`;
const lines = [
  `| recipe | RMSE cvIdx 0 | MAE cvIdx 0 | RMSE mean ± std (${nFolds} folds) | MAE mean ± std | train s (cvIdx 0) | train s mean |`,
  '|---|---|---|---|---|---|---|',
  ...summary.map(
    (s) =>
      `| ${s.recipe} | ${s.cvIdx0.rmse.toFixed(4)} | ${s.cvIdx0.mae.toFixed(4)} | ${pm(s.rmse)} | ${pm(s.mae)} | ${s.cvIdx0.trainSeconds.toFixed(1)} | ${s.trainSeconds.mean.toFixed(1)} |`,
  ),
];
console.log('\n' + lines.join('\n'));
await mkdir(join(here, '..', 'results'), { recursive: true });
const json = {
  name: 'accuracy',
  dataset: 'ml-latest-small',
  split: 'getCvIdxs valPct 0.2 seed 42',
  date: new Date().toISOString(),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  totalSeconds: (performance.now() - started) / 1000,
  results: summary,
  markdown: lines.join('\n'),
};
await writeFile(join(here, '..', 'results', 'accuracy.json'), JSON.stringify(json, null, 2) + '\n');
console.log('\nwrote results/accuracy.json');
