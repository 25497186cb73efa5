/**
 * The worker side of the threaded (Hogwild) training engine: a separate bundle
 * (`dist/hogwild-worker.js`) that Node's `worker_threads` and browsers' `Worker` both run. Each
 * worker builds its own model over the shared weights, takes batches from a shared counter, and
 * applies Adam to the rows of its batch in shared memory without locks.
 */
import { createModelFromConfig, SeededRandom, type Parameter, type RatingModel } from '@cf/model';
import { KernelInstance } from '@cf/kernels';
import { LazyCatchUp } from './lazy-catch-up.js';
import { DOT_BIAS_PARAMETERS, DotBiasStepper, sharedCatchUps } from './dot-bias-engine.js';
import {
  CONTROL,
  emptyStepScalars,
  stepScalars,
  type HogwildEpoch,
  type HogwildInit,
  type HogwildReply,
  type SharedParameter,
  type StepScalars,
} from './hogwild-protocol.js';

interface Port {
  post(message: HogwildReply): void;
  listen(handler: (message: HogwildInit | HogwildEpoch) => void): void;
}

interface WorkerParameter {
  shared: SharedParameter;
  /** The model's parameter over the shared weights (none with the dot-bias engine). */
  parameter: Parameter | undefined;
  catchUp: LazyCatchUp | undefined;
  rowStep: Int32Array | undefined;
}

class HogwildWorker {
  readonly #init: HogwildInit;
  readonly #kernel: KernelInstance;
  readonly #model: RatingModel | undefined;
  /** EmbeddingDotBias: the fused engine's step on this worker's scratch. */
  readonly #dotBias: DotBiasStepper | undefined;
  readonly #packed: Int32Array;
  readonly #packedRatings: Float32Array;
  readonly #parameters: Map<string, WorkerParameter>;
  readonly #control: Int32Array;
  readonly #batchDone: Int32Array;
  readonly #losses: Float64Array;
  readonly #schedule: Float64Array;
  readonly #order: Int32Array;
  readonly #batchUser: Int32Array;
  readonly #batchItem: Int32Array;
  readonly #batchRating: Float32Array;
  readonly #gradient: Float32Array;
  readonly #list: Int32Array;
  readonly #factors: Float32Array;
  readonly #scalars = emptyStepScalars();
  readonly #dotBiasOut = DOT_BIAS_PARAMETERS.map(() => emptyStepScalars());

