import { stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import type { ItemTitles, LoadedRatings } from '@cf/data';
import { loadItemTitles, loadRatings, resolveDataset, MOVIELENS_DATASETS } from '@cf/data/node';
import { UsageError, type CliIO } from './cli-io.js';
import {
  ratingsFormatOf,
  withFormatHint,
  type RatingsFormatOptions,
} from './ratings-format-options.js';

/** A loaded data set, its folder or file, and titles when the folder has them. */
export interface LoadedDataset {
  path: string;
  name: string;
  loaded: LoadedRatings;
  titles: ItemTitles | undefined;
}

/** Options shared by commands that read ratings. */
export interface DatasetOptions extends RatingsFormatOptions {
  data?: string;
  dataset: string;
}

/** What {@link loadDataset} keeps of the file. */
export interface LoadDatasetOptions {
  /**
   * Keep the timestamp column (default true). `cf train` and `cf cv` never read it and drop it
   * right after parsing: 4 bytes a rating, 100 MB at 25M ratings, for the whole run.
   */
  timestamps?: boolean;
}

/**
 * `--data PATH` (a folder with any MovieLens layout, or a ratings file) or `--dataset NAME`
 * (from `$CF_DATA_DIR/NAME`, else the cache, else downloaded from GroupLens). `--columns`,
 * `--delimiter` and `--no-header` describe any other delimited file; without a rating column it
 * loads as an implicit table.
 */
export async function loadDataset(
  options: DatasetOptions,
  io: CliIO,
  log: (line: string) => void,
  what: LoadDatasetOptions = {},
): Promise<LoadedDataset> {
  let path: string;
  let name: string;
  if (options.data) {
    path = isAbsolute(options.data) ? options.data : resolve(io.cwd, options.data);
    name = path;
  } else {
    if (!(options.dataset in MOVIELENS_DATASETS)) {
      throw new UsageError(
        `unknown --dataset ${options.dataset}; expected one of ${Object.keys(MOVIELENS_DATASETS).join(', ')}`,
      );
    }
    name = options.dataset;
    const dataDir = io.env['CF_DATA_DIR'];
    let lastReport = 0;
    path = await resolveDataset(options.dataset, {
      ...(dataDir ? { dataDir } : {}),
      onWarning: (message) => void io.stderr.write(`${message}\n`),
      onProgress: (received, total) => {
        if (received - lastReport < 5e6 && received !== total) return;
        lastReport = received;
        log(
          `downloading ${options.dataset}: ${(received / 1e6).toFixed(1)} MB${total ? ` of ${(total / 1e6).toFixed(1)} MB` : ''}`,
        );
      },
    });
  }
  const format = ratingsFormatOf(options);
  let loaded: LoadedRatings;
  try {
    loaded = await loadRatings(path, format ? { format } : {});
  } catch (error) {
    // a MovieLens layout that does not fit: say how to describe the file
    throw format ? error : withFormatHint(error);
  }
  if (what.timestamps === false && loaded.table.timestamp)
    loaded = { ...loaded, table: { ...loaded.table, timestamp: undefined } };
  let titles: ItemTitles | undefined;
  const folder = (await stat(path)).isDirectory() ? path : undefined;
  if (folder) {
    try {
      titles = await loadItemTitles(folder);
    } catch {
      titles = undefined; // titles are optional
    }
  }
  return { path: folder ?? join(path), name, loaded, titles };
}
