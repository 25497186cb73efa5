import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { expectWorkerReply, startModuleWorker } from './module-worker.js';

type Reply = { type: 'echo'; value: number } | { type: 'error'; message: string; stack?: string };

// A worker that echoes numbers twice (the second reply arrives before anyone asks), answers
// 'bad' with an error reply and exits on 'exit'.
const dir = mkdtempSync(join(tmpdir(), 'cf-module-worker-'));
const script = join(dir, 'echo-worker.mjs');
writeFileSync(
  script,
  `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m === 'exit') process.exit(3);
  if (m === 'bad') return parentPort.postMessage({ type: 'error', message: 'no such thing', stack: 'at the worker' });
  parentPort.postMessage({ type: 'echo', value: m });
  parentPort.postMessage({ type: 'echo', value: m + 1 });
});`,
);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const start = () =>
  startModuleWorker<unknown, Reply>({
    browser: () => {
      throw new Error('not a browser');
    },
    node: pathToFileURL(script),
    name: 'echo worker',
  });

describe('startModuleWorker on Node', () => {
  it('hands the replies out in order, early ones included', async () => {
    const worker = await start();
    worker.post(1);
    expect(await worker.reply()).toEqual({ type: 'echo', value: 1 });
    await new Promise((resolve) => setTimeout(resolve, 50)); // the second is queued by now
    expect(await expectWorkerReply(worker, 'echo', 'echo worker')).toEqual({
      type: 'echo',
      value: 2,
    });
    await worker.terminate();
  });

  it('throws an error reply named after the worker, with its stack', async () => {
    const worker = await start();
    worker.post('bad');
    const error = await expectWorkerReply(worker, 'echo', 'echo worker').catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe('echo worker: no such thing');
    expect((error as Error).stack).toBe('at the worker');
    await worker.terminate();
  });

  it('fails the pending and every later reply once the worker exits', async () => {
    const worker = await start();
    const pending = worker.reply();
    worker.post('exit');
    await expect(pending).rejects.toThrow('echo worker exited (code 3)');
    await expect(worker.reply()).rejects.toThrow('echo worker exited (code 3)');
  });
});
