/**
 * The fused training step of EmbeddingDotBias with lazy Adam(W) at scale (issue #16): both tables
 * (users, items) live in one WebAssembly memory with each row's weights, bias and both Adam moments
 * interleaved in one contiguous span, so an example's forward pass and its row's update each touch
 * one span instead of six scattered arrays; the `dotBiasPass` and `dotBiasAdam` kernels of
 * `@cf/kernels` run a batch, touching the next examples' rows ahead so their cache misses overlap.
 *
 * The layout lives for an epoch: {@link DotBiasTables.copyIn} interleaves the model's parameters
 * and the optimizer's moments, {@link DotBiasTables.copyOut} brings every row up to date (lazy
 * AdamW's catch-up) and writes them back, so between epochs model and optimizer are exactly as the
 * one-step-at-a-time loop would leave them. `fit` uses it on one thread and the Hogwild workers use
 * it on shared memory. The maths is that of `EmbeddingDotBias.lossAndGradients` (fused engine) and
 * `Adam.step` in lazy mode; the dot product is summed in float32 here (float64 in JavaScript).
 */
import * as tf from '@tensorflow/tfjs-core';
import { KernelInstance, wasmKernelModule } from '@cf/kernels';
import { NumpyRandomState, type RatingsTable } from '@cf/data';
import type { Parameter, RatingModel } from '@cf/model';
import { Adam } from './adam.js';
import { LazyCatchUp } from './lazy-catch-up.js';
import type { StepScalars } from './hogwild-protocol.js';
import type { ModelData } from './model-data.js';

/** The four parameters in the engine's order: user weights, user bias, item weights, item bias. */
export const DOT_BIAS_PARAMETERS = [
  'userEmbedding',
  'userBias',
  'itemEmbedding',
  'itemBias',
] as const;

/** Where the interleaved tables are in a kernel memory (byte offsets; plain data, postable). */
export interface DotBiasLayout {
  nUsers: number;
  nItems: number;
  /** Factors per row. */
  f: number;
  /**
   * Floats per section (weights and bias, m, v): `f + 2` rounded up to 4. Float `f + 1` of the
   * weights section holds, as an int32, the step the row is current at (lazy AdamW's catch-up),
   * so that reading it touches a line the forward pass has just loaded.
   */
  sectionFloats: number;
  /** Bytes per row: three sections. */
  rowBytes: number;
  users: number;
  items: number;
  /** `yRange` as `[low, span]`, or null. */
  squash: [number, number] | null;
}

/** One thread's buffers for {@link DotBiasStepper} (byte offsets). */
export interface DotBiasScratch {
  batchSize: number;
  userIndex: number;
  itemIndex: number;
  rating: number;
  gradU: number;
  gradI: number;
  slotU: number;
  slotI: number;
  listU: number;
  listI: number;
  counts: number;
  /** Four catch-up factors per row, for each of {@link DOT_BIAS_PARAMETERS}. */
  factors: [number, number, number, number];
}

let enabled = true;

/**
 * Whether `engine` means the host engine here, as the models decide it: `'fused'`, or `'auto'` on
 * the `cpu` and `wasm` backends (or with no backend at all). Elsewhere (WebGL, WebGPU) `'auto'`
 * keeps the tfjs engine, so the one-thread loop stays the model's own tfjs pass there.
 */
export function hostEngineChosen(engine: 'auto' | 'tfjs' | 'fused'): boolean {
  if (engine !== 'auto') return engine === 'fused';
  const tfjs = tf.engine();
  if (!tfjs.backendName && tfjs.backendNames().length === 0) return true;
  const backend = tf.getBackend();
  return backend === 'cpu' || backend === 'wasm';
}

/**
 * Switches the engine off (`fit` and the workers then run the model's own fused pass and
 * `Adam.step`, one parameter at a time) or back on. For tests that compare the two, and for
 * benchmarks that measure what it gains.
 */
