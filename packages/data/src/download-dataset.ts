import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { iterateByteChunks } from './byte-source.js';
import { DownloadError, InvalidArgumentError } from './errors.js';
import { extractZip } from './safe-unzip.js';
import { MOVIELENS_PINS, type DownloadPin } from './movielens-pins.js';

/** The MovieLens datasets that {@link downloadDataset} knows. */
export type MovieLensName = 'ml-latest-small' | 'ml-100k' | 'ml-1m' | 'ml-25m' | 'ml-32m';

/** The ratings file that marks a complete dataset folder, per dataset. */
export const MOVIELENS_DATASETS: Readonly<Record<MovieLensName, { ratingsFile: string }>> = {
  'ml-latest-small': { ratingsFile: 'ratings.csv' },
  'ml-100k': { ratingsFile: 'u.data' },
  'ml-1m': { ratingsFile: 'ratings.dat' },
  'ml-25m': { ratingsFile: 'ratings.csv' },
  'ml-32m': { ratingsFile: 'ratings.csv' },
};

/** Where GroupLens publishes the zips: `<base>/<name>.zip`, with `<base>/<name>.zip.md5` beside each. */
export const GROUPLENS_BASE_URL = 'https://files.grouplens.org/datasets/movielens';

/** Options of {@link downloadDataset}. */
export interface DownloadDatasetOptions {
  /** Folder that receives `<name>/`. Default `$CF_DATA_DIR`, else {@link defaultCacheDir}. */
  cacheDir?: string;
  /** Base URL of the zips (a mirror, or a local server in tests). Default {@link GROUPLENS_BASE_URL}. */
  baseUrl?: string;
  /**
   * Byte length and SHA-256 each dataset's zip must have (default {@link MOVIELENS_PINS}); a
   * download that differs is refused. Pass your own table for a mirror of other bytes, or `{}` to
   * pin nothing.
   */
  pins?: Readonly<Partial<Record<string, DownloadPin>>>;
  /**
   * For a dataset without a pin: fetch `<url>.md5` and compare when the server has it (it comes
   * from the same server, so it guards against damage, not substitution). Default true.
   */
  verifyChecksum?: boolean;
  /** Told when a download could not be verified against a pin. Default `console.warn`. */
  onWarning?: (message: string) => void;
  /** Called as bytes arrive; `totalBytes` is undefined when the server did not say. */
  onProgress?: (receivedBytes: number, totalBytes: number | undefined) => void;
}

/** Options of {@link resolveDataset}. */
export interface ResolveDatasetOptions extends DownloadDatasetOptions {
  /** Folder of ready datasets, searched first. Default `$CF_DATA_DIR`. */
  dataDir?: string;
}

/**
 * The user's cache folder for cf: `$XDG_CACHE_HOME/cf`, else `%LOCALAPPDATA%\cf\Cache` on Windows,
 * `~/Library/Caches/cf` on macOS, `~/.cache/cf` elsewhere.
 */
export function defaultCacheDir(
  env: Record<string, string | undefined> = process.env,
  platform: string = process.platform,
): string {
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'cf');
  if (platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'cf', 'Cache');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Caches', 'cf');
  return join(homedir(), '.cache', 'cf');
}

function checkName(name: string): asserts name is MovieLensName {
  if (!Object.hasOwn(MOVIELENS_DATASETS, name)) {
    throw new InvalidArgumentError(
      'name',
      `unknown dataset ${JSON.stringify(name)}; known: ${Object.keys(MOVIELENS_DATASETS).join(', ')}`,
    );
  }
}

async function isComplete(folder: string, name: MovieLensName): Promise<boolean> {
  try {
    return (await stat(join(folder, MOVIELENS_DATASETS[name].ratingsFile))).isFile();
  } catch {
    return false;
  }
}

function reason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

const ZIP_MAGIC = [0x50, 0x4b, 0x03, 0x04];

