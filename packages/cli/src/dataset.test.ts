import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIO } from './cli-io.js';
import { loadDataset } from './dataset.js';

let dir: string;
const io: CliIO = {
  stdout: { write: () => true },
  stderr: { write: () => true },
  env: {},
  cwd: '/',
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cf-cli-dataset-'));
  await writeFile(
    join(dir, 'ratings.csv'),
    'userId,movieId,rating,timestamp\n1,10,4.0,100\n1,20,3.5,200\n2,10,5.0,300\n',
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('loadDataset', () => {
  it('keeps the timestamp column by default and drops it with timestamps: false (cf train, cf cv)', async () => {
    const options = { data: join(dir, 'ratings.csv'), dataset: 'ml-latest-small' };
    const kept = (await loadDataset(options, io, () => undefined)).loaded.table;
    expect(Array.from(kept.timestamp ?? [])).toEqual([100, 200, 300]);
    const dropped = (await loadDataset(options, io, () => undefined, { timestamps: false })).loaded
      .table;
    expect(dropped.timestamp).toBeUndefined();
    expect(Array.from(dropped.userIndex)).toEqual(Array.from(kept.userIndex));
    expect(Array.from(dropped.itemIndex)).toEqual(Array.from(kept.itemIndex));
    expect(Array.from(dropped.rating)).toEqual([4, 3.5, 5]);
    expect(dropped.stats).toEqual(kept.stats);
  });
});
