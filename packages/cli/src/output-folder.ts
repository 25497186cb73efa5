import { constants } from 'node:fs';
import {
  access,
  link,
  mkdir,
  readdir,
  readFile,
  rmdir,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { CfError } from '@cf/data';

/** Why an output folder cannot be used: another live writer holds it, it is not a folder, it cannot be written, or the disk is full. */
export type OutputFolderReason = 'locked' | 'not-a-folder' | 'not-writable' | 'disk-full';

/** `cf train --out DIR` cannot write DIR; exit code 1. */
export class OutputFolderError extends CfError {
  readonly dir: string;
  readonly reason: OutputFolderReason;
  /** The process holding the lock (`locked` only). */
  readonly holder: OutputLockHolder | undefined;
  constructor(
    dir: string,
    reason: OutputFolderReason,
    message: string,
    options: { holder?: OutputLockHolder; cause?: unknown } = {},
  ) {
    super(
      'OUTPUT_FOLDER',
      `--out ${dir}: ${message}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.dir = dir;
    this.reason = reason;
    this.holder = options.holder;
  }
}

/** What a lock file records about the process that holds it. */
export interface OutputLockHolder {
  pid: number;
  host: string;
  /** ISO time the lock was taken. */
  since: string;
  /** The command line, e.g. `cf train --seed 1 --out m`. */
  command: string;
}

let claims = 0;

/** The lock file inside an output folder. */
export const LOCK_FILE = '.cf-lock';

/** A held output folder: release it when done (removes the lock, and the folder if this run created it and left it empty). */
export interface OutputFolder {
  readonly dir: string;
  /** Whether this run created the folder. */
  readonly created: boolean;
  /** Removes the lock, and the folder if this run created it and left it empty; safe to call twice. */
  release(): Promise<void>;
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null
    ? ((error as { code?: unknown }).code as string | undefined)
    : undefined;
}

/** Whether a process with this id runs on this machine (EPERM: it runs under another user). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return codeOf(error) === 'EPERM';
  }
}

/** Turns a file-system failure on the output folder into an {@link OutputFolderError}, or returns undefined. */
export function outputFolderFailure(dir: string, error: unknown): OutputFolderError | undefined {
  const code = codeOf(error);
  if (code === 'ENOSPC' || code === 'EDQUOT')
    return new OutputFolderError(
      dir,
      'disk-full',
      `the disk is full (${code}); nothing was half-written and the previous model, if any, is intact: free some space or choose another --out`,
      { cause: error },
    );
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS')
    return new OutputFolderError(
      dir,
      'not-writable',
      `cannot write there (${code}: ${code === 'EROFS' ? 'a read-only file system' : 'permission denied'}); choose a folder you can write to`,
      { cause: error },
    );
  if (code === 'ENOTDIR' || code === 'EEXIST')
    return new OutputFolderError(
      dir,
      'not-a-folder',
      `${code === 'ENOTDIR' ? 'a parent of it' : 'it'} is a file, not a folder; choose a folder path`,
      { cause: error },
    );
  return undefined;
}

/** Temp files of a save (`<name>.tmp-<pid>-<n>`) or a lock (`.cf-lock.<pid>-<n>`). */
const TEMP_FILE = /^(?:.+\.tmp-(\d+)-\d+|\.cf-lock\.(\d+)-\d+)$/;

/**
 * With the folder locked, removes what killed writers left: temp files whose process no longer
 * runs, in the folder and in its `checkpoint/` (a kill during the first checkpoint write leaves only
 * those), and `checkpoint/` itself when that leaves it empty.
 */
async function removeDeadWritersTemps(dir: string): Promise<void> {
  for (const folder of [dir, join(dir, 'checkpoint')]) {
    const names = await readdir(folder).catch(() => undefined);
    if (!names) continue;
    for (const name of names) {
      const match = TEMP_FILE.exec(name);
      const pid = Number(match?.[1] ?? match?.[2]);
      if (match && pid !== process.pid && !isAlive(pid))
        await unlink(join(folder, name)).catch(() => undefined);
    }
    if (folder !== dir && (await readdir(folder).catch(() => ['?'])).length === 0)
      await rmdir(folder).catch(() => undefined);
  }
}

function describeHolder(holder: OutputLockHolder): string {
  return `process ${holder.pid} on ${holder.host} (\`${holder.command}\`, since ${holder.since})`;
}

async function readHolder(path: string): Promise<OutputLockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as Partial<OutputLockHolder>;
    if (typeof parsed.pid === 'number' && typeof parsed.host === 'string')
      return {
        pid: parsed.pid,
        host: parsed.host,
        since: String(parsed.since),
        command: String(parsed.command),
      };
  } catch {
    // unreadable or half-written: treated as stale below only when old
  }
  return undefined;
}

/**
 * Takes the output folder `dir` for one writer, before any training: checks that `dir` is (or can
 * be created as) a writable folder, then creates `dir/.cf-lock` atomically (written to a temp file,
 * then hard-linked into place, which fails if a lock exists). A lock whose process is gone (same
 * host, no such pid) is stale and taken over; a live one is an {@link OutputFolderError}
 * (`locked`) naming that process. Failures are `OutputFolderError`s (`not-a-folder`,
 * `not-writable`, `disk-full`); a folder created here is removed again on failure.
 */
export async function claimOutputFolder(dir: string, command: string): Promise<OutputFolder> {
  // a regular file, or a read-only parent, are refused before anything is created
  const existing = await stat(dir).catch((error: unknown) => {
    if (codeOf(error) === 'ENOENT') return undefined;
    throw outputFolderFailure(dir, error) ?? error;
  });
  if (existing && !existing.isDirectory())
    throw new OutputFolderError(
      dir,
      'not-a-folder',
      'it is a file, not a folder; choose a folder path',
    );
  // the first folder mkdir created (dir or a parent): removed again, with what is below it, when empty
  let firstCreated: string | undefined;
  if (!existing) {
    try {
      await access(dirname(dir), constants.W_OK).catch((error: unknown) => {
        if (codeOf(error) !== 'ENOENT') throw error;
      });
      firstCreated = await mkdir(dir, { recursive: true });
    } catch (error) {
      throw outputFolderFailure(dir, error) ?? error;
    }
  }
  const created = firstCreated !== undefined;
  const lockPath = join(dir, LOCK_FILE);
  const me: OutputLockHolder = {
    pid: process.pid,
    host: hostname(),
    since: new Date().toISOString(),
    command,
  };
  const temp = `${lockPath}.${process.pid}-${++claims}`;
  const removeCreated = async (): Promise<void> => {
    if (firstCreated === undefined) return;
    // dir, then its parents up to the first one created here, each only if empty
    const depth = relative(firstCreated, dir).split(sep).filter(Boolean).length;
    let path = dir;
    for (let k = 0; k <= depth; k++, path = dirname(path))
      if (
        !(await rmdir(path).then(
          () => true,
          () => false,
        ))
      )
        return;
  };
  try {
    await writeFile(temp, JSON.stringify(me));
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, lockPath);
        break;
      } catch (error) {
        if (codeOf(error) !== 'EEXIST' || attempt >= 3) throw error;
      }
      const holder = await readHolder(lockPath);
      const stale =
        holder === undefined
          ? Date.now() - (await stat(lockPath).catch(() => ({ mtimeMs: 0 }))).mtimeMs > 10_000
          : holder.host === me.host && !isAlive(holder.pid);
      if (!stale) {
        throw new OutputFolderError(
          dir,
          'locked',
          holder
            ? `another cf is writing this folder: ${describeHolder(holder)}; wait for it to finish, stop it, or choose another --out`
            : `another cf is writing this folder (its lock ${lockPath} is being written); wait for it or choose another --out`,
          holder ? { holder } : {},
        );
      }
      // stale: the holder was killed. Remove the lock only if it still is that stale one.
      const again = await readHolder(lockPath);
      if (again?.pid === holder?.pid) await unlink(lockPath).catch(() => undefined);
    }
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    await removeCreated();
    if (error instanceof OutputFolderError) throw error;
    throw outputFolderFailure(dir, error) ?? error;
  }
  await unlink(temp).catch(() => undefined);
  await removeDeadWritersTemps(dir);
  let released = false;
  return {
    dir,
    created,
    async release() {
      if (released) return;
      released = true;
      const holder = await readHolder(lockPath);
      if (holder?.pid === me.pid && holder.since === me.since)
        await unlink(lockPath).catch(() => undefined);
      await removeCreated();
    },
  };
}
