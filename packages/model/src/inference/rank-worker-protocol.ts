import type { RatingModelConfig } from '../models/model-config.js';
import type { BlockedDotPrecision } from '@cf/kernels';
import type { TopK } from './top-k.js';

/** First message to a ranking worker: the model (its config and parameter values) and what to exclude. */
export interface RankWorkerInit {
  type: 'init';
  config: RatingModelConfig;
  /** Parameter values by name (in a `SharedArrayBuffer` where the platform has one: not copied). */
  parameters: { name: string; values: Float32Array }[];
  /** Items to exclude per user index, as `SeenItems` CSR arrays, or undefined for none. */
  seenOffsets: Int32Array | undefined;
  seenItems: Int32Array | undefined;
  k: number;
  wasm: boolean;
  prune: boolean;
  precision: BlockedDotPrecision;
}

/** Ranks the users at positions `from .. to − 1` of the users array (sent with the first task). */
export interface RankWorkerTask {
  type: 'rank';
  id: number;
  users: Int32Array;
}

/** Asks the worker to exit. */
export interface RankWorkerClose {
  type: 'close';
}

export type RankWorkerMessage = RankWorkerInit | RankWorkerTask | RankWorkerClose;

/** A worker's answers. */
export type RankWorkerReply =
  | { type: 'ready'; blocked: boolean }
  | {
      type: 'ranked';
      id: number;
      /** Items kept per user (≤ k). */
      counts: Int32Array;
      /** `[users, k]` item indices, best first. */
      items: Int32Array;
      /** `[users, k]` their scores. */
      scores: Float64Array;
      /** The blocked path's (user, item) pairs scored and items rescored for this task (0 for `rankItems`). */
      scored: number;
      candidates: number;
    }
  | { type: 'error'; message: string; stack?: string | undefined };

/** Flattens heaps into the reply's arrays. */
export function packHeaps(
  heaps: readonly TopK[],
  k: number,
): { counts: Int32Array; items: Int32Array; scores: Float64Array } {
  const counts = new Int32Array(heaps.length);
  const items = new Int32Array(heaps.length * k);
  const scores = new Float64Array(heaps.length * k);
  heaps.forEach((heap, p) => {
    const list = heap.sorted();
    counts[p] = list.length;
    list.forEach(({ index, score }, j) => {
      items[p * k + j] = index;
      scores[p * k + j] = score;
    });
  });
  return { counts, items, scores };
}
