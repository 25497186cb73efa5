/**
 * The worker of {@link rankAllUsers} (built to `dist/rank-worker.js`, run by Node's
 * `worker_threads` and by browsers' `Worker`): it rebuilds the model on the host maths from the
 * posted config and parameter values (no tfjs), then ranks the blocks of users it is sent with the
 * same code the one-thread path runs (`BlockedRanker`, or `rankItems` for a model that is not a
 * dot product), and posts back each user's top-k.
 */
import { HostRatingModel } from '../host/host-rating-model.js';
import { BlockedRanker } from './blocked-ranker.js';
import { rankItems } from './rank-items.js';
import { packHeaps, type RankWorkerMessage, type RankWorkerReply } from './rank-worker-protocol.js';
import type { TopK } from './top-k.js';

interface Port {
  post(message: RankWorkerReply, transfer?: ArrayBuffer[]): void;
  listen(handler: (message: RankWorkerMessage) => void): void;
}

async function connect(): Promise<Port> {
  const scope = globalThis as {
    postMessage?: (message: unknown, transfer?: ArrayBuffer[]) => void;
    addEventListener?: (type: 'message', listener: (event: { data: unknown }) => void) => void;
    process?: { versions?: { node?: string } };
  };
  if (typeof scope.process?.versions?.node !== 'string' && scope.addEventListener) {
    const post = scope.postMessage!.bind(scope);
    const add = scope.addEventListener.bind(scope);
    return {
      post: (message, transfer) => post(message, transfer),
      listen: (handler) => add('message', (event) => handler(event.data as RankWorkerMessage)),
    };
  }
  const specifier = 'node:worker_threads';
  const { parentPort } = (await import(/* @vite-ignore */ specifier)) as {
    parentPort: {
      postMessage(message: unknown, transfer?: ArrayBuffer[]): void;
      on(type: 'message', listener: (message: unknown) => void): void;
      close(): void;
    } | null;
  };
  if (!parentPort) throw new Error('rank-worker.js must run in a worker');
  return {
    post: (message, transfer) => parentPort.postMessage(message, transfer),
    listen: (handler) => parentPort.on('message', (m) => handler(m as RankWorkerMessage)),
  };
}

// no top-level await: the bundle is also built as CommonJS (unused there, but it must compile)
void connect().then((port) => {
  let rank: ((users: Int32Array) => TopK[]) | undefined;
  let k = 0;
  let work = (): { scored: number; candidates: number } => ({ scored: 0, candidates: 0 });
  port.listen((message) => {
    try {
      if (message.type === 'close') {
        (globalThis as { close?: () => void }).close?.();
        const p = (globalThis as { process?: { exit?: (code: number) => void } }).process;
        p?.exit?.(0);
        return;
      }
      if (message.type === 'init') {
        const model = new HostRatingModel(
          message.config,
          new Map(message.parameters.map((p) => [p.name, p.values])),
        );
        k = message.k;
        const { seenOffsets, seenItems } = message;
        const excludedOf =
          seenOffsets && seenItems
            ? (users: Int32Array) => (p: number) =>
                seenItems.subarray(seenOffsets[users[p]!], seenOffsets[users[p]! + 1])
            : undefined;
        const ranker = BlockedRanker.create(model, {
          wasm: message.wasm,
          prune: message.prune,
          precision: message.precision,
        });
        const candidates = Int32Array.from({ length: model.config.nItems }, (_, i) => i);
        work = () => ranker?.work ?? { scored: 0, candidates: 0 };
        rank = ranker
          ? (users) => ranker.rank(users, { k, excluded: excludedOf?.(users) })
          : (users) => rankItems(model, users, { k, candidates, excluded: excludedOf?.(users) });
        port.post({ type: 'ready', blocked: ranker !== undefined });
        return;
      }
      if (!rank) throw new Error('rank-worker: a task came before init');
      const before = work();
      const packed = packHeaps(rank(message.users), k);
      const after = work();
      const scored = after.scored - before.scored;
      const candidates = after.candidates - before.candidates;
      port.post({ type: 'ranked', id: message.id, ...packed, scored, candidates }, [
        packed.counts.buffer as ArrayBuffer,
        packed.items.buffer as ArrayBuffer,
        packed.scores.buffer as ArrayBuffer,
      ]);
    } catch (error) {
      port.post({
        type: 'error',
        message: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? error.stack : undefined,
      });
    }
  });
});
