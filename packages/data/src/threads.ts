import { InvalidArgumentError } from './errors.js';

/** What the running platform offers for shared-memory threads; {@link currentThreadEnvironment} reads it. */
export interface ThreadEnvironment {
  /** `SharedArrayBuffer` exists (browsers expose it only on cross-origin isolated pages). */
  sharedMemory: boolean;
  /** `crossOriginIsolated` in a browser (COOP/COEP headers sent); `undefined` outside browsers. */
  crossOriginIsolated: boolean | undefined;
  /** Workers can be started: Node's `worker_threads` or the browser's `Worker`. */
  workers: boolean;
  /** Logical cores: `os.availableParallelism()` on Node, `navigator.hardwareConcurrency` in browsers. */
  cores: number;
}

/** How many threads a job (training, ranking) will use and, when fewer than asked, why. */
export interface ThreadChoice {
  threads: number;
  /** Set when the request could not be met (e.g. a page that is not cross-origin isolated). */
  reason?: string;
}

interface NavigatorLike {
  hardwareConcurrency?: number;
}

/**
 * Reads the platform's thread support. On Node, `cores` is 1 unless `nodeCores` is given (the CLI
 * passes `os.availableParallelism()`; a neutral library cannot import `node:os` synchronously).
 */
export function currentThreadEnvironment(nodeCores?: number): ThreadEnvironment {
  const g = globalThis as {
    SharedArrayBuffer?: unknown;
    crossOriginIsolated?: boolean;
    Worker?: unknown;
    navigator?: NavigatorLike;
    process?: { versions?: { node?: string } };
  };
  const isNode = typeof g.process?.versions?.node === 'string';
  const browserCores = g.navigator?.hardwareConcurrency;
  return {
    sharedMemory: typeof g.SharedArrayBuffer === 'function',
    crossOriginIsolated: isNode ? undefined : g.crossOriginIsolated === true,
    workers: isNode || typeof g.Worker === 'function',
    cores: nodeCores ?? (typeof browserCores === 'number' && browserCores > 0 ? browserCores : 1),
  };
}

/**
 * Chooses the number of threads (training's, or ranking's with `purpose` `'ranking'`): `requested` (a whole number ≥ 1, or `'auto'` for every
 * core) capped by what `environment` allows. Shared parameters need `SharedArrayBuffer` and
 * workers, and a browser page must be cross-origin isolated (served with
 * `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp`);
 * otherwise training falls back to one thread and `reason` says why. Throws
 * {@link InvalidArgumentError} for a request that is not `'auto'` or a whole number ≥ 1.
 */
export function resolveThreads(
  requested: number | 'auto' | undefined,
  environment: ThreadEnvironment = currentThreadEnvironment(),
  purpose = 'training',
): ThreadChoice {
  if (requested !== undefined && requested !== 'auto') {
    if (!Number.isInteger(requested) || requested < 1)
      throw new InvalidArgumentError(
        'threads',
        `expected a whole number ≥ 1 or 'auto', got ${String(requested)}`,
      );
  }
  const wanted =
    requested === undefined ? 1 : requested === 'auto' ? Math.max(1, environment.cores) : requested;
  if (wanted === 1) return { threads: 1 };
  if (environment.crossOriginIsolated === false)
    return {
      threads: 1,
      reason: `the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp): ${purpose} on one thread`,
    };
  if (!environment.sharedMemory)
    return { threads: 1, reason: `SharedArrayBuffer is unavailable: ${purpose} on one thread` };
  if (!environment.workers)
    return { threads: 1, reason: `this platform cannot start workers: ${purpose} on one thread` };
  return { threads: wanted };
}
