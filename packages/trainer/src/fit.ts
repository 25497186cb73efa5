import type { RatingModel } from '@cf/model';
import { InvalidArgumentError } from '@cf/data';
import type { EpochResult, FitCallback, FitContext } from './callback.js';
import { TrainingDivergedError } from './errors.js';
import type { Metric } from './metrics.js';
import type { ModelData } from './model-data.js';
import type { Optimizer } from './optimizer.js';
import { HogwildEngine, hogwildUnsupportedReason } from './hogwild-engine.js';
import { resolveThreads, type ThreadEnvironment } from '@cf/data';
import type { Adam } from './adam.js';
import { DotBiasOneThread, hostEngineChosen } from './dot-bias-engine.js';
import { EventLoopYielder } from './event-loop-yielder.js';

/** The loss `fit` minimises. Only mean squared error (`F.mse_loss`) is implemented. */
export type LossName = 'mse';

/** Options of {@link fit}. */
export interface FitOptions {
  /** Metrics computed on the validation set after each epoch. */
  metrics?: readonly Metric[];
  callbacks?: readonly FitCallback[];
  /** Stops training cleanly after the current batch when aborted. */
  signal?: AbortSignal;
  /**
   * Engine for the training steps (see `LossAndGradientsOptions.engine`). Default `auto`.
   *
   * An EmbeddingDotBias trained with lazy Adam/AdamW on a host backend (cpu, wasm) goes through the
   * fused dot-bias engine (see `setDotBiasEngineEnabled`), which keeps the weights and Adam moments
   * in its own interleaved rows during an epoch and writes them back at the epoch's end: callbacks
   * that read `context.model`'s values or `context.optimizer.stepCount` between batches see the
   * start-of-epoch values (losses, batch counters and learning-rate schedules are live). Switch the
   * engine off for callbacks that must see every step's weights.
   */
  engine?: 'auto' | 'tfjs' | 'fused';
  /** Number of the first epoch in the reported rows (a resumed run continues its numbering). Default 0. */
  startEpoch?: number;
  /**
   * Continues the smoothed training loss of an interrupted `fit` call (resuming from a
   * checkpoint): its last reported `trainLoss` and the batches it had run. Default: a fresh
   * average, as every `fit` call starts.
   */
  lossSmoothing?: { smoothedLoss: number; batches: number };
  /**
   * Threads to train on: a whole number ≥ 1, or `'auto'` for every core of the environment.
   * Default 1: the one-thread loop, bit-identical run to run for a seed. With more, that many
   * workers (Node `worker_threads`, browser Web Workers) take the epoch's batches from a shared
   * counter and update the shared weights and Adam moments without locks (Hogwild), so results
   * vary slightly run to run. Needs Adam/AdamW with lazy embedding updates, every parameter
   * trained, a host (`fused`) engine, and `SharedArrayBuffer` (in a browser: a cross-origin
   * isolated page); otherwise training runs on one thread and {@link FitContext.threadsNote} says
   * why. With threads, `onBatchBegin` hooks run for all of an epoch's batches before the workers
   * start (a schedule is recorded per batch), and `onBatchEnd` hooks run in batch order as the
   * workers finish batches.
   */
  threads?: number | 'auto';
  /** Where {@link FitOptions.threads} `'auto'` counts cores (the CLI passes Node's). Default: detected. */
  threadEnvironment?: ThreadEnvironment;
}

/** EWMA factor of fastai 0.7's smoothed training loss. */
const AVG_MOM = 0.98;

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Validation rows that {@link evaluate} gathers and predicts at a time: a multiple of the models'
 * own prediction chunk (8,192), so a chunk boundary falls where `predict` would put one anyway.
 */
export const EVALUATE_CHUNK_ROWS = 65_536;

/** Each data's validation predictions, reused by every evaluation (one array, not one per epoch). */
const validPredictions = new WeakMap<ModelData, Float32Array>();

/**
 * Eval-mode predictions of the validation rows into the data's reused array: the rows' indices
 * gathered from the table `chunkRows` at a time (no copy of the validation columns is held).
 */
function predictValidation(model: RatingModel, data: ModelData, chunkRows: number): Float32Array {
  const valid = data.split.valid;
  const n = valid.length;
  let out = validPredictions.get(data);
  if (out?.length !== n) {
    out = new Float32Array(n);
    validPredictions.set(data, out);
  }
  const chunk = Math.min(n, chunkRows);
  const users = new Int32Array(chunk);
  const items = new Int32Array(chunk);
  const { userIndex, itemIndex } = data.table;
  for (let start = 0; start < n; start += chunk) {
    const size = Math.min(chunk, n - start);
    for (let k = 0; k < size; k++) {
      const row = valid[start + k]!;
      users[k] = userIndex[row]!;
      items[k] = itemIndex[row]!;
    }
    const into = out.subarray(start, start + size);
    const predicted = model.predict(users.subarray(0, size), items.subarray(0, size), into);
    // a model may return its own array instead of filling `into`
    if (predicted.buffer !== into.buffer || predicted.byteOffset !== into.byteOffset)
      into.set(predicted);
  }
  return out;
}