export function setDotBiasEngineEnabled(on: boolean): void {
  enabled = on;
}

/** Why the fused dot-bias step cannot train this pair (undefined when it can). */
export function dotBiasUnsupportedReason(
  model: RatingModel,
  optimizer: unknown,
): string | undefined {
  if (!enabled) return 'switched off';
  if (model.config.type !== 'embedding-dot-bias') return 'not an EmbeddingDotBias';
  if (!(optimizer instanceof Adam)) return 'not Adam';
  if (optimizer.embeddingUpdate !== 'lazy') return 'dense embedding updates';
  const owned = new Set(optimizer.groups.flatMap((g) => g.parameters));
  if (model.parameters.some((p) => !owned.has(p))) return 'frozen parameters';
  if (!wasmKernelModule()) return 'no WebAssembly kernels';
  return undefined;
}

/** Floats per section: the weights, the bias and (weights section) the row's step, rounded up to 4. */
function sectionOf(f: number): number {
  return Math.ceil((f + 2) / 4) * 4;
}

/** Bytes {@link DotBiasTables.layOut} takes for `model`. */
export function dotBiasTableBytes(model: RatingModel): number {
  const c = model.config as { nUsers: number; nItems: number; nFactors: number };
  return KernelInstance.bytesFor(3 * sectionOf(c.nFactors) * (c.nUsers + c.nItems));
}

/** Bytes {@link DotBiasTables.scratch} takes for one thread. */
export function dotBiasScratchBytes(model: RatingModel, batchSize: number): number {
  const c = model.config as { nUsers: number; nItems: number; nFactors: number };
  const f = (count: number): number => KernelInstance.bytesFor(count);
  const s = sectionOf(c.nFactors);
  return (
    3 * f(batchSize) +
    2 * f(batchSize * s) +
    f(c.nUsers) +
    f(c.nItems) +
    2 * f(batchSize) +
    f(4) +
    4 * f(4 * batchSize)
  );
}

/**
 * The training rows `rows` of `table` as one record each (user index, item index, rating bits):
 * three int32s at `3k`, so that reading a shuffled row costs one cache miss, not one per column.
 * `buffer` makes the memory (a `SharedArrayBuffer` for workers).
 */
export function packTrainingRows(
  table: RatingsTable,
  rows: Int32Array,
  buffer: (bytes: number) => ArrayBufferLike = (bytes) => new ArrayBuffer(bytes),
): Int32Array {
  const packed = new Int32Array(buffer(12 * rows.length));
  const ratings = new Float32Array(packed.buffer, packed.byteOffset, packed.length);
  const { userIndex, itemIndex, rating } = table;
  for (let k = 0; k < rows.length; k++) {
    const row = rows[k]!;
    packed[3 * k] = userIndex[row]!;
    packed[3 * k + 1] = itemIndex[row]!;
    ratings[3 * k + 2] = rating[row]!;
  }
  return packed;
}

/** The host side: lays the tables out, copies model and optimizer state in and out. */
export class DotBiasTables {
  readonly layout: DotBiasLayout;
  readonly #kernel: KernelInstance;
  readonly #parameters: Parameter[];

