import type { RatingsTable } from '@cf/data';
import type { RatingConfidence } from '@cf/model';
import { defaultRelevanceThreshold } from './ranking-metrics.js';

/**
 * How the `topn` and `topn-softmax` recipes (and {@link fitImplicitAls} and `fitSoftmaxRetrieval`
 * when given no `confidence`) weigh a training row of `table`: `weights.atOrAbove` (default 1) for
 * a rating at or above {@link defaultRelevanceThreshold} — 70 % of the way up the table's rating
 * range, the rating from which the ranking metrics count an item relevant — and `weights.below`
 * (default 0.1) for a lower one. On MovieLens' 0.5–5 and 1–5 scales the threshold is 3.65 or 3.8,
 * the same rows as "4 stars or more"; on a 1–10 scale 7.3 (ratings 8 to 10); on 0/1 likes 0.7 (the
 * likes). An implicit table (a file without a rating column) gets `null`: every row weighs 1.
 */
export function defaultRatingConfidence(
  table: RatingsTable,
  weights: { readonly atOrAbove: number; readonly below: number } = { atOrAbove: 1, below: 0.1 },
): RatingConfidence | null {
  if (table.implicit) return null;
  return {
    threshold: defaultRelevanceThreshold(table),
    atOrAbove: weights.atOrAbove,
    below: weights.below,
  };
}
