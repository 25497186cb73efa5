#!/usr/bin/env node
// The fault matrix of "What cf guarantees" (README), re-run on the built CLI against real data:
//   kills:  SIGKILL of `cf train --out DIR` at random moments and right after checkpoint writes,
//           then `--resume` (or a fresh run when no checkpoint was written); every folder must hold
//           nothing or a complete loadable model, and every finished run must equal the
//           uninterrupted run's RMSE and weights byte for byte;
//   pairs:  two `cf train --out SAME` started together; one must save, the other exit 1 naming
//           the lock holder, and the folder must load.
// Usage: CF_DATA_DIR=../shared/datasets node scripts/fault-matrix.mjs [--kills 32] [--write-kills 7] [--pairs 19]
// Writes its counts as JSON to stdout. Needs `pnpm build` first.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    kills: { type: 'string', default: '32' },
    'write-kills': { type: 'string', default: '7' },
    pairs: { type: 'string', default: '19' },
    seed: { type: 'string', default: '1' },
  },
});
const bin = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'packages',
  'cli',
  'dist',
  'bin.js',
);
if (!existsSync(bin)) throw new Error(`${bin} is missing: run pnpm build first`);
if (!process.env.CF_DATA_DIR)
  throw new Error('set CF_DATA_DIR to the folder holding ml-latest-small/');
const root = await mkdtemp(join(tmpdir(), 'cf-fault-matrix-'));
// a small deterministic generator for the kill moments (reproducible with --seed)
let state = Number(values.seed) >>> 0 || 1;
const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;

