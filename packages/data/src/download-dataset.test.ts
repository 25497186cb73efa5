import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipSync } from 'fflate';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defaultCacheDir, downloadDataset, resolveDataset } from './download-dataset.js';
import { detectLayout } from './detect-layout.js';
import { loadItemTitles, loadRatings } from './load-ratings.js';
import { DownloadError, InvalidArgumentError, UnsafeArchiveError } from './errors.js';
import { extractZip } from './safe-unzip.js';
import { MOVIELENS_PINS } from './movielens-pins.js';

const RATINGS = 'userId,movieId,rating,timestamp\n1,1,4.0,964982703\n';
const text = (s: string) => new TextEncoder().encode(s);
/** The existing tests' zips are not GroupLens's files: they download without pins (and warnings). */
const UNPINNED = { pins: {}, onWarning: () => undefined };
const GOOD = zipSync({
  'ml-latest-small/': {},
  'ml-latest-small/ratings.csv': text(RATINGS),
  'ml-latest-small/movies.csv': text('movieId,title,genres\n1,A,B\n'),
});
const SYMLINK = 0o120777 << 16;
/** A zip of ml-25m's / ml-32m's layout: ratings.csv with movies.csv (quoted titles), links.csv and tags.csv beside it. */
function largeLayoutZip(name: string): Uint8Array {
  return zipSync({
    [`${name}/`]: {},
    [`${name}/ratings.csv`]: text(
      'userId,movieId,rating,timestamp\n1,296,5.0,1147880044\n1,306,3.5,1147868817\n2,296,4.0,1141415820\n',
    ),
    [`${name}/movies.csv`]: text(
      'movieId,title,genres\n296,Pulp Fiction (1994),Comedy|Crime|Drama|Thriller\n306,"Three Colors: Red (Trois couleurs: Rouge) (1994)",Drama\n209171,"Women of Devil\'s Island, The (1962)",(no genres listed)\n',
    ),
    [`${name}/links.csv`]: text(
      'movieId,imdbId,tmdbId\n296,0110912,680\n306,0111495,110\n209171,0055323,\n',
    ),
    [`${name}/tags.csv`]: text('userId,movieId,tag,timestamp\n3,260,classic,1439472355\n'),
    [`${name}/README.txt`]: text('Summary\n'),
  });
}
/** Zips keyed by route; a route's `<zip>.md5` answers only where listed in MD5. */
const ZIPS: Record<string, Uint8Array> = {
  ok: GOOD,
  traversal: zipSync({ 'ml-latest-small/ratings.csv': text(RATINGS), '../../x': text('pwned') }),
  absolute: zipSync({
    'ml-latest-small/ratings.csv': text(RATINGS),
    '/tmp/cf-absolute-x': text('pwned'),
  }),
  drive: zipSync({ 'C:/x': text('pwned') }),
  symlink: zipSync({
    'ml-latest-small/ratings.csv': text(RATINGS),
    'ml-latest-small/link': [text('/etc/passwd'), { os: 3, attrs: SYMLINK }],
  }),
  other: zipSync({ 'something/else.txt': text('x') }),
  badmd5: GOOD,
  goodmd5: GOOD,
  ...Object.fromEntries(['ml-25m', 'ml-32m'].map((name) => [name, largeLayoutZip(name)])),
  flipped: Uint8Array.from(GOOD, (b, k) => (k === 40 ? b ^ 0x04 : b)),
  different: zipSync({
    'ml-latest-small/': {},
    'ml-latest-small/ratings.csv': text('userId,movieId,rating,timestamp\n1,1,5.0,964982703\n'),
    'ml-latest-small/movies.csv': text('movieId,title,genres\n1,A,B\n'),
  }),
};
const TRUNCATED = GOOD.subarray(0, GOOD.length - 30);
const FLIPPED = ZIPS['flipped']!;
const MD5: Record<string, string> = {
  goodmd5: `MD5 (ml-latest-small.zip) = ${createHash('md5').update(GOOD).digest('hex')}\n`,
  badmd5: 'MD5 (ml-latest-small.zip) = 00000000000000000000000000000000\n',
};

let server: Server;
let base: string;
let requests: string[] = [];
const root = mkdtempSync(join(tmpdir(), 'cf-download-'));
let cacheDir: string;

