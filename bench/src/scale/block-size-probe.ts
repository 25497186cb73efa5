// Probe: BlockedRanker on one thread over the first N users of a saved model with several
// blockItems / blockUsers settings: CPU seconds and the share of pairs scored (issue #16).
// Usage: node --import tsx src/scale/block-size-probe.ts MODEL N ITEMS1,ITEMS2,... [USERS=64]
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { BlockedRanker } from '@cf/model';
import { loadModelFromDirectory } from '@cf/model/node';

const [dir, nText, itemsText, usersText = '64'] = process.argv.slice(2);
await tf.setBackend('cpu');
const trained = await loadModelFromDirectory(dir!);
const n = Number(nText);
const users = Int32Array.from({ length: n }, (_, u) => u);
const seen = trained.seen!;
for (const blockItems of itemsText!.split(',').map(Number)) {
  for (const blockUsers of usersText.split(',').map(Number)) {
    const ranker = BlockedRanker.create(trained.model, { blockItems, blockUsers })!;
    const cpu = process.cpuUsage();
    for (let p0 = 0; p0 < n; p0 += 2048) {
      const block = users.subarray(p0, Math.min(n, p0 + 2048));
      ranker.rank(block, {
        k: 10,
        excluded: (p) =>
          seen.itemIndex.subarray(seen.offsets[block[p]!], seen.offsets[block[p]! + 1]),
      });
    }
    const used = process.cpuUsage(cpu);
    const w = ranker.work;
    console.log(
      JSON.stringify({
        blockItems,
        blockUsers,
        cpuSecondsPer1kUsers: ((used.user + used.system) / 1e6 / n) * 1000,
        scoredFraction: w.scored / (w.users * trained.itemIds.size),
        candidatesPerUser: w.candidates / w.users,
      }),
    );
  }
}