/** Runs cf; kills it with SIGKILL `killAfterMs` after the start, or when stderr matches `killOn` (+ delayMs). */
function cf(args, { killAfterMs, killOn, delayMs = 0 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const kill = () => {
      if (!killed) ((killed = true), child.kill('SIGKILL'));
    };
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      if (killOn && !killed && killOn.test(stderr)) setTimeout(kill, delayMs);
    });
    const timer = killAfterMs === undefined ? undefined : setTimeout(kill, killAfterMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const trainArgs = (out, extra = [], seed = 42) => [
  'train',
  '--recipe',
  'notebook',
  '--seed',
  String(seed),
  '--threads',
  '1',
  '--out',
  out,
  '--json',
  ...extra,
];

/** 'none' (no model.json), 'complete' (cf predict answers) or 'broken' (model.json that does not load). */
async function folderState(dir) {
  if (!existsSync(join(dir, 'model.json'))) return 'none';
  const r = await cf(['predict', '--model', dir, '--user', '1', '--item', '1']);
  return r.code === 0 ? 'complete' : 'broken';
}

async function weightsDigest(dir) {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const hash = createHash('sha256');
  for (const group of json.weightsManifest)
    for (const p of group.paths) hash.update(await readFile(join(dir, p)));
  return hash.digest('hex');
}

const started = performance.now();
// the uninterrupted run every resumed one must equal
const baseDir = join(root, 'uninterrupted');
const t0 = performance.now();
const base = await cf(trainArgs(baseDir));
const fullMs = performance.now() - t0;
if (base.code !== 0) throw new Error(`the uninterrupted run failed:\n${base.stderr}`);
const baseRmse = JSON.parse(base.stdout).rmse;
const baseDigest = await weightsDigest(baseDir);

// a previous model (another seed) that a killed run over it must leave intact or replace whole
const previousDir = join(root, 'previous');
const previous = await cf(trainArgs(previousDir, [], 7));
if (previous.code !== 0) throw new Error(`the previous-model run failed:\n${previous.stderr}`);
const previousDigest = await weightsDigest(previousDir);

const kills = [];
async function killAndResume(label, killOptions, overPrevious) {
  const dir = join(root, `kill-${kills.length}`);
  if (overPrevious) await cp(previousDir, dir, { recursive: true });
  const killed = await cf(trainArgs(dir), killOptions);
  let afterKill = await folderState(dir);
  if (afterKill === 'complete') {
    const digest = await weightsDigest(dir);
    afterKill = digest === previousDigest ? 'previous' : digest === baseDigest ? 'new' : 'mixed';
  }
  const hasCheckpoint = existsSync(join(dir, 'checkpoint', 'model.json'));
  const finish = await cf(trainArgs(dir, hasCheckpoint ? ['--resume'] : []));
  const rmse = finish.code === 0 ? JSON.parse(finish.stdout).rmse : NaN;
  const same = finish.code === 0 && rmse === baseRmse && (await weightsDigest(dir)) === baseDigest;
  const leftovers = (await readdir(dir)).filter((f) => f.includes('.tmp'));
  kills.push({
    label: overPrevious ? `${label}, over a previous model` : label,
    killedBy: killed.signal ?? `exit ${killed.code}`,
    afterKill,
    resumed: hasCheckpoint,
    finishExit: finish.code,
    rmse,
    identical: same,
    tempFilesLeft: leftovers.length,
  });
  await rm(dir, { recursive: true, force: true });
}
for (let k = 0; k < Number(values.kills); k++)
  await killAndResume('random', { killAfterMs: 200 + random() * (fullMs - 200) }, k % 2 === 1);
// right after an epoch's table row: the checkpoint of that epoch is being written
for (let k = 0; k < Number(values['write-kills']); k++)
  await killAndResume(
    'checkpoint-write',
    {
      killOn: new RegExp(`\\n\\s*${1 + (k % 5)}\\s+\\d`),
      delayMs: Math.floor(random() * 15),
    },
    k % 2 === 1,
  );

const pairs = [];
for (let p = 0; p < Number(values.pairs); p++) {
  const dir = join(root, `pair-${p}`);
  const [a, b] = await Promise.all([
    cf(['train', '--recipe', 'notebook', '--seed', '1', '--out', dir, '--quiet']),
    cf(['train', '--recipe', 'notebook', '--seed', '2', '--out', dir, '--quiet']),
  ]);
  const codes = [a.code, b.code].sort();
  const loser = a.code === 0 ? b : a;
  pairs.push({
    codes,
    oneSaved: codes[0] === 0 && codes[1] === 1,
    loserNamesHolder: /another cf is writing this folder: process \d+/.test(loser.stderr),
    rawStack: /\n\s+at /.test(a.stderr + b.stderr),
    folder: await folderState(dir),
  });
  await rm(dir, { recursive: true, force: true });
}
await rm(root, { recursive: true, force: true });

const count = (list, f) => list.filter(f).length;
console.log(
  JSON.stringify(
    {
      uninterrupted: { rmse: baseRmse, seconds: +(fullMs / 1000).toFixed(1) },
      kills: {
        total: kills.length,
        // after the kill: no model (fresh folder), the previous model, or the new one; never broken or mixed
        folderIntact: count(kills, (k) => ['none', 'previous', 'new'].includes(k.afterKill)),
        previousModelKept: count(kills, (k) => k.afterKill === 'previous'),
        overPreviousModel: count(kills, (k) => k.label.includes('previous')),
        resumedFromCheckpoint: count(kills, (k) => k.resumed),
        identicalToUninterrupted: count(kills, (k) => k.identical),
        tempFilesLeft: kills.reduce((s, k) => s + k.tempFilesLeft, 0),
        runs: kills,
      },
      pairs: {
        total: pairs.length,
        oneSavedOneRefused: count(pairs, (p) => p.oneSaved),
        refusalNamesHolder: count(pairs, (p) => p.loserNamesHolder),
        rawStackTraces: count(pairs, (p) => p.rawStack),
        folderLoads: count(pairs, (p) => p.folder === 'complete'),
        runs: pairs,
      },
      seconds: +((performance.now() - started) / 1000).toFixed(0),
    },
    null,
    2,
  ),
);
