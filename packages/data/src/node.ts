// Node-only entry (`@cf/data/node`): file-system loaders and downloads.
export { detectLayout } from './detect-layout.js';
export type { DatasetLayout } from './detect-layout.js';
export {
  loadRatings,
  loadItemTitles,
  ratingsLayoutOfFile,
  titlesLayoutOfFile,
} from './load-ratings.js';
export { loadPredefinedFolds } from './predefined-folds.js';
export type {
  PredefinedFold,
  PredefinedFolds,
  LoadPredefinedFoldsOptions,
} from './predefined-folds.js';
export {
  downloadDataset,
  resolveDataset,
  defaultCacheDir,
  MOVIELENS_DATASETS,
  GROUPLENS_BASE_URL,
} from './download-dataset.js';
export type {
  MovieLensName,
  DownloadDatasetOptions,
  ResolveDatasetOptions,
} from './download-dataset.js';
export { MOVIELENS_PINS } from './movielens-pins.js';
export type { DownloadPin } from './movielens-pins.js';
export { extractZip, readZipEntries, checkZipEntry } from './safe-unzip.js';
export type { ZipEntry } from './safe-unzip.js';
