// A `topn`-shaped model without the full topn training (issue #16's ranking timings): the
// softmax two-tower trained by fitSoftmaxRetrieval with the `topn-softmax` recipe's settings for
// EPOCHS epochs (default 1: a stand-in for the recipe's 20, whose norm spread, and so what pruning
// by norm saves, may differ) on every row of DATA, blended with
// an already trained iALS model folder IALS the way the `topn` recipe blends them
// (blendImplicitModels, weight 1 and RECIPE_DEFAULTS.topn.softmaxWeight; confidence from the
// table's relevance threshold, as the recipe does today), saved to OUT with the
// iALS model's fallback, split and every row of DATA as seen items (what `cf train` saves).
// Usage: node --import tsx src/scale/blend-softmax-model.ts IALS DATA OUT [EPOCHS=1]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadRatings } from '@cf/data/node';
import { createTrainedModel, type ImplicitMatrixFactorization } from '@cf/model';
import { loadModelFromDirectory, saveModelToDirectory } from '@cf/model/node';
import {
  RECIPE_DEFAULTS,
  blendImplicitModels,
  fitSoftmaxRetrieval,
  topnSoftmaxOptions,
} from '@cf/trainer';

const [ialsDir, dataDir, outDir, epochsText = '1'] = process.argv.slice(2);
if (!ialsDir || !dataDir || !outDir) {
  console.error('usage: blend-softmax-model.ts IALS DATA OUT [EPOCHS]');
  process.exit(2);
}
await tf.setBackend('cpu');
const ials = await loadModelFromDirectory(ialsDir);
if (ials.model.config.type !== 'implicit-mf')
  throw new Error(`${ialsDir} holds a ${ials.model.config.type} model, not implicit-mf`);
const { table } = await loadRatings(dataDir);
// the blend concatenates rows by index: both must number users and items alike
for (const [kind, a, b] of [
  ['user', ials.userIds, table.userIds],
  ['item', ials.itemIds, table.itemIds],
] as const) {
  if (a.size !== b.size) throw new Error(`${kind} counts differ: ${a.size} vs ${b.size}`);
  for (let i = 0; i < a.size; i++)
    if (a.idAt(i) !== b.idAt(i))
      throw new Error(`${kind} index ${i} differs between model and data`);
}
const all = Int32Array.from({ length: table.rating.length }, (_, r) => r);
const start = performance.now();
const softmax = await fitSoftmaxRetrieval(
  table,
  all,
  topnSoftmaxOptions(table, {
    epochs: Number(epochsText),
    seed: 42,
    onEpoch: (info) => console.log(`softmax epoch ${JSON.stringify(info)}`),
  }),
);
console.log(`softmax trained in ${((performance.now() - start) / 1000).toFixed(1)} s`);
const base = ials.model as ImplicitMatrixFactorization;
const blend = blendImplicitModels(
  [
    { model: base, weight: 1 },
    { model: softmax, weight: RECIPE_DEFAULTS.topn.softmaxWeight },
  ],
  base.config,
);
softmax.dispose();
const trained = createTrainedModel(blend, table, {
  ...(ials.fallback ? { fallback: ials.fallback } : {}),
  ...(ials.split ? { split: ials.split } : {}),
});
await saveModelToDirectory(trained, outDir);
console.log(`saved a ${blend.config.nFactors}-factor implicit-mf blend to ${outDir}`);
