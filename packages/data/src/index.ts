export { CfError, CsvParseError, UnknownIdError, InvalidArgumentError } from './errors.js';
export type { InputLocation, IdKind } from './errors.js';
export { parseRawId } from './raw-id.js';
export type { RawId } from './raw-id.js';
export { IdMap } from './id-map.js';
export type { IdMapConfig, IdMapOptions, IdOrder, UnknownIdPolicy } from './id-map.js';
export { RatingsTableBuilder, createRatingsTable } from './ratings-table.js';
export type { RatingsTable, RatingsStats, RatingsTableBuilderOptions } from './ratings-table.js';
export { NumpyRandomState, numpyPermutation } from './numpy-random.js';
export { getCvIdxs } from './get-cv-idxs.js';
export type { GetCvIdxsOptions } from './get-cv-idxs.js';
export type { Split, RowSource } from './split.js';
export { splitByCvIdxs } from './split-by-cv-idxs.js';
export { allRowsSplit } from './all-rows-split.js';
export type { SplitByCvIdxsOptions } from './split-by-cv-idxs.js';
export { innerSplit } from './inner-split.js';
export type { InnerSplitOptions } from './inner-split.js';
export { kFoldSplit } from './k-fold-split.js';
export type { KFoldSplitOptions } from './k-fold-split.js';
export { randomHoldoutSplit } from './random-holdout-split.js';
export type { RandomHoldoutSplitOptions } from './random-holdout-split.js';
export { leaveKOutSplit } from './leave-k-out-split.js';
export type { LeaveKOutSplitOptions } from './leave-k-out-split.js';
export { temporalSplit } from './temporal-split.js';
export type { TemporalSplitOptions } from './temporal-split.js';
export { describeSplit } from './describe-split.js';
export type { SplitDescription } from './describe-split.js';
export { createBatchIterator, iterateInBatches } from './batch-iterator.js';
export type { Batch, BatchIterator, BatchIteratorOptions } from './batch-iterator.js';
export { DownloadError, UnsafeArchiveError } from './errors.js';
export { iterateByteChunks } from './byte-source.js';
export type { ByteSource } from './byte-source.js';
export { DelimitedTextReader } from './delimited-text-reader.js';
export type { DelimitedTextReaderOptions, RecordParser } from './delimited-text-reader.js';
export { RATINGS_LAYOUTS, resolveRatingsFormat, describeDelimiter } from './ratings-format.js';
export type { ColumnRef, RatingsFormat, RatingsLayout } from './ratings-format.js';
export { RatingsParser, parseRatingsText } from './ratings-parser.js';
export type {
  LoadRatingsOptions,
  LoadedRatings,
  RatingsLoadReport,
  RatingsParserOptions,
} from './ratings-parser.js';
export { loadRatingsFromStream } from './load-ratings-from-stream.js';
export type { LoadRatingsFromStreamOptions } from './load-ratings-from-stream.js';
export { findDuplicateRatings, applyDuplicatePolicy } from './duplicate-ratings.js';
export type {
  DuplicatePolicy,
  ApplyDuplicatePolicyOptions,
  DuplicatePolicyResult,
} from './duplicate-ratings.js';
export {
  parseItemTitles,
  loadItemTitlesFromStream,
  decodeText,
  ML_100K_GENRES,
} from './item-titles.js';
export type { ItemInfo, ItemTitles, TitlesLayout, ItemTitlesOptions } from './item-titles.js';
export { resolveThreads, currentThreadEnvironment } from './threads.js';
export type { ThreadEnvironment, ThreadChoice } from './threads.js';
export {
  startModuleWorker,
  expectWorkerReply,
  workerScriptBeside,
  workerBundlingAdvice,
} from './module-worker.js';
export type {
  BrowserWorkerLike,
  ModuleWorker,
  ModuleWorkerSource,
  WorkerErrorReply,
} from './module-worker.js';
