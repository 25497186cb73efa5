import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSyntheticRatings } from '@cf/test-utils';
import { UsageError } from './cli-io.js';
import { cliRunner } from './memory-io.test-helper.js';
import { parseColumnsOption, parseDelimiter, ratingsFormatOf } from './ratings-format-options.js';

let dir: string;
const { table } = makeSyntheticRatings({ nUsers: 20, nItems: 25, density: 0.4, seed: 11 });
const customer = (u: number) => `c-${String(table.userIds.idAt(u))}`;
const product = (i: number) => `p-${String(table.itemIds.idAt(i))}`;

/** The synthetic ratings as a shop would export them, in several shapes. */
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cf-cli-format-'));
  const rows = Array.from(table.rating, (rating, r) => ({
    c: customer(table.userIndex[r]!),
    p: product(table.itemIndex[r]!),
    rating,
  }));
  // `;`-separated, string ids, other column names, an unused column, no timestamp
  await writeFile(
    join(dir, 'reviews.csv'),
    [
      'store;customer_id;product_id;stars',
      ...rows.map((x) => `north;${x.c};${x.p};${x.rating}`),
    ].join('\n') + '\n',
  );
  // no header, tab-separated: product, customer, stars
  await writeFile(
    join(dir, 'reviews.tsv'),
    rows.map((x) => `${x.p}\t${x.c}\t${x.rating}`).join('\n') + '\n',
  );
  // purchases: no rating column (implicit)
  await writeFile(
    join(dir, 'purchases.csv'),
    ['customer_id,product_id,bought_at', ...rows.map((x, k) => `${x.c},${x.p},${1000 + k}`)].join(
      '\n',
    ) + '\n',
  );
  // a new user's ratings for fold-in, in the shop's own shape
  await writeFile(
    join(dir, 'new-user.csv'),
    `sku;stars\n${product(0)};5\n${product(1)};1\n${product(2)};4.5\n`,
  );
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cf = cliRunner(() => dir);

describe('--columns, --delimiter, --no-header (parsing)', () => {
  it('reads names and 0-based positions', () => {
    expect(parseColumnsOption('user=customer_id,item=2,rating=stars')).toEqual({
      user: 'customer_id',
      item: 2,
      rating: 'stars',
    });
    expect(parseDelimiter('tab')).toBe('\t');
    expect(parseDelimiter('\\t')).toBe('\t');
    expect(parseDelimiter(';')).toBe(';');
    expect(ratingsFormatOf({ delimiter: ';', header: true })).toEqual({
      delimiter: ';',
      header: true,
      columns: { user: 0, item: 1, rating: 2 },
    });
    expect(ratingsFormatOf({ header: true })).toBeUndefined();
    // fold-in reads no user column: every row is the one user's
    expect(ratingsFormatOf({ columns: 'item=sku,rating=stars' }, ['item', 'rating'])).toEqual({
      delimiter: ',',
      header: true,
      columns: { user: 'sku', item: 'sku', rating: 'stars' },
    });
  });

  it.each([
    ['user=a,item', /"item" has no column/],
    ['user=a,itme=b', /unknown key "itme" \(did you mean item\?\)/],
    ['user=a,user=b,item=c', /user is given twice/],
    ['user=a,item=a', /item and user both name column "a"/],
    ['item=b,rating=c', /the user column is missing/],
  ])('refuses --columns %s', (spec, message) => {
    expect(() => parseColumnsOption(spec)).toThrow(UsageError);
    expect(() => parseColumnsOption(spec)).toThrow(message);
  });

  it('refuses names with --no-header, and an empty delimiter', () => {
    expect(() => ratingsFormatOf({ columns: 'user=customer_id,item=1', header: false })).toThrow(
      /--columns names user=customer_id but --no-header .*give 0-based positions/,
    );
    expect(() => parseDelimiter('')).toThrow(UsageError);
  });
});

