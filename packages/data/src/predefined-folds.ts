import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CsvParseError, InvalidArgumentError } from './errors.js';
import { loadRatings } from './load-ratings.js';
import { parseRatingsText, type LoadRatingsOptions } from './ratings-parser.js';
import type { RatingsTable } from './ratings-table.js';

/** One of the predefined ml-100k splits: rows of the `u.data` table for training and validation. */
export interface PredefinedFold {
  /** `u1` … `u5`, `ua` or `ub`. */
  name: string;
  /** Rows of `table` in `<name>.base`, in file order. */
  train: Int32Array;
  /** Rows of `table` in `<name>.test`, in file order. */
  valid: Int32Array;
}

/** Options of {@link loadPredefinedFolds}. */
export interface LoadPredefinedFoldsOptions extends Pick<LoadRatingsOptions, 'idOrder'> {
  /** `'u1-u5'` (five disjoint 80/20 folds, default) or `'ua-ub'` (ten ratings per user held out). */
  scheme?: 'u1-u5' | 'ua-ub';
}

/** The `u.data` table and its predefined folds. */
export interface PredefinedFolds {
  table: RatingsTable;
  folds: PredefinedFold[];
}

function rowKey(table: RatingsTable, row: number): string {
  return `${table.userIds.idAt(table.userIndex[row]!)}\t${table.itemIds.idAt(table.itemIndex[row]!)}\t${table.timestamp?.[row] ?? ''}`;
}

/**
 * Reads the predefined ml-100k splits (`u1.base`/`u1.test` … `u5`, or `ua`/`ub`) of a folder as
 * row indices into the table loaded from its `u.data`: each fold row is matched to a `u.data` row
 * by (user, item, timestamp). A fold row that `u.data` lacks is a {@link CsvParseError} at its line.
 */
export async function loadPredefinedFolds(
  folder: string,
  options: LoadPredefinedFoldsOptions = {},
): Promise<PredefinedFolds> {
  const scheme = options.scheme ?? 'u1-u5';
  if (scheme !== 'u1-u5' && scheme !== 'ua-ub')
    throw new InvalidArgumentError(
      'scheme',
      `must be 'u1-u5' or 'ua-ub', got ${JSON.stringify(scheme)}`,
    );
  const names = scheme === 'u1-u5' ? ['u1', 'u2', 'u3', 'u4', 'u5'] : ['ua', 'ub'];
  const { table } = await loadRatings(join(folder, 'u.data'), {
    format: 'u-data',
    ...(options.idOrder ? { idOrder: options.idOrder } : {}),
  });
  // (user, item, timestamp) → rows of u.data with that key, in order (a key could repeat).
  const rowsByKey = new Map<string, number[]>();
  for (let row = 0; row < table.rating.length; row++) {
    const key = rowKey(table, row);
    const rows = rowsByKey.get(key);
    if (rows) rows.push(row);
    else rowsByKey.set(key, [row]);
  }
  const readFold = async (file: string): Promise<Int32Array> => {
    const path = join(folder, file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new InvalidArgumentError(
        'folder',
        `cannot read ${path} (${(error as Error).message}); the ml-100k folder should hold ${names.map((n) => `${n}.base/${n}.test`).join(', ')}`,
      );
    }
    const { table: fold, report } = parseRatingsText(text, {
      format: 'u-data',
      source: path,
      trackLines: true,
    });
    const used = new Map<string, number>();
    return Int32Array.from({ length: fold.rating.length }, (_, row) => {
      const key = rowKey(fold, row);
      const seen = used.get(key) ?? 0;
      const match = rowsByKey.get(key)?.[seen];
      if (match === undefined) {
        throw new CsvParseError(
          { file: path, line: report.lineOfRow![row]! },
          `a rating that is also in ${join(folder, 'u.data')} (same user, item and timestamp)`,
          key.replaceAll('\t', ' '),
        );
      }
      used.set(key, seen + 1);
      return match;
    });
  };
  const folds: PredefinedFold[] = [];
  for (const name of names)
    folds.push({
      name,
      train: await readFold(`${name}.base`),
      valid: await readFold(`${name}.test`),
    });
  return { table, folds };
}
