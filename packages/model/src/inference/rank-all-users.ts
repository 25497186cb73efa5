import {
  currentThreadEnvironment,
  expectWorkerReply,
  resolveThreads,
  startModuleWorker,
  workerBundlingAdvice,
  workerScriptBeside,
  type BrowserWorkerLike,
  type ModuleWorker,
} from '@cf/data';
import type { ScoringModel } from './scoring-model.js';
import type { SeenItems } from './seen-items.js';
import type { BlockedDotPrecision } from '@cf/kernels';
import { BlockedRanker } from './blocked-ranker.js';
import { hasBlockedForm } from './dot-product-form.js';
import { rankItems } from './rank-items.js';
import { checkK } from './check-k.js';
import {
  packHeaps,
  type RankWorkerInit,
  type RankWorkerMessage,
  type RankWorkerReply,
} from './rank-worker-protocol.js';

/** Users per task: a worker's unit of work, and the one-thread path's step between yields. */
const DEFAULT_USERS_PER_TASK = 2048;

/** Options of {@link rankAllUsers}. */
export interface RankAllUsersOptions {
  /** List length. Default 10. */
  k?: number;
  /** Dense user indices to rank, in the order of the result. Default: every user. */
  users?: Int32Array;
  /** Items to leave out per user (the model's `seen`, or a training split's). Default none. */
  excluded?: SeenItems | undefined;
  /**
   * Threads: a whole number ≥ 1, or `'auto'` (default) for every core (`cores`, or
   * `navigator.hardwareConcurrency` in a browser). Extra threads are workers (Node's
   * `worker_threads`, browsers' `Worker`) that rebuild the model on the host maths; where they
   * cannot start (no `SharedArrayBuffer`, no workers, a page that is not cross-origin isolated, a
   * worker script that fails) ranking runs on one thread and {@link RankAllUsersResult.threadsNote}
   * says why. The result is the same for every thread count.
   */
  threads?: number | 'auto';
  /** Logical cores for `'auto'` on Node (`os.availableParallelism()`; a neutral library cannot read it). */
  cores?: number;
  /** Use the WebAssembly kernel where the platform has it (default true). */
  wasm?: boolean;
  /**
   * Blocked path: score items by decreasing norm and stop each user once no item left can enter
   * their top-k (default true; the same lists either way, see `BlockedRankerOptions.prune`).
   */
  prune?: boolean;
  /**
   * Blocked path: the kernel's arithmetic, `'int16'` (default: quantised factors, exact integer dot
   * products, about twice as fast) or `'float32'`; the same lists either way (see
   * `BlockedRankerOptions.precision`).
   */
  precision?: BlockedDotPrecision;
  /** Where the worker script is (default: `rank-worker.js` next to this module; tests and bundlers). */
  workerUrl?: URL;
  /** Stops between tasks once aborted (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Users per task (a worker's unit of work; default 2,048, or fewer so that each thread gets four tasks). */
  usersPerTask?: number;
  /** Called after each block of users with the number ranked so far. */
  onProgress?: (ranked: number, total: number) => void;
}

/** The top-k of many users, flat: user `users[p]` has `counts[p]` items `items[p·k ..]`, best first. */
export interface RankAllUsersResult {
  k: number;
  users: Int32Array;
  counts: Int32Array;
  /** `[users.length, k]` dense item indices (the unused tail of a row is 0). */
  items: Int32Array;
  /** `[users.length, k]` their scores (the model's float32 predictions). */
  scores: Float64Array;
  /** Threads that ranked. */
  threads: number;
  /** Why fewer threads than asked ranked, when so. */
  threadsNote?: string | undefined;
  /** `'blocked'` for a dot-product model ({@link BlockedRanker}), `'per-user'` for any other (`rankItems`). */
  path: 'blocked' | 'per-user';
  /**
   * The blocked path's work, summed over threads: (user, item) pairs its kernel scored (of
   * `users.length × nItems`; fewer when pruning stopped users early) and items rescored exactly.
   * Undefined on the per-user path.
   */
  work?: { scored: number; candidates: number } | undefined;
}

type WorkerHandle = ModuleWorker<RankWorkerMessage, RankWorkerReply>;

