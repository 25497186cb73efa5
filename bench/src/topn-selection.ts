// How the `topn` recipe's choices were made: candidates trained on an inner split of cvIdx 0's
// training rows (@cf/data's innerSplit: a seeded 20 %, the rows the numpy anchors tune on), scored with the
// trainer's rankingMetrics on the inner validation rows. The reported validation rows are never read.
// Usage: CF_DATA_DIR=../shared/datasets node --import tsx src/topn-selection.ts [grid-name | JSON list of options]
// (grids: ials, the first rounds; factors, issue #13's third round)
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { join } from 'node:path';
import { innerSplit, splitByCvIdxs } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { fitImplicitAls, rankingMetrics, type ImplicitAlsOptions } from '@cf/trainer';

const root = process.env['CF_DATA_DIR'];
if (!root) throw new Error('set CF_DATA_DIR to the folder that contains ml-latest-small/');
await tf.setBackend('cpu');
const { table } = await loadRatings(join(root, 'ml-latest-small'));
const outer = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });

const inner = innerSplit(outer);

const grids: Record<string, ImplicitAlsOptions[]> = {
  ials: [
    {},
    { unobservedWeight: 0.03 },
    { unobservedWeight: 0.3 },
    { regularization: 0.003 },
    { regularization: 0.03 },
    { nFactors: 128 },
    { nFactors: 32 },
    { confidence: null },
    { confidence: { threshold: 4, atOrAbove: 1, below: 0.1 } },
    { confidence: { threshold: 4, atOrAbove: 1, below: 0.5 } },
  ],
  // issue #13's third round (the trainer README's cf table): seeds, 128/256 factors, and the
  // conjugate-gradient solver that makes 128 factors affordable
  factors: [
    { seed: 1 },
    { seed: 2 },
    { nFactors: 128, solver: 'cholesky' },
    { nFactors: 128, solver: 'cholesky', seed: 1 },
    { nFactors: 128, solver: 'cholesky', seed: 2 },
    { solver: 'conjugate-gradient', conjugateGradientSteps: 3 },
    { nFactors: 128, solver: 'conjugate-gradient', conjugateGradientSteps: 3 },
    ...(
      [
        {},
        { nFactors: 256 },
        { sweeps: 16 },
        { regularization: 0.007 },
        { regularization: 0.014 },
        { unobservedWeight: 0.07 },
      ] satisfies ImplicitAlsOptions[]
    ).map((o): ImplicitAlsOptions => ({
      nFactors: 128,
      solver: 'conjugate-gradient',
      conjugateGradientSteps: 6,
      ...o,
    })),
  ],
};
const grid: ImplicitAlsOptions[] =
  grids[process.argv[2] ?? 'ials'] ?? (JSON.parse(process.argv[2]!) as ImplicitAlsOptions[]);
for (const options of grid) {
  const started = performance.now();
  const model = await fitImplicitAls(table, inner.train, options);
  const seconds = (performance.now() - started) / 1000;
  const m = rankingMetrics(model, table, inner, { k: 10 });
  console.log(
    `| ${JSON.stringify(options)} | ${m.ndcgAtK.toFixed(4)} | ${m.recallAtK.toFixed(4)} | ${seconds.toFixed(1)} |`,
  );
}
