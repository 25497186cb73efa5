import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { makeSyntheticRatings } from '@cf/test-utils';
import { cliRunner } from './memory-io.test-helper.js';

// Issue 15, items 4, 5 and 7: fold-in validates its ratings file like train validates data.

let root: string;
let itemIds: string[];

const cf = cliRunner(() => root);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cf-fold-in-'));
  const { table } = makeSyntheticRatings({ nUsers: 30, nItems: 40, density: 0.4, seed: 9 });
  const lines = ['userId,movieId,rating,timestamp'];
  for (let r = 0; r < table.rating.length; r++)
    lines.push(
      `${String(table.userIds.idAt(table.userIndex[r]!))},${String(table.itemIds.idAt(table.itemIndex[r]!))},${table.rating[r]!},${r}`,
    );
  await writeFile(join(root, 'ratings.csv'), lines.join('\n') + '\n');
  itemIds = table.itemIds.ids().map(String);
  const trained = await cf([
    'train',
    '--data',
    join(root, 'ratings.csv'),
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

const foldIn = (file: string, extra: string[] = []) =>
  cf(['fold-in', '--model', 'm', '--ratings', file, '-k', '3', ...extra]);

describe('cf fold-in input', () => {
  it("a rating outside the model's scale is exit 1 naming the file, line and scale", async () => {
    for (const [k, bad] of ['6', '-1', '0', '5.5', '1e308'].entries()) {
      const file = `scale-${k}.csv`;
      await writeFile(join(root, file), `movieId,rating\n${itemIds[0]},4\n${itemIds[1]},${bad}\n`);
      const result = await foldIn(file);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(
        new RegExp(
          `${file}:3:2: expected a rating within the declared scale \\[0\\.5, 5\\], found "${bad}"`,
        ),
      );
    }
  });

  it('a missing file or a folder is exit 2 naming it', async () => {
    const missing = await foldIn('nope.csv');
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/nope\.csv does not exist/);
    await mkdir(join(root, 'a-folder'));
    const folder = await foldIn('a-folder');
    expect(folder.code).toBe(2);
    expect(folder.err).toMatch(/a-folder is a folder; give the CSV file itself/);
    for (const result of [missing, folder]) expect(result.err).not.toMatch(/\n\s+at /);
  });

  it('UTF-16 and gzip files get the encoding hint, not a garbled header', async () => {
    const csv = `movieId,rating\n${itemIds[0]},4\n`;
    await writeFile(join(root, 'utf16.csv'), Buffer.from('\uFEFF' + csv, 'utf16le'));
    await writeFile(join(root, 'gz.csv'), gzipSync(csv));
    const utf16 = await foldIn('utf16.csv');
    expect(utf16.code).toBe(1);
    expect(utf16.err).toMatch(/utf16\.csv:1: expected UTF-8 text, .*UTF-16/);
    const gz = await foldIn('gz.csv');
    expect(gz.code).toBe(1);
    expect(gz.err).toMatch(/gz\.csv:1: expected UTF-8 text, but the file is gzip-compressed/);
  });

  it('duplicate items follow --duplicates (keep-last by default, said on stderr; average; error)', async () => {
    const [a, b, c] = itemIds;
    await writeFile(join(root, 'dup.csv'), `movieId,rating\n${a},1\n${b},4\n${a},5\n${c},3\n`);
    const last = await foldIn('dup.csv');
    expect(last.code).toBe(0);
    expect(last.err).toMatch(
      /1 items are rated more than once: the last rating of each was used once/,
    );
    const json = await foldIn('dup.csv', ['--json', '--duplicates', 'average']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      ratingsUsed: 3,
      duplicateItems: 1,
      duplicates: 'average',
    });
    const refused = await foldIn('dup.csv', ['--duplicates', 'error']);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(new RegExp(`item ${a} is rated more than once`));
  });
});