  constructor(kernel: KernelInstance, model: RatingModel) {
    const c = model.config as {
      nUsers: number;
      nItems: number;
      nFactors: number;
      yRange: [number, number] | null;
    };
    const s = sectionOf(c.nFactors);
    const users = kernel.floats(3 * s * c.nUsers);
    const items = kernel.floats(3 * s * c.nItems);
    this.#kernel = kernel;
    this.#parameters = DOT_BIAS_PARAMETERS.map((name) => {
      const p = model.parameters.find((q) => q.name === name);
      if (!p) throw new Error(`EmbeddingDotBias has no parameter ${name}`);
      return p;
    });
    this.layout = {
      nUsers: c.nUsers,
      nItems: c.nItems,
      f: c.nFactors,
      sectionFloats: s,
      rowBytes: 12 * s,
      users: users.byteOffset,
      items: items.byteOffset,
      squash: c.yRange ? [c.yRange[0], c.yRange[1] - c.yRange[0]] : null,
    };
  }

  /** One thread's scratch buffers in the kernel memory (slots set to -1). */
  scratch(batchSize: number): DotBiasScratch {
    const k = this.#kernel;
    const { nUsers, nItems, sectionFloats: s } = this.layout;
    const slotU = k.ints(nUsers);
    const slotI = k.ints(nItems);
    slotU.view.fill(-1);
    slotI.view.fill(-1);
    const factors = (): number => k.floats(4 * batchSize).byteOffset;
    return {
      batchSize,
      userIndex: k.ints(batchSize).byteOffset,
      itemIndex: k.ints(batchSize).byteOffset,
      rating: k.floats(batchSize).byteOffset,
      gradU: k.floats(batchSize * s).byteOffset,
      gradI: k.floats(batchSize * s).byteOffset,
      slotU: slotU.byteOffset,
      slotI: slotI.byteOffset,
      listU: k.ints(batchSize).byteOffset,
      listI: k.ints(batchSize).byteOffset,
      counts: k.ints(4).byteOffset,
      factors: [factors(), factors(), factors(), factors()],
    };
  }

  #table(user: boolean): Float32Array {
    const l = this.layout;
    const rows = user ? l.nUsers : l.nItems;
    return new Float32Array(
      this.#kernel.memory.buffer,
      user ? l.users : l.items,
      3 * l.sectionFloats * rows,
    );
  }

  /** Interleaves the model's weights and the optimizer's moments (flushed: every row current). */
  copyIn(optimizer: Adam): void {
    const state = optimizer.stateDict();
    const [uw, ub, iw, ib] = this.#parameters as [Parameter, Parameter, Parameter, Parameter];
    this.#interleave(true, uw, ub, state);
    this.#interleave(false, iw, ib, state);
    // every row current: step 0
    this.#fillSteps(true, 0);
    this.#fillSteps(false, 0);
  }

  /** Each row's step slot, strided: entry `r·rowFloats` is row `r`'s (a view from the slot of row 0). */
  #stepView(user: boolean): Int32Array {
    const l = this.layout;
    const rows = user ? l.nUsers : l.nItems;
    const at = (user ? l.users : l.items) + 4 * (l.f + 1);
    return new Int32Array(
      this.#kernel.memory.buffer,
      at,
      rows > 0 ? (rows - 1) * 3 * l.sectionFloats + 1 : 0,
    );
  }

  /** Sets every row's step to `value`. */
  #fillSteps(user: boolean, value: number): void {
    const view = this.#stepView(user);
    const stride = 3 * this.layout.sectionFloats;
    const rows = user ? this.layout.nUsers : this.layout.nItems;
    for (let r = 0; r < rows; r++) view[r * stride] = value;
  }

  /** Copies the rows' steps into `into` (one entry per row). */
  #readSteps(user: boolean, into: Int32Array): void {
    const view = this.#stepView(user);
    const stride = 3 * this.layout.sectionFloats;
    const rows = user ? this.layout.nUsers : this.layout.nItems;
    for (let r = 0; r < rows; r++) into[r] = view[r * stride]!;
  }

  #interleave(
    user: boolean,
    w: Parameter,
    b: Parameter,
    state: Record<string, Float32Array[]>,
  ): void {
    const { f, sectionFloats: s } = this.layout;
    const table = this.#table(user);
    const rows = user ? this.layout.nUsers : this.layout.nItems;
    const sources = [
      [w.values, b.values],
      [state[w.name]![0]!, state[b.name]![0]!],
      [state[w.name]![1]!, state[b.name]![1]!],
    ] as const;
    for (let r = 0; r < rows; r++) {
      const base = 3 * s * r;
      for (let q = 0; q < 3; q++) {
        const [weights, bias] = sources[q]!;
        const at = base + q * s;
        table.set(weights.subarray(r * f, (r + 1) * f), at);
        table[at + f] = bias[r]!;
      }
    }
  }

  /**
   * Writes the interleaved state back to the model's parameters and the optimizer's moments,
   * brings lazy AdamW's rows current with `catchUps` (one per {@link DOT_BIAS_PARAMETERS} entry,
   * already advanced to the last step taken), and sets the optimizer's step count.
   */
  copyOut(optimizer: Adam, catchUps: (LazyCatchUp | undefined)[], stepCount: number): void {
    const state = optimizer.stateDict();
    const [uw, ub, iw, ib] = this.#parameters as [Parameter, Parameter, Parameter, Parameter];
    this.#deinterleave(true, uw, ub, state);
    this.#deinterleave(false, iw, ib, state);
    this.#parameters.forEach((p, k) => {
      const [m, v] = state[p.name]!;
      const weights = k % 2 === 0;
      const catchUp = catchUps[k];
      if (catchUp) {
        // the rows' steps live in the table: the catch-up reads them from its own array
        if (weights || catchUp !== catchUps[k - 1]) this.#readSteps(k < 2, catchUp.sharedRowStep);
        // a bias sharing its weights' catch-up is flushed by the same clock: keep it for the bias
        const shared = weights && catchUps[k + 1] === catchUp;
        catchUp.flush(weights ? this.layout.f : 1, p.values, m!, v!, optimizer.eps, !shared);
      }
      p.markChanged();
    });
    optimizer.loadStateDict(state, stepCount);
  }

  #deinterleave(
    user: boolean,
    w: Parameter,
    b: Parameter,
    state: Record<string, Float32Array[]>,
  ): void {
    const { f, sectionFloats: s } = this.layout;
    const table = this.#table(user);
    const rows = user ? this.layout.nUsers : this.layout.nItems;
    const targets = [
      [w.values, b.values],
      [state[w.name]![0]!, state[b.name]![0]!],
      [state[w.name]![1]!, state[b.name]![1]!],
    ] as const;
    for (let r = 0; r < rows; r++) {
      const base = 3 * s * r;
      for (let q = 0; q < 3; q++) {
        const [weights, bias] = targets[q]!;
        const at = base + q * s;
        weights.set(table.subarray(at, at + f), r * f);
        bias[r] = table[at + f]!;
      }
    }
  }
}

