import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getCvIdxs } from '@cf/data';
import { makeSyntheticRatings } from '@cf/test-utils';
import { memoryIO } from './memory-io.test-helper.js';
import { resolveRecipe } from './commands/train.js';
import { run } from './run.js';

const here = dirname(fileURLToPath(import.meta.url));

let dir: string;
let dataDir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cf-cli-'));
  dataDir = join(dir, 'data');
  const { mkdir } = await import('node:fs/promises');
  await mkdir(dataDir);
  const { table } = makeSyntheticRatings({ nUsers: 30, nItems: 40, density: 0.4, seed: 9 });
  const lines = ['userId,movieId,rating,timestamp'];
  for (let r = 0; r < table.rating.length; r++) {
    lines.push(
      `${String(table.userIds.idAt(table.userIndex[r]!))},${String(table.itemIds.idAt(table.itemIndex[r]!))},${table.rating[r]},${table.timestamp![r]}`,
    );
  }
  await writeFile(join(dataDir, 'ratings.csv'), lines.join('\n') + '\n');
  const movies = [
    'movieId,title,genres',
    ...table.itemIds
      .ids()
      .map((id) => `${String(id)},"Movie ${String(id)}, The (2000)",Drama|Comedy`),
  ];
  await writeFile(join(dataDir, 'movies.csv'), movies.join('\n') + '\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function cf(argv: string[]) {
  const io = memoryIO(dir);
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('cf train', () => {
  it('warns beside the two RMSEs when the saved model is worse than the bias baseline', async () => {
    // a learning rate too small to move the notebook model off its initial guess
    const stuck = await cf([
      'train',
      '--data',
      dataDir,
      '--epochs',
      '1',
      '--lr',
      '1e-9',
      '--out',
      'm-stuck',
      '--json',
    ]);
    expect(stuck.code).toBe(0);
    const json = JSON.parse(stuck.out) as { rmse: number; baselineRmse: number };
    expect(json.rmse).toBeGreaterThan(json.baselineRmse);
    expect(stuck.err).toMatch(
      /warning: the notebook model's validation RMSE .* is worse than the bias baseline's/,
    );
    // a model that beats the baseline gets no warning
    const fine = await cf([
      'train',
      '--data',
      dataDir,
      '--recipe',
      'best',
      '--out',
      'm-fine',
      '--json',
    ]);
    expect(fine.code).toBe(0);
    const fineJson = JSON.parse(fine.out) as {
      rmse: number;
      baselineRmse: number;
      modelRmse: number;
    };
    expect(fineJson.rmse).toBeLessThan(fineJson.baselineRmse);
    expect(fine.err).not.toMatch(/warning/);
    // best keeps the file's timestamps for its recent-ratings offset; the saved model has none
    expect(fineJson.modelRmse).toBeGreaterThan(0);
    expect(fineJson.modelRmse).not.toBe(fineJson.rmse);
    expect(fine.err).toMatch(
      /the best RMSE adds the recent-ratings offset .* the saved model predicts without it \(validation RMSE \d\.\d{4}\)/,
    );
  });

  it('trains the notebook recipe, prints the table and saves a model; --json prints one object', async () => {
    const { code, out, err } = await cf([
      'train',
      '--data',
      dataDir,
      '--epochs',
      '2',
      '--bs',
      '32',
      '--out',
      'm1',
      '--json',
    ]);
    expect(err).toMatch(/trn_loss\s+val_loss\s+rmse/);
    expect(err).toMatch(/validation RMSE \d\.\d{4}/);
    expect(code).toBe(0);
    const json = JSON.parse(out) as Record<string, unknown>;
    expect(out.trim().split('\n')).toHaveLength(1);
    for (const key of [
      'rmse',
      'mse',
      'mae',
      'baselineRmse',
      'epochs',
      'secondsPerEpoch',
      'backend',
      'model',
      'recipe',
      'nRatings',
      'nUsers',
      'nItems',
      'modelDir',
    ]) {
      expect(json).toHaveProperty(key);
    }
    expect(json['model']).toBe('embedding-net');
    expect(json['recipe']).toBe('notebook');
    expect(json['backend']).toBe('cpu');
    expect(json['nUsers']).toBe(30);
    expect(json['epochs']).toHaveLength(2);
    expect(
      (
        json['epochs'] as { epoch: number; trainLoss: number; valLoss: number; seconds: number }[]
      )[1],
    ).toMatchObject({ epoch: 1 });
    expect(Math.abs((json['rmse'] as number) ** 2 - (json['mse'] as number))).toBeLessThan(1e-9);
    expect(existsSync(join(dir, 'm1', 'model.json'))).toBe(true);
  }, 60_000);

  it('trains the fastai recipe and the bias baseline', async () => {
    const fastai = await cf([
      'train',
      '--data',
      dataDir,
      '--recipe',
      'fastai',
      '--epochs',
      '1',
      '--out',
      'm2',
      '--json',
      '--quiet',
    ]);
    expect(fastai.code).toBe(0);
    expect(fastai.err).toBe('');
    expect(JSON.parse(fastai.out)).toMatchObject({ model: 'embedding-dot-bias', recipe: 'fastai' });
    const bias = await cf([
      'train',
      '--data',
      dataDir,
      '--model',
      'bias',
      '--out',
      'm3',
      '--json',
      '--quiet',
    ]);
    expect(bias.code).toBe(0);
    const json = JSON.parse(bias.out) as { rmse: number; baselineRmse: number; epochs: unknown[] };
    expect(json.rmse).toBeCloseTo(json.baselineRmse, 10);
    expect(json.epochs).toEqual([]);
  }, 60_000);

  it('trains the topn recipe (iALS), reports top-10 metrics, and recommends and finds similar items from it', async () => {
    const topn = await cf([
      'train',
      '--data',
      dataDir,
      '--recipe',
      'topn',
      '--out',
      'm-topn',
      '--json',
    ]);
    expect(topn.code).toBe(0);
    expect(topn.err).toMatch(/iALS sweep 8\/8/);
    expect(topn.err).toMatch(/top-10 ranking of all .*NDCG \d\.\d{4}, recall \d\.\d{4}/);
    expect(topn.err).not.toMatch(/validation RMSE/);
    expect(JSON.parse(topn.out)).toMatchObject({ model: 'implicit-mf', recipe: 'topn' });
    const recommend = await cf([
      'recommend',
      '--model',
      'm-topn',
      '--user',
      '1000',
      '-k',
      '3',
      '--json',
    ]);
    expect(recommend.code).toBe(0);
    const items = (JSON.parse(recommend.out) as { items: { score: number }[] }).items;
    expect(items).toHaveLength(3);
    expect(items[0]!.score).toBeGreaterThanOrEqual(items[2]!.score);
    const similar = await cf([
      'similar',
      '--model',
      'm-topn',
      '--item',
      '5001',
      '-k',
      '3',
      '--json',
    ]);
    expect(similar.code).toBe(0);
    const near = (JSON.parse(similar.out) as { items: { itemId: number }[] }).items;
    expect(near).toHaveLength(3);
    expect(near.map((i) => i.itemId)).not.toContain(5001);
    const lr = await cf(['train', '--data', dataDir, '--recipe', 'topn', '--lr', '0.1']);
    expect(lr.code).toBe(2);
    expect(lr.err).toMatch(/--lr does not apply to the topn recipe/);
    const model = await cf(['train', '--data', dataDir, '--recipe', 'topn', '--model', 'bias']);
    expect(model.code).toBe(2);
  }, 60_000);

  it('trains the topn-softmax recipe (the neural retrieval model), reports top-10 metrics in --json, and recommends from it', async () => {
    const run = await cf([
      'train',
      '--data',
      dataDir,
      '--recipe',
      'topn-softmax',
      '--out',
      'm-softmax',
      '--threads',
      '2',
      '--json',
    ]);
    expect(run.code).toBe(0);
    expect(run.err).toMatch(/softmax epoch 20\/20 \(full softmax\): loss \d/);
    expect(run.err).not.toMatch(/validation RMSE/);
    // --threads does not apply to it: said on stderr and in the JSON, not dropped without a word
    const note =
      '--threads 2: the topn-softmax recipe trains on one thread (its softmax epochs run on one thread; threads train the notebook, fastai and best recipes)';
    expect(run.err).toContain(note);
    const json = JSON.parse(run.out) as {
      model: string;
      recipe: string;
      ranking: { ndcg: number; recall: number };
    };
    expect(json).toMatchObject({
      model: 'implicit-mf',
      recipe: 'topn-softmax',
      threads: 1,
      threadsNote: note,
    });
    expect(json.ranking.ndcg).toBeGreaterThan(0);
    expect(json.ranking.recall).toBeGreaterThan(0);
    const recommend = await cf([
      'recommend',
      '--model',
      'm-softmax',
      '--user',
      '1000',
      '-k',
      '3',
      '--json',
    ]);
    expect(recommend.code).toBe(0);
    expect((JSON.parse(recommend.out) as { items: unknown[] }).items).toHaveLength(3);
    const epochs = await cf([
      'train',
      '--data',
      dataDir,
      '--recipe',
      'topn-softmax',
      '--epochs',
      '3',
    ]);
    expect(epochs.code).toBe(2);
    expect(epochs.err).toMatch(/--epochs does not apply to the topn-softmax recipe/);
  }, 60_000);

  it('refuses a recipe that does not train the chosen model (exit 2)', async () => {
    const { code, err } = await cf([
      'train',
      '--data',
      dataDir,
      '--model',
      'embedding-net',
      '--recipe',
      'fastai',
    ]);
    expect(code).toBe(2);
    expect(err).toMatch(/--recipe fastai trains embedding-dot-bias/);
  });
});

describe('inference commands on a saved model', () => {
  beforeAll(async () => {
    if (!existsSync(join(dir, 'm2', 'model.json'))) {
      await cf([
        'train',
        '--data',
        dataDir,
        '--recipe',
        'fastai',
        '--epochs',
        '1',
        '--out',
        'm2',
        '--quiet',
      ]);
    }
  }, 60_000);

  it('predict gives a rating in range, and falls back for an unknown item', async () => {
    const known = await cf([
      'predict',
      '--model',
      'm2',
      '--user',
      '1000',
      '--item',
      '5001',
      '--json',
    ]);
    expect(known.code).toBe(0);
    const p = JSON.parse(known.out) as { rating: number; source: string; title?: string };
    expect(p.source).toBe('model');
    expect(p.rating).toBeGreaterThan(0);
    expect(p.rating).toBeLessThan(5.5);
    expect(p.title).toBe('Movie 5001, The (2000)');
    const unknown = await cf([
      'predict',
      '--model',
      'm2',
      '--user',
      '1000',
      '--item',
      '99999',
      '--json',
    ]);
    expect(JSON.parse(unknown.out)).toMatchObject({ source: 'user-bias' });
    const strict = await cf([
      'predict',
      '--model',
      'm2',
      '--user',
      '1000',
      '--item',
      '99999',
      '--unknown',
      'error',
    ]);
    expect(strict.code).toBe(1);
    expect(strict.err).toMatch(/unknown item id 99999/);
  });

  it('recommend lists k unseen items with titles; similar lists k items', async () => {
    const rec = await cf(['recommend', '--model', 'm2', '--user', '1000', '-k', '5', '--json']);
    expect(rec.code).toBe(0);
    const r = JSON.parse(rec.out) as { items: { itemId: number; score: number; title: string }[] };
    expect(r.items).toHaveLength(5);
    expect(r.items[0]!.title).toMatch(/^Movie \d+, The \(2000\)$/);
    for (let k = 1; k < 5; k++)
      expect(r.items[k - 1]!.score).toBeGreaterThanOrEqual(r.items[k]!.score);
    const text = await cf(['recommend', '--model', 'm2', '--user', '1000', '-k', '3']);
    expect(text.out).toMatch(/top 3 for user 1000/);
    const sim = await cf(['similar', '--model', 'm2', '--item', '5001', '-k', '4', '--json']);
    expect(sim.code).toBe(0);
    const s = JSON.parse(sim.out) as { items: { itemId: number }[] };
    expect(s.items).toHaveLength(4);
    expect(s.items.map((i) => i.itemId)).not.toContain(5001);
  });

  it('recommend --all lists every user, the same on two threads as on one and as per user', async () => {
    const one = await cf(['recommend', '--model', 'm2', '--all', '-k', '3', '--threads', '1']);
    expect(one.code).toBe(0);
    expect(one.err).toMatch(/on 1 thread \(in blocks of users × items\)/);
    const lines = one.out.trim().split('\n');
    expect(lines[0]).toBe('userId,rank,itemId,score');
    expect(lines).toHaveLength(1 + 30 * 3);
    const two = await cf([
      'recommend',
      '--model',
      'm2',
      '--all',
      '-k',
      '3',
      '--threads',
      '2',
      '--out',
      'all.csv',
    ]);
    expect(two.code).toBe(0);
    expect(two.err).toMatch(/on 2 threads/);
    expect(readFileSync(join(dir, 'all.csv'), 'utf8')).toBe(one.out);
    const single = JSON.parse(
      (await cf(['recommend', '--model', 'm2', '--user', '1000', '-k', '3', '--json'])).out,
    ) as { items: { itemId: number; score: number }[] };
    expect(lines.filter((l) => l.startsWith('1000,'))).toEqual(
      single.items.map((r, j) => `1000,${j + 1},${r.itemId},${r.score}`),
    );
    const json = await cf([
      'recommend',
      '--model',
      'm3',
      '--all',
      '-k',
      '2',
      '--json',
      '--threads',
      '2',
    ]);
    expect(json.err).toMatch(/one user at a time/);
    expect(json.out.trim().split('\n')).toHaveLength(30);
    expect((await cf(['recommend', '--model', 'm2', '--all', '--user', '1000'])).code).toBe(2);
    expect((await cf(['recommend', '--model', 'm2'])).code).toBe(2);
    expect((await cf(['recommend', '--model', 'm2', '--all', '--threads', 'many'])).code).toBe(2);
  });

  it('similar on an EmbeddingNet or a bias model says why not and suggests topn or fastai (exit 1)', async () => {
    const net = await cf(['similar', '--model', 'm1', '--item', '5001', '-k', '4', '--json']);
    expect(net.code).toBe(1);
    expect(net.out).toBe('');
    expect(net.err).toMatch(
      /embedding-net model cannot give them: its item vectors are not meant for similarity .*--recipe topn.*--recipe fastai/,
    );
    const bias = await cf(['similar', '--model', 'm3', '--item', '5001']);
    expect(bias.code).toBe(1);
    expect(bias.err).toMatch(/bias model cannot give them: it has no item vectors/);
  });

  it('fold-in recommends for a user from a ratings file, skipping unknown items', async () => {
    await writeFile(
      join(dir, 'new-user.csv'),
      // 5002 and the unknown 77777 appear twice: the last rating of an item counts, once
      'movieId,rating\n5001,5\n5002,1\n5003,4.5\n77777,3\n5002,2\n77777,1\n',
    );
    const { code, out } = await cf([
      'fold-in',
      '--model',
      'm2',
      '--ratings',
      'new-user.csv',
      '-k',
      '3',
      '--json',
    ]);
    expect(code).toBe(0);
    const json = JSON.parse(out) as {
      items: { itemId: number }[];
      skippedItemIds: number[];
      ratingsUsed: number;
    };
    expect(json.items).toHaveLength(3);
    expect(json.skippedItemIds).toEqual([77777]);
    expect(json.ratingsUsed).toBe(3);
    for (const rated of [5001, 5002, 5003])
      expect(json.items.map((i) => i.itemId)).not.toContain(rated);
  });
});

describe('ranking metrics beside RMSE', () => {
  // A hand-checkable case for the bias baseline (`--model bias`), whose ranking of items is the
  // order of its item biases for every user. Users 2 and 3 rate all 15 items in training, item 10
  // highest, then 20, 30, the eleven items 101–111 (all 2) and 40 (1): so every user's ranking is
  // 10 > 20 > 30 > 101–111 > 40 (the few training rows of users 1, 4–7 keep that order).
  const train: [number, number, number][] = [];
  for (const user of [2, 3]) {
    train.push([user, 10, 5], [user, 20, 4], [user, 30, 3], [user, 40, 1]);
    for (let item = 101; item <= 111; item++) train.push([user, item, 2]);
  }
  train.push([1, 10, 4], [4, 20, 3], [5, 10, 5], [6, 10, 4], [7, 10, 3]);
  const valid: [number, number, number][] = [
    [1, 20, 5], // user 1 ranks 20, 30, 8 of 101–111 (10 excluded): hit at rank 1 …
    [1, 40, 4], // … and 40 is last: 1 of 2 relevant found
    [1, 30, 2], // not relevant (< 4)
    [4, 30, 4.5], // user 4 ranks 10, 30, … (20 excluded): hit at rank 2
    [5, 101, 3], // user 5 has no relevant validation item: not counted
    [5, 102, 2],
    [6, 40, 5], // user 6: its one relevant item is ranked last: a miss
    [7, 103, 1], // user 7: not counted
  ];
  const n = train.length + valid.length; // 43 rows: getCvIdxs(43) takes int(0.2 · 43) = 8 of them
  const l3 = Math.log2(3);
  const expected = {
    k: 10,
    users: 3,
    ndcg: (1 / (1 + 1 / l3) + 1 / l3 + 0) / 3,
    recall: (1 / 2 + 1 + 0) / 3,
    precision: (1 / 10 + 1 / 10 + 0) / 3,
    hitRate: 2 / 3,
  };
  let rankingDir: string;

  beforeAll(async () => {
    rankingDir = join(dir, 'ranking-data');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(rankingDir);
    // put the validation rows where getCvIdxs (cvIdx 0, valPct 0.2, seed 42) will take them
    const isValid = new Set(getCvIdxs(n, { cvIdx: 0, valPct: 0.2, seed: 42 }));
    expect(isValid.size).toBe(valid.length);
    const rows: string[] = ['userId,movieId,rating,timestamp'];
    let t = 0;
    let v = 0;
    for (let r = 0; r < n; r++) {
      const [user, item, rating] = isValid.has(r) ? valid[v++]! : train[t++]!;
      rows.push(`${user},${item},${rating},${1_000_000 + r}`);
    }
    await writeFile(join(rankingDir, 'ratings.csv'), rows.join('\n') + '\n');
  });

  function expectRanking(actual: Record<string, number>, withUsers = true): void {
    expect(actual['k']).toBe(expected.k);
    if (withUsers) expect(actual['users']).toBe(expected.users);
    for (const key of ['ndcg', 'recall', 'precision', 'hitRate'] as const)
      expect(actual[key], key).toBeCloseTo(expected[key], 10);
  }

  it('train --json has ranking {k, ndcg, recall, precision, hitRate} at k 10, and prints it', async () => {
    const { code, out, err } = await cf([
      'train',
      '--data',
      rankingDir,
      '--model',
      'bias',
      '--out',
      'm-ranking',
      '--json',
    ]);
    expect(code).toBe(0);
    const json = JSON.parse(out) as { ranking: Record<string, number> };
    expectRanking(json.ranking);
    expect(err).toContain(
      `top-10 ranking of all 15 items (training items excluded; relevant = validation rating ≥ 4; 3 users): NDCG ${expected.ndcg.toFixed(4)}, recall 0.5000, precision 0.0667, hit rate 0.6667`,
    );
  });

  it('cv --json has ranking per fold (fold 0 the same split) and its mean; the table has the columns', async () => {
    const { code, out, err } = await cf(['cv', '--data', rankingDir, '--model', 'bias', '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out) as {
      folds: { ranking: Record<string, number> }[];
      mean: { ranking: Record<string, number> };
      std: { ranking: Record<string, number> };
    };
    expect(json.folds).toHaveLength(5);
    expectRanking(json.folds[0]!.ranking);
    for (const key of ['ndcg', 'recall', 'precision', 'hitRate']) {
      const values = json.folds.map((f) => f.ranking[key]!);
      expect(json.mean.ranking[key]).toBeCloseTo(values.reduce((a, b) => a + b, 0) / 5, 10);
    }
    expect(json.mean.ranking['k']).toBe(10);
    expect(err).toMatch(/ndcg@10\s+recall@10\s+precision@10\s+hitRate@10/);
    expect(err).toContain(expected.ndcg.toFixed(4));
  });

  it('cv --threads 2 ranks each fold on two threads, with the numbers of one', async () => {
    const run = (threads: string) =>
      cf(['cv', '--data', rankingDir, '--model', 'bias', '--threads', threads, '--json']);
    const [one, two] = [await run('1'), await run('2')];
    expect(one.code).toBe(0);
    expect(two.code).toBe(0);
    expect(one.err).not.toMatch(/ranking on/);
    // said once, not per fold
    expect(two.err.match(/ranking on 2 threads/g)).toHaveLength(1);
    // and that the bias recipe itself fits on one thread
    expect(
      two.err.match(/--threads 2: the bias recipe trains on one thread \(a closed-form fit;/g),
    ).toHaveLength(1);
    expect(one.err).not.toMatch(/trains on one thread/);
    const folds = (out: string) => (JSON.parse(out) as { folds: { ranking: unknown }[] }).folds;
    expect(folds(two.out).map((f) => f.ranking)).toEqual(folds(one.out).map((f) => f.ranking));
  });
});

describe('cf cv and cf info', () => {
  it('cv --folds 3 prints per-fold rows and mean ± std; --json has folds, mean and std', async () => {
    const { code, out, err } = await cf([
      'cv',
      '--data',
      dataDir,
      '--model',
      'bias',
      '--folds',
      '3',
      '--json',
    ]);
    expect(code).toBe(0);
    expect(err).toMatch(/mean\s+\d\.\d{4}±\d\.\d{4}/);
    const json = JSON.parse(out) as {
      folds: { rmse: number; mae: number; seconds: number }[];
      mean: { rmse: number };
      std: { rmse: number };
    };
    expect(json.folds).toHaveLength(3);
    const mean = json.folds.reduce((a, f) => a + f.rmse, 0) / 3;
    expect(json.mean.rmse).toBeCloseTo(mean, 10);
    expect(json.std.rmse).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('info reports counts, histogram and unseen ids per split', async () => {
    const { code, out } = await cf(['info', dataDir, '--json']);
    expect(code).toBe(0);
    const json = JSON.parse(out) as {
      nUsers: number;
      nItems: number;
      nRatings: number;
      histogram: Record<string, number>;
      unseenPerSplit: unknown[];
      titles: number;
    };
    expect(json.nUsers).toBe(30);
    expect(json.titles).toBe(json.nItems);
    expect(Object.values(json.histogram).reduce((a, b) => a + b, 0)).toBe(json.nRatings);
    expect(json.unseenPerSplit).toHaveLength(5);
  });
});

describe('usage and failures', () => {
  it('--help lists every command, train --help every option with its default', async () => {
    const top = await cf(['--help']);
    expect(top.code).toBe(0);
    for (const c of [
      'train',
      'cv',
      'predict',
      'recommend',
      'similar',
      'fold-in',
      'download',
      'info',
    ])
      expect(top.out).toContain(c);
    const train = await cf(['train', '--help']);
    expect(train.code).toBe(0);
    for (const o of [
      '--data',
      '--dataset',
      '--model',
      '--recipe',
      '--epochs',
      '--lr',
      '--wd',
      '--bs',
      '--seed',
      '--val-pct',
      '--cv-idx',
      '--backend',
      '--out',
      '--json',
    ]) {
      expect(train.out).toContain(o);
    }
    expect(train.out).toMatch(
      /--bs <n>\s+batch size \(default: 64;\s+the\s+fastai\s+recipe's\s+grows/,
    );
    expect(train.out).toMatch(/--dataset <name>[\s\S]*\(default:\s+"ml-latest-small"\)/);
  });

  it('an unknown option is exit 2 with a suggestion; a bad value is exit 2', async () => {
    const typo = await cf(['train', '--epoch', '3']);
    expect(typo.code).toBe(2);
    expect(typo.err).toMatch(/unknown option '--epoch'[\s\S]*Did you mean --epochs\?/);
    const zero = await cf(['train', '--bs', '0']);
    expect(zero.code).toBe(2);
    expect(zero.err).toMatch(/--bs.*expected a whole number ≥ 1/);
    const command = await cf(['trian']);
    expect(command.code).toBe(2);
    expect(command.err).toMatch(/Did you mean train\?/);
    const backend = await cf(['train', '--backend', 'webgl', '--data', dataDir]);
    expect(backend.code).toBe(2);
    expect(backend.err).toMatch(/webgl backend needs a browser/);
  });

  it('no command, --model bias with another recipe, a seed past 2^32−1, a cvIdx past the last fold, --resume of best, --lr/--epochs for best/bias: exit 2', async () => {
    expect((await cf([])).code).toBe(2);
    const bias = await cf(['train', '--data', dataDir, '--model', 'bias', '--recipe', 'fastai']);
    expect(bias.code).toBe(2);
    expect(bias.err).toMatch(/--model bias is the bias baseline, not the fastai recipe/);
    const seed = await cf(['train', '--data', dataDir, '--seed', '4294967296']);
    expect(seed.code).toBe(2);
    expect(seed.err).toMatch(/from 0 to 4294967295/);
    expect((await cf(['train', '--data', dataDir, '--model', 'bias', '--cv-idx', '9'])).code).toBe(
      2,
    );
    const best = await cf([
      'train',
      '--data',
      dataDir,
      '--recipe',
      'best',
      '--resume',
      '--out',
      'mb',
    ]);
    expect(best.code).toBe(2);
    expect(best.err).toMatch(/writes no checkpoints/);
    const ignored = await cf(['train', '--data', dataDir, '--recipe', 'best', '--lr', '0.01']);
    expect(ignored.code).toBe(2);
    expect(ignored.err).toMatch(/--lr does not apply to the best recipe/);
    const ignoredCv = await cf(['cv', '--data', dataDir, '--model', 'bias', '--epochs', '3']);
    expect(ignoredCv.code).toBe(2);
    expect(ignoredCv.err).toMatch(/--epochs does not apply to the bias recipe/);
    const update = await cf([
      'cv',
      '--data',
      dataDir,
      '--model',
      'bias',
      '--embedding-update',
      'lazy',
    ]);
    expect(update.code).toBe(2);
    expect(update.err).toMatch(/--embedding-update does not apply to the bias recipe/);
    // best's gradient-trained member uses it: accepted
    expect(() => resolveRecipe({ recipe: 'best', embeddingUpdate: 'dense' })).not.toThrow();
  });

  it.each([
    [
      'bias',
      { epochs: 3 },
      '--epochs does not apply to the bias recipe (a closed-form fit with no epochs); drop it',
    ],
    [
      'best',
      { lr: 0.1, wd: 0.1 },
      '--lr, --wd do not apply to the best recipe (a fixed schedule chosen by inner cross-validation; see the trainer README, Accuracy); drop them',
    ],
    [
      'topn',
      { embeddingUpdate: 'dense' },
      '--embedding-update does not apply to the topn recipe (iALS sweeps and a softmax retrieval schedule chosen on an inner split; see the trainer README, Top-N); drop it',
    ],
    [
      'topn-softmax',
      { epochs: 2 },
      '--epochs does not apply to the topn-softmax recipe (a softmax retrieval schedule chosen on an inner split; see the trainer README, Top-N); drop it',
    ],
  ] as const)('the %s recipe says why it takes no schedule options', (recipe, options, message) => {
    expect(() => resolveRecipe({ recipe, ...options })).toThrow(message);
    // the recipes with schedules take them
    expect(() => resolveRecipe({ recipe: 'fastai', ...options })).not.toThrow();
  });

  it('bad data is exit 1 with the file and line', async () => {
    const bad = join(dir, 'bad');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(bad);
    await writeFile(
      join(bad, 'ratings.csv'),
      'userId,movieId,rating,timestamp\n1,2,4,100\n1,3,lots,101\n',
    );
    const { code, err } = await cf(['train', '--data', bad]);
    expect(code).toBe(1);
    expect(err).toMatch(/ratings\.csv:3/);
    expect(await readdir(dir)).not.toContain('cf-model');
  });
});

describe('the built binary', () => {
  const bin = join(here, '..', 'dist', 'bin.js');
  it('runs --help, and train then recommend, as a user would', async () => {
    const exec = promisify(execFile);
    const help = await exec(process.execPath, [bin, 'train', '--help']);
    expect(help.stdout).toContain('--recipe');
    const trained = await exec(process.execPath, [
      bin,
      'train',
      '--data',
      dataDir,
      '--epochs',
      '1',
      '--out',
      join(dir, 'm-bin'),
      '--json',
      '--quiet',
    ]);
    expect(JSON.parse(trained.stdout)).toMatchObject({
      recipe: 'notebook',
      modelDir: join(dir, 'm-bin'),
    });
    const rec = await exec(process.execPath, [
      bin,
      'recommend',
      '--model',
      join(dir, 'm-bin'),
      '--user',
      '1001',
      '-k',
      '2',
      '--json',
    ]);
    expect((JSON.parse(rec.stdout) as { items: unknown[] }).items).toHaveLength(2);
    const bad = await exec(process.execPath, [bin, 'train', '--bs', 'x']).catch(
      (e: { code: number; stderr: string }) => e,
    );
    expect(bad).toMatchObject({ code: 2 });
  }, 60_000);
});

describe('--version', () => {
  const { version } = JSON.parse(readFileSync(join(here, '..', 'package.json'), 'utf8')) as {
    version: string;
  };

  it("prints the version in @cf/cli's package.json, from the sources", async () => {
    const { code, out } = await cf(['--version']);
    expect(code).toBe(0);
    expect(out.trim()).toBe(version);
  });

  it('prints it from the built binary and from the CommonJS build', async () => {
    const exec = promisify(execFile);
    const fromBin = await exec(process.execPath, [join(here, '..', 'dist', 'bin.js'), '-v']);
    expect(fromBin.stdout.trim()).toBe(version);
    const script = `require(${JSON.stringify(join(here, '..', 'dist', 'index.cjs'))}).run(['--version'], { stdout: process.stdout, stderr: process.stderr, env: {}, cwd: process.cwd() }).then((c) => { process.exitCode = c; })`;
    const fromCjs = await exec(process.execPath, ['-e', script]);
    expect(fromCjs.stdout.trim()).toBe(version);
  });
});
