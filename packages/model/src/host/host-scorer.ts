import type { ParameterKind } from '../core/parameter.js';

/**
 * What the host maths reads of a parameter: its values, read at every call (a parameter's storage
 * can move, see `Parameter.relocate`), and a version that changes with them (caches compare it).
 * A `Parameter` is one; so is a loaded weight that never changes (version 0).
 */
export interface HostValues {
  readonly values: Float32Array;
  readonly version: number;
}

/** A parameter's name, kind and shape, as a model of some config has it. */
export interface ParameterSpec {
  readonly name: string;
  readonly kind: ParameterKind;
  readonly shape: readonly number[];
  /** How much of the optimizer's weight decay applies (`Parameter.weightDecayScale`); absent means 1. */
  readonly weightDecayScale?: number;
}

/**
 * Eval-mode predictions of one model on the host, in plain loops over `Float32Array`s: the code
 * both the tfjs model classes (their fused engine) and the tfjs-free `@cf/model/inference` entry
 * compute with, so the two cannot drift. Indices are checked by the caller.
 */
export interface HostScorer {
  /** `out[b]` = the prediction for `(userIndex[b], itemIndex[b])`, for `b < count`. */
  predict(userIndex: Int32Array, itemIndex: Int32Array, count: number, out: Float32Array): void;
  /** `out[j]` = the prediction for `(userIndex, itemIndex[j])`, for `j < out.length`; per-user work done once. */
  scoreItems(userIndex: number, itemIndex: Int32Array, out: Float32Array): void;
}
