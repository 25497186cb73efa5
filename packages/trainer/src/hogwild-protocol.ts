import type { RatingModelConfig } from '@cf/model';
import type { DotBiasLayout, DotBiasScratch } from './dot-bias-engine.js';

/** Slots of the shared control block (an `Int32Array` over a `SharedArrayBuffer`). */
export const CONTROL = {
  /** The next batch of the epoch to take (`Atomics.add`). */
  next: 0,
  /** Set to 1 to make the workers stop after their current batch. */
  stop: 1,
  /** Batches finished this epoch. */
  done: 2,
  /** Slots in all. */
  size: 4,
} as const;

/**
 * One parameter as the workers see it: its weights and Adam moments in the shared kernel memory
 * (byte offsets).
 */
export interface SharedParameter {
  name: string;
  kind: 'embedding' | 'dense';
  /** Elements per row (the whole size for dense parameters). */
  dim: number;
  rows: number;
  /** Index of its optimizer group (for the lr and momentum of each step). */
  group: number;
  /** Weight decay of its group times its `weightDecayScale`. */
  weightDecay: number;
  weights: number;
  m: number;
  v: number;
  /** Lazy AdamW embedding tables: the step each row is current at (`rows` int32s; see `LazyCatchUp`). */
  rowStep?: number;
}

/** A worker's own buffers in the shared kernel memory (byte offsets). */
export interface WorkerScratch {
  /** Gradient rows of one step of one parameter. */
  gradient: number;
  gradientFloats: number;
  /** The rows' indices. */
  list: number;
  /** Four catch-up factors per row. */
  factors: number;
  rows: number;
}

/** The message that sets a worker up for a `fit` call. */
export interface HogwildInit {
  type: 'init';
  worker: number;
  config: RatingModelConfig;
  /** The shared kernel memory: weights, moments and every worker's scratch. */
  memory: WebAssembly.Memory;
  parameters: SharedParameter[];
  scratch: WorkerScratch;
  beta2: number;
  eps: number;
  decoupled: boolean;
  /** Groups of the optimizer (the schedule holds lr and momentum for each). */
  groups: number;
  /** The training rows packed (`packTrainingRows`: user, item, rating bits per row). */
  packed: SharedArrayBuffer;
  /** The epoch's shuffled positions in `packed`, `Int32Array`. */
  order: SharedArrayBuffer;
  control: SharedArrayBuffer;
  /** Per batch: 1 once done (`Int32Array`). */
  batchDone: SharedArrayBuffer;
  /** Per batch: its loss (`Float64Array`). */
  losses: SharedArrayBuffer;
  /** Per batch and group: lr then momentum (`Float64Array`). */
  schedule: SharedArrayBuffer;
  batchSize: number;
  /**
   * EmbeddingDotBias: the interleaved tables (`dot-bias-engine.ts`) and this worker's scratch; the
   * parameters' `weights`, `m` and `v` are then unused (only their `rowStep`).
   */
  dotBias?: { layout: DotBiasLayout; scratch: DotBiasScratch };
}

/** Starts an epoch on every worker. */
export interface HogwildEpoch {
  type: 'epoch';
  batchCount: number;
  rowsPerEpoch: number;
  /** The optimizer's step count before the epoch's first batch. */
  stepBase: number;
  /** Seeds this worker's dropout stream for the epoch. */
  seed: number;
}

/** What workers answer. */
export type HogwildReply =
  { type: 'ready' } | { type: 'epochDone' } | { type: 'error'; message: string; stack?: string };

/** The per-step Adam scalars of step `k` (1-based within the epoch) of a parameter. */
export interface StepScalars {
  lr: number;
  beta1: number;
  bc1: number;
  bc2: number;
  stepSize: number;
  invSqrtBc2: number;
  decay: number;
  l2: number;
}

/** Reads step `k`'s lr and momentum of `group` from the schedule and derives Adam's scalars, as `Adam.step` does. */
export function stepScalars(
  schedule: Float64Array,
  groups: number,
  group: number,
  k: number,
  stepBase: number,
  beta2: number,
  weightDecay: number,
  decoupled: boolean,
  out: StepScalars,
): StepScalars {
  const at = 2 * ((k - 1) * groups + group);
  const lr = schedule[at]!;
  const beta1 = schedule[at + 1]!;
  const step = stepBase + k;
  out.lr = lr;
  out.beta1 = beta1;
  out.bc1 = 1 - Math.pow(beta1, step);
  out.bc2 = 1 - Math.pow(beta2, step);
  out.stepSize = lr / out.bc1;
  out.invSqrtBc2 = 1 / Math.sqrt(out.bc2);
  out.decay = decoupled ? 1 - lr * weightDecay : 1;
  out.l2 = decoupled ? 0 : weightDecay;
  return out;
}

/** A fresh {@link StepScalars} to fill. */
export function emptyStepScalars(): StepScalars {
  return { lr: 0, beta1: 0, bc1: 1, bc2: 1, stepSize: 0, invSqrtBc2: 1, decay: 1, l2: 0 };
}
