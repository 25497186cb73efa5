import { createWriteStream } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { once } from 'node:events';
import { rankAllUsers } from '@cf/model';
import { EXIT, UsageError, type CliIO } from '../cli-io.js';
import type { BackendName } from '../backend.js';
import { cliId, loadModelForCommand, withKnownId } from './load-model.js';
import { printRanking } from './print-recommendations.js';

/**
 * `cf recommend --model DIR --user ID [-k 10]`: top items the user has not rated.
 * `cf recommend --model DIR --all [--threads auto] [--out FILE]`: the same for every user, as CSV
 * (`userId,rank,itemId,score`, or JSON lines with `--json`) on stdout or in FILE.
 */
export async function recommendCommand(
  options: {
    model: string;
    user?: string;
    all?: boolean;
    threads?: number | 'auto';
    out?: string;
    k: number;
    includeSeen?: boolean;
    backend: BackendName;
    json?: boolean;
  },
  io: CliIO,
): Promise<number> {
  if (Boolean(options.all) === (options.user !== undefined))
    throw new UsageError(
      options.all
        ? '--user and --all cannot be used together: give one user, or --all for every user'
        : 'give --user ID for one user, or --all for every user',
    );
  if (!options.all && (options.threads !== undefined || options.out !== undefined))
    throw new UsageError('--threads and --out apply to --all only');
  const trained = await loadModelForCommand(options.model, options.backend, io);
  try {
    if (options.all) return await recommendAll(trained, options, io);
    const userId = cliId(options.user!, '--user');
    const rows = withKnownId(
      () => trained.recommend(userId, { k: options.k, excludeSeen: !options.includeSeen }),
      'recommend has no fallback for a new user: fold them in from their ratings with `cf fold-in --model DIR --ratings FILE`',
    );
    printRanking(
      io,
      `top ${options.k} for user ${String(userId)}${options.includeSeen ? '' : ' (items the user rated excluded)'}:`,
      rows,
      options.json ? { userId, k: options.k } : undefined,
      'predicted',
    );
    return EXIT.ok;
  } finally {
    trained.dispose();
  }
}

/** A CSV field: quoted when it holds a comma, a quote or a line break. */
function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

async function recommendAll(
  trained: Awaited<ReturnType<typeof loadModelForCommand>>,
  options: {
    threads?: number | 'auto';
    out?: string;
    k: number;
    includeSeen?: boolean;
    json?: boolean;
  },
  io: CliIO,
): Promise<number> {
  const started = performance.now();
  const cpu0 = process.cpuUsage();
  const nUsers = trained.userIds.size;
  const ranked = await rankAllUsers(trained.model, {
    k: options.k,
    excluded: options.includeSeen ? undefined : trained.seen,
    threads: options.threads ?? 'auto',
    cores: availableParallelism(),
    ...(io.signal ? { signal: io.signal } : {}),
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  if (ranked.threadsNote) io.stderr.write(`${ranked.threadsNote}\n`);
  io.stderr.write(
    `ranked the top ${options.k} of ${trained.itemIds.size} items for ${nUsers} users on ${ranked.threads} thread${ranked.threads === 1 ? '' : 's'} (${ranked.path === 'blocked' ? 'in blocks of users × items' : 'one user at a time'}) in ${seconds.toFixed(1)} s wall, ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s CPU of this process and its workers\n`,
  );
  const file = options.out ? createWriteStream(resolve(io.cwd, options.out)) : undefined;
  const write = async (text: string): Promise<void> => {
    if (!file) {
      io.stdout.write(text);
      return;
    }
    if (!file.write(text)) await once(file, 'drain');
  };
  const { k, counts, items, scores } = ranked;
  if (!options.json) await write('userId,rank,itemId,score\n');
  let chunk = '';
  for (let p = 0; p < ranked.users.length; p++) {
    const userId = trained.userIds.idAt(ranked.users[p]!);
    if (options.json) {
      const list = Array.from({ length: counts[p]! }, (_, j) => ({
        itemId: trained.itemIds.idAt(items[p * k + j]!),
        score: scores[p * k + j]!,
      }));
      chunk += JSON.stringify({ userId, items: list }) + '\n';
    } else {
      const user = csvField(String(userId));
      for (let j = 0; j < counts[p]!; j++)
        chunk += `${user},${j + 1},${csvField(String(trained.itemIds.idAt(items[p * k + j]!)))},${scores[p * k + j]!}\n`;
    }
    if (chunk.length > 1 << 16) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  if (file) {
    file.end();
    await once(file, 'close');
  }
  return EXIT.ok;
}
