export { CfError, CsvParseError, UnknownIdError, InvalidArgumentError } from './errors.js';
export type { InputLocation, IdKind } from './errors.js';
export { parseRawId } from './raw-id.js';
export type { RawId } from './raw-id.js';
export { IdMap } from './id-map.js';
export type { IdMapConfig, IdMapOptions, IdOrder, UnknownIdPolicy } from './id-map.js';
export { RatingsTableBuilder, createRatingsTable } from './ratings-table.js';
export type { RatingsTable, RatingsStats, RatingsTableBuilderOptions } from './ratings-table.js';