function groupOf(optimizer: Adam, parameter: Parameter): unknown {
  return optimizer.groups.find((g) => g.parameters.includes(parameter));
}

/**
 * One catch-up per {@link DOT_BIAS_PARAMETERS} entry from `make`, except that a bias whose scalars
 * are always its weights' (`same`) shares the weights' catch-up: the same factors, computed once.
 */
export function sharedCatchUps<P>(
  parameters: P[],
  make: (p: P) => LazyCatchUp | undefined,
  same: (weights: P, bias: P) => boolean,
): (LazyCatchUp | undefined)[] {
  const out: (LazyCatchUp | undefined)[] = [];
  parameters.forEach((p, k) => {
    out.push(k % 2 === 1 && same(parameters[k - 1]!, p) ? out[k - 1] : make(p));
  });
  return out;
}

/** The weight decay Adam applies to `parameter`: its group's times its scale. */
export function weightDecayOf(optimizer: Adam, parameter: Parameter): number {
  const group = optimizer.groups.find((g) => g.parameters.includes(parameter))!;
  return group.weightDecay * parameter.weightDecayScale;
}

/** Adam's per-step scalars of one parameter, as `Adam.step` derives them. */
export function adamScalarsOf(
  optimizer: Adam,
  parameter: Parameter,
  step: number,
  out: StepScalars,
): StepScalars {
  const group = optimizer.groups.find((g) => g.parameters.includes(parameter))!;
  const lr = group.lr;
  const beta1 = group.momentum;
  const wd = group.weightDecay * parameter.weightDecayScale;
  out.lr = lr;
  out.beta1 = beta1;
  out.bc1 = 1 - Math.pow(beta1, step);
  out.bc2 = 1 - Math.pow(optimizer.beta2, step);
  out.stepSize = lr / out.bc1;
  out.invSqrtBc2 = 1 / Math.sqrt(out.bc2);
  out.decay = optimizer.decoupled ? 1 - lr * wd : 1;
  out.l2 = optimizer.decoupled ? 0 : wd;
  return out;
}