/**
 * Eval-mode loss and metrics over all validation rows. The rows are predicted `chunkRows` at a
 * time (default {@link EVALUATE_CHUNK_ROWS}) into one array kept with `data` and reused by the
 * next call: the metrics are the same as predicting every row at once (a test checks them bit for
 * bit), without holding copies of the validation columns or a new prediction array per epoch (60
 * MB at 5M validation rows). The `prediction` a metric receives is that array: read it, do not
 * keep it.
 */
export function evaluate(
  model: RatingModel,
  data: ModelData,
  metrics: readonly Metric[] = [],
  options: { chunkRows?: number } = {},
): { valLoss: number; metrics: Record<string, number> } {
  const chunkRows = options.chunkRows ?? EVALUATE_CHUNK_ROWS;
  if (!Number.isInteger(chunkRows) || chunkRows < 1)
    throw new InvalidArgumentError('chunkRows', `expected a whole number ≥ 1, got ${chunkRows}`);
  const n = data.validTargets.length;
  if (n === 0)
    return { valLoss: NaN, metrics: Object.fromEntries(metrics.map((m) => [m.name, NaN])) };
  const prediction = predictValidation(model, data, chunkRows);
  let sum = 0;
  for (let k = 0; k < n; k++) {
    const e = prediction[k]! - data.validTargets[k]!;
    sum += e * e;
  }
  return {
    valLoss: sum / n,
    metrics: Object.fromEntries(
      metrics.map((m) => [m.name, m.compute(prediction, data.validTargets)]),
    ),
  };
}

/**
 * Trains `model` for `epochs` passes over the shuffled training batches of `data`, as fastai 0.7's
 * `fit(model, data, epochs, opt, crit, metrics)`: after each epoch one {@link EpochResult} (smoothed
 * training loss, exact validation loss, metrics, seconds) goes to the callbacks. Returns the last
 * epoch's `[valLoss, ...metrics]` (the current ones when `epochs` is 0). A NaN or infinite batch
 * loss throws {@link TrainingDivergedError}; a stop request or an aborted `signal` ends training
 * after the current batch and is not an error.
 */
