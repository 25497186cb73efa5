import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The folder of a real MovieLens data set under `$CF_DATA_DIR`, or undefined (with a printed
 * reason) when it is absent, so the caller can skip its test loudly.
 */
export function realDataDir(name = 'ml-latest-small'): string | undefined {
  const root = process.env['CF_DATA_DIR'];
  if (!root) {
    console.warn(
      `[skip] CF_DATA_DIR is not set: tests on the real ${name} data are skipped (CI sets it to ../shared/datasets)`,
    );
    return undefined;
  }
  const dir = join(root, name);
  if (!existsSync(dir)) {
    console.warn(`[skip] ${dir} does not exist: tests on the real ${name} data are skipped`);
    return undefined;
  }
  return dir;
}
