import type { ScoringModel } from './scoring-model.js';
import { scoreItemsByPredict } from './score-items-by-predict.js';
import { TopK } from './top-k.js';

/** Items scored per {@link ScoringModel.scoreItemsForUser} call: bounds the score buffer. */
const ITEMS_PER_CHUNK = 65536;

/** Options of {@link rankItems}. */
export interface RankItemsOptions {
  k: number;
  /** Dense item indices to score, ascending and distinct. */
  candidates: Int32Array;
  /** Items to leave out for the user at position `p` of `userIndex`: ascending, or undefined for none. */
  excluded?: ((position: number) => Int32Array | undefined) | undefined;
  /** Override of the items-per-chunk budget (tests). */
  pairsPerChunk?: number;
}

/**
 * The top-k candidate items of each user by the model's eval-mode prediction. One user at a time,
 * the candidates are scored in chunks of at most `pairsPerChunk` items by the model's
 * {@link ScoringModel.scoreItemsForUser} (its `predict` for a model without one) into one reused
 * buffer; excluded items are skipped by a merge walk over the sorted lists, and a score enters the
 * user's k-heap only when it beats the heap's worst. Returns one {@link TopK} per user.
 */
export function rankItems(
  model: Pick<ScoringModel, 'predict' | 'scoreItemsForUser'>,
  userIndex: Int32Array,
  options: RankItemsOptions,
): TopK[] {
  const { k, candidates } = options;
  const heaps = Array.from(userIndex, () => new TopK(k));
  const nCand = candidates.length;
  if (nCand === 0 || k === 0) return heaps;
  const itemsPerChunk = Math.max(1, Math.min(nCand, options.pairsPerChunk ?? ITEMS_PER_CHUNK));
  const buffer = new Float32Array(itemsPerChunk);
  for (let p = 0; p < userIndex.length; p++) {
    const user = userIndex[p]!;
    const heap = heaps[p]!;
    const excluded = options.excluded?.(p);
    const nExcluded = excluded ? excluded.length : 0;
    let cursor = 0;
    let nextExcluded = nExcluded > 0 ? excluded![0]! : Infinity;
    // candidates ascend, so an equal score never displaces a kept (lower-index) item
    let threshold = heap.threshold;
    for (let i0 = 0; i0 < nCand; i0 += itemsPerChunk) {
      const items = candidates.subarray(i0, Math.min(nCand, i0 + itemsPerChunk));
      const scores =
        model.scoreItemsForUser?.(user, items, buffer) ??
        scoreItemsByPredict(model, user, items, buffer);
      for (let j = 0; j < items.length; j++) {
        const score = scores[j]!;
        if (!(score > threshold)) continue;
        const item = items[j]!;
        if (item >= nextExcluded) {
          while (cursor < nExcluded && excluded![cursor]! < item) cursor++;
          nextExcluded = cursor < nExcluded ? excluded![cursor]! : Infinity;
          if (item === nextExcluded) continue;
        }
        heap.push(score, item);
        threshold = heap.threshold;
      }
    }
  }
  return heaps;
}