/** Runs batches on one thread's scratch: the kernels' pass, the catch-up factors, the update. */
export class DotBiasStepper {
  readonly #kernel: KernelInstance;
  readonly #layout: DotBiasLayout;
  readonly #scratch: DotBiasScratch;
  readonly #beta2: number;
  readonly #eps: number;
  readonly userIndex: Int32Array;
  readonly itemIndex: Int32Array;
  readonly rating: Float32Array;
  readonly #listU: Int32Array;
  readonly #listI: Int32Array;
  readonly #counts: Int32Array;
  /** The whole memory as int32s, for the rows' step slots. */
  readonly #ints: Int32Array;
  readonly #factors: Float32Array[];

  constructor(
    kernel: KernelInstance,
    layout: DotBiasLayout,
    scratch: DotBiasScratch,
    beta2: number,
    eps: number,
  ) {
    this.#kernel = kernel;
    this.#layout = layout;
    this.#scratch = scratch;
    this.#beta2 = beta2;
    this.#eps = eps;
    const buffer = kernel.memory.buffer;
    const bs = scratch.batchSize;
    this.userIndex = new Int32Array(buffer, scratch.userIndex, bs);
    this.itemIndex = new Int32Array(buffer, scratch.itemIndex, bs);
    this.rating = new Float32Array(buffer, scratch.rating, bs);
    this.#listU = new Int32Array(buffer, scratch.listU, bs);
    this.#listI = new Int32Array(buffer, scratch.listI, bs);
    this.#counts = new Int32Array(buffer, scratch.counts, 4);
    this.#ints = new Int32Array(buffer);
    this.#factors = scratch.factors.map((at) => new Float32Array(buffer, at, 4 * bs));
  }

  /**
   * Reads the batch of `n` records at `positions[start ..]` of `packed` ({@link packTrainingRows})
   * into {@link DotBiasStepper.userIndex}, `itemIndex` and `rating`.
   */
  gather(
    packed: Int32Array,
    ratings: Float32Array,
    positions: Int32Array,
    start: number,
    n: number,
  ): void {
    const users = this.userIndex;
    const items = this.itemIndex;
    const rating = this.rating;
    for (let k = 0; k < n; k++) {
      const at = 3 * positions[start + k]!;
      users[k] = packed[at]!;
      items[k] = packed[at + 1]!;
      rating[k] = ratings[at + 2]!;
    }
  }

