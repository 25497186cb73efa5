import { describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from './errors.js';
import { loadRatings } from './load-ratings.js';

describe('loadRatings given a release name instead of a path', () => {
  it('says the name is not a path and how to load the release', async () => {
    const cwd = process.cwd();
    const empty = await mkdtemp(join(tmpdir(), 'cf-by-name-'));
    process.chdir(empty); // no ./ml-latest-small here
    try {
      const error = await loadRatings('ml-latest-small').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as Error).message).toMatch(
        /cannot read ml-latest-small: ENOENT.*names a MovieLens release, not a path: load it with loadRatings\(await resolveDataset\("ml-latest-small"\)\)/,
      );
      // any other missing path keeps the plain message
      const other = await loadRatings('no-such-file.csv').catch((e: unknown) => e);
      expect((other as Error).message).toMatch(/cannot read no-such-file\.csv: ENOENT/);
      expect((other as Error).message).not.toMatch(/resolveDataset/);
    } finally {
      process.chdir(cwd);
      await rm(empty, { recursive: true, force: true });
    }
  });
});
