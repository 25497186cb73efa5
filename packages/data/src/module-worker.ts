/**
 * One worker on either platform, with its replies queued in order: what cf's threaded training
 * (the trainer's Hogwild workers) and threaded ranking (`rankAllUsers`) both start. Lives beside
 * {@link resolveThreads}, the other piece both packages share.
 */

/** The part of a browser `Worker` this uses. */
export interface BrowserWorkerLike {
  /** Sends a message to the worker. */
  postMessage(message: unknown): void;
  /** Stops the worker at once. */
  terminate(): void;
  /** Listens for the worker's messages and errors. */
  addEventListener(
    type: 'message' | 'error',
    listener: (event: { data?: unknown; message?: string }) => void,
  ): void;
}

/** A started worker: messages in, replies out in the order they came. */
export interface ModuleWorker<Message, Reply> {
  /** Sends a message to the worker. */
  post(message: Message): void;
  /** The next reply; rejects once the worker failed or exited. */
  reply(): Promise<Reply>;
  /** Stops the worker; resolves once it has stopped. */
  terminate(): Promise<void>;
}

/**
 * The advice a worker's start-up gives when a bundled app lacks its script
 * ({@link ModuleWorkerSource.bundling}): for Node, ship `script` beside the bundle (esbuild: the
 * entry point `entry`); for a browser, a bundler must emit it, and Vite's dev server must not
 * pre-bundle cf. Both end by pointing at "Bundling" in `readme`.
 *
 * @param script - The worker file, e.g. `'rank-worker.js'`.
 * @param entry - esbuild's entry point for it, e.g. `'rank-worker=@cf/model/rank-worker'`.
 * @param readme - The package whose README has the "Bundling" section, e.g. `'@cf/model'`.
 * @param alternative - Another way out for Node apps, said after the entry point (e.g. `'or pass workerUrl'`).
 */
export function workerBundlingAdvice(
  script: string,
  entry: string,
  readme: string,
  alternative?: string,
): Required<NonNullable<ModuleWorkerSource['bundling']>> {
  return {
    node:
      `an app bundled for Node must ship ${script} beside its bundle, bundled with its imports ` +
      `(esbuild: add the entry point ${entry})${alternative ? `, ${alternative}` : ''}; see "Bundling" in the ${readme} README`,
    browser:
      `a bundler must emit ${script} with its imports (Vite's and webpack's builds do); Vite's dev server ` +
      `needs optimizeDeps: { exclude: ['@cf/trainer', '@cf/model'] }; see "Bundling" in the ${readme} README`,
  };
}

/** Where a worker script is, per platform. */
export interface ModuleWorkerSource {
  /**
   * Starts it in a browser. Write it at the call site as
   * `() => new Worker(new URL('./x.js', import.meta.url), { type: 'module' })` with the global
   * `Worker`: Vite and webpack recognise exactly that form, next to the module that names the file,
   * and bundle the worker with its imports (`new globalThis.Worker(...)` left a bare asset whose
   * imports did not resolve, so the workers never started).
   */
  browser: () => BrowserWorkerLike;
  /**
   * The same script for Node's `worker_threads` (see {@link workerScriptBeside}); undefined when
   * it cannot be located (the start then fails, saying {@link ModuleWorkerSource.bundling}).
   */
  node: URL | undefined;
  /** How errors name it, e.g. `'training worker'`. */
  name: string;
  /** What an app must do to ship the script, said when it is missing or does not load. */
  bundling?: {
    /**
     * An app bundled for Node, e.g. which entry point to add to esbuild: said when the script is
     * missing or cannot load its imports.
     */
    node?: string;
    /**
     * A browser app, e.g. Vite's dev server settings: said when the worker fails without a
     * message, as browsers report a script that did not load (a 404).
     */
    browser?: string;
  };
}

/** The CommonJS module scope's file name: defined inside a CommonJS file, e.g. an esbuild bundle. */
declare const __filename: string | undefined;

/**
 * The `file:` URL of a worker script `file` beside the module whose `import.meta.url` is
 * `moduleUrl`, for Node's `worker_threads`. Where `import.meta.url` is empty, as in ES module code
 * bundled into one CommonJS file (esbuild's default output for `--platform=node`), the script is
 * looked for beside that file (`__filename`), where a bundler that emits it as its own entry point
 * puts it. Undefined when neither is known.
 */
export function workerScriptBeside(file: string, moduleUrl: string | undefined): URL | undefined {
  if (typeof moduleUrl === 'string' && moduleUrl !== '') return new URL(file, moduleUrl);
  if (typeof __filename !== 'string') return undefined;
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process;
  const url = process?.getBuiltinModule?.('node:url') as
    { pathToFileURL(path: string): URL } | undefined;
  // Node < 20.16 has no getBuiltinModule: the bundle's path as a URL by hand (POSIX or C:\ paths)
  const base = url
    ? url.pathToFileURL(__filename)
    : new URL(
        `file://${__filename
          .replace(/\\/g, '/')
          .replace(/^(?=[A-Za-z]:)/, '/')
          .split('/')
          .map((segment) => (/^[A-Za-z]:$/.test(segment) ? segment : encodeURIComponent(segment)))
          .join('/')}`,
      );
  return new URL(file, base);
}