beforeAll(async () => {
  server = createServer((request, response) => {
    const [, route = '', file = ''] = (request.url ?? '').split('/');
    requests.push(request.url ?? '');
    if (file.endsWith('.md5')) {
      const md5 = MD5[route];
      if (md5 === undefined) response.writeHead(404).end('not found');
      else response.writeHead(200, { 'content-type': 'text/plain' }).end(md5);
      return;
    }
    if (route === 'html') {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>Login</title>');
    } else if (route === 'html-as-zip') {
      response
        .writeHead(200, { 'content-type': 'application/zip' })
        .end('<html><body>captive portal</body></html>');
    } else if (route === 'drop') {
      response.writeHead(200, {
        'content-type': 'application/zip',
        'content-length': String(GOOD.length),
      });
      response.write(GOOD.subarray(0, 100), () => request.socket.destroy());
    } else if (route === 'truncated') {
      response
        .writeHead(200, {
          'content-type': 'application/zip',
          'content-length': String(TRUNCATED.length),
        })
        .end(TRUNCATED);
    } else if (route === 'truncated-chunked') {
      response.writeHead(200, { 'content-type': 'application/zip' });
      response.end(TRUNCATED);
    } else if (ZIPS[route]) {
      response
        .writeHead(200, {
          'content-type': 'application/zip',
          'content-length': String(ZIPS[route].length),
        })
        .end(ZIPS[route]);
    } else {
      response.writeHead(404, 'Not Found').end('no such file');
    }
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
  rmSync(root, { recursive: true, force: true });
});
beforeEach(() => {
  requests = [];
  cacheDir = mkdtempSync(join(root, 'cache-'));
});

/** Everything under the test root except the cache: must stay as it was (nothing escaped). */
function outsideCache(): string[] {
  return readdirSync(root).filter((name) => !name.startsWith('cache-'));
}

async function expectDownloadError(
  route: string,
  fields: { status: number | undefined; message: RegExp },
): Promise<void> {
  const error: unknown = await downloadDataset('ml-latest-small', {
    cacheDir,
    baseUrl: `${base}/${route}`,
    ...UNPINNED,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(DownloadError);
  expect((error as DownloadError).url).toBe(`${base}/${route}/ml-latest-small.zip`);
  expect((error as DownloadError).status).toBe(fields.status);
  expect((error as DownloadError).message).toMatch(fields.message);
  expect(readdirSync(cacheDir)).toEqual([]); // no temp zip, no half-unpacked folder
}

async function expectUnsafe(route: string, entry: string, reason: RegExp): Promise<void> {
  const error: unknown = await downloadDataset('ml-latest-small', {
    cacheDir,
    baseUrl: `${base}/${route}`,
    ...UNPINNED,
  }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(UnsafeArchiveError);
  expect((error as UnsafeArchiveError).entry).toBe(entry);
  expect((error as UnsafeArchiveError).message).toMatch(reason);
  expect(readdirSync(cacheDir)).toEqual([]);
  expect(outsideCache()).toEqual([]);
}

describe('downloadDataset (local HTTP server)', () => {
  it('downloads, verifies the published MD5, unpacks and renames into place; the second call needs no network', async () => {
    const folder = await downloadDataset('ml-latest-small', {
      cacheDir,
      baseUrl: `${base}/goodmd5/`,
      ...UNPINNED,
    });
    expect(folder).toBe(join(cacheDir, 'ml-latest-small'));
    expect(readFileSync(join(folder, 'ratings.csv'), 'utf8')).toBe(RATINGS);
    expect(readdirSync(cacheDir)).toEqual(['ml-latest-small']);
    expect(requests).toEqual(['/goodmd5/ml-latest-small.zip', '/goodmd5/ml-latest-small.zip.md5']);
    requests = [];
    expect(await downloadDataset('ml-latest-small', { cacheDir, baseUrl: `${base}/ok` })).toBe(
      folder,
    );
    expect(requests).toEqual([]);
  });

  it('reports progress and goes on without an .md5 file', async () => {
    const seen: [number, number | undefined][] = [];
    await downloadDataset('ml-latest-small', {
      cacheDir,
      baseUrl: `${base}/ok`,
      ...UNPINNED,
      onProgress: (r, t) => seen.push([r, t]),
    });
    expect(seen.at(-1)).toEqual([GOOD.length, GOOD.length]);
  });

  it('HTTP 404 is a DownloadError with the status', async () => {
    await expectDownloadError('missing', {
      status: 404,
      message: /answered HTTP 404 Not Found.*CF_DATA_DIR/,
    });
  });

  it('a connection dropped mid-body is a DownloadError and leaves no temp file', async () => {
    await expectDownloadError('drop', {
      status: 200,
      message: /broke off after \d+ of \d+ bytes|truncated: \d+ of \d+ bytes/,
    });
  });

  it('an HTML page instead of a zip is a DownloadError (by content-type and by content)', async () => {
    await expectDownloadError('html', {
      status: 200,
      message: /served an HTML page instead of a zip/,
    });
    await expectDownloadError('html-as-zip', {
      status: 200,
      message: /served an HTML page instead of a zip/,
    });
  });

  it('an MD5 that does not match the published one is a DownloadError', async () => {
    await expectDownloadError('badmd5', {
      status: undefined,
      message: /has MD5 [0-9a-f]{32}, but .*\.md5 says 0{32}/,
    });
  });

  it('a zip without the dataset is a DownloadError', async () => {
    await expectDownloadError('other', {
      status: undefined,
      message: /has no ml-latest-small\/ratings\.csv/,
    });
  });

  it('refuses ../../x, absolute, drive-letter and symlink entries, writing nothing', async () => {
    await expectUnsafe('traversal', '../../x', /'\.\.' segment/);
    await expectUnsafe('absolute', '/tmp/cf-absolute-x', /absolute path/);
    await expectUnsafe('symlink', 'ml-latest-small/link', /symbolic link/);
    expect(existsSync('/tmp/cf-absolute-x')).toBe(false);
    expect(existsSync(join(root, '..', 'x'))).toBe(false);
  });

  it('offline (connection refused) is a DownloadError telling to set CF_DATA_DIR or download by hand', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const url = `http://127.0.0.1:${port}/ml-100k.zip`;
    const error: unknown = await downloadDataset('ml-100k', {
      cacheDir,
      baseUrl: `http://127.0.0.1:${port}`,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect(error).toMatchObject({ url, status: undefined });
    expect((error as Error).message).toBe(
      `could not reach ${url} (ECONNREFUSED). If this machine is offline, set CF_DATA_DIR to a folder that holds ml-100k/, or download ${url} by hand and unzip it into ${cacheDir}`,
    );
    expect(readdirSync(cacheDir)).toEqual([]);
  });

  it('an unknown dataset name is an InvalidArgumentError', async () => {
    await expect(downloadDataset('ml-7m', { cacheDir })).rejects.toThrow(InvalidArgumentError);
  });
});

describe('resolveDataset', () => {
  it('prefers dataDir, then the cache, then downloads into the cache', async () => {
    const dataDir = mkdtempSync(join(root, 'cache-data-'));
    mkdirSync(join(dataDir, 'ml-latest-small'));
    writeFileSync(join(dataDir, 'ml-latest-small', 'ratings.csv'), RATINGS);
    expect(
      await resolveDataset('ml-latest-small', { dataDir, cacheDir, baseUrl: `${base}/missing` }),
    ).toBe(join(dataDir, 'ml-latest-small'));
    expect(
      await resolveDataset('ml-latest-small', {
        dataDir: cacheDir,
        cacheDir,
        baseUrl: `${base}/ok`,
        ...UNPINNED,
      }),
    ).toBe(join(cacheDir, 'ml-latest-small'));
    expect(requests).toEqual(['/ok/ml-latest-small.zip', '/ok/ml-latest-small.zip.md5']);
    requests = [];
    expect(
      await resolveDataset('ml-latest-small', {
        dataDir: join(root, 'nothing'),
        cacheDir,
        baseUrl: `${base}/missing`,
      }),
    ).toBe(join(cacheDir, 'ml-latest-small'));
    expect(requests).toEqual([]);
  });
});

describe('defaultCacheDir', () => {
  it('follows XDG_CACHE_HOME, LOCALAPPDATA on Windows, else ~/.cache', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' }, 'linux')).toBe('/x/cache/cf');
    expect(defaultCacheDir({}, 'linux')).toMatch(/\.cache\/cf$/);
    expect(defaultCacheDir({}, 'darwin')).toMatch(/Library\/Caches\/cf$/);
  });
});

describe('extractZip', () => {
  it('refuses a drive-letter entry before writing anything', async () => {
    const zip = join(root, 'cache-drive.zip');
    writeFileSync(zip, ZIPS.drive!);
    const target = join(root, 'cache-drive-out');
    await expect(extractZip(zip, target)).rejects.toMatchObject({
      name: 'UnsafeArchiveError',
      entry: 'C:/x',
    });
    expect(existsSync(target)).toBe(false);
  });

  it('extracts stored and deflated entries byte for byte', async () => {
    const big = text('1,2,3.5,4\n'.repeat(5000));
    const zip = join(root, 'cache-mixed.zip');
    writeFileSync(
      zip,
      zipSync({
        'a/stored.txt': [text('plain'), { level: 0 }],
        'a/b/deflated.csv': [big, { level: 9 }],
      }),
    );
    const target = join(root, 'cache-mixed-out');
    expect(await extractZip(zip, target)).toEqual([
      join(target, 'a/stored.txt'),
      join(target, 'a/b/deflated.csv'),
    ]);
    expect(readFileSync(join(target, 'a/stored.txt'), 'utf8')).toBe('plain');
    expect(Buffer.compare(readFileSync(join(target, 'a/b/deflated.csv')), big)).toBe(0);
  });
});

describe('ml-25m and ml-32m through downloadDataset (the layout of ml-latest-small, larger)', () => {
  it.each(['ml-25m', 'ml-32m'])(
    '%s: downloads, detects the layout, loads ratings and titles',
    async (name) => {
      const folder = await downloadDataset(name, {
        cacheDir,
        baseUrl: `${base}/${name}`,
        ...UNPINNED,
      });
      expect(folder).toBe(join(cacheDir, name));
      const layout = await detectLayout(folder);
      expect(layout).toMatchObject({
        ratingsFile: join(folder, 'ratings.csv'),
        ratingsLayout: 'ratings-csv',
        titlesFile: join(folder, 'movies.csv'),
        titlesLayout: 'movies-csv',
        hasPredefinedFolds: false,
      });
      const { table } = await loadRatings(folder, { ratingScale: [0.5, 5], duplicates: 'error' });
      expect(table.userIds.ids()).toEqual([1, 2]);
      expect(table.itemIds.ids()).toEqual([296, 306]);
      expect(Array.from(table.rating)).toEqual([5, 3.5, 4]);
      const titles = await loadItemTitles(folder);
      expect(titles.size).toBe(3);
      expect(titles.get(306)?.title).toBe('Three Colors: Red (Trois couleurs: Rouge) (1994)');
      expect(titles.get(209171)?.title).toBe("Women of Devil's Island, The (1962)");
      expect(titles.get(296)?.genres).toEqual(['Comedy', 'Crime', 'Drama', 'Thriller']);
      // resolveDataset finds it in the cache without a second request
      requests = [];
      expect(await resolveDataset(name, { dataDir: join(root, 'none'), cacheDir })).toBe(folder);
      expect(requests).toEqual([]);
    },
  );
});

describe('downloads checked against pinned sizes and SHA-256 digests', () => {
  const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
  /** This test's own pin table: GOOD is the release. */
  const pins = {
    'ml-latest-small': { bytes: GOOD.length, sha256: sha256(GOOD), source: 'this test' },
  };
  async function pinnedError(route: string, message: RegExp): Promise<void> {
    const error: unknown = await downloadDataset('ml-latest-small', {
      cacheDir,
      baseUrl: `${base}/${route}`,
      pins,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as DownloadError).message).toMatch(message);
    expect((error as DownloadError).message).toContain(
      `cf pins ${GOOD.length} bytes with SHA-256 ${sha256(GOOD)}`,
    );
    expect(readdirSync(cacheDir)).toEqual([]); // the partial download is deleted
  }

  it('accepts the pinned release without asking the server for a checksum, and warns of nothing', async () => {
    const warnings: string[] = [];
    const folder = await downloadDataset('ml-latest-small', {
      cacheDir,
      baseUrl: `${base}/ok`,
      pins,
      onWarning: (m) => warnings.push(m),
    });
    expect(readFileSync(join(folder, 'ratings.csv'), 'utf8')).toBe(RATINGS);
    expect(requests).toEqual(['/ok/ml-latest-small.zip']);
    expect(warnings).toEqual([]);
  });

  it('refuses a truncated zip (announced, or cut short without a length)', async () => {
    await pinnedError('truncated', new RegExp(`announces ${TRUNCATED.length} bytes`));
    await pinnedError(
      'truncated-chunked',
      new RegExp(`has ${TRUNCATED.length} bytes with SHA-256 ${sha256(TRUNCATED)}`),
    );
  });

  it('refuses a zip with one flipped byte, and a valid zip of another body', async () => {
    await pinnedError(
      'flipped',
      new RegExp(`has ${GOOD.length} bytes with SHA-256 ${sha256(FLIPPED)}`),
    );
    await pinnedError('different', /the server sent another file/);
  });

  it('a release without a pin keeps the MD5 check and says it could not be verified against a pin', async () => {
    const warnings: string[] = [];
    await downloadDataset('ml-latest-small', {
      cacheDir,
      baseUrl: `${base}/goodmd5`,
      pins: {},
      onWarning: (m) => warnings.push(m),
    });
    expect(warnings).toEqual([
      expect.stringMatching(
        /ml-latest-small could not be verified against a pin: .*against the MD5 the same server publishes/,
      ),
    ]);
    expect(requests).toContain('/goodmd5/ml-latest-small.zip.md5');
  });

  it('the built-in pins are on by default: a zip that is not the GroupLens release is refused', async () => {
    expect(Object.keys(MOVIELENS_PINS).sort()).toEqual([
      'ml-100k',
      'ml-1m',
      'ml-25m',
      'ml-latest-small',
    ]);
    const error: unknown = await downloadDataset('ml-latest-small', {
      cacheDir,
      baseUrl: `${base}/ok`,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DownloadError);
    expect((error as Error).message).toMatch(/cf pins 978202 bytes with SHA-256 696d65a3/);
    expect(readdirSync(cacheDir)).toEqual([]);
  });
});
