import {
  expectWorkerReply,
  NumpyRandomState,
  startModuleWorker,
  workerBundlingAdvice,
  workerScriptBeside,
  type BrowserWorkerLike,
  type ModuleWorker,
} from '@cf/data';
import { KernelInstance, sharedWasmKernelModule, wasmKernelFailure } from '@cf/kernels';
import type { RatingModel } from '@cf/model';
import { Adam } from './adam.js';
import { LazyCatchUp } from './lazy-catch-up.js';
import {
  DOT_BIAS_PARAMETERS,
  DotBiasTables,
  dotBiasScratchBytes,
  dotBiasTableBytes,
  dotBiasUnsupportedReason,
  packTrainingRows,
  type DotBiasScratch,
} from './dot-bias-engine.js';
import type { ModelData } from './model-data.js';
import type { Optimizer } from './optimizer.js';
import {
  CONTROL,
  emptyStepScalars,
  stepScalars,
  type HogwildEpoch,
  type HogwildInit,
  type HogwildReply,
  type SharedParameter,
  type WorkerScratch,
} from './hogwild-protocol.js';

/** Why `fit` cannot train this model and optimizer on threads (undefined when it can). */
export function hogwildUnsupportedReason(
  model: RatingModel,
  optimizer: Optimizer,
  engine: 'auto' | 'tfjs' | 'fused',
): string | undefined {
  if (engine === 'tfjs') return "the tfjs engine runs on one thread (use engine 'auto' or 'fused')";
  if (!(optimizer instanceof Adam))
    return `threads need Adam or AdamW (got ${optimizer.name}): training on one thread`;
  if (optimizer.embeddingUpdate !== 'lazy')
    return 'threads need lazy embedding updates (dense updates touch every row every step): training on one thread';
  const owned = new Set(optimizer.groups.flatMap((g) => g.parameters));
  if (model.parameters.some((p) => !owned.has(p)))
    return 'threads need every parameter in the optimizer (some are frozen): training on one thread';
  if (!sharedWasmKernelModule())
    return `threads need the shared-memory WebAssembly kernels (${wasmKernelFailure() ?? 'unavailable here'}): training on one thread`;
  return undefined;
}

/** A worker as both platforms offer it. */
type WorkerHandle = ModuleWorker<HogwildInit | HogwildEpoch, HogwildReply>;

let workerUrlOverride: URL | undefined;

/** Tests run from `src/`, where the worker bundle does not exist: they point at the built one. */
export function setHogwildWorkerUrl(url: URL | undefined): void {
  workerUrlOverride = url;
}

/** The browser's `Worker` (declared so the spawn below names the global: bundlers look for it). */
declare const Worker: new (url: URL, options: { type: 'module' }) => BrowserWorkerLike;

/** What a bundled app does to train on threads (the README's "Bundling" says more). */
const HOGWILD_WORKER_BUNDLING = workerBundlingAdvice(
  'hogwild-worker.js',
  'hogwild-worker=@cf/trainer/hogwild-worker',
  '@cf/trainer',
);

function spawnWorker(): Promise<WorkerHandle> {
  return startModuleWorker<HogwildInit | HogwildEpoch, HogwildReply>({
    // written as `new Worker(new URL('./…', import.meta.url), …)`: see ModuleWorkerSource.browser
    browser: () =>
      workerUrlOverride
        ? new Worker(workerUrlOverride, { type: 'module' })
        : new Worker(new URL('./hogwild-worker.js', import.meta.url), { type: 'module' }),
    node: workerUrlOverride ?? workerScriptBeside('./hogwild-worker.js', import.meta.url),
    name: 'training worker',
    bundling: HOGWILD_WORKER_BUNDLING,
  });
}

async function expect(worker: WorkerHandle, type: 'ready' | 'epochDone'): Promise<void> {
  await expectWorkerReply(worker, type, 'training worker');
}

interface EngineParameter {
  shared: SharedParameter;
  weights: Float32Array;
  m: Float32Array;
  v: Float32Array;
  rowStep: Int32Array | undefined;
}

