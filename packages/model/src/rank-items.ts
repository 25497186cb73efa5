import type { RatingModel } from './rating-model.js';
import { TopK } from './top-k.js';

/** Pairs scored per `model.predict` call: bounds memory, never a users × items matrix. */
const PAIRS_PER_CHUNK = 65536;

/** Options of {@link rankItems}. */
export interface RankItemsOptions {
  k: number;
  /** Dense item indices to score, ascending and distinct. */
  candidates: Int32Array;
  /** Items to leave out for the user at position `p` of `userIndex`: ascending, or undefined for none. */
  excluded?: (position: number) => Int32Array | undefined;
  /** Override of the pairs-per-chunk budget (tests). */
  pairsPerChunk?: number;
}

/**
 * The top-k candidate items of each user by the model's eval-mode prediction. Users and items are
 * scored in chunks of at most `pairsPerChunk` pairs; each user keeps a k-heap across chunks; excluded
 * items are skipped by a merge walk over the sorted lists. Returns one {@link TopK} per user.
 */
export function rankItems(
  model: RatingModel,
  userIndex: Int32Array,
  options: RankItemsOptions,
): TopK[] {
  const { k, candidates } = options;
  const budget = options.pairsPerChunk ?? PAIRS_PER_CHUNK;
  const heaps = Array.from(userIndex, () => new TopK(k));
  const nCand = candidates.length;
  if (nCand === 0 || k === 0) return heaps;
  const itemsPerChunk = Math.max(1, Math.min(nCand, budget));
  const usersPerChunk = Math.max(1, Math.min(userIndex.length, Math.floor(budget / itemsPerChunk)));
  const pairUsers = new Int32Array(usersPerChunk * itemsPerChunk);
  const pairItems = new Int32Array(usersPerChunk * itemsPerChunk);
  const cursors = new Int32Array(usersPerChunk);
  const scoreBuffer = new Float32Array(usersPerChunk * itemsPerChunk);
  for (let u0 = 0; u0 < userIndex.length; u0 += usersPerChunk) {
    const u1 = Math.min(userIndex.length, u0 + usersPerChunk);
    cursors.fill(0);
    for (let i0 = 0; i0 < nCand; i0 += itemsPerChunk) {
      const i1 = Math.min(nCand, i0 + itemsPerChunk);
      const width = i1 - i0;
      let n = 0;
      for (let p = u0; p < u1; p++) {
        pairUsers.fill(userIndex[p]!, n, n + width);
        pairItems.set(candidates.subarray(i0, i1), n);
        n += width;
      }
      const scores = model.predict(pairUsers.subarray(0, n), pairItems.subarray(0, n), scoreBuffer);
      for (let p = u0; p < u1; p++) {
        const heap = heaps[p]!;
        const excluded = options.excluded?.(p);
        let cursor = cursors[p - u0]!;
        const base = (p - u0) * width;
        for (let c = i0; c < i1; c++) {
          const item = candidates[c]!;
          if (excluded) {
            while (cursor < excluded.length && excluded[cursor]! < item) cursor++;
            if (cursor < excluded.length && excluded[cursor] === item) continue;
          }
          heap.push(scores[base + c - i0]!, item);
        }
        cursors[p - u0] = cursor;
      }
    }
  }
  return heaps;
}
