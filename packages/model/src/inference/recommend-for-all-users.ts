import type { RawId } from '@cf/data';
import type { InferenceModel } from './inference-model.js';
import type { Recommendation } from './recommendation.js';
import { withTitle } from './recommendation.js';
import { rankAllUsers, type RankAllUsersOptions } from './rank-all-users.js';

/** Options of {@link recommendForAllUsers}. */
export interface RecommendForAllUsersOptions extends Pick<
  RankAllUsersOptions,
  'threads' | 'cores' | 'signal' | 'onProgress' | 'wasm' | 'workerUrl'
> {
  /** How many items per user. Default 10. */
  k?: number;
  /** Leave out the items each user rated in training (the bundle's `seen`). Default true. */
  excludeSeen?: boolean;
}

/** What {@link recommendForAllUsers} resolves to. */
export interface RecommendForAllUsersResult {
  /** Each user's list, best first, by raw user id. */
  recommendations: Map<RawId, Recommendation[]>;
  /** Threads that ranked. */
  threads: number;
  /** Why fewer threads than asked ranked, when so. */
  threadsNote?: string | undefined;
}

/**
 * `bundle.recommend` for every user, on every core ({@link rankAllUsers}: dot-product models in
 * blocks of users × items, other models one user at a time; workers where they can start): the
 * same lists as `recommend` gives user by user, for any thread count. Works on a `TrainedModel`
 * and on a bundle from `loadInferenceModel` alike (this function pulls in the WebAssembly kernels;
 * an app that only recommends for one user at a time does not need it).
 */
export async function recommendForAllUsers(
  bundle: Pick<InferenceModel, 'model' | 'userIds' | 'itemIds' | 'seen' | 'itemTitles'>,
  options: RecommendForAllUsersOptions = {},
): Promise<RecommendForAllUsersResult> {
  const { excludeSeen, ...rest } = options;
  const ranked = await rankAllUsers(bundle.model, {
    ...rest,
    excluded: (excludeSeen ?? true) ? bundle.seen : undefined,
  });
  const recommendations = new Map<RawId, Recommendation[]>();
  const { k, counts, items, scores } = ranked;
  ranked.users.forEach((u, p) => {
    const list: Recommendation[] = [];
    for (let j = 0; j < counts[p]!; j++)
      list.push(
        withTitle<Recommendation>(
          { itemId: bundle.itemIds.idAt(items[p * k + j]!), score: scores[p * k + j]! },
          bundle.itemTitles,
        ),
      );
    recommendations.set(bundle.userIds.idAt(u), list);
  });
  return { recommendations, threads: ranked.threads, threadsNote: ranked.threadsNote };
}
