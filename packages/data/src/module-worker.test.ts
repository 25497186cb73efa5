import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  browserWorkerError,
  expectWorkerReply,
  startModuleWorker,
  workerBundlingAdvice,
  workerScriptBeside,
} from './module-worker.js';

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

describe('startModuleWorker on Node, a script that is not there', () => {
  const bundling = 'ship echo-worker.js beside the bundle (see the README, Bundling)';
  const sources = { node: bundling, browser: 'not said on Node' };
  const startAt = (node: URL | undefined) =>
    startModuleWorker<unknown, Reply>({
      browser: () => {
        throw new Error('not a browser');
      },
      node,
      name: 'echo worker',
      bundling: sources,
    });

  it('says which file is missing and what a bundled app must do, before starting a worker', async () => {
    const missing = join(dir, 'bundle', 'echo-worker.js');
    await expect(startAt(pathToFileURL(missing))).rejects.toThrow(
      `echo worker: its script ${missing} does not exist: ${bundling}`,
    );
  });

  it('says it cannot locate the script when its URL is unknown', async () => {
    await expect(startAt(undefined)).rejects.toThrow(
      `echo worker: cannot locate its script (no import.meta.url, no __filename): ${bundling}`,
    );
  });

  it('fails the replies with the remedy when the script cannot load one of its imports', async () => {
    const copied = join(dir, 'copied-worker.mjs');
    writeFileSync(copied, "import './chunk-that-was-not-copied.js';\n");
    const worker = await startAt(pathToFileURL(copied));
    await expect(worker.reply()).rejects.toThrow(
      new RegExp(
        `^echo worker could not load its imports \\(.*chunk-that-was-not-copied\\.js.*\\): ${bundling.replace(/[().]/g, '\\$&')}$`,
      ),
    );
    await worker.terminate();
  });
});

describe('workerScriptBeside', () => {
  it('resolves the script against the module URL', () => {
    expect(workerScriptBeside('./w.js', 'file:///app/node_modules/@cf/x/dist/index.js')?.href).toBe(
      'file:///app/node_modules/@cf/x/dist/w.js',
    );
  });

  it('without import.meta.url, resolves it beside the CommonJS file that runs (__filename)', () => {
    // vitest gives each module a CommonJS-style __filename, as Node gives an esbuild bundle: the
    // script is then looked for beside module-worker.ts, where a bundle's entry points would be
    const beside = pathToFileURL(join(import.meta.dirname, 'w.js')).href;
    expect(workerScriptBeside('./w.js', undefined)?.href).toBe(beside);
    expect(workerScriptBeside('./w.js', '')?.href).toBe(beside);
  });

  it('builds the same URL by hand on a Node without process.getBuiltinModule (< 20.16)', () => {
    const beside = pathToFileURL(join(import.meta.dirname, 'w.js')).href;
    const node = process as { getBuiltinModule?: unknown };
    const saved = node.getBuiltinModule;
    node.getBuiltinModule = undefined;
    try {
      expect(workerScriptBeside('./w.js', undefined)?.href).toBe(beside);
    } finally {
      node.getBuiltinModule = saved;
    }
  });
});

describe('browserWorkerError', () => {
  const source = {
    name: 'ranking worker',
    bundling: { browser: "Vite's dev server needs optimizeDeps.exclude" },
  };

  it('passes on the message of a script that threw', () => {
    expect(browserWorkerError(source, { message: 'Uncaught TypeError: x' }).message).toBe(
      'ranking worker failed: Uncaught TypeError: x',
    );
  });

  it('says a script that did not load did not load, and the remedy (browsers give no message)', () => {
    expect(browserWorkerError(source, {}).message).toBe(
      "ranking worker failed: its script did not load (the browser gives no reason): Vite's dev server needs optimizeDeps.exclude",
    );
    expect(browserWorkerError({ name: 'w' }, {}).message).toBe(
      'w failed: its script did not load (the browser gives no reason)',
    );
  });
});

describe('workerBundlingAdvice', () => {
  it('names the script, its esbuild entry point and the README, for Node and for browsers', () => {
    expect(
      workerBundlingAdvice(
        'rank-worker.js',
        'rank-worker=@cf/model/rank-worker',
        '@cf/model',
        'or pass workerUrl',
      ),
    ).toEqual({
      node:
        'an app bundled for Node must ship rank-worker.js beside its bundle, bundled with its imports ' +
        '(esbuild: add the entry point rank-worker=@cf/model/rank-worker), or pass workerUrl; see "Bundling" in the @cf/model README',
      browser:
        "a bundler must emit rank-worker.js with its imports (Vite's and webpack's builds do); Vite's dev server " +
        "needs optimizeDeps: { exclude: ['@cf/trainer', '@cf/model'] }; see \"Bundling\" in the @cf/model README",
    });
    expect(
      workerBundlingAdvice(
        'hogwild-worker.js',
        'hogwild-worker=@cf/trainer/hogwild-worker',
        '@cf/trainer',
      ).node,
    ).toBe(
      'an app bundled for Node must ship hogwild-worker.js beside its bundle, bundled with its imports ' +
        '(esbuild: add the entry point hogwild-worker=@cf/trainer/hogwild-worker); see "Bundling" in the @cf/trainer README',
    );
  });
});