/** What {@link HogwildEngine.runEpoch} asks of `fit`. */
export interface HogwildEpochHooks {
  /** Before batch `b` is queued: schedules set the optimizer's lr and momentum here. */
  beforeBatch(b: number): void | Promise<void>;
  /** After batch `b` (reported in batch order) with its loss; may throw to end training. */
  afterBatch(b: number, loss: number): void | Promise<void>;
  /** True once training should stop (after the batches already taken). */
  shouldStop(): boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Trains one model on several workers at once (Hogwild: lock-free updates of shared rows). The
 * weights and Adam's moments are copied into `SharedArrayBuffer`s at the start of each epoch and
 * back into the model and optimizer at its end, so that between epochs (evaluation, callbacks,
 * checkpoints) both are exactly as after a one-thread epoch.
 */
export class HogwildEngine {
  readonly threads: number;
  readonly #model: RatingModel;
  readonly #optimizer: Adam;
  readonly #data: ModelData;
  readonly #workers: WorkerHandle[];
  readonly #parameters: EngineParameter[];
  /** EmbeddingDotBias: the fused engine's interleaved tables hold weights and moments. */
  readonly #dotBias: DotBiasTables | undefined;
  readonly #order: Int32Array;
  readonly #control: Int32Array;
  readonly #batchDone: Int32Array;
  readonly #losses: Float64Array;
  readonly #schedule: Float64Array;

  private constructor(
    model: RatingModel,
    optimizer: Adam,
    data: ModelData,
    workers: WorkerHandle[],
    parameters: EngineParameter[],
    dotBias: DotBiasTables | undefined,
    buffers: {
      order: Int32Array;
      control: Int32Array;
      batchDone: Int32Array;
      losses: Float64Array;
      schedule: Float64Array;
    },
  ) {
    this.threads = workers.length;
    this.#model = model;
    this.#optimizer = optimizer;
    this.#data = data;
    this.#workers = workers;
    this.#parameters = parameters;
    this.#dotBias = dotBias;
    this.#order = buffers.order;
    this.#control = buffers.control;
    this.#batchDone = buffers.batchDone;
    this.#losses = buffers.losses;
    this.#schedule = buffers.schedule;
  }

