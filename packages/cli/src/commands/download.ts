import { downloadDataset, MOVIELENS_DATASETS } from '@cf/data/node';
import { EXIT, UsageError, type CliIO } from '../cli-io.js';

/** `cf download <name>`: fetch a MovieLens release into the cache (or `--dir`). */
export async function downloadCommand(
  name: string,
  options: { dir?: string; json?: boolean },
  io: CliIO,
): Promise<number> {
  if (!Object.hasOwn(MOVIELENS_DATASETS, name)) {
    throw new UsageError(
      `unknown data set ${name}; expected one of ${Object.keys(MOVIELENS_DATASETS).join(', ')}`,
    );
  }
  let last = 0;
  const path = await downloadDataset(name, {
    ...(options.dir
      ? { cacheDir: options.dir }
      : io.env['CF_DATA_DIR']
        ? { cacheDir: io.env['CF_DATA_DIR'] }
        : {}),
    onWarning: (message) => void io.stderr.write(`${message}\n`),
    onProgress: (received, total) => {
      if (received - last < 5e6 && received !== total) return;
      last = received;
      io.stderr.write(
        `${name}: ${(received / 1e6).toFixed(1)} MB${total ? ` of ${(total / 1e6).toFixed(1)} MB` : ''}\n`,
      );
    },
  });
  io.stdout.write(options.json ? JSON.stringify({ name, path }) + '\n' : `${name} is in ${path}\n`);
  return EXIT.ok;
}
