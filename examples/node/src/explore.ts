// After training: what the model learned. fastai v2's EmbeddingDotBias recipe (it has biases), then
// the movies with the highest and lowest bias, the ends of the principal components of the item
// factors, similar movies and recommendations, as in the fastai lesson's "interpretation" part.
// Run: `pnpm explore` (data from $CF_DATA_DIR/ml-latest-small, or pass a MovieLens folder).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { splitByCvIdxs, type RawId } from '@cf/data';
import { loadItemTitles, loadRatings } from '@cf/data/node';
import { createTrainedModel, principalComponents } from '@cf/model';
import { runRecipe } from '@cf/trainer';
import { dataFolder, epochs } from './settings.js';

await tf.setBackend('cpu');
const folder = dataFolder();
const { table } = await loadRatings(folder);
const titles = await loadItemTitles(folder);
const split = splitByCvIdxs(table);

console.log('## training: fastai v2 recipe (EmbeddingDotBias, fitOneCycle 5, lr 5e-3, wd 0.1)');
const result = await runRecipe('fastai', table, split, { epochs: [epochs(5)] });
console.log(
  `validation RMSE ${result.rmse.toFixed(4)} (bias baseline ${result.baselineRmse.toFixed(4)})`,
);
const trained = createTrainedModel(result.model, table, {
  trainRows: split.train,
  fallback: result.baseline,
  itemTitles: titles,
});

// As in the lesson, look only at the 1000 most-rated movies: rarely rated ones have noisy factors.
const counts = new Int32Array(table.itemIds.size);
for (const i of table.itemIndex) counts[i]!++;
const top = Array.from(counts.keys())
  .sort((a, b) => counts[b]! - counts[a]! || a - b)
  .slice(0, 1000);
const title = (id: RawId): string => titles.get(id)?.title ?? `movie ${id}`;
const list = (rows: { id: RawId; value: number }[]): string =>
  rows.map((r) => `  ${r.value.toFixed(3).padStart(7)}  ${title(r.id)}`).join('\n');

const biases = trained.itemBiases();
const topBiases = top
  .map((i) => ({ id: biases[i]!.itemId, value: biases[i]!.bias }))
  .sort((a, b) => b.value - a.value);
console.log(`\n## highest movie bias (of the 1000 most rated)\n${list(topBiases.slice(0, 10))}`);
console.log(`\n## lowest movie bias\n${list(topBiases.slice(-10).reverse())}`);

const { dim, values } = trained.itemEmbeddings();
const rows = new Float32Array(top.length * dim);
top.forEach((i, r) => rows.set(values.subarray(i * dim, (i + 1) * dim), r * dim));
const pca = principalComponents(rows, top.length, dim, { components: 3 });
for (let c = 0; c < 3; c++) {
  const scored = top
    .map((i, r) => ({ id: table.itemIds.idAt(i), value: pca.scores[r * 3 + c]! }))
    .sort((a, b) => b.value - a.value);
  console.log(`\n## principal component ${c + 1} (variance ${pca.variances[c]!.toFixed(4)})`);
  console.log(`top:\n${list(scored.slice(0, 5))}\nbottom:\n${list(scored.slice(-5).reverse())}`);
}

const movie = table.itemIds.has(1) ? 1 : table.itemIds.idAt(top[0]!);
console.log(`\n## similar to ${title(movie)}`);
console.log(
  list(trained.similarItems(movie, { k: 10 }).map((r) => ({ id: r.itemId, value: r.score }))),
);

const user = table.userIds.idAt(0);
console.log(`\n## recommendations for user ${user}`);
console.log(
  list(trained.recommend(user, { k: 10 }).map((r) => ({ id: r.itemId, value: r.score }))),
);
trained.dispose();
