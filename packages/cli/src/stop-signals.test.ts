import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeSyntheticRatings } from '@cf/test-utils';
import { handleStopSignals } from './stop-signals.js';

// Issue 15, item 2: Ctrl-C stops every phase, a second one quits at once, SIGTERM is the first Ctrl-C.
const dist = join(dirname(fileURLToPath(import.meta.url)), '..', 'dist');

describe('handleStopSignals', () => {
  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s aborts with its name and hands both signals back to their default action',
    (signal) => {
      const target = new EventEmitter();
      const controller = new AbortController();
      const written: string[] = [];
      const received = handleStopSignals(target, controller, (t) => written.push(t));
      expect(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM')).toBe(2);
      target.emit(signal);
      expect(controller.signal.aborted).toBe(true);
      expect(controller.signal.reason).toBe(signal);
      expect(received()).toBe(signal);
      expect(written.join('')).toMatch(
        /stopping at the next safe point \(Ctrl-C again to quit now\)/,
      );
      // no listener left: the next SIGINT or SIGTERM gets the OS default and ends the process
      expect(target.listenerCount('SIGINT') + target.listenerCount('SIGTERM')).toBe(0);
    },
  );
});

/** Runs a child, sends `signal` when its stderr first matches `when`, and `again` ms later once more. */
function runUntil(
  args: string[],
  when: RegExp,
  signal: NodeJS.Signals,
  again?: number,
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let sent = false;
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (!sent && when.test(stderr)) {
        sent = true;
        child.kill(signal);
        if (again !== undefined) setTimeout(() => child.kill(signal), again);
      }
    });
    child.on('error', reject);
    child.on('exit', (code, sig) => resolve({ code, signal: sig, stderr }));
  });
}

let root: string;
let data: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cf-signals-'));
  data = join(root, 'ratings.csv');
  const { table } = makeSyntheticRatings({ nUsers: 150, nItems: 200, density: 0.3, seed: 4 });
  const lines = ['userId,movieId,rating,timestamp'];
  for (let r = 0; r < table.rating.length; r++)
    lines.push(
      `${String(table.userIds.idAt(table.userIndex[r]!))},${String(table.itemIds.idAt(table.itemIndex[r]!))},${table.rating[r]!},${r}`,
    );
  await writeFile(data, lines.join('\n') + '\n');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('cf under Ctrl-C and SIGTERM (built binary)', () => {
  const bin = join(dist, 'bin.js');

  it('Ctrl-C during the Gibbs sweeps of --recipe best stops after the current sweep (exit 130, nothing saved)', async () => {
    const out = join(root, 'best');
    const result = await runUntil(
      [bin, 'train', '--data', data, '--recipe', 'best', '--out', out],
      /Gibbs sweep 10\//,
      'SIGINT',
    );
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/interrupt: stopping at the next safe point/);
    // it stopped sampling: the last sweep reported is not the last one, and no gradient fit began
    expect(result.stderr).not.toMatch(/Gibbs sweep (\d+)\/\1:/);
    expect(result.stderr).not.toMatch(/\nfit: /);
    expect(existsSync(out)).toBe(false);
  }, 120_000);

  it('SIGTERM during training behaves as the first Ctrl-C: stops, keeps the checkpoint, exit 143', async () => {
    const out = join(root, 'term');
    const result = await runUntil(
      [bin, 'train', '--data', data, '--recipe', 'notebook', '--epochs', '30', '--out', out],
      /\n\s*1\s+\d/, // the first epoch's table row
      'SIGTERM',
    );
    expect(result.signal).toBeNull();
    expect(result.code).toBe(143);
    expect(result.stderr).toMatch(/SIGTERM: stopping at the next safe point/);
    expect(result.stderr).toMatch(/continue with --resume/);
    expect(await readdir(out)).toEqual(['checkpoint']); // no model yet, no lock left
  }, 120_000);

  it('a second Ctrl-C ends the process at once, even inside a long synchronous step', async () => {
    // a child that, once asked to stop, runs a synchronous loop no JavaScript handler can break
    const script = `
      import { handleStopSignals } from ${JSON.stringify(join(dist, 'index.js'))};
      const controller = new AbortController();
      handleStopSignals(process, controller, (t) => process.stderr.write(t));
      controller.signal.addEventListener('abort', () => setTimeout(() => { for (;;); }, 0));
      process.stderr.write('ready\\n');
      setInterval(() => {}, 1000);
    `;
    const result = await runUntil(['--input-type=module', '-e', script], /ready/, 'SIGINT', 300);
    expect(result.stderr).toMatch(/interrupt: stopping/);
    expect(result.signal).toBe('SIGINT');
  }, 30_000);

  describe('on a catalogue large enough that ranking every item takes seconds', () => {
    let wide: string;
    beforeAll(async () => {
      // 12,000 users × 12,000 items, 200,000 rows: ranking all items for every user is the slow part
      wide = join(root, 'wide.csv');
      const lines = ['userId,movieId,rating,timestamp'];
      let state = 7;
      const next = (n: number): number =>
        ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 8) % n;
      for (let r = 0; r < 200_000; r++)
        lines.push(
          `${next(12_000)},${next(12_000)},${1 + (next(9) >> 1) + (next(2) ? 0.5 : 0)},${r}`,
        );
      await writeFile(wide, lines.join('\n') + '\n');
    });

    it('Ctrl-C while cf train ranks stops before saving (exit 130, no model)', async () => {
      const out = join(root, 'ranking-stopped');
      const result = await runUntil(
        [bin, 'train', '--data', wide, '--recipe', 'fastai', '--epochs', '1', '--out', out],
        /ranking: the top 10/,
        'SIGINT',
      );
      expect(result.code).toBe(130);
      expect(result.stderr).toMatch(/interrupted: /);
      expect(result.stderr).not.toMatch(/model saved/);
      // it stopped inside the ranking, not after it: no numbers were reported
      expect(result.stderr).not.toMatch(/validation RMSE|top-10 ranking of all/);
      expect(existsSync(join(out, 'model.json'))).toBe(false);
    }, 120_000);

    it('ranks only the first 10,000 users of a larger table, and says so', async () => {
      const out = join(root, 'ranking-capped');
      const result = await runUntil(
        [bin, 'train', '--data', wide, '--recipe', 'bias', '--out', out],
        /a line that never comes/,
        'SIGINT',
      );
      expect(result.code).toBe(0);
      expect(result.stderr).toMatch(/users among the first 10000 of 1\d{4} users\): NDCG/);
      const counted = /; (\d+) users among the first/.exec(result.stderr);
      expect(Number(counted![1])).toBeLessThanOrEqual(10_000);
      expect(Number(counted![1])).toBeGreaterThan(1_000);
    }, 120_000);

    it('Ctrl-C during cf cv trains no further fold (exit 130)', async () => {
      const result = await runUntil(
        [bin, 'cv', '--data', wide, '--recipe', 'fastai', '--epochs', '1'],
        /fold 0: training/,
        'SIGINT',
      );
      expect(result.code).toBe(130);
      expect(result.stderr).not.toMatch(/fold 1: training/);
      expect(result.stderr).toMatch(/interrupted: stopped after 0 of 5 folds/);
    }, 120_000);
  });
});
