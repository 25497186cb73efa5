// Chooses the fastai recipe's batch-size and weight-decay rule at scale on an INNER split of the training rows
// (innerSplit of getCvIdxs fold 0, valPct 0.2, seed 42): the reported validation rows are never
// read. For each (batch size, wd) pair it trains the fastai recipe (5 epochs, one-cycle AdamW, lr
// 5e-3, 50 factors) on the inner training rows and prints one JSON line with the inner validation
// RMSE, the bias baseline's, the optimizer steps per epoch and `wd × steps` (the decay budget).
// Batch and wd are given explicitly, so the recipe's own rule (fastaiBatchSize) does not apply.
// Usage: select-decay.ts FOLDER THREADS BS:WD[,BS:WD...] [EPOCHS=5]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { innerSplit, splitByCvIdxs } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { runRecipe } from '@cf/trainer';

const [folder, threadsText, gridText, epochsText = '5'] = process.argv.slice(2);
if (!folder || !threadsText || !gridText) {
  console.error('usage: select-decay.ts FOLDER THREADS BS:WD[,BS:WD...] [EPOCHS]');
  process.exit(2);
}
await tf.setBackend('cpu');
const { table } = await loadRatings(folder);
const outer = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
const inner = innerSplit(outer);
for (const cell of gridText.split(',')) {
  const [bsText, wdText] = cell.split(':');
  const batchSize = Number(bsText);
  const wd = Number(wdText);
  const cpu0 = process.cpuUsage();
  const result = await runRecipe('fastai', table, inner, {
    epochs: [Number(epochsText)],
    batchSize,
    wd,
    threads: Number(threadsText),
  });
  const cpu = process.cpuUsage(cpu0);
  const steps = Math.ceil(inner.train.length / batchSize);
  console.log(
    JSON.stringify({
      folder,
      trainRows: inner.train.length,
      batchSize,
      wd,
      stepsPerEpoch: steps,
      decayBudget: wd * steps,
      innerRmse: result.rmse,
      baselineRmse: result.baselineRmse,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
    }),
  );
  result.model.dispose();
  if (result.baseline !== result.model) result.baseline.dispose();
}
