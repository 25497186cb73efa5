import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { detectLayout } from './detect-layout.js';
import { InvalidArgumentError } from './errors.js';
import { expectCsvErrorAsync } from './expect-csv-error.test-util.js';
import { loadItemTitles, loadRatings } from './load-ratings.js';
import { loadPredefinedFolds } from './predefined-folds.js';

const root = mkdtempSync(join(tmpdir(), 'cf-load-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const U_DATA =
  [
    '196\t242\t3\t881250949',
    '186\t302\t3\t891717742',
    '22\t377\t1\t878887116',
    '196\t377\t4\t881251000',
    '22\t242\t5\t878887200',
  ].join('\n') + '\n';

describe('loadRatings and friends (node)', () => {
  it('loads each layout from its folder and tells the layout', async () => {
    const csv = makeFolder('latest', {
      'ratings.csv': 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n',
      'movies.csv': 'movieId,title,genres\n1,"Toy Story (1995)",Comedy\n',
    });
    const dat = makeFolder('ml1m', {
      'ratings.dat': '1::1193::5::978300760\n2::1193::4::978300761\n',
      'movies.dat': Uint8Array.from('1193::Caf\u00e9 (1975)::Drama\n', (c) => c.charCodeAt(0)),
    });
    const k100 = makeFolder('ml100k', { 'u.data': U_DATA });
    expect(await detectLayout(csv)).toEqual({
      folder: csv,
      ratingsFile: join(csv, 'ratings.csv'),
      ratingsLayout: 'ratings-csv',
      titlesFile: join(csv, 'movies.csv'),
      titlesLayout: 'movies-csv',
      hasPredefinedFolds: false,
    });
    expect((await detectLayout(dat)).ratingsLayout).toBe('ratings-dat');
    expect(await detectLayout(k100)).toMatchObject({
      ratingsLayout: 'u-data',
      titlesFile: undefined,
      hasPredefinedFolds: false,
    });

    const latest = await loadRatings(csv);
    expect(Array.from(latest.table.rating)).toEqual([4, 4.5]);
    expect(latest.table.source).toBe(join(csv, 'ratings.csv'));
    const ml1m = await loadRatings(dat);
    expect(ml1m.table.userIds.ids()).toEqual([1, 2]);
    const fromFile = await loadRatings(join(k100, 'u.data'), { idOrder: 'sorted' });
    expect(fromFile.table.userIds.ids()).toEqual([22, 186, 196]);
    expect(fromFile.table.stats.count).toBe(5);

    expect([...(await loadItemTitles(csv))]).toEqual([
      [1, { title: 'Toy Story (1995)', genres: ['Comedy'] }],
    ]);
    expect([...(await loadItemTitles(dat))]).toEqual([
      [1193, { title: 'Caf\u00e9 (1975)', genres: ['Drama'] }],
    ]);
    await expect(loadItemTitles(k100)).rejects.toThrow(/has no movies.csv, u.item or movies.dat/);
  });

  it('errors name the real file: a bad line in a file, an empty file, a folder without ratings', async () => {
    const dir = makeFolder('bad', {
      'ratings.csv': 'userId,movieId,rating,timestamp\n1,2,x,3\n',
      'empty.csv': '',
    });
    await expectCsvErrorAsync(loadRatings(dir), {
      file: join(dir, 'ratings.csv'),
      line: 2,
      column: 3,
      message: /a number for the rating, found "x"/,
    });
    await expectCsvErrorAsync(loadRatings(join(dir, 'empty.csv')), {
      file: join(dir, 'empty.csv'),
      line: 1,
      message: /the file is empty/,
    });
    const none = makeFolder('none', { 'readme.txt': 'hi' });
    await expect(detectLayout(none)).rejects.toThrow(InvalidArgumentError);
    await expect(loadRatings(join(root, 'missing'))).rejects.toThrow(/cannot read/);
  });

  it('loadPredefinedFolds maps u1.base/u1.test … to rows of u.data by (user, item, timestamp)', async () => {
    const lines = U_DATA.trim().split('\n');
    const files: Record<string, string> = { 'u.data': U_DATA };
    for (let k = 1; k <= 5; k++) {
      const test = lines[k - 1]!;
      files[`u${k}.base`] =
        lines
          .filter((l) => l !== test)
          .reverse()
          .join('\n') + '\n';
      files[`u${k}.test`] = test + '\n';
    }
    files['ua.base'] = [lines[4], lines[0]].join('\n');
    files['ua.test'] = lines[2]!;
    files['ub.base'] = lines[1]!;
    files['ub.test'] = lines[3]!;
    const dir = makeFolder('folds', files);
    expect((await detectLayout(dir)).hasPredefinedFolds).toBe(true);
    const { table, folds } = await loadPredefinedFolds(dir);
    expect(table.stats.count).toBe(5);
    expect(
      folds.map((f) => ({ name: f.name, train: Array.from(f.train), valid: Array.from(f.valid) })),
    ).toEqual([
      { name: 'u1', train: [4, 3, 2, 1], valid: [0] },
      { name: 'u2', train: [4, 3, 2, 0], valid: [1] },
      { name: 'u3', train: [4, 3, 1, 0], valid: [2] },
      { name: 'u4', train: [4, 2, 1, 0], valid: [3] },
      { name: 'u5', train: [3, 2, 1, 0], valid: [4] },
    ]);
    expect(folds[0]!.train).toBeInstanceOf(Int32Array);
    const ab = await loadPredefinedFolds(dir, { scheme: 'ua-ub' });
    expect(ab.folds.map((f) => [f.name, Array.from(f.train), Array.from(f.valid)])).toEqual([
      ['ua', [4, 0], [2]],
      ['ub', [1], [3]],
    ]);
  });

  it('loadPredefinedFolds: a fold row missing from u.data is an error at its line', async () => {
    const files: Record<string, string> = { 'u.data': U_DATA };
    for (let k = 1; k <= 5; k++) {
      files[`u${k}.base`] = U_DATA;
      files[`u${k}.test`] = U_DATA;
    }
    files['u3.test'] = '196\t242\t3\t881250949\n\n1\t2\t3\t4\n';
    const dir = makeFolder('badfolds', files);
    await expectCsvErrorAsync(loadPredefinedFolds(dir), {
      file: join(dir, 'u3.test'),
      line: 3,
      message: /a rating that is also in .*u\.data.*found "1 2 4"/,
    });
    await expect(loadPredefinedFolds(dir, { scheme: 'ua-ub' })).rejects.toThrow(
      /cannot read .*ua\.base/,
    );
  });
});

function makeFolder(name: string, files: Record<string, string | Uint8Array>): string {
  const dir = join(root, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [file, content] of Object.entries(files)) writeFileSync(join(dir, file), content);
  return dir;
}

const dataDir = process.env.CF_DATA_DIR;
if (!dataDir)
  console.warn(
    '[@cf/data] skipping the ml-latest-small tests: CF_DATA_DIR is not set (set it to the folder that holds ml-latest-small/)',
  );

describe.skipIf(!dataDir)('real data: $CF_DATA_DIR/ml-latest-small', () => {
  const dir = join(dataDir ?? '', 'ml-latest-small');

  it('has 100836 ratings by 610 users of 9724 items, from 0.5 to 5, no repeats', async () => {
    const { table, report } = await loadRatings(dir, { ratingScale: [0.5, 5] });
    expect(table.stats).toMatchObject({
      count: 100836,
      nUsers: 610,
      nItems: 9724,
      minRating: 0.5,
      maxRating: 5,
    });
    expect(table.stats.meanRating).toBeCloseTo(3.501557, 6);
    expect(report.duplicateCount).toBe(0);
    expect(table.userIds.idAt(0)).toBe(1);
    expect(table.itemIds.ids().slice(0, 3)).toEqual([1, 3, 6]);
    expect(table.timestamp).toBeInstanceOf(Int32Array);
    expect(table.timestamp?.[0]).toBe(964982703);
  });

  it('has titles for 9742 movies, quoted titles included', async () => {
    const titles = await loadItemTitles(dir);
    expect(titles.size).toBe(9742);
    expect(titles.get(1)).toEqual({
      title: 'Toy Story (1995)',
      genres: ['Adventure', 'Animation', 'Children', 'Comedy', 'Fantasy'],
    });
    expect(titles.get(11)?.title).toBe('American President, The (1995)');
  });

  it('the fast path and csv-parse read it identically', async () => {
    const fast = (await loadRatings(dir)).table;
    const library = (await loadRatings(dir, { parser: 'csv-parse' })).table;
    expect(library.userIds.ids()).toEqual(fast.userIds.ids());
    expect(library.itemIds.ids()).toEqual(fast.itemIds.ids());
    expect(library.userIndex).toEqual(fast.userIndex);
    expect(library.itemIndex).toEqual(fast.itemIndex);
    expect(library.rating).toEqual(fast.rating);
    expect(library.timestamp).toEqual(fast.timestamp);
  }, 60_000); // csv-parse's browser build needs a few seconds here
});
