// One timed `rankAllUsers` run in a fresh process, for the recommend-all bench: loads the model
// folder MODEL (saved by `cf train`), then ranks the top K (default 10) of every item for every
// user, the user's rated items excluded, on THREADS threads, and prints
// {"users", "items", "threads", "path", "seconds", "cpuSeconds", "load", "loadSeconds", "maxRssMB", "digest"}
// (cpuSeconds: every thread of the process, the workers' too; digest: sha256 of the lists, to
// check that every thread count gives the same result).
// With the blocked path, also the share of (user, item) pairs its kernel scored (pruning stops
// users early) and the items rescored exactly per user.
// Usage: recommend-all-once.ts MODEL THREADS [K=10] [WASM=1] [PRUNE=1] [PRECISION=int16]
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { rankAllUsers } from '@cf/model';
import { loadModelFromDirectory } from '@cf/model/node';

const [dir, threadsText, kText = '10', wasmText = '1', pruneText = '1', precisionText = 'int16'] =
  process.argv.slice(2);
if (precisionText !== 'int16' && precisionText !== 'float32') {
  console.error(`PRECISION must be int16 or float32, got ${precisionText}`);
  process.exit(2);
}
if (!dir || !threadsText) {
  console.error('usage: recommend-all-once.ts MODEL THREADS [K] [WASM]');
  process.exit(2);
}
await tf.setBackend('cpu');
const loadStart = performance.now();
const trained = await loadModelFromDirectory(dir);
const loadSeconds = (performance.now() - loadStart) / 1000;
const cpu = process.cpuUsage();
const start = performance.now();
const ranked = await rankAllUsers(trained.model, {
  k: Number(kText),
  excluded: trained.seen,
  threads: Number(threadsText),
  wasm: wasmText !== '0',
  prune: pruneText !== '0',
  precision: precisionText,
});
const seconds = (performance.now() - start) / 1000;
const used = process.cpuUsage(cpu);
const digest = createHash('sha256')
  .update(new Uint8Array(ranked.counts.buffer))
  .update(new Uint8Array(ranked.items.buffer))
  .update(new Uint8Array(ranked.scores.buffer))
  .digest('hex');
console.log(
  JSON.stringify({
    users: ranked.users.length,
    items: trained.itemIds.size,
    model: trained.model.config.type,
    threads: ranked.threads,
    threadsNote: ranked.threadsNote,
    path: ranked.path,
    seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
    load: loadavg()[0],
    loadSeconds,
    maxRssMB: process.resourceUsage().maxRSS / 1024,
    digest,
    prune: pruneText !== '0',
    precision: precisionText,
    nFactors: 'nFactors' in trained.model.config ? trained.model.config.nFactors : undefined,
    scoredFraction: ranked.work
      ? ranked.work.scored / (ranked.users.length * trained.itemIds.size)
      : undefined,
    candidatesPerUser: ranked.work ? ranked.work.candidates / ranked.users.length : undefined,
  }),
);
