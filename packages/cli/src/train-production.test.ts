import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { splitByCvIdxs, type RawId } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { loadModelFromDirectory } from '@cf/model/node';
import { makeSyntheticRatings } from '@cf/test-utils';
import { cliRunner } from './memory-io.test-helper.js';

// What a model used in production is trained on and what it may recommend.
let dir: string;
const { table } = makeSyntheticRatings({ nUsers: 20, nItems: 30, density: 0.35, seed: 21 });

beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'cf-cli-production-'));
  const lines = ['userId,movieId,rating,timestamp'];
  for (let r = 0; r < table.rating.length; r++)
    lines.push(
      `${String(table.userIds.idAt(table.userIndex[r]!))},${String(table.itemIds.idAt(table.itemIndex[r]!))},${table.rating[r]},${table.timestamp![r]}`,
    );
  await writeFile(join(dir, 'ratings.csv'), lines.join('\n') + '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cf = cliRunner(() => dir);

describe('a model saved by cf train never recommends an item the user rated in the file', () => {
  it('fastai model: no recommendation of any user is in that user’s rows, validation rows included', async () => {
    const train = await cf([
      'train',
      '--data',
      'ratings.csv',
      '--recipe',
      'fastai',
      '--epochs',
      '2',
      '--out',
      'split-model',
      '--quiet',
    ]);
    expect(train.code).toBe(0);
    const { table: file } = await loadRatings(join(dir, 'ratings.csv'));
    const split = splitByCvIdxs(file, { cvIdx: 0, valPct: 0.2, seed: 42 });
    const rated = new Map<RawId, Set<RawId>>();
    const trainedOn = new Map<RawId, Set<RawId>>();
    const isTrain = new Uint8Array(file.rating.length);
    for (const r of split.train) isTrain[r] = 1;
    for (let r = 0; r < file.rating.length; r++) {
      const user = file.userIds.idAt(file.userIndex[r]!);
      const item = file.itemIds.idAt(file.itemIndex[r]!);
      if (!rated.has(user)) rated.set(user, new Set());
      rated.get(user)!.add(item);
      if (isTrain[r]) {
        if (!trainedOn.has(user)) trainedOn.set(user, new Set());
        trainedOn.get(user)!.add(item);
      }
    }
    let checked = 0;
    for (const [user, items] of rated) {
      const rec = await cf([
        'recommend',
        '--model',
        'split-model',
        '--user',
        String(user),
        '--json',
      ]);
      expect(rec.code).toBe(0);
      const list = (JSON.parse(rec.out) as { items: { itemId: RawId }[] }).items;
      expect(list).toHaveLength(10);
      for (const { itemId } of list) expect(items.has(itemId)).toBe(false);
      checked++;
    }
    expect(checked).toBe(file.userIds.size);
    // The check has teeth: excluding only the training rows, validation items reach the top 10.
    const loaded = await loadModelFromDirectory(join(dir, 'split-model'));
    let validationItemsInTop10 = 0;
    for (const [user, items] of rated) {
      const top = loaded
        .recommend(user, { k: loaded.itemIds.size, excludeSeen: false })
        .filter((r) => !trainedOn.get(user)?.has(r.itemId))
        .slice(0, 10);
      validationItemsInTop10 += top.filter((r) => items.has(r.itemId)).length;
    }
    expect(validationItemsInTop10).toBeGreaterThan(0);
    loaded.dispose();
  }, 60_000);
});

describe('cf train --all', () => {
  it('trains on every row with the recipe’s schedule, reports no validation numbers and says so', async () => {
    const { code, out, err } = await cf([
      'train',
      '--data',
      'ratings.csv',
      '--recipe',
      'fastai',
      '--epochs',
      '2',
      '--all',
      '--out',
      'all-model',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(err).toMatch(
      new RegExp(`split: none \\(--all\\) — training on all ${table.stats.count} rows`),
    );
    expect(err).toMatch(/no validation numbers: trained on every row \(--all\)/);
    expect(err).not.toMatch(/val_loss|validation RMSE|NaN/);
    expect(err).toMatch(/epoch\s+trn_loss\s+time \(s\)/);
    const json = JSON.parse(out) as Record<string, unknown>;
    expect(json['validation']).toBeNull();
    for (const key of ['rmse', 'mse', 'mae', 'baselineRmse']) expect(json).not.toHaveProperty(key);
    expect(json['split']).toEqual({ kind: 'all', nTrain: table.stats.count, nValid: 0 });
    const epochs = json['epochs'] as Record<string, number>[];
    expect(epochs).toHaveLength(2);
    expect(Object.keys(epochs[0]!).sort()).toEqual([
      'epoch',
      'fit',
      'fitEpoch',
      'seconds',
      'trainLoss',
    ]);
    const saved = JSON.parse(await readFile(join(dir, 'all-model', 'model.json'), 'utf8')) as {
      modelTopology: { split: unknown };
    };
    expect(saved.modelTopology.split).toEqual({
      kind: 'all',
      nTrain: table.stats.count,
      nValid: 0,
    });
    const loaded = await loadModelFromDirectory(join(dir, 'all-model'));
    expect(loaded.training?.nRatings).toBe(table.stats.count);
    loaded.dispose();
  }, 60_000);

  it('refuses --cv-idx and --val-pct beside it (exit 2)', async () => {
    for (const extra of [
      ['--cv-idx', '1'],
      ['--val-pct', '0.1'],
    ]) {
      const { code, err } = await cf(['train', '--data', 'ratings.csv', '--all', ...extra]);
      expect(code).toBe(2);
      expect(err).toMatch(/cannot be used with/);
    }
  });

  it('--val-pct 0 is refused and points at --all, in train, cv and info', async () => {
    for (const command of ['train', 'cv', 'info']) {
      const { code, err } = await cf([command, '--data', 'ratings.csv', '--val-pct', '0']);
      expect(code).toBe(2);
      expect(err).toMatch(
        /0 would leave no validation rows: to train on every row use cf train --all/,
      );
    }
  });
});
