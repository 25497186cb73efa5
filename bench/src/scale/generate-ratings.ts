// Writes an ml-25m-shaped MovieLens folder with planted structure (see writePlantedMovieLens in
// @cf/test-utils/planted): ratings.csv, movies.csv, links.csv and planted.json.
//
//   pnpm --filter @cf/bench generate:scale -- --rows 25000000 --out /tmp/cf-scale/25m --seed 1
//
// Options: --rows N (default 25,000,000), --out DIR (default <tmp>/cf-scale/planted-<rows>-s<seed>),
// --seed S (default 1), --users U and --items I (default ml-25m's counts scaled by rows / 25M).
// Generated files belong under /tmp or a gitignored folder: never commit them.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writePlantedMovieLens } from '@cf/test-utils/planted';

const { values } = parseArgs({
  // pnpm run passes the `--` of `pnpm … generate:scale -- --rows …` through
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    rows: { type: 'string', default: '25000000' },
    out: { type: 'string' },
    seed: { type: 'string', default: '1' },
    users: { type: 'string' },
    items: { type: 'string' },
  },
});

function integer(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text.replace(/_/g, ''));
  if (!Number.isInteger(value) || value < 0) {
    console.error(`--${name} expects a non-negative integer, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return value;
}

const rows = integer('rows', values.rows)!;
const seed = integer('seed', values.seed)!;
const out = values.out ?? join(tmpdir(), 'cf-scale', `planted-${rows}-s${seed}`);
const users = integer('users', values.users);
const items = integer('items', values.items);
const summary = writePlantedMovieLens(out, {
  rows,
  seed,
  ...(users === undefined ? {} : { users }),
  ...(items === undefined ? {} : { items }),
});
console.log(
  `wrote ${out}: ${summary.rows.toLocaleString('en-US')} ratings, ${summary.users.toLocaleString('en-US')} users, ${summary.items.toLocaleString('en-US')} items, ${(summary.files.bytes / 1e6).toFixed(0)} MB in ${summary.seconds} s; best achievable RMSE ${summary.bestRmse} (planted score ${summary.plantedScoreRmse}, mean ${summary.meanRmse}); planted.json beside it`,
);
