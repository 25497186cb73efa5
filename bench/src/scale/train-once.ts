// One timed training run of a recipe in a fresh process, for the scale bench's training rows:
// loads FOLDER's ratings, splits them as `cf train` does (getCvIdxs, valPct 0.2, seed 42), trains
// RECIPE for EPOCHS epochs at batch BS on THREADS threads, and prints
// {"epochSeconds": [...], "epochCpuSeconds": [...], "trainRows", "rmse", "loadSeconds", "trainSeconds", "threads", "baselineRssMB", "maxRssMB"}.
// Usage: train-once.ts FOLDER THREADS [EPOCHS=1] [BS=1024] [RECIPE=fastai] [WD] [LR] (WD, LR: the recipe's when not given;
// BS "recipe": the recipe's own batch size, i.e. the fastai recipe's fastaiBatchSize rule)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { splitByCvIdxs } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { runRecipe, setDotBiasEngineEnabled, type FitContext } from '@cf/trainer';

const [folder, threadsText, epochsText = '1', bsText = '1024', recipe = 'fastai', wdText, lrText] =
  process.argv.slice(2);
if (!folder || !threadsText || (recipe !== 'fastai' && recipe !== 'notebook')) {
  console.error('usage: train-once.ts FOLDER THREADS [EPOCHS] [BS] [fastai|notebook]');
  process.exit(2);
}
await tf.setBackend('cpu');
// CF_DOT_BIAS_ENGINE=off: the model's own pass and Adam.step (to measure what the fused engine gains)
if (process.env.CF_DOT_BIAS_ENGINE === 'off') setDotBiasEngineEnabled(false);
const baseline = process.resourceUsage().maxRSS / 1024;
const loadStart = performance.now();
const { table } = await loadRatings(folder);
const loadSeconds = (performance.now() - loadStart) / 1000;
const split = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
const epochs = Number(epochsText);
let threads = 0;
// CPU seconds of each epoch's training pass (every thread of the process: the workers' too)
const epochCpuSeconds: number[] = [];
let cpuAtStart = process.cpuUsage();
let cpuAtLastBatch = cpuAtStart;
const cpuSeconds = (u: NodeJS.CpuUsage): number => (u.user + u.system) / 1e6;
const result = await runRecipe(recipe, table, split, {
  // the notebook recipe's two fits: all epochs in the first
  epochs: recipe === 'notebook' ? [epochs, 0] : [epochs],
  ...(bsText === 'recipe' ? {} : { batchSize: Number(bsText) }),
  ...(wdText ? { wd: Number(wdText) } : {}),
  ...(lrText ? { lr: Number(lrText) } : {}),
  threads: Number(threadsText),
  callbacks: [
    {
      onTrainBegin: (c: FitContext) => void (threads = c.threads),
      onEpochBegin: () => {
        cpuAtStart = process.cpuUsage();
        cpuAtLastBatch = cpuAtStart;
      },
      // at the last batch's end, before the evaluation
      onBatchEnd: (c: FitContext) => {
        if (c.batch === c.batchesPerEpoch - 1) cpuAtLastBatch = process.cpuUsage();
      },
      onEpochEnd: () =>
        void epochCpuSeconds.push(cpuSeconds(cpuAtLastBatch) - cpuSeconds(cpuAtStart)),
    },
  ],
});
console.log(
  JSON.stringify({
    epochSeconds: result.fits.flat().map((r) => r.seconds),
    epochCpuSeconds,
    trainRows: split.train.length,
    batchSize: result.hyperParameters['batchSize'],
    rmse: result.rmse,
    baselineRmse: result.baselineRmse,
    loadSeconds,
    trainSeconds: result.trainSeconds,
    threads,
    baselineRssMB: baseline,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
  }),
);
