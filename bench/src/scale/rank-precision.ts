// The ranking kernel's two arithmetics side by side (issue #16, top-10 for every user): a random
// implicit-MF model of ml-25m's shape (USERS users, default 162,541; 59,047 items; FACTORS
// factors, default 193 as the `topn` blend) ranked by `rankAllUsers` on THREADS threads with every
// (user, item) pair scored (PRUNE=0, the default: what pruning by norm cannot shorten, the worst
// case for a real model) in float32 and in int16, each RUNS times (default 2), alternating. Random factors have
// nearly equal norms, so PRUNE=1 prunes almost nothing here either. Prints one JSON line per run
// and checks that both arithmetics give the same lists (sha256 of items and scores).
// Usage: node --import tsx src/scale/rank-precision.ts [FACTORS=193] [USERS=162541] [THREADS=2] [PRUNE=0] [RUNS=2]
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createImplicitMatrixFactorization, rankAllUsers } from '@cf/model';

const [fText = '193', usersText = '162541', threadsText = '2', pruneText = '0', runsText = '2'] =
  process.argv.slice(2);
await tf.setBackend('cpu');
const nItems = 59047;
const nUsers = Number(usersText);
const f = Number(fText);
const model = createImplicitMatrixFactorization({
  nUsers,
  nItems,
  nFactors: f,
  initStd: 1,
  seed: 3,
});
const digests = new Map<string, string>();
const order = Array.from({ length: Number(runsText) }, () => ['float32', 'int16'] as const).flat();
for (const precision of order) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const ranked = await rankAllUsers(model, {
    k: 10,
    threads: Number(threadsText),
    precision,
    prune: pruneText !== '0',
  });
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const digest = createHash('sha256')
    .update(new Uint8Array(ranked.items.buffer))
    .update(new Uint8Array(ranked.scores.buffer))
    .digest('hex');
  digests.set(precision, digest);
  const cpuSeconds = (used.user + used.system) / 1e6;
  console.log(
    JSON.stringify({
      precision,
      nFactors: f,
      users: nUsers,
      items: nItems,
      threads: ranked.threads,
      prune: pruneText !== '0',
      seconds,
      cpuSeconds,
      cpuMicrosecondsPerUser: (cpuSeconds / nUsers) * 1e6,
      scoredFraction: ranked.work ? ranked.work.scored / (nUsers * nItems) : undefined,
      candidatesPerUser: ranked.work ? ranked.work.candidates / nUsers : undefined,
      load: loadavg()[0],
      digest: digest.slice(0, 16),
    }),
  );
}
if (new Set(digests.values()).size !== 1) {
  console.error(`DIFFERENT lists: ${JSON.stringify(Object.fromEntries(digests))}`);
  process.exit(1);
}
console.log('same lists in float32 and int16');