/** The browser's `Worker`, declared so the spawn below names the global (bundlers look for it). */
declare const Worker: new (url: URL, options: { type: 'module' }) => BrowserWorkerLike;

/** What a bundled app does to rank on threads (the README's "Bundling" says more). */
const RANK_WORKER_BUNDLING = workerBundlingAdvice(
  'rank-worker.js',
  'rank-worker=@cf/model/rank-worker',
  '@cf/model',
  'or pass workerUrl',
);

/** Starts one ranking worker (`url`: tests' and bundlers' override of the script). */
function spawnWorker(url: URL | undefined): Promise<WorkerHandle> {
  return startModuleWorker<RankWorkerMessage, RankWorkerReply>({
    // written as `new Worker(new URL('./…', import.meta.url), …)`: see ModuleWorkerSource.browser
    browser: () =>
      url
        ? new Worker(url, { type: 'module' })
        : new Worker(new URL('./rank-worker.js', import.meta.url), { type: 'module' }),
    node: url ?? workerScriptBeside('./rank-worker.js', import.meta.url),
    name: 'ranking worker',
    bundling: RANK_WORKER_BUNDLING,
  });
}

/** A reply of the expected type, or the worker's error thrown. */
const expectReply = <T extends Exclude<RankWorkerReply['type'], 'error'>>(
  worker: WorkerHandle,
  type: T,
): Promise<Extract<RankWorkerReply, { type: T }>> =>
  expectWorkerReply(worker, type, 'ranking worker');