export async function fit(
  model: RatingModel,
  data: ModelData,
  epochs: number,
  optimizer: Optimizer,
  loss: LossName = 'mse',
  options: FitOptions = {},
): Promise<number[]> {
  if (!Number.isInteger(epochs) || epochs < 0)
    throw new InvalidArgumentError('epochs', `expected a whole number ≥ 0, got ${epochs}`);
  if (loss !== 'mse')
    throw new InvalidArgumentError('loss', `only 'mse' is implemented, got ${String(loss)}`);
  if (data.split.train.length === 0 && epochs > 0) {
    throw new InvalidArgumentError('data', 'the split has no training rows: nothing to train on');
  }
  const metrics = options.metrics ?? [];
  const callbacks = options.callbacks ?? [];
  const history: EpochResult[] = [];
  let stopReason: string | undefined;
  const context: FitContext = {
    model,
    optimizer,
    data,
    epochs,
    batchesPerEpoch: data.trainBatches.batchCount,
    epoch: 0,
    batch: 0,
    iteration: 0,
    batchLoss: NaN,
    smoothedLoss: NaN,
    threads: 1,
    history,
    stop(reason = 'stopped') {
      stopReason ??= reason;
    },
    get stopReason() {
      return stopReason;
    },
  };
  const signal = options.signal;
  const onAbort = (): void => context.stop('aborted');
  signal?.addEventListener('abort', onAbort);
  if (signal?.aborted) onAbort();
  const engine = options.engine ?? 'auto';
  const choice = resolveThreads(options.threads, options.threadEnvironment);
  let threadsNote = choice.reason;
  if (choice.threads > 1 && epochs > 0)
    threadsNote = hogwildUnsupportedReason(model, optimizer, engine);
  if (threadsNote !== undefined) context.threadsNote = threadsNote;
  let pool: HogwildEngine | undefined;
  const run = async (hook: keyof FitCallback, result?: EpochResult): Promise<void> => {
    for (const cb of callbacks) {
      // Callbacks are plain objects: call each hook as a method of its object.
      const pending = (
        cb as Record<
          string,
          ((this: FitCallback, c: FitContext, r?: EpochResult) => void | Promise<void>) | undefined
        >
      )[hook]?.call(cb, context, result);
      if (pending) await pending;
    }
  };
  // lets timers, signals and UI events run without slowing the loop: at most every 50 ms
  const yielder = new EventLoopYielder(undefined);
  // the EWMA of batch losses and its batch count, for the debiasing; continued when resuming
  const smoothing = options.lossSmoothing;
  let smoothedBatches = smoothing && smoothing.batches > 0 ? smoothing.batches : 0;
  let avg =
    smoothedBatches > 0 ? smoothing!.smoothedLoss * (1 - Math.pow(AVG_MOM, smoothedBatches)) : 0;
  try {
    if (choice.threads > 1 && epochs > 0 && threadsNote === undefined) {
      try {
        pool = await HogwildEngine.start(model, optimizer as Adam, data, choice.threads);
        context.threads = pool.threads;
      } catch (error) {
        // e.g. a bundler that did not ship the worker module: train, on one thread, and say why
        context.threadsNote = `the training workers did not start (${error instanceof Error ? error.message : String(error)}): training on one thread`;
      }
    }
    // EmbeddingDotBias with lazy Adam(W) on one thread: the fused, interleaved-row engine
    const fused =
      pool || epochs === 0 || !hostEngineChosen(engine)
        ? undefined
        : DotBiasOneThread.create(model, optimizer, data.batchSize);
    await run('onTrainBegin');
    for (let epoch = 0; epoch < epochs && stopReason === undefined; epoch++) {
      context.epoch = epoch;
      await run('onEpochBegin');
      const start = now();
      let batchIndex = 0;
      if (pool) {
        const first = context.iteration;
        batchIndex = await pool.runEpoch({
          beforeBatch: async (b) => {
            context.batch = b;
            context.iteration = first + b;
            if (callbacks.length) await run('onBatchBegin');
          },
          afterBatch: async (b, batchLoss) => {
            if (!Number.isFinite(batchLoss)) throw new TrainingDivergedError(epoch, b, batchLoss);
            context.batch = b;
            context.iteration = first + b + 1;
            avg = avg * AVG_MOM + batchLoss * (1 - AVG_MOM);
            smoothedBatches++;
            context.batchLoss = batchLoss;
            context.smoothedLoss = avg / (1 - Math.pow(AVG_MOM, smoothedBatches));
            if (callbacks.length) await run('onBatchEnd');
          },
          shouldStop: () => stopReason !== undefined,
        });
        context.iteration = first + batchIndex;
      }
      fused?.begin();
      try {
        const batches = pool
          ? []
          : fused
            ? fused.epoch(data)
            : data.trainBatches.epoch(data.epochsSeen);
        for (const batch of batches) {
          context.batch = batchIndex;
          if (callbacks.length) await run('onBatchBegin');
          let batchLoss: number;
          if (fused) batchLoss = fused.step(batch);
          else {
            const pass = model.lossAndGradients(batch, { random: data.random, engine });
            batchLoss = pass.loss;
            if (Number.isFinite(batchLoss)) optimizer.step(pass.gradients);
          }
          if (!Number.isFinite(batchLoss))
            throw new TrainingDivergedError(epoch, batchIndex, batchLoss);
          context.iteration++;
          avg = avg * AVG_MOM + batchLoss * (1 - AVG_MOM);
          smoothedBatches++;
          context.batchLoss = batchLoss;
          context.smoothedLoss = avg / (1 - Math.pow(AVG_MOM, smoothedBatches));
          if (callbacks.length) await run('onBatchEnd');
          batchIndex++;
          const pause = yielder.pause();
          if (pause) await pause;
          if (stopReason !== undefined) break;
        }
      } finally {
        fused?.end();
      }
      data.epochsSeen++;
      optimizer.flush();
      const seconds = (now() - start) / 1000;
      const validStart = now();
      const evaluation = evaluate(model, data, metrics);
      const result: EpochResult = {
        epoch: (options.startEpoch ?? 0) + epoch,
        trainLoss: context.smoothedLoss,
        valLoss: evaluation.valLoss,
        metrics: evaluation.metrics,
        seconds,
        validSeconds: (now() - validStart) / 1000,
        complete: batchIndex === data.trainBatches.batchCount,
      };
      history.push(result);
      await run('onEpochEnd', result);
    }
    await run('onTrainEnd');
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await pool?.close();
  }
  const last = history[history.length - 1];
  if (last) return [last.valLoss, ...metrics.map((m) => last.metrics[m.name]!)];
  const current = evaluate(model, data, metrics);
  return [current.valLoss, ...metrics.map((m) => current.metrics[m.name]!)];
}
