// Where the examples find MovieLens, and the knobs their tests turn to stay fast.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The ml-latest-small folder: the first command-line argument, else `$CF_DATA_DIR/ml-latest-small`.
 * Prints why and exits 0 when there is none, so `pnpm test` on a machine without the data says so.
 */
export function dataFolder(): string {
  const given = process.argv[2];
  const root = process.env['CF_DATA_DIR'];
  const folder = given ?? (root ? join(root, 'ml-latest-small') : undefined);
  if (!folder || !existsSync(folder)) {
    console.log(
      `skipped: ${folder ? `${folder} does not exist` : 'CF_DATA_DIR is not set'}; point CF_DATA_DIR at the folder that contains ml-latest-small/ (or pass a MovieLens folder)`,
    );
    process.exit(0);
  }
  return folder;
}

/** `CF_EXAMPLE_EPOCHS=1` caps every `fit` at that many epochs (the tests use it); unset, the recipes' own. */
export function epochs(wanted: number): number {
  const cap = process.env['CF_EXAMPLE_EPOCHS'];
  return cap ? Math.min(wanted, Number(cap)) : wanted;
}