/** `values` in a SharedArrayBuffer when the platform has one (posted to every worker without a copy). */
function shareable<T extends Float32Array | Int32Array>(values: T): T {
  if (typeof SharedArrayBuffer !== 'function') return values;
  const Ctor = values.constructor as new (buffer: SharedArrayBuffer) => T;
  const shared = new Ctor(new SharedArrayBuffer(values.byteLength));
  shared.set(values);
  return shared;
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

/**
 * The top-`k` items of many users (default: every user) by the model's eval-mode prediction, the
 * `excluded` items left out, on every core: what `recommendForAll`, `cf recommend --all` and the
 * ranking metrics of `cf train` run. A dot-product model (EmbeddingDotBias, biased MF, implicit
 * MF) goes through {@link BlockedRanker} (blocks of users × items in WebAssembly SIMD, exact
 * rescoring of the few candidates); any other model through `rankItems`, one user at a time.
 * Either way the result is the reference result: the same items in the same order with the same
 * scores, ties to the lower item index, for every thread count.
 *
 * Workers rebuild the model from its config and parameter values on the host maths (the values
 * are shared, not copied, where `SharedArrayBuffer` exists): the model must compute what cf's
 * models of its config compute (every `RatingModel` of `@cf/model` and every loaded model does).
 * Users go out in tasks of 2,048.
 */
export async function rankAllUsers(
  model: ScoringModel,
  options: RankAllUsersOptions = {},
): Promise<RankAllUsersResult> {
  const k = checkK(options.k ?? 10);
  const nUsers = model.config.nUsers;
  const users = options.users ?? Int32Array.from({ length: nUsers }, (_, u) => u);
  for (const u of users)
    if (!(u >= 0 && u < nUsers))
      throw new RangeError(`user index ${u} is outside 0..${nUsers - 1}`);
  const seen = options.excluded;
  const signal = options.signal;
  signal?.throwIfAborted();
  const choice = resolveThreads(
    options.threads ?? 'auto',
    currentThreadEnvironment(options.cores),
    'ranking',
  );
  // tasks of 2,048 users, smaller when there are fewer than four per thread
  const USERS_PER_TASK = Math.max(
    1,
    Math.floor(
      options.usersPerTask ??
        Math.min(DEFAULT_USERS_PER_TASK, Math.ceil(users.length / (4 * choice.threads))),
    ),
  );
  let threads = Math.min(choice.threads, Math.max(1, Math.ceil(users.length / USERS_PER_TASK)));
  let threadsNote = choice.reason;
  const counts = new Int32Array(users.length);
  const items = new Int32Array(users.length * k);
  const scores = new Float64Array(users.length * k);
  const nTasks = Math.ceil(users.length / USERS_PER_TASK);
  const store = (task: number, packed: ReturnType<typeof packHeaps>): void => {
    const from = task * USERS_PER_TASK;
    counts.set(packed.counts, from);
    items.set(packed.items, from * k);
    scores.set(packed.scores, from * k);
  };
  const taskUsers = (task: number): Int32Array =>
    users.slice(task * USERS_PER_TASK, Math.min(users.length, (task + 1) * USERS_PER_TASK));
  const path = hasBlockedForm(model) ? 'blocked' : 'per-user';

  let workers: WorkerHandle[] = [];
  if (threads > 1) {
    try {
      workers = await startWorkers(model, threads, k, seen, options);
    } catch (error) {
      threadsNote = `the ranking workers could not start (${error instanceof Error ? error.message : String(error)}): ranking on one thread`;
      threads = 1;
    }
  }
  if (threads === 1) {
    // built here only: with workers, each packs its own copy of the item table
    const blocked = BlockedRanker.create(model, {
      ...(options.wasm === false ? { wasm: false } : {}),
      ...(options.prune === false ? { prune: false } : {}),
      ...(options.precision ? { precision: options.precision } : {}),
    });
    const candidates = blocked
      ? undefined
      : Int32Array.from({ length: model.config.nItems }, (_, i) => i);
    for (let task = 0; task < nTasks; task++) {
      const block = taskUsers(task);
      const excluded = seen
        ? (p: number) =>
            seen.itemIndex.subarray(seen.offsets[block[p]!], seen.offsets[block[p]! + 1])
        : undefined;
      const heaps = blocked
        ? blocked.rank(block, { k, excluded })
        : rankItems(model, block, { k, candidates: candidates!, excluded });
      store(task, packHeaps(heaps, k));
      options.onProgress?.(Math.min(users.length, (task + 1) * USERS_PER_TASK), users.length);
      await yieldToEventLoop();
      signal?.throwIfAborted();
    }
    const work = blocked
      ? { scored: blocked.work.scored, candidates: blocked.work.candidates }
      : undefined;
    return { k, users, counts, items, scores, threads: 1, threadsNote, path, work };
  }
  const work = { scored: 0, candidates: 0 };
  try {
    let next = 0;
    let done = 0;
    await Promise.all(
      workers.map(async (worker) => {
        while (next < nTasks) {
          signal?.throwIfAborted();
          const task = next++;
          worker.post({ type: 'rank', id: task, users: taskUsers(task) });
          const reply = await expectReply(worker, 'ranked');
          store(reply.id, reply);
          work.scored += reply.scored;
          work.candidates += reply.candidates;
          done += Math.min(USERS_PER_TASK, users.length - task * USERS_PER_TASK);
          options.onProgress?.(done, users.length);
        }
      }),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return {
    k,
    users,
    counts,
    items,
    scores,
    threads,
    threadsNote,
    path,
    work: path === 'blocked' ? work : undefined,
  };
}

/** Starts `threads` workers and sends each the model; rejects (after stopping them) when any fails. */
async function startWorkers(
  model: ScoringModel,
  threads: number,
  k: number,
  seen: SeenItems | undefined,
  options: RankAllUsersOptions,
): Promise<WorkerHandle[]> {
  const init: RankWorkerInit = {
    type: 'init',
    config: model.config,
    parameters: model.parameters.map((p) => ({ name: p.name, values: shareable(p.values) })),
    seenOffsets: seen ? shareable(seen.offsets) : undefined,
    seenItems: seen ? shareable(seen.itemIndex) : undefined,
    k,
    wasm: options.wasm !== false,
    prune: options.prune !== false,
    precision: options.precision ?? 'int16',
  };
  const started: WorkerHandle[] = [];
  try {
    for (let t = 0; t < threads; t++) started.push(await spawnWorker(options.workerUrl));
    for (const w of started) w.post(init);
    for (const w of started) await expectReply(w, 'ready');
    return started;
  } catch (error) {
    await Promise.all(started.map((w) => w.terminate().catch(() => undefined)));
    throw error;
  }
}