  /** Starts `threads` workers for `model` trained by `optimizer` (see {@link hogwildUnsupportedReason}). */
  static async start(
    model: RatingModel,
    optimizer: Adam,
    data: ModelData,
    threads: number,
  ): Promise<HogwildEngine> {
    const groups = optimizer.groups;
    const groupOf = new Map(groups.flatMap((g, k) => g.parameters.map((p) => [p, k] as const)));
    const bs = data.batchSize;
    const layout = model.parameters.map((p) => {
      const rows = p.shape[0] ?? 1;
      return { p, rows, dim: rows > 0 ? p.values.length / rows : 0 };
    });
    // a step's gradient: at most a batch of distinct rows of an embedding, or a whole dense parameter
    const gradientFloats = Math.max(
      1,
      ...layout.map(({ p, dim }) => (p.kind === 'embedding' ? bs * dim : p.values.length)),
    );
    const f = (count: number): number => KernelInstance.bytesFor(count);
    // EmbeddingDotBias: the interleaved tables of the fused engine instead of one array per parameter
    const dotBias = dotBiasUnsupportedReason(model, optimizer) === undefined;
    const bytes = dotBias
      ? dotBiasTableBytes(model) +
        threads * dotBiasScratchBytes(model, bs) +
        layout.reduce((sum, { rows }) => sum + (optimizer.decoupled ? f(rows) : 0), 0)
      : layout.reduce(
          (sum, { p, rows }) =>
            sum +
            3 * f(p.values.length) +
            (p.kind === 'embedding' && optimizer.decoupled ? f(rows) : 0),
          0,
        ) +
        threads * (f(gradientFloats) + f(bs) + f(4 * bs));
    const kernel = KernelInstance.create(bytes, { shared: true });
    if (!kernel) throw new Error(`shared WebAssembly kernels unavailable: ${wasmKernelFailure()}`);
    const tables = dotBias ? new DotBiasTables(kernel, model) : undefined;
    const dotBiasScratch: DotBiasScratch[] = tables
      ? Array.from({ length: threads }, () => tables.scratch(bs))
      : [];
    const unused = { byteOffset: 0, view: new Float32Array(0) };
    const parameters = layout.map(({ p, rows, dim }): EngineParameter => {
      const group = groupOf.get(p)!;
      const weights = tables ? unused : kernel.floats(p.values.length);
      const m = tables ? unused : kernel.floats(p.values.length);
      const v = tables ? unused : kernel.floats(p.values.length);
      const rowStep = p.kind === 'embedding' && optimizer.decoupled ? kernel.ints(rows) : undefined;
      const s: SharedParameter = {
        name: p.name,
        kind: p.kind,
        dim: p.kind === 'embedding' ? dim : p.values.length,
        rows: p.kind === 'embedding' ? rows : 1,
        group,
        weightDecay: groups[group]!.weightDecay * p.weightDecayScale,
        weights: weights.byteOffset,
        m: m.byteOffset,
        v: v.byteOffset,
        ...(rowStep ? { rowStep: rowStep.byteOffset } : {}),
      };
      return { shared: s, weights: weights.view, m: m.view, v: v.view, rowStep: rowStep?.view };
    });
    const scratch = Array.from({ length: threads }, (): WorkerScratch => {
      if (tables) return { gradient: 0, gradientFloats: 0, list: 0, factors: 0, rows: 0 };
      const gradient = kernel.floats(gradientFloats);
      return {
        gradient: gradient.byteOffset,
        gradientFloats,
        list: kernel.ints(bs).byteOffset,
        factors: kernel.floats(4 * bs).byteOffset,
        rows: bs,
      };
    });
    const table = data.table;
    // the training rows packed as (user, item, rating) records: one cache miss per shuffled row,
    // not one per column, and 12 bytes per training row instead of copies of the whole columns
    const packed = packTrainingRows(table, data.split.train, (b) => new SharedArrayBuffer(b));
    const batchCount = data.trainBatches.batchCount;
    const order = new Int32Array(new SharedArrayBuffer(4 * data.split.train.length));
    const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL.size));
    const batchDone = new Int32Array(new SharedArrayBuffer(4 * batchCount));
    const losses = new Float64Array(new SharedArrayBuffer(8 * batchCount));
    const schedule = new Float64Array(new SharedArrayBuffer(16 * batchCount * groups.length));
    const workers: WorkerHandle[] = [];
    try {
      for (let w = 0; w < threads; w++) workers.push(await spawnWorker());
      workers.forEach((worker, w) =>
        worker.post({
          type: 'init',
          worker: w,
          config: model.config,
          memory: kernel.memory,
          parameters: parameters.map((p) => p.shared),
          scratch: scratch[w]!,
          beta2: optimizer.beta2,
          eps: optimizer.eps,
          decoupled: optimizer.decoupled,
          groups: groups.length,
          packed: packed.buffer as SharedArrayBuffer,
          order: order.buffer,
          control: control.buffer,
          batchDone: batchDone.buffer,
          losses: losses.buffer,
          schedule: schedule.buffer,
          batchSize: data.batchSize,
          ...(tables
            ? {
                dotBias: {
                  layout: tables.layout,
                  scratch: dotBiasScratch[w]!,
                },
              }
            : {}),
        }),
      );
      await Promise.all(workers.map((worker) => expect(worker, 'ready')));
    } catch (error) {
      await Promise.all(workers.map((worker) => worker.terminate()));
      throw error;
    }
    return new HogwildEngine(model, optimizer, data, workers, parameters, tables, {
      order,
      control,
      batchDone,
      losses,
      schedule,
    });
  }

  /**
   * One epoch over the data's next shuffle (the same batches a one-thread epoch sees). Returns the
   * batches done; the model and optimizer hold the result when it returns (also after a throw).
   */
  async runEpoch(hooks: HogwildEpochHooks): Promise<number> {
    const data = this.#data;
    const optimizer = this.#optimizer;
    const batches = data.trainBatches;
    const batchCount = batches.batchCount;
    // the same order as createBatchIterator's shuffle of this epoch
    const order = this.#order;
    for (let k = 0; k < order.length; k++) order[k] = k;
    new NumpyRandomState((data.seed + data.epochsSeen) % 4294967296).shuffle(order);
    const groups = optimizer.groups;
    const schedule = this.#schedule;
    for (let b = 0; b < batchCount; b++) {
      await hooks.beforeBatch(b);
      groups.forEach((g, k) => {
        schedule[2 * (b * groups.length + k)] = g.lr;
        schedule[2 * (b * groups.length + k) + 1] = g.momentum;
      });
    }
    const stepBase = optimizer.stepCount;
    this.#copyIn();
    const control = this.#control;
    Atomics.store(control, CONTROL.next, 0);
    Atomics.store(control, CONTROL.stop, 0);
    Atomics.store(control, CONTROL.done, 0);
    this.#batchDone.fill(0);
    const epochSeed = (data.seed * 1000003 + data.epochsSeen * 7919) >>> 0;
    this.#workers.forEach((worker, w) =>
      worker.post({
        type: 'epoch',
        batchCount,
        rowsPerEpoch: batches.rowsPerEpoch,
        stepBase,
        seed: (epochSeed + w * 104729) >>> 0,
      }),
    );
    let finished = false;
    const all = Promise.all(this.#workers.map((worker) => expect(worker, 'epochDone'))).finally(
      () => (finished = true),
    );
    let reported = 0;
    let failure: Error | undefined;
    const asError = (e: unknown): Error => (e instanceof Error ? e : new Error(String(e)));
    try {
      for (;;) {
        const done = finished;
        while (reported < batchCount && Atomics.load(this.#batchDone, reported) === 1) {
          await hooks.afterBatch(reported, this.#losses[reported]!);
          reported++;
        }
        if (hooks.shouldStop()) Atomics.store(control, CONTROL.stop, 1);
        if (done) break;
        await Promise.race([
          all.then(
            () => undefined,
            () => undefined,
          ),
          sleep(20),
        ]);
      }
    } catch (error) {
      failure = asError(error);
      Atomics.store(control, CONTROL.stop, 1);
    }
    await all.catch((error: unknown) => {
      failure ??= asError(error);
    });
    // steps taken: every batch below the counter was taken and finished
    const taken = Math.min(batchCount, Atomics.load(control, CONTROL.next));
    this.#copyOut(taken, stepBase);
    if (failure !== undefined) throw failure;
    return reported;
  }

  /** The optimizer's state (flushed) and the weights into shared memory; every row current. */
  #copyIn(): void {
    if (this.#dotBias) {
      this.#dotBias.copyIn(this.#optimizer);
      for (const e of this.#parameters) e.rowStep?.fill(0);
      return;
    }
    const state = this.#optimizer.stateDict();
    this.#model.parameters.forEach((p, k) => {
      const e = this.#parameters[k]!;
      e.weights.set(p.values);
      const [m, v] = state[p.name]!;
      e.m.set(m!);
      e.v.set(v!);
      e.rowStep?.fill(0);
    });
  }

  /** Brings every row to the end of step `taken` and copies weights and moments back. */
  #copyOut(taken: number, stepBase: number): void {
    const optimizer = this.#optimizer;
    const groups = optimizer.groups.length;
    const s = emptyStepScalars();
    const state: Record<string, Float32Array[]> = {};
    const catchUps = new Map<string, LazyCatchUp>();
    this.#model.parameters.forEach((p, k) => {
      const e = this.#parameters[k]!;
      if (e.rowStep && taken > 0) {
        const catchUp = new LazyCatchUp(e.shared.rows, optimizer.beta2, e.rowStep);
        for (let step = 1; step <= taken; step++) {
          stepScalars(
            this.#schedule,
            groups,
            e.shared.group,
            step,
            stepBase,
            optimizer.beta2,
            e.shared.weightDecay,
            optimizer.decoupled,
            s,
          );
          catchUp.beginStep(s.lr, e.shared.weightDecay, s.beta1, s.bc1, s.bc2);
        }
        catchUps.set(p.name, catchUp);
        if (this.#dotBias) return;
        catchUp.flush(e.shared.dim, e.weights, e.m, e.v, optimizer.eps);
      }
      if (this.#dotBias) return;
      p.values.set(e.weights);
      p.markChanged();
      state[p.name] = [e.m, e.v];
    });
    if (this.#dotBias)
      this.#dotBias.copyOut(
        optimizer,
        DOT_BIAS_PARAMETERS.map((name) => catchUps.get(name)),
        stepBase + taken,
      );
    else optimizer.loadStateDict(state, stepBase + taken);
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