describe('the CLI on a shop CSV', () => {
  it('info reads a ; file by column names, with string ids and no timestamp', async () => {
    const { code, out, err } = await cf([
      'info',
      'reviews.csv',
      '--delimiter',
      ';',
      '--columns',
      'user=customer_id,item=product_id,rating=stars',
      '--json',
    ]);
    expect(err).not.toMatch(/error/);
    expect(code).toBe(0);
    const json = JSON.parse(out) as Record<string, unknown>;
    expect(json).toMatchObject({
      nRatings: table.stats.count,
      nUsers: table.stats.nUsers,
      nItems: table.stats.nItems,
      implicit: false,
    });
    expect(json['meanRating']).toBeCloseTo(table.stats.meanRating, 6);
  });

  it('without the options the MovieLens layout fails at line 1 and says how to describe the file', async () => {
    const { code, err } = await cf(['info', 'reviews.csv']);
    expect(code).toBe(1);
    expect(err).toMatch(/reviews\.csv:1: expected .*--columns user=NAME,item=NAME.*--delimiter/);
  });

  it('train and fold-in with positions, a tab delimiter and no header; recommendations in the raw string ids', async () => {
    const train = await cf([
      'train',
      '--data',
      'reviews.tsv',
      '--no-header',
      '--delimiter',
      'tab',
      '--columns',
      'user=1,item=0,rating=2',
      '--recipe',
      'fastai',
      '--epochs',
      '1',
      '--out',
      'shop-model',
      '--json',
      '--quiet',
    ]);
    expect(train.err).toBe('');
    expect(train.code).toBe(0);
    expect(JSON.parse(train.out)).toMatchObject({ nRatings: table.stats.count, implicit: false });
    const rec = await cf(['recommend', '--model', 'shop-model', '--user', customer(0), '--json']);
    expect(rec.code).toBe(0);
    const items = (JSON.parse(rec.out) as { items: { itemId: string }[] }).items;
    expect(items).toHaveLength(10);
    for (const { itemId } of items) expect(itemId).toMatch(/^p-\d+$/);

    const foldIn = await cf([
      'fold-in',
      '--model',
      'shop-model',
      '--ratings',
      'new-user.csv',
      '--delimiter',
      ';',
      '--columns',
      'item=sku,rating=stars',
      '-k',
      '3',
      '--json',
    ]);
    expect(foldIn.err).toBe('');
    expect(foldIn.code).toBe(0);
    const folded = JSON.parse(foldIn.out) as { ratingsUsed: number; items: { itemId: string }[] };
    expect(folded.ratingsUsed).toBe(3);
    expect(folded.items.map((i) => i.itemId)).not.toContain(product(0));
  }, 60_000);

  it('cv reads the same file with the same options', async () => {
    const { code, out } = await cf([
      'cv',
      '--data',
      'reviews.csv',
      '--delimiter',
      ';',
      '--columns',
      'user=customer_id,item=product_id,rating=stars',
      '--recipe',
      'bias',
      '--folds',
      '3',
      '--json',
      '--quiet',
    ]);
    expect(code).toBe(0);
    const json = JSON.parse(out) as { folds: unknown[]; nRatings: number };
    expect(json.folds).toHaveLength(3);
    expect(json.nRatings).toBe(table.stats.count);
  }, 60_000);

  it('errors still name the file, the line and what was expected', async () => {
    await writeFile(join(dir, 'bad.csv'), 'customer_id;product_id;stars\nc1;p1;5\nc2;p2;lots\n');
    const bad = await cf([
      'train',
      '--data',
      'bad.csv',
      '--delimiter',
      ';',
      '--columns',
      'user=customer_id,item=product_id,rating=stars',
    ]);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/bad\.csv:3:3: expected a number for the rating, found "lots"/);
    const missing = await cf([
      'info',
      'reviews.csv',
      '--delimiter',
      ';',
      '--columns',
      'user=client,item=product_id,rating=stars',
    ]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(
      /reviews\.csv:1: expected a header with a column named "client" for the user id/,
    );
    const usage = await cf(['info', 'reviews.csv', '--no-header', '--columns', 'user=a,item=1']);
    expect(usage.code).toBe(2);
    const predefined = await cf(['cv', '--predefined', '--data', dir, '--delimiter', ';']);
    expect(predefined.code).toBe(2);
    expect(predefined.err).toMatch(/--predefined reads the data set's own fold files/);
  });
});

describe('implicit files (no rating column)', () => {
  it('info loads them as interactions', async () => {
    const json = await cf([
      'info',
      'purchases.csv',
      '--columns',
      'user=customer_id,item=product_id,timestamp=bought_at',
      '--json',
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.out)).toMatchObject({
      nRatings: table.stats.count,
      implicit: true,
      histogram: null,
    });
    const text = await cf(['info', 'purchases.csv', '--columns', 'user=0,item=1']);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/implicit: no rating column.*--recipe topn/);
  });

  it.each(['notebook', 'fastai', 'bias', 'best'])(
    'train --recipe %s refuses them and points at --recipe topn (exit 1)',
    async (recipe) => {
      const { code, err } = await cf([
        'train',
        '--data',
        'purchases.csv',
        '--columns',
        'user=customer_id,item=product_id',
        '--recipe',
        recipe,
        '--quiet',
      ]);
      expect(code).toBe(1);
      expect(err).toMatch(/purchases\.csv has no rating column .*use --recipe topn/);
    },
  );

  it('fold-in of a file the default layout does not fit points at --columns, naming file:line', async () => {
    const { code, err } = await cf([
      'fold-in',
      '--model',
      'shop-model',
      '--ratings',
      'new-user.csv',
    ]);
    expect(code).toBe(1);
    expect(err).toMatch(
      /new-user\.csv:1: .*describe your own file with --columns item=NAME,rating=NAME/,
    );
  });

  it('fold-in needs a rating column', async () => {
    const { code, err } = await cf([
      'fold-in',
      '--model',
      'shop-model',
      '--ratings',
      'new-user.csv',
      '--delimiter',
      ';',
      '--columns',
      'item=sku',
    ]);
    expect(code).toBe(2);
    expect(err).toMatch(/fold-in .* needs a rating column/);
  });
});
