import type { IdMap, RawId } from '@cf/data';
import type { TopK } from './top-k.js';

/** One recommended (or similar) item: its raw id, its score (a predicted rating, or a cosine) and its title when known. */
export interface Recommendation {
  itemId: RawId;
  score: number;
  title?: string;
}

/** Turns a heap into recommendations, best first. */
export function toRecommendations(
  heap: TopK,
  itemIds: IdMap,
  titles: ReadonlyMap<RawId, string> | undefined,
): Recommendation[] {
  return heap
    .sorted()
    .map(({ index, score }) => withTitle({ itemId: itemIds.idAt(index), score }, titles));
}

/** Adds `title` to a record when the titles map has one for its `itemId`. */
export function withTitle<T extends { itemId: RawId; title?: string }>(
  record: T,
  titles: ReadonlyMap<RawId, string> | undefined,
): T {
  const title = titles?.get(record.itemId);
  if (title !== undefined) record.title = title;
  return record;
}
