// The threaded paths as a user meets them from the installed packages: `fit` with `threads: 2`
// (Hogwild workers, started from `hogwild-worker.js` beside @cf/trainer's entry) and
// `recommendForAllUsers` with `threads: 2` (ranking workers from `rank-worker.js` beside
// @cf/model's), in whatever form the program was built (CommonJS, ES module, an esbuild bundle).
// Neither may crash or hang: where the workers cannot start they fall back to one thread with a
// note, which the report carries for run.mjs to check.
import * as tf from '@tensorflow/tfjs-core';
import { parseRatingsText, splitByCvIdxs } from '@cf/data';
import { createEmbeddingDotBias, createTrainedModel, recommendForAllUsers } from '@cf/model';
import { createAdamW, createModelData, fit, rmse } from '@cf/trainer';
import { syntheticCsv } from './synthetic.js';

/** What {@link threads} reports (printed as one JSON line). */
export interface ThreadsReport {
  /** Threads `fit` trained on, and why fewer than 2 when so. */
  fitThreads: number;
  fitNote: string | null;
  valRmse: number;
  /** Threads that ranked every user, and why fewer than 2 when so. */
  rankThreads: number;
  rankNote: string | null;
  /** Users ranked, and whether every list equals `recommend`'s for that user (one thread). */
  users: number;
  sameAsRecommend: boolean;
}

/** Trains on 2 threads, ranks every user on 2 threads, checks the lists against `recommend`. */
export async function threads(): Promise<ThreadsReport> {
  await tf.setBackend('cpu');
  const { table } = parseRatingsText(syntheticCsv());
  const split = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
  const data = createModelData(table, split, { batchSize: 16, seed: 42 });
  const model = createEmbeddingDotBias({
    nUsers: table.userIds.size,
    nItems: table.itemIds.size,
    nFactors: 8,
    yRange: [0, 5.5],
    seed: 42,
  });
  const optimizer = createAdamW(model.parameters, { lr: 0.01, weightDecay: 0.01 });
  let fitThreads = 0;
  let fitNote: string | null = null;
  const [, valRmse] = await fit(model, data, 2, optimizer, 'mse', {
    threads: 2,
    metrics: [rmse],
    callbacks: [
      {
        onTrainBegin: (context) => {
          fitThreads = context.threads;
          fitNote = context.threadsNote ?? null;
        },
      },
    ],
  });
  const trained = createTrainedModel(model, table, { trainRows: split.train });
  try {
    const all = await recommendForAllUsers(trained, { k: 5, threads: 2 });
    let same = all.recommendations.size === table.userIds.size;
    for (const [userId, list] of all.recommendations) {
      const one = trained.recommend(userId, { k: 5 });
      same &&=
        JSON.stringify(one.map((r) => r.itemId)) === JSON.stringify(list.map((r) => r.itemId));
    }
    return {
      fitThreads,
      fitNote,
      valRmse: valRmse ?? Number.NaN,
      rankThreads: all.threads,
      rankNote: all.threadsNote ?? null,
      users: all.recommendations.size,
      sameAsRecommend: same,
    };
  } finally {
    trained.dispose();
  }
}