/** Streams `url` into `file` (created exclusively), checking status, type, magic, length and the pinned size; returns the body's MD5 and SHA-256. */
async function fetchZip(
  url: string,
  file: string,
  hint: string,
  options: DownloadDatasetOptions,
  pin: DownloadPin | undefined,
): Promise<{ md5: string; sha256: string; bytes: number }> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DownloadError(
      url,
      `could not reach ${url} (${reason(error)}). If this machine is offline, ${hint}`,
      { cause: error },
    );
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new DownloadError(
      url,
      `${url} answered HTTP ${response.status} ${response.statusText}; check the dataset name and base URL, or ${hint}`,
      { status: response.status },
    );
  }
  const notZip = (what: string): DownloadError =>
    new DownloadError(
      url,
      `${url} served ${what} instead of a zip file (a proxy, captive portal or error page?); ${hint}`,
      { status: response.status },
    );
  if ((response.headers.get('content-type') ?? '').includes('text/html')) {
    await response.body.cancel();
    throw notZip('an HTML page');
  }
  const identity = (response.headers.get('content-encoding') ?? 'identity') === 'identity';
  const declared = identity ? Number(response.headers.get('content-length') ?? NaN) : NaN;
  const total = Number.isFinite(declared) ? declared : undefined;
  const pinned = (what: string): DownloadError =>
    new DownloadError(
      url,
      `${url} ${what}, but cf pins ${pin!.bytes} bytes with SHA-256 ${pin!.sha256} for this release: the server sent another file (changed, damaged or substituted), so nothing was kept; ${hint}`,
      { status: response.status },
    );
  if (pin && total !== undefined && total !== pin.bytes) {
    await response.body.cancel();
    throw pinned(`announces ${total} bytes`);
  }
  const hash = createHash('md5');
  const sha256 = createHash('sha256');
  const out = await open(file, 'wx');
  let received = 0;
  const head: number[] = [];
  try {
    for await (const chunk of iterateByteChunks(response.body)) {
      for (let k = 0; head.length < 4 && k < chunk.length; k++) head.push(chunk[k]!);
      if (head.length === 4 && head.some((byte, k) => byte !== ZIP_MAGIC[k]))
        throw notZip(head[0] === 0x3c ? 'an HTML page' : 'data that is not a zip');
      hash.update(chunk);
      sha256.update(chunk);
      await out.write(chunk);
      received += chunk.length;
      if (pin && received > pin.bytes) throw pinned(`sent more than ${pin.bytes} bytes`);
      options.onProgress?.(received, total);
    }
  } catch (error) {
    if (error instanceof DownloadError) throw error;
    throw new DownloadError(
      url,
      `the download of ${url} broke off after ${received}${total === undefined ? '' : ` of ${total}`} bytes (${reason(error)}); run again to retry, or ${hint}`,
      { cause: error, status: response.status },
    );
  } finally {
    await out.close();
  }
  if (total !== undefined && received !== total) {
    throw new DownloadError(
      url,
      `the download of ${url} is truncated: ${received} of ${total} bytes; run again to retry, or ${hint}`,
      { status: response.status },
    );
  }
  if (head.length < 4) throw notZip(`${received} bytes`);
  return { md5: hash.digest('hex'), sha256: sha256.digest('hex'), bytes: received };
}

