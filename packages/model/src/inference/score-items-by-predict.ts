import type { ScoringModel } from './scoring-model.js';

/**
 * {@link ScoringModel.scoreItemsForUser} by way of `model.predict`: one (user, item) pair per item.
 * The generic fallback for a model without a fast path of its own. Writes to `out` (at least
 * `itemIndex.length` long) and returns a view of it.
 */
export function scoreItemsByPredict(
  model: Pick<ScoringModel, 'predict'>,
  userIndex: number,
  itemIndex: Int32Array,
  out: Float32Array,
): Float32Array {
  const n = itemIndex.length;
  checkScoreArguments(userIndex, n, out);
  const view = out.subarray(0, n);
  const scores = model.predict(new Int32Array(n).fill(userIndex), itemIndex, view);
  if (scores.buffer !== view.buffer || scores.byteOffset !== view.byteOffset) view.set(scores);
  return view;
}

/** Throws `RangeError` for a user index that is not a whole number or an `out` shorter than `count`. */
export function checkScoreArguments(userIndex: number, count: number, out: Float32Array): void {
  if (!Number.isInteger(userIndex))
    throw new RangeError(`user index ${userIndex} is not a whole number`);
  if (out.length < count)
    throw new RangeError(`out has ${out.length} entries, fewer than the ${count} items to score`);
}
