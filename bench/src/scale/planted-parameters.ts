// Regenerates the planted parameters behind a generated folder (plantedMovieLensParameters of
// @cf/test-utils/planted, same options as its planted.json) and writes them as raw little-endian
// arrays for bench/numpy/planted_floor.py:
//
//   pnpm --filter @cf/bench planted:parameters -- --data /tmp/cf-scale/planted-1000000-s1 --out DIR
//
// DIR gets parameters.json (shapes, priors, the regenerated bestRmse) and userBias.f64,
// userFactors.f64 (users × rank), itemBias.f64, itemFactors.f64 (items × rank), movieIds.i32.
// The regenerated bestRmse must equal the folder's, or the folder was written by other options or
// another generator version, and nothing is written.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  PLANTED_GENERATOR_VERSION,
  plantedMovieLensParameters,
  type PlantedMovieLensSummary,
} from '@cf/test-utils/planted';

const { values } = parseArgs({
  // pnpm run passes the `--` of `pnpm … planted:parameters -- --data …` through
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: { data: { type: 'string' }, out: { type: 'string' } },
});
if (!values.data || !values.out) {
  console.error('usage: planted-parameters --data FOLDER --out DIR');
  process.exit(2);
}
const sidecar = join(values.data, 'planted.json');
const planted = JSON.parse(readFileSync(sidecar, 'utf8')) as PlantedMovieLensSummary;
if (planted.version !== PLANTED_GENERATOR_VERSION) {
  console.error(
    `${sidecar}: generator version ${planted.version}, this generator is ${PLANTED_GENERATOR_VERSION}; regenerate the folder`,
  );
  process.exit(1);
}
const parameters = plantedMovieLensParameters({
  rows: planted.rows,
  seed: planted.seed,
  users: planted.users,
  items: planted.items,
  rank: planted.model.rank,
  noiseStd: planted.model.noiseStd,
});
if (parameters.summary.bestRmse !== planted.bestRmse) {
  console.error(
    `${sidecar}: bestRmse ${planted.bestRmse}, regenerated ${parameters.summary.bestRmse}: not the same ratings`,
  );
  process.exit(1);
}
mkdirSync(values.out, { recursive: true });
const arrays = {
  'userBias.f64': parameters.userBias,
  'userFactors.f64': parameters.userFactors,
  'itemBias.f64': parameters.itemBias,
  'itemFactors.f64': parameters.itemFactors,
  'movieIds.i32': parameters.movieIds,
};
for (const [name, array] of Object.entries(arrays))
  writeFileSync(
    join(values.out, name),
    new Uint8Array(array.buffer, array.byteOffset, array.byteLength),
  );
const { summary, globalMean, rank, noiseStd, userBiasStd, itemBiasStd, factorStd } = parameters;
const scalars = { globalMean, rank, noiseStd, userBiasStd, itemBiasStd, factorStd };
writeFileSync(
  join(values.out, 'parameters.json'),
  JSON.stringify(
    {
      data: values.data,
      users: summary.users,
      items: summary.items,
      ...scalars,
      bestRmse: summary.bestRmse,
    },
    null,
    2,
  ) + '\n',
);
console.log(
  `wrote ${values.out}: ${summary.users} users, ${summary.items} items, bestRmse ${summary.bestRmse} (matches ${sidecar})`,
);