  /**
   * One step on the first `n` examples of {@link DotBiasStepper.userIndex} / `itemIndex` /
   * `rating`: `scalars` per {@link DOT_BIAS_PARAMETERS} entry, `catchUps` likewise (each already
   * begun at this step), or undefined for plain lazy Adam. Returns the batch's mean squared error.
   */
  step(n: number, scalars: StepScalars[], catchUps: (LazyCatchUp | undefined)[]): number {
    const l = this.#layout;
    const s = this.#scratch;
    const x = this.#kernel.exports;
    const squash = l.squash;
    const sse = x.dotBiasPass(
      l.users,
      l.items,
      l.rowBytes,
      l.sectionFloats,
      l.f,
      n,
      s.userIndex,
      s.itemIndex,
      s.rating,
      squash ? squash[0] : 0,
      squash ? squash[1] : 0,
      squash ? 1 : 0,
      s.gradU,
      s.gradI,
      s.slotU,
      s.slotI,
      s.listU,
      s.listI,
      s.counts,
    );
    const counts = [this.#counts[0]!, this.#counts[1]!];
    const rowInts = l.rowBytes >> 2;
    const ints = this.#ints;
    for (let side = 0; side < 2; side++) {
      const list = side === 0 ? this.#listU : this.#listI;
      const count = counts[side]!;
      const w = 2 * side;
      const b = w + 1;
      const cw = catchUps[w];
      // the bias takes the weights' factors when they share a catch-up (same group and decay)
      const cb = catchUps[b] === cw ? undefined : catchUps[b];
      if (cw) {
        const slot = ((side === 0 ? l.users : l.items) >> 2) + l.f + 1;
        const step = cw.step;
        const fw = this.#factors[w]!;
        const fb = this.#factors[b]!;
        for (let k = 0; k < count; k++) {
          const at = slot + list[k]! * rowInts;
          const last = ints[at]!;
          // never move a row back: another worker may have updated it at a later step already
          if (last < step) ints[at] = step;
          cw.factorsSince(last, fw, 4 * k);
          cb?.factorsSince(last, fb, 4 * k);
        }
      }
      const sw = scalars[w]!;
      const sb = scalars[b]!;
      x.dotBiasAdam(
        side === 0 ? l.users : l.items,
        l.rowBytes,
        l.sectionFloats,
        l.f,
        side === 0 ? s.gradU : s.gradI,
        side === 0 ? s.listU : s.listI,
        side === 0 ? s.slotU : s.slotI,
        count,
        cw ? s.factors[w]! : 0,
        cb ? s.factors[b]! : cw && catchUps[b] ? s.factors[w]! : 0,
        this.#beta2,
        1 - this.#beta2,
        Math.sqrt(sw.bc2),
        this.#eps,
        sw.beta1,
        1 - sw.beta1,
        sw.stepSize,
        sw.decay,
        sw.l2,
        sb.beta1,
        1 - sb.beta1,
        sb.stepSize,
        sb.decay,
        sb.l2,
      );
    }
    return sse / n;
  }
}

/** A batch of {@link DotBiasOneThread}: the first `size` entries of each column. */
export interface DotBiasBatch {
  userIndex: Int32Array;
  itemIndex: Int32Array;
  rating: Float32Array;
  size: number;
}

/**
 * `fit`'s one-thread loop for EmbeddingDotBias with lazy Adam(W): {@link DotBiasOneThread.begin}
 * at the start of an epoch, {@link DotBiasOneThread.step} per batch (the optimizer's lr and β1 are
 * read then, so schedules work as usual), {@link DotBiasOneThread.end} after the last (also after
 * a throw). Between `begin` and `end` the model's parameters are stale.
 */
export class DotBiasOneThread {
  readonly #optimizer: Adam;
  readonly #parameters: Parameter[];
  readonly #tables: DotBiasTables;
  readonly #stepper: DotBiasStepper;
  readonly #scalars: StepScalars[];
  #catchUps: (LazyCatchUp | undefined)[] = [];
  #stepBase = 0;
  #taken = 0;
  /** The training rows packed ({@link packTrainingRows}) at the first epoch, and their order. */
  #packed: Int32Array | undefined;
  #positions = new Int32Array(0);

