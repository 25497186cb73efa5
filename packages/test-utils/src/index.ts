export { describeEachBackend, TEST_BACKENDS } from './describe-each-backend.js';
export type { TestBackend } from './describe-each-backend.js';
export { expectClose, maxAbsDiff } from './expect-close.js';
export { makeSyntheticRatings } from './synthetic-ratings.js';
export type { SyntheticRatings, SyntheticRatingsOptions } from './synthetic-ratings.js';
export { realDataDir } from './real-data.js';
