import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, readdir, rm, statfs, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeSyntheticRatings } from '@cf/test-utils';
import type { CliIO } from './cli-io.js';
import { claimOutputFolder, LOCK_FILE, OutputFolderError } from './output-folder.js';
import { run } from './run.js';

// Issue 15, items 1, 4 and 6: one writer per output folder, --out checked before training, a full
// disk or a read-only folder a CfError (exit 1) that leaves no empty folder and the previous model.

function memoryIO(cwd: string): CliIO & { err: () => string } {
  let err = '';
  return {
    stdout: { write: () => undefined },
    stderr: { write: (t: string) => void (err += t) },
    env: {},
    cwd,
    err: () => err,
  };
}

let root: string;
let data: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cf-out-'));
  data = join(root, 'data');
  await mkdir(data);
  const { table } = makeSyntheticRatings({ nUsers: 30, nItems: 40, density: 0.4, seed: 9 });
  const lines = ['userId,movieId,rating,timestamp'];
  for (let r = 0; r < table.rating.length; r++)
    lines.push(
      `${String(table.userIds.idAt(table.userIndex[r]!))},${String(table.itemIds.idAt(table.itemIndex[r]!))},${table.rating[r]!},${r}`,
    );
  await writeFile(join(data, 'ratings.csv'), lines.join('\n') + '\n');
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function cf(argv: string[], cwd = root) {
  const io = memoryIO(cwd);
  const code = await run(argv, io);
  return { code, err: io.err() };
}

const train = (out: string, extra: string[] = []): string[] => [
  'train',
  '--data',
  data,
  '--recipe',
  'fastai',
  '--epochs',
  '1',
  '--bs',
  '64',
  '--out',
  out,
  '--quiet',
  ...extra,
];

