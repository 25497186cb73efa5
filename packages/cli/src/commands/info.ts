import Table from 'cli-table3';
import { describeSplit, splitByCvIdxs } from '@cf/data';
import { EXIT, type CliIO } from '../cli-io.js';
import { loadDataset, type DatasetOptions } from '../dataset.js';

/** Parsed options of `cf info`. */
export interface InfoCommandOptions extends DatasetOptions {
  seed: number;
  valPct: number;
  json?: boolean;
}

/** `cf info [PATH]`: counts, rating histogram, sparsity, and ids unseen in training per getCvIdxs fold. */
export async function infoCommand(
  path: string | undefined,
  options: InfoCommandOptions,
  io: CliIO,
): Promise<number> {
  const dataset = await loadDataset({ ...options, ...(path ? { data: path } : {}) }, io, (line) =>
    io.stderr.write(line + '\n'),
  );
  const { table, report } = dataset.loaded;
  const { stats } = table;
  const histogram = new Map<number, number>();
  for (const r of table.rating) histogram.set(r, (histogram.get(r) ?? 0) + 1);
  const bins = [...histogram.entries()].sort((a, b) => a[0] - b[0]);
  const sparsity = 1 - stats.count / (stats.nUsers * stats.nItems);
  // too few rows for a validation split (int(valPct · n) = 0): the counts alone, and say so
  const splittable = Math.floor(options.valPct * stats.count) > 0;
  const folds = splittable ? Math.floor(1 / options.valPct + 1e-9) : 0;
  const unseen = Array.from({ length: folds }, (_, cvIdx) => {
    const d = describeSplit(
      table,
      splitByCvIdxs(table, { cvIdx, valPct: options.valPct, seed: options.seed }),
    );
    return {
      cvIdx,
      nTrain: d.nTrain,
      nValid: d.nValid,
      validRowsWithUnseenUser: d.validRowsWithUnseenUser,
      validRowsWithUnseenItem: d.validRowsWithUnseenItem,
    };
  });
  if (options.json) {
    io.stdout.write(
      JSON.stringify({
        path: dataset.path,
        nRatings: stats.count,
        nUsers: stats.nUsers,
        nItems: stats.nItems,
        minRating: stats.minRating,
        maxRating: stats.maxRating,
        meanRating: stats.meanRating,
        implicit: table.implicit,
        sparsity,
        duplicates: report.duplicateCount,
        // an implicit file has no ratings to count
        histogram: table.implicit ? null : Object.fromEntries(bins.map(([v, c]) => [String(v), c])),
        titles: dataset.titles?.size ?? 0,
        unseenPerSplit: unseen,
      }) + '\n',
    );
    return EXIT.ok;
  }
  const out = (line: string): void => void io.stdout.write(line + '\n');
  out(`${dataset.path}`);
  if (table.implicit) {
    out(
      `${stats.count} interactions, ${stats.nUsers} users, ${stats.nItems} items, ${dataset.titles?.size ?? 0} titles`,
    );
    out(
      `implicit: no rating column, each row is one interaction (train it with --recipe topn); sparsity ${(100 * sparsity).toFixed(2)}%; duplicate (user, item) rows: ${report.duplicateCount}`,
    );
  } else {
    out(
      `${stats.count} ratings, ${stats.nUsers} users, ${stats.nItems} items, ${dataset.titles?.size ?? 0} titles`,
    );
    out(
      `ratings ${stats.minRating}–${stats.maxRating}, mean ${stats.meanRating.toFixed(3)}; sparsity ${(100 * sparsity).toFixed(2)}%; duplicate (user, item) rows: ${report.duplicateCount}`,
    );
    const widest = Math.max(...bins.map(([, c]) => c));
    const hist = new Table({ head: ['rating', 'count', ''], style: { head: [], border: [] } });
    for (const [v, c] of bins)
      hist.push([v.toFixed(1), c, '█'.repeat(Math.round((30 * c) / widest))]);
    out(hist.toString());
  }
  const splits = new Table({
    head: ['cvIdx', 'train', 'valid', 'valid rows, user unseen', 'valid rows, item unseen'],
    style: { head: [], border: [] },
  });
  for (const u of unseen)
    splits.push([
      u.cvIdx,
      u.nTrain,
      u.nValid,
      u.validRowsWithUnseenUser,
      u.validRowsWithUnseenItem,
    ]);
  if (!splittable) {
    out(
      `getCvIdxs splits: none (int(${options.valPct} × ${stats.count}) = 0 validation rows; train needs at least ${Math.ceil(1 / options.valPct)} ratings at --val-pct ${options.valPct})`,
    );
    return EXIT.ok;
  }
  out(`getCvIdxs splits (valPct ${options.valPct}, seed ${options.seed}):`);
  out(splits.toString());
  return EXIT.ok;
}