  private constructor(
    model: RatingModel,
    optimizer: Adam,
    batchSize: number,
    kernel: KernelInstance,
  ) {
    this.#optimizer = optimizer;
    this.#tables = new DotBiasTables(kernel, model);
    this.#parameters = DOT_BIAS_PARAMETERS.map((name) =>
      model.parameters.find((p) => p.name === name)!,
    );
    this.#stepper = new DotBiasStepper(
      kernel,
      this.#tables.layout,
      this.#tables.scratch(batchSize),
      optimizer.beta2,
      optimizer.eps,
    );
    this.#scalars = DOT_BIAS_PARAMETERS.map(() => ({
      lr: 0,
      beta1: 0,
      bc1: 1,
      bc2: 1,
      stepSize: 0,
      invSqrtBc2: 1,
      decay: 1,
      l2: 0,
    }));
  }

  /** The loop for this pair, or undefined when {@link dotBiasUnsupportedReason} says no or memory is short. */
  static create(
    model: RatingModel,
    optimizer: unknown,
    batchSize: number,
  ): DotBiasOneThread | undefined {
    if (dotBiasUnsupportedReason(model, optimizer) !== undefined) return undefined;
    const bytes = dotBiasTableBytes(model) + dotBiasScratchBytes(model, batchSize);
    if (bytes > 4 * 1024 ** 3 - 2 * 65536) return undefined;
    let kernel: KernelInstance | undefined;
    try {
      kernel = KernelInstance.create(bytes);
    } catch {
      return undefined;
    }
    return kernel ? new DotBiasOneThread(model, optimizer as Adam, batchSize, kernel) : undefined;
  }

  begin(): void {
    const optimizer = this.#optimizer;
    this.#tables.copyIn(optimizer);
    this.#stepBase = optimizer.stepCount;
    this.#taken = 0;
    this.#catchUps = sharedCatchUps(
      this.#parameters,
      (p) => (optimizer.decoupled ? new LazyCatchUp(p.shape[0] ?? 1, optimizer.beta2) : undefined),
      (a, b) =>
        groupOf(optimizer, a) === groupOf(optimizer, b) &&
        a.weightDecayScale === b.weightDecayScale,
    );
  }

  /**
   * The batches of `data`'s next epoch, the same as `data.trainBatches.epoch(data.epochsSeen)`
   * gives (numpy's shuffle of the same seed, applied to positions in the training rows), read from
   * packed records into the kernel's batch buffers: each is valid until the next.
   */
  *epoch(data: ModelData): Generator<DotBiasBatch, void, undefined> {
    const train = data.split.train;
    if (!this.#packed) {
      this.#packed = packTrainingRows(data.table, train);
      this.#positions = new Int32Array(train.length);
    }
    const packed = this.#packed;
    const ratings = new Float32Array(packed.buffer, packed.byteOffset, packed.length);
    const positions = this.#positions;
    for (let k = 0; k < positions.length; k++) positions[k] = k;
    new NumpyRandomState((data.seed + data.epochsSeen) % 4294967296).shuffle(positions);
    const stepper = this.#stepper;
    const { batchSize, rowsPerEpoch } = data.trainBatches;
    for (let start = 0; start < rowsPerEpoch; start += batchSize) {
      const size = Math.min(batchSize, rowsPerEpoch - start);
      stepper.gather(packed, ratings, positions, start, size);
      yield {
        userIndex: stepper.userIndex,
        itemIndex: stepper.itemIndex,
        rating: stepper.rating,
        size,
      };
    }
  }

  /** One step on `batch` (at most the batch size given at creation); returns its loss. */
  step(batch: DotBiasBatch): number {
    const n = batch.size;
    const stepper = this.#stepper;
    if (batch.userIndex !== stepper.userIndex) {
      stepper.userIndex.set(batch.userIndex.subarray(0, n));
      stepper.itemIndex.set(batch.itemIndex.subarray(0, n));
      stepper.rating.set(batch.rating.subarray(0, n));
    }
    const step = this.#stepBase + ++this.#taken;
    const optimizer = this.#optimizer;
    this.#parameters.forEach((p, k) => {
      const s = adamScalarsOf(optimizer, p, step, this.#scalars[k]!);
      const catchUp = this.#catchUps[k];
      // a bias sharing its weights' catch-up: one clock, begun once
      if (catchUp && (k % 2 === 0 || catchUp !== this.#catchUps[k - 1]))
        catchUp.beginStep(s.lr, weightDecayOf(optimizer, p), s.beta1, s.bc1, s.bc2);
    });
    return stepper.step(n, this.#scalars, this.#catchUps);
  }

  end(): void {
    this.#tables.copyOut(this.#optimizer, this.#catchUps, this.#stepBase + this.#taken);
  }
}