  constructor(init: HogwildInit) {
    this.#init = init;
    const kernel = KernelInstance.attach(init.memory);
    if (!kernel) throw new Error('the shared WebAssembly kernels are unavailable in this worker');
    this.#kernel = kernel;
    const buffer = init.memory.buffer;
    const values: Record<string, Float32Array> = {};
    if (!init.dotBias)
      for (const p of init.parameters)
        values[p.name] = new Float32Array(buffer, p.weights, p.rows * p.dim);
    this.#model = init.dotBias ? undefined : createModelFromConfig(init.config, values);
    this.#dotBias = init.dotBias
      ? new DotBiasStepper(kernel, init.dotBias.layout, init.dotBias.scratch, init.beta2, init.eps)
      : undefined;
    this.#packed = new Int32Array(init.packed);
    this.#packedRatings = new Float32Array(init.packed);
    const byName = new Map((this.#model?.parameters ?? []).map((p) => [p.name, p]));
    this.#parameters = new Map(
      init.parameters.map((p) => [
        p.name,
        {
          shared: p,
          parameter: byName.get(p.name),
          catchUp: undefined,
          rowStep: p.rowStep === undefined ? undefined : new Int32Array(buffer, p.rowStep, p.rows),
        },
      ]),
    );
    const scratch = init.scratch;
    this.#gradient = new Float32Array(buffer, scratch.gradient, scratch.gradientFloats);
    this.#list = new Int32Array(buffer, scratch.list, scratch.rows);
    this.#factors = new Float32Array(buffer, scratch.factors, 4 * scratch.rows);
    this.#control = new Int32Array(init.control);
    this.#batchDone = new Int32Array(init.batchDone);
    this.#losses = new Float64Array(init.losses);
    this.#schedule = new Float64Array(init.schedule);
    this.#order = new Int32Array(init.order);
    this.#batchUser = new Int32Array(init.batchSize);
    this.#batchItem = new Int32Array(init.batchSize);
    this.#batchRating = new Float32Array(init.batchSize);
  }

  /** Takes batches until the epoch's are all taken or a stop is requested. */
  runEpoch(epoch: HogwildEpoch): void {
    const init = this.#init;
    const control = this.#control;
    const random = new SeededRandom(epoch.seed);
    // every worker records every step's scalars: a row's catch-up spans other workers' steps
    const catchUps: WorkerParameter[] = [];
    for (const p of this.#parameters.values()) {
      if (p.rowStep) {
        p.catchUp = new LazyCatchUp(p.shared.rows, init.beta2, p.rowStep);
        catchUps.push(p);
      }
    }
    // the dot-bias engine: a bias whose group and decay are its weights' shares their catch-up
    // (the same factors, computed once); the rows' steps live in the tables
    const dotBiasCatchUps = this.#dotBias
      ? sharedCatchUps(
          DOT_BIAS_PARAMETERS.map((name) => this.#parameters.get(name)!),
          (p) => p.catchUp,
          (w, b) =>
            w.shared.group === b.shared.group && w.shared.weightDecay === b.shared.weightDecay,
        )
      : [];
    if (this.#dotBias)
      for (let k = catchUps.length - 1; k >= 0; k--) {
        const p = catchUps[k]!;
        if (p.catchUp && !dotBiasCatchUps.includes(p.catchUp)) catchUps.splice(k, 1);
      }
    const bs = init.batchSize;
    for (;;) {
      if (Atomics.load(control, CONTROL.stop) !== 0) break;
      const b = Atomics.add(control, CONTROL.next, 1);
      if (b >= epoch.batchCount) break;
      const k = b + 1;
      const start = b * bs;
      const size = Math.min(bs, epoch.rowsPerEpoch - start);
      const dotBias = this.#dotBias;
      if (dotBias) dotBias.gather(this.#packed, this.#packedRatings, this.#order, start, size);
      else
        for (let r = 0; r < size; r++) {
          const at = 3 * this.#order[start + r]!;
          this.#batchUser[r] = this.#packed[at]!;
          this.#batchItem[r] = this.#packed[at + 1]!;
          this.#batchRating[r] = this.#packedRatings[at + 2]!;
        }
      for (const p of catchUps) this.#advance(p, k, epoch.stepBase);
      if (dotBias) {
        this.#losses[b] = dotBias.step(
          size,
          this.#dotBiasScalars(k, epoch.stepBase),
          dotBiasCatchUps,
        );
        Atomics.store(this.#batchDone, b, 1);
        Atomics.add(control, CONTROL.done, 1);
        continue;
      }
      const model = this.#model!;
      // other workers changed the shared weights: the model must not reuse anything cached from them
      for (const p of model.parameters) p.markChanged();
      const { loss, gradients } = model.lossAndGradients(
        { userIndex: this.#batchUser, itemIndex: this.#batchItem, rating: this.#batchRating, size },
        { random, engine: 'fused' },
      );
      this.#losses[b] = loss;
      for (const gradient of gradients) {
        const p = this.#parameters.get(gradient.parameter.name);
        if (p) this.#step(p, gradient.rows, gradient.values, k, epoch.stepBase);
      }
      Atomics.store(this.#batchDone, b, 1);
      Atomics.add(control, CONTROL.done, 1);
    }
  }

  /** Lazy Adam(W) on the gradient's rows (all of a dense parameter as one row), in the kernel. */
  #step(
    p: WorkerParameter,
    rows: Int32Array | undefined,
    values: Float32Array,
    k: number,
    stepBase: number,
  ): void {
    const init = this.#init;
    const shared = p.shared;
    const s = stepScalars(
      this.#schedule,
      init.groups,
      shared.group,
      k,
      stepBase,
      init.beta2,
      shared.weightDecay,
      init.decoupled,
      this.#scalars,
    );
    const count = rows ? rows.length : 1;
    const dim = rows ? shared.dim : shared.rows * shared.dim;
    this.#gradient.set(values.subarray(0, count * dim));
    if (rows) this.#list.set(rows);
    else this.#list[0] = 0;
    const catchUp = p.catchUp;
    if (catchUp && rows)
      for (let q = 0; q < count; q++) catchUp.catchUpFactors(rows[q]!, this.#factors, 4 * q);
    const scratch = init.scratch;
    this.#kernel.exports.adamRows(
      shared.weights,
      shared.m,
      shared.v,
      scratch.gradient,
      scratch.list,
      catchUp && rows ? scratch.factors : 0,
      count,
      dim,
      s.beta1,
      init.beta2,
      1 - s.beta1,
      1 - init.beta2,
      s.stepSize,
      Math.sqrt(s.bc2),
      init.eps,
      s.decay,
      s.l2,
    );
    p.parameter?.markChanged();
  }

  /** Adam's scalars of step `k` for each of the dot-bias engine's parameters. */
  #dotBiasScalars(k: number, stepBase: number): StepScalars[] {
    const init = this.#init;
    return DOT_BIAS_PARAMETERS.map((name, q) => {
      const shared = this.#parameters.get(name)!.shared;
      return stepScalars(
        this.#schedule,
        init.groups,
        shared.group,
        k,
        stepBase,
        init.beta2,
        shared.weightDecay,
        init.decoupled,
        this.#dotBiasOut[q]!,
      );
    });
  }

  /** Records the scalars of every step up to `k` in `p`'s catch-up history (its current step). */
  #advance(p: WorkerParameter, k: number, stepBase: number): void {
    const init = this.#init;
    const catchUp = p.catchUp!;
    const shared = p.shared;
    while (catchUp.step < k) {
      const s = stepScalars(
        this.#schedule,
        init.groups,
        shared.group,
        catchUp.step + 1,
        stepBase,
        init.beta2,
        shared.weightDecay,
        init.decoupled,
        this.#scalars,
      );
      catchUp.beginStep(s.lr, shared.weightDecay, s.beta1, s.bc1, s.bc2);
    }
  }
}

/** Connects to the parent: Node's `parentPort`, or the browser worker's global scope. */
async function connect(): Promise<Port> {
  const scope = globalThis as {
    postMessage?: (message: unknown) => void;
    addEventListener?: (type: 'message', listener: (event: { data: unknown }) => void) => void;
    process?: { versions?: { node?: string } };
  };
  if (typeof scope.process?.versions?.node !== 'string' && scope.addEventListener) {
    const post = scope.postMessage!.bind(scope);
    const add = scope.addEventListener.bind(scope);
    return {
      post: (message) => post(message),
      listen: (handler) =>
        add('message', (event) => handler(event.data as HogwildInit | HogwildEpoch)),
    };
  }
  const specifier = 'node:worker_threads';
  const { parentPort } = (await import(/* @vite-ignore */ specifier)) as {
    parentPort: {
      postMessage(message: unknown): void;
      on(type: 'message', listener: (message: unknown) => void): void;
    } | null;
  };
  if (!parentPort) throw new Error('hogwild-worker.js must run in a worker');
  return {
    post: (message) => parentPort.postMessage(message),
    listen: (handler) =>
      parentPort.on('message', (message) => handler(message as HogwildInit | HogwildEpoch)),
  };
}

// no top-level await: the bundle is also built as CommonJS (unused there, but it must compile)
void connect().then((port) => {
  let worker: HogwildWorker | undefined;
  port.listen((message) => {
    try {
      if (message.type === 'init') {
        worker = new HogwildWorker(message);
        port.post({ type: 'ready' });
      } else {
        worker!.runEpoch(message);
        port.post({ type: 'epochDone' });
      }
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      port.post({ type: 'error', message: e.message, ...(e.stack ? { stack: e.stack } : {}) });
    }
  });
});