/** The MD5 that GroupLens publishes at `<url>.md5`, or undefined when it cannot be fetched. */
async function fetchPublishedMd5(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${url}.md5`);
    if (!response.ok) {
      await response.body?.cancel();
      return undefined;
    }
    return /\b([0-9a-f]{32})\b/i.exec(await response.text())?.[1]?.toLowerCase();
  } catch {
    return undefined;
  }
}

/** The unpacked dataset folder inside the extraction folder: `<name>/`, or the only top-level folder. */
async function findUnpacked(extractDir: string, name: MovieLensName, url: string): Promise<string> {
  const direct = join(extractDir, name);
  if (await isComplete(direct, name)) return direct;
  const top = await readdir(extractDir, { withFileTypes: true });
  const folders = top.filter((entry) => entry.isDirectory());
  if (folders.length === 1 && (await isComplete(join(extractDir, folders[0]!.name), name)))
    return join(extractDir, folders[0]!.name);
  if (await isComplete(extractDir, name)) return extractDir;
  throw new DownloadError(
    url,
    `the zip from ${url} has no ${name}/${MOVIELENS_DATASETS[name].ratingsFile}; it is not the ${name} dataset`,
  );
}

/**
 * Downloads a MovieLens zip from GroupLens (or `options.baseUrl`) and unpacks it to
 * `<cacheDir>/<name>`, returning that folder. If the folder is already complete, returns at once
 * without network. The zip goes to a temporary file in the cache folder, is checked (HTTP status,
 * not HTML, zip magic, length; then its size and SHA-256 against the release's pin in
 * `options.pins`, default {@link MOVIELENS_PINS}; a release without a pin is checked against the
 * MD5 the server publishes, when it does, and `onWarning` is told), unpacked safely (see
 * `extractZip`) into a temporary folder and renamed into place: on any failure nothing
 * half-written is left behind. Throws {@link DownloadError} or `UnsafeArchiveError`.
 */
export async function downloadDataset(
  name: string,
  options: DownloadDatasetOptions = {},
): Promise<string> {
  checkName(name);
  const cacheDir = options.cacheDir ?? process.env.CF_DATA_DIR ?? defaultCacheDir();
  const target = join(cacheDir, name);
  if (await isComplete(target, name)) return target;
  const url = `${(options.baseUrl ?? GROUPLENS_BASE_URL).replace(/\/+$/, '')}/${name}.zip`;
  const hint = `set CF_DATA_DIR to a folder that holds ${name}/, or download ${url} by hand and unzip it into ${cacheDir}`;
  await mkdir(cacheDir, { recursive: true });
  const temp = join(cacheDir, `.${name}.${process.pid}.${randomUUID().slice(0, 8)}`);
  const zipFile = `${temp}.zip.part`;
  const extractDir = `${temp}.unzip`;
  const pin = (options.pins ?? MOVIELENS_PINS)[name];
  try {
    const got = await fetchZip(url, zipFile, hint, options, pin);
    if (pin) {
      if (got.bytes !== pin.bytes || got.sha256 !== pin.sha256)
        throw new DownloadError(
          url,
          `the download of ${url} has ${got.bytes} bytes with SHA-256 ${got.sha256}, but cf pins ${pin.bytes} bytes with SHA-256 ${pin.sha256} for this release: the server sent another file (changed, damaged, truncated or substituted), so nothing was kept; run again to retry, or ${hint}`,
        );
    } else {
      let published: string | undefined;
      if (options.verifyChecksum ?? true) {
        published = await fetchPublishedMd5(url);
        if (published !== undefined && published !== got.md5) {
          throw new DownloadError(
            url,
            `the download of ${url} has MD5 ${got.md5}, but ${url}.md5 says ${published}; run again to retry, or ${hint}`,
          );
        }
      }
      (options.onWarning ?? ((message: string) => console.warn(message)))(
        `warning: ${name} could not be verified against a pin: cf pins no size and SHA-256 for it, so the download (${got.bytes} bytes, SHA-256 ${got.sha256}) was checked only ${published === undefined ? 'for being a complete zip (the server published no MD5)' : 'against the MD5 the same server publishes'}`,
      );
    }
    await extractZip(zipFile, extractDir);
    const unpacked = await findUnpacked(extractDir, name, url);
    try {
      await rename(unpacked, target);
    } catch (error) {
      if (!(await isComplete(target, name))) throw error; // else another process finished first
    }
    return target;
  } finally {
    await rm(zipFile, { force: true });
    await rm(extractDir, { recursive: true, force: true });
  }
}

/**
 * Finds a dataset folder: `<dataDir>/<name>` (default `$CF_DATA_DIR`) when complete, else the
 * cache copy, else downloads into the cache (`options.cacheDir`, default {@link defaultCacheDir}).
 */
export async function resolveDataset(
  name: string,
  options: ResolveDatasetOptions = {},
): Promise<string> {
  checkName(name);
  const dataDir = options.dataDir ?? process.env.CF_DATA_DIR;
  if (dataDir !== undefined && (await isComplete(join(dataDir, name), name)))
    return join(dataDir, name);
  const download: DownloadDatasetOptions = {
    ...options,
    cacheDir: options.cacheDir ?? defaultCacheDir(),
  };
  return downloadDataset(name, download);
}
