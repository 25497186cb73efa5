// Top-10 for every user at scale (issue #16): loads FOLDER, splits as `cf train` does, trains the
// fastai recipe for EPOCHS epochs (default 1) at batch 1024 on THREADS threads, then times
// `rankingMetrics` (every item scored for every user with a validation rating ≥ 4, training items
// excluded, top 10 kept), the report `cf train` prints. Prints {"users", "seconds", "cpuSeconds"}.
// Usage: rank-once.ts FOLDER [THREADS=2] [EPOCHS=1]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { splitByCvIdxs } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { rankingMetrics, runRecipe } from '@cf/trainer';

const [folder, threadsText = '2', epochsText = '1'] = process.argv.slice(2);
if (!folder) throw new Error('usage: rank-once.ts FOLDER [THREADS] [EPOCHS]');
await tf.setBackend('cpu');
const { table } = await loadRatings(folder);
const split = splitByCvIdxs(table, { cvIdx: 0, valPct: 0.2, seed: 42 });
const result = await runRecipe('fastai', table, split, {
  epochs: [Number(epochsText)],
  batchSize: 1024,
  threads: Number(threadsText),
});
const cpu = process.cpuUsage();
const start = performance.now();
const ranking = rankingMetrics(result.model, table, split, { k: 10 });
const seconds = (performance.now() - start) / 1000;
const used = process.cpuUsage(cpu);
console.log(
  JSON.stringify({
    users: ranking.users,
    allUsers: table.userIds.size,
    items: table.itemIds.size,
    ndcg: ranking.ndcgAtK,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
  }),
);