/** A pid that is certainly not running: a child that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

/** Mounts a tmpfs at `dir` (root only); undefined when it works, else why not. */
function mountTmpfs(dir: string, options: string): string | undefined {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
    return undefined;
  } catch (error) {
    return `cannot mount a tmpfs here (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}

describe('the output-folder lock', () => {
  it('a second writer of the same folder fails at once, naming the process that holds it', async () => {
    const dir = join(root, 'held');
    const held = await claimOutputFolder(dir, 'cf train --out held');
    const error = await claimOutputFolder(dir, 'cf train --out held').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputFolderError);
    expect(error).toMatchObject({ reason: 'locked', holder: { pid: process.pid } });
    expect((error as Error).message).toMatch(
      new RegExp(`process ${process.pid} .*cf train --out held`),
    );
    // through the CLI: exit 1, before any data is read
    const second = await cf(train(dir));
    expect(second.code).toBe(1);
    expect(second.err).toMatch(
      new RegExp(`another cf is writing this folder: process ${process.pid}`),
    );
    await held.release();
    expect(existsSync(dir)).toBe(false); // created by the claim, empty, removed on release
  });

  it('two cf train runs started together: one saves, the other fails with exit 1; the model is the winner’s', async () => {
    const dir = join(root, 'pair');
    const [a, b] = await Promise.all([
      cf(train(dir, ['--seed', '1'])),
      cf(train(dir, ['--seed', '2'])),
    ]);
    expect([a.code, b.code].sort()).toEqual([0, 1]);
    expect((a.code === 1 ? a : b).err).toMatch(/another cf is writing this folder/);
    expect(await readdir(dir)).toContain('model.json');
    expect((await readdir(dir)).filter((f) => f.startsWith('.cf-lock'))).toEqual([]);
    const predict = await cf(['predict', '--model', dir, '--user', '1', '--item', '1']);
    expect(predict.code).toBe(0);
  }, 60_000);

  it('takes over a lock left by a killed process', async () => {
    const dir = join(root, 'stale');
    await mkdir(dir);
    const pid = deadPid();
    await writeFile(
      join(dir, LOCK_FILE),
      JSON.stringify({
        pid,
        host: (await import('node:os')).hostname(),
        since: '2026-01-01T00:00:00Z',
        command: 'cf train',
      }),
    );
    const result = await cf(train(dir));
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    expect(existsSync(join(dir, 'model.json'))).toBe(true);
  }, 60_000);
});

describe('--out checked before training', () => {
  it("--out '' is bad usage (exit 2) and writes nothing in the current folder", async () => {
    const cwd = join(root, 'cwd');
    await mkdir(cwd);
    await writeFile(join(cwd, 'weights.0badc0de.bin'), 'not mine to delete');
    const result = await cf(train(''), cwd);
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/--out is empty/);
    expect(await readdir(cwd)).toEqual(['weights.0badc0de.bin']);
  });

  it('--out naming a regular file is exit 1 before training, and the file is untouched', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'keep');
    for (const recipe of ['bias', 'best', 'fastai']) {
      const result = await cf(['train', '--data', data, '--recipe', recipe, '--out', file]);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/--out .*a-file: it is a file, not a folder/);
      expect(result.err).not.toMatch(/data:|fit:|Gibbs|RMSE/); // refused before loading and training
    }
    expect(await readFile(file, 'utf8')).toBe('keep');
    const nested = await cf(train(join(file, 'm')));
    expect(nested.code).toBe(1);
    expect(nested.err).toMatch(/a parent of it is a file/);
  });

  it('every rating identical is exit 1 before training, for every recipe', async () => {
    const same = join(root, 'same.csv');
    await writeFile(
      same,
      'userId,movieId,rating,timestamp\n1,1,3.5,1\n1,2,3.5,2\n2,1,3.5,3\n2,2,3.5,4\n3,1,3.5,5\n',
    );
    for (const recipe of ['notebook', 'best', 'fastai', 'bias']) {
      const out = join(root, `same-${recipe}`);
      const result = await cf(['train', '--data', same, '--recipe', recipe, '--out', out]);
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/same\.csv: every rating is 3\.5/);
      expect(result.err).not.toMatch(/RangeError|\n\s+at /);
      expect(existsSync(out)).toBe(false);
    }
  });
});

describe('read-only and full file systems (tmpfs mounts; root only)', () => {
  const mountPoint = (name: string): string => join(root, name);

  it('a read-only parent is exit 1 naming it, before training, leaving nothing', async (context) => {
    const dir = mountPoint('ro');
    await mkdir(dir);
    const problem = mountTmpfs(dir, 'ro,size=64k');
    if (problem) {
      console.log(`skipped: ${problem}`);
      context.skip();
    }
    try {
      const result = await cf(train(join(dir, 'm')));
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/cannot write there \(EROFS: a read-only file system\)/);
      expect(result.err).not.toMatch(/\n\s+at /);
      expect(await readdir(dir)).toEqual([]);
    } finally {
      execFileSync('umount', [dir]);
    }
  });

  it('a full disk is exit 1, leaves the previous model intact and no empty or temp files', async (context) => {
    const dir = mountPoint('full');
    await mkdir(dir);
    const problem = mountTmpfs(dir, 'size=1m');
    if (problem) {
      console.log(`skipped: ${problem}`);
      context.skip();
    }
    try {
      // the previous model, then fill the disk but for one page
      const previous = join(root, 'previous');
      expect((await cf(train(previous))).code).toBe(0);
      const model = join(dir, 'm');
      await cp(previous, model, { recursive: true });
      const before = (await readdir(model)).sort();
      const stats = await statfs(dir);
      await writeFile(join(dir, 'filler'), Buffer.alloc((stats.bavail - 1) * stats.bsize));
      const predicted = await cf(['predict', '--model', model, '--user', '1', '--item', '1']);
      const result = await cf(train(model, ['--seed', '7']));
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/the disk is full \(ENOSPC\)/);
      expect(result.err).not.toMatch(/\n\s+at /);
      expect((await readdir(model)).sort()).toEqual(before);
      expect(await cf(['predict', '--model', model, '--user', '1', '--item', '1'])).toEqual(
        predicted,
      );
      // a new folder on the full disk is not left behind either
      const fresh = await cf(train(join(dir, 'new')));
      expect(fresh.code).toBe(1);
      expect(existsSync(join(dir, 'new'))).toBe(false);
    } finally {
      execFileSync('umount', [dir]);
    }
  }, 60_000);
});