/** An error reply a worker sends instead of the expected one. */
export interface WorkerErrorReply {
  type: 'error';
  message: string;
  stack?: string | undefined;
}

/**
 * The error of a browser worker's `error` event. One without a message is a script (or one of its
 * imports) that did not load, e.g. a 404 from a dev server that moved the module that names it:
 * said so, with {@link ModuleWorkerSource.bundling}'s browser remedy.
 */
export function browserWorkerError(
  source: Pick<ModuleWorkerSource, 'name' | 'bundling'>,
  event: { message?: string },
): Error {
  if (event.message !== undefined) return new Error(`${source.name} failed: ${event.message}`);
  const remedy = source.bundling?.browser ? `: ${source.bundling.browser}` : '';
  return new Error(
    `${source.name} failed: its script did not load (the browser gives no reason)${remedy}`,
  );
}

/**
 * Starts a module worker: a browser `Worker` outside Node (when the platform has workers),
 * `worker_threads` on Node. Replies queue up until {@link ModuleWorker.reply} asks for them; an
 * error event, a Node `error` or an exit fails every pending and later `reply()`.
 */
export async function startModuleWorker<Message, Reply>(
  source: ModuleWorkerSource,
): Promise<ModuleWorker<Message, Reply>> {
  const early: Reply[] = [];
  const waiting: { resolve: (reply: Reply) => void; reject: (error: Error) => void }[] = [];
  let failure: Error | undefined;
  const deliver = (reply: Reply): void => {
    const next = waiting.shift();
    if (next) next.resolve(reply);
    else early.push(reply);
  };
  const fail = (error: Error): void => {
    failure ??= error;
    for (const w of waiting.splice(0)) w.reject(failure);
  };
  const reply = (): Promise<Reply> => {
    if (early.length > 0) return Promise.resolve(early.shift()!);
    if (failure) return Promise.reject(failure);
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  };
  const g = globalThis as { Worker?: unknown; process?: { versions?: { node?: string } } };
  if (typeof g.process?.versions?.node !== 'string' && g.Worker) {
    const worker = source.browser();
    worker.addEventListener('message', (event) => deliver(event.data as Reply));
    worker.addEventListener('error', (event) => fail(browserWorkerError(source, event)));
    return {
      post: (message) => worker.postMessage(message),
      reply,
      terminate: () => {
        worker.terminate();
        return Promise.resolve();
      },
    };
  }
  const bundling = source.bundling?.node ? `: ${source.bundling.node}` : '';
  if (!source.node)
    throw new Error(
      `${source.name}: cannot locate its script (no import.meta.url, no __filename)${bundling}`,
    );
  if (source.node.protocol === 'file:') {
    // a missing script fails inside the worker as an ERR_MODULE_NOT_FOUND that names no remedy
    const fsSpecifier = 'node:fs';
    const { existsSync } = (await import(/* @vite-ignore */ fsSpecifier)) as {
      existsSync: (path: URL) => boolean;
    };
    if (!existsSync(source.node))
      throw new Error(
        `${source.name}: its script ${decodeURIComponent(source.node.pathname)} does not exist${bundling}`,
      );
  }
  const specifier = 'node:worker_threads';
  const { Worker: NodeWorker } = (await import(/* @vite-ignore */ specifier)) as {
    Worker: new (url: URL) => {
      postMessage(message: unknown): void;
      terminate(): Promise<number>;
      on(type: 'message', listener: (message: unknown) => void): void;
      on(type: 'error', listener: (error: Error) => void): void;
      on(type: 'exit', listener: (code: number) => void): void;
    };
  };
  const worker = new NodeWorker(source.node);
  worker.on('message', (message) => deliver(message as Reply));
  worker.on('error', (error) =>
    fail(
      // the script is there but one of its imports is not (e.g. copied without its chunks)
      bundling && /MODULE_NOT_FOUND/.test(String((error as { code?: unknown }).code))
        ? new Error(`${source.name} could not load its imports (${error.message})${bundling}`)
        : error,
    ),
  );
  worker.on('exit', (code) => fail(new Error(`${source.name} exited (code ${code})`)));
  return {
    post: (message) => worker.postMessage(message),
    reply,
    terminate: async () => {
      await worker.terminate();
    },
  };
}

/**
 * The worker's next reply if it is of `type`; its error reply thrown as an `Error` named after the
 * worker (with the worker's stack), any other reply thrown as out of order.
 */
export async function expectWorkerReply<
  Reply extends { type: string },
  Type extends Exclude<Reply['type'], 'error'>,
>(
  worker: Pick<ModuleWorker<unknown, Reply>, 'reply'>,
  type: Type,
  name: string,
): Promise<Extract<Reply, { type: Type }>> {
  const reply = await worker.reply();
  if (reply.type === 'error') {
    const { message, stack } = reply as unknown as WorkerErrorReply;
    const error = new Error(`${name}: ${message}`);
    if (stack) error.stack = stack;
    throw error;
  }
  if (reply.type !== type) throw new Error(`${name} answered ${reply.type}, expected ${type}`);
  return reply as Extract<Reply, { type: Type }>;
}
