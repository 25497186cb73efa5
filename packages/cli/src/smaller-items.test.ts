import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSyntheticRatings } from '@cf/test-utils';
import type { EpochResult, FitContext } from '@cf/trainer';
import { cliRunner } from './memory-io.test-helper.js';
import { claimOutputFolder } from './output-folder.js';
import { epochProgress } from './progress.js';

// Issue 15, item 7: the smaller failures, each.

let root: string;
const cf = cliRunner(() => root);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cf-small-'));
  const { table } = makeSyntheticRatings({ nUsers: 20, nItems: 30, density: 0.4, seed: 2 });
  const lines = ['userId,movieId,rating,timestamp'];
  for (let r = 0; r < table.rating.length; r++)
    lines.push(
      `${String(table.userIds.idAt(table.userIndex[r]!))},${String(table.itemIds.idAt(table.itemIndex[r]!))},${table.rating[r]!},${r}`,
    );
  await writeFile(join(root, 'ratings.csv'), lines.join('\n') + '\n');
  const trained = await cf([
    'train',
    '--data',
    'ratings.csv',
    '--recipe',
    'fastai',
    '--epochs',
    '1',
    '--out',
    'm',
    '--quiet',
  ]);
  expect(trained.code).toBe(0);
}, 60_000);
afterAll(() => rm(root, { recursive: true, force: true }));

describe('smaller items of issue 15', () => {
  it('a killed first checkpoint write leaves temp files only; the next writer of the folder removes them', async () => {
    const dir = join(root, 'killed');
    await mkdir(join(dir, 'checkpoint'), { recursive: true });
    const dead = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    await writeFile(join(dir, 'checkpoint', `model.json.tmp-${dead}-2`), '{"trunc');
    await writeFile(join(dir, 'checkpoint', `weights.0badc0de.bin.tmp-${dead}-1`), 'partial');
    await writeFile(join(dir, `.cf-lock.${dead}-1`), '{}');
    await writeFile(join(dir, 'notes.txt'), 'mine');
    const folder = await claimOutputFolder(dir, 'cf train');
    expect(existsSync(join(dir, 'checkpoint'))).toBe(false);
    expect((await readdir(dir)).sort()).toEqual(['.cf-lock', 'notes.txt']);
    await folder.release();
  });

  it('recommend and similar say what to do with an unknown id, without suggesting a fallback they lack', async () => {
    const user = await cf(['recommend', '--model', 'm', '--user', '99999']);
    expect(user.code).toBe(1);
    expect(user.err).toMatch(/unknown user id 99999: .*cf fold-in/);
    expect(user.err).not.toMatch(/fallback'? (unknown-id )?policy/);
    const item = await cf(['similar', '--model', 'm', '--item', '99999']);
    expect(item.code).toBe(1);
    expect(item.err).toMatch(/unknown item id 99999: .*items the model was trained on/);
    expect(item.err).not.toMatch(/'fallback'/);
  });

  it('an empty --user or --item is bad usage (exit 2), not a silent fallback', async () => {
    for (const argv of [
      ['recommend', '--model', 'm', '--user', ''],
      ['predict', '--model', 'm', '--user', ' ', '--item', '1'],
      ['predict', '--model', 'm', '--user', '1', '--item', ''],
      ['similar', '--model', 'm', '--item', ''],
    ]) {
      const result = await cf(argv);
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/--(user|item) is empty/);
    }
  });

  it('cf info on a file too small for a validation split reports the counts and says why there are no splits', async () => {
    await writeFile(join(root, 'one.csv'), 'userId,movieId,rating,timestamp\n1,1,4,1\n');
    const result = await cf(['info', 'one.csv']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/1 ratings, 1 users, 1 items/);
    expect(result.out).toMatch(/getCvIdxs splits: none \(int\(0\.2 × 1\) = 0 validation rows/);
  });

  it('cv --predefined on a CSV says the folds live in the ml-100k folder, not ENOTDIR', async () => {
    const result = await cf(['cv', '--data', 'ratings.csv', '--predefined', '--recipe', 'bias']);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      /--predefined reads the data set's own folds .* give the ml-100k folder/,
    );
    expect(result.err).not.toMatch(/ENOTDIR/);
  });

  it('an interrupted epoch is reported as interrupted, not as a table row', () => {
    let written = '';
    const progress = epochProgress({ write: (t: string) => void (written += t) }, 'normal');
    const context = { batch: 41, batchesPerEpoch: 1261 } as FitContext;
    const row = (complete: boolean): EpochResult => ({
      epoch: 3,
      trainLoss: 0.8,
      valLoss: 0.9,
      metrics: { rmse: 0.95 },
      seconds: 1,
      validSeconds: 0.1,
      complete,
    });
    void progress.onEpochEnd!.call(progress, context, row(true));
    const table = written;
    void progress.onEpochEnd!.call(progress, context, row(false));
    expect(written.slice(table.length)).toBe(
      'epoch 3 interrupted after 42 of 1261 batches: not a complete epoch, so no table row and no checkpoint\n',
    );
  });
});
