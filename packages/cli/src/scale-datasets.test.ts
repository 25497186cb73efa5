// ml-25m and ml-32m have ml-latest-small's layout (ratings.csv with movies.csv, links.csv and
// tags.csv beside it): `--dataset ml-25m` finds a ready folder in CF_DATA_DIR, detects the layout
// and loads titles. Tested on small generated folders of that shape (issue #16).
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writePlantedMovieLens, type PlantedMovieLensSummary } from '@cf/test-utils/planted';
import { memoryIO } from './memory-io.test-helper.js';
import { run } from './run.js';

let dir: string;
let planted: PlantedMovieLensSummary;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cf-cli-scale-'));
  planted = writePlantedMovieLens(join(dir, 'ml-25m'), {
    rows: 4000,
    users: 60,
    items: 200,
    seed: 3,
  });
  await cp(join(dir, 'ml-25m'), join(dir, 'ml-32m'), { recursive: true });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function cf(argv: string[]) {
  const io = { ...memoryIO(dir), env: { CF_DATA_DIR: dir } };
  const code = await run(argv, io);
  return { code, out: io.out(), err: io.err() };
}

describe('--dataset ml-25m / ml-32m (a generated folder of their layout in CF_DATA_DIR)', () => {
  it.each(['ml-25m', 'ml-32m'])(
    '%s: finds the folder, reads ratings.csv and the titles of movies.csv',
    async (name) => {
      const { code, out, err } = await cf(['info', '--dataset', name, '--json']);
      expect(err).toBe(''); // nothing downloaded
      expect(code).toBe(0);
      const info = JSON.parse(out) as {
        path: string;
        nRatings: number;
        nUsers: number;
        nItems: number;
        duplicates: number;
        titles: number;
        histogram: Record<string, number>;
      };
      expect(info.path).toBe(join(dir, name));
      expect(info.nRatings).toBe(planted.rows);
      expect(info.nUsers).toBe(planted.users);
      expect(info.nItems).toBe(planted.realised.itemsRated);
      expect(info.duplicates).toBe(0);
      expect(info.titles).toBe(planted.items); // every movie of movies.csv, quoted titles included
      expect(info.histogram).toEqual(
        Object.fromEntries(
          Object.entries(planted.realised.histogram)
            .filter(([, count]) => count > 0)
            .map(([rating, count]) => [String(Number(rating)), count]),
        ),
      );
    },
  );
});
