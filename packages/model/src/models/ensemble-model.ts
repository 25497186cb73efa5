import * as tf from '@tensorflow/tfjs-core';
import { CfError, InvalidArgumentError } from '@cf/data';
import type { Parameter } from '../core/parameter.js';
import type { EnsembleConfig } from './model-config.js';
import type {
  ForwardOptions,
  LossAndGradients,
  LossAndGradientsOptions,
  RatingBatch,
  RatingModel,
} from './rating-model.js';
import { checkScoreArguments, scoreItemsByPredict } from '../inference/score-items-by-predict.js';
import {
  checkEnsembleConfig,
  combineEnsemble,
  ensembleParameterName,
} from '../host/ensemble-host.js';

export { ensembleParameterName };

/** Options of {@link createEnsemble}. */
export interface EnsembleOptions {
  /** One weight per member. Default equal weights summing to 1. */
  weights?: number[];
  /** Predictions are clipped to this range. */
  ratingRange: [number, number];
}

/**
 * A view of a member's parameter under its ensemble name: same values (read through, so a
 * relocation of either is seen by both), version, `markChanged` and `relocate`.
 */
function prefixed(k: number, p: Parameter): Parameter {
  return {
    name: ensembleParameterName(k, p.name),
    kind: p.kind,
    shape: p.shape,
    get values() {
      return p.values;
    },
    weightDecayScale: p.weightDecayScale,
    get version() {
      return p.version;
    },
    markChanged() {
      p.markChanged();
    },
    relocate(into: Float32Array) {
      p.relocate(into);
    },
  };
}

/**
 * A weighted average of trained models, `clip(Σ w_k · member_k(u, i), ratingRange)`: the `best`
 * recipe averages a Bayesian MF posterior mean with a gradient-trained MF. Member `k`'s parameters
 * appear as `members.<k>.<name>` (views of the member's own, not copies), so saving, loading
 * ({@link createModelFromConfig} with an `ensemble` config) and checkpoints work as for any model.
 *
 * Ensembles are trained member by member: {@link EnsembleModel.lossAndGradients} only supports
 * eval mode (`training: false`), which is what folding a user in needs; there it gives the exact
 * gradients of the ensemble's squared error wherever no member clips its prediction. The ensemble
 * owns its members: `dispose()` disposes them.
 */
export class EnsembleModel implements RatingModel {
  readonly config: EnsembleConfig;
  readonly members: readonly RatingModel[];
  readonly parameters: readonly Parameter[];
  readonly userParameterNames: readonly string[];
  /** Ensemble parameter by member parameter (gradients come back keyed by the member's). */
  readonly #byMemberParameter = new Map<Parameter, Parameter>();

  constructor(config: EnsembleConfig, members: readonly RatingModel[]) {
    checkEnsembleConfig(
      config,
      members.map((m) => m.config),
    );
    this.config = config;
    this.members = members;
    const parameters: Parameter[] = [];
    members.forEach((m, k) => {
      for (const p of m.parameters) {
        const view = prefixed(k, p);
        parameters.push(view);
        this.#byMemberParameter.set(p, view);
      }
    });
    this.parameters = parameters;
    this.userParameterNames = members.flatMap((m, k) =>
      m.userParameterNames.map((name) => ensembleParameterName(k, name)),
    );
  }

  forward(userIndex: Int32Array, itemIndex: Int32Array, options: ForwardOptions = {}): tf.Tensor1D {
    const [lo, hi] = this.config.ratingRange;
    return tf.tidy(() => {
      let sum: tf.Tensor1D | undefined;
      this.members.forEach((m, k) => {
        const term = tf.mul<tf.Tensor1D>(
          m.forward(userIndex, itemIndex, options),
          this.config.weights[k]!,
        );
        sum = sum ? tf.add<tf.Tensor1D>(sum, term) : term;
      });
      return tf.clipByValue(sum!, lo, hi);
    });
  }

  predict(userIndex: Int32Array, itemIndex: Int32Array, out?: Float32Array): Float32Array {
    if (userIndex.length !== itemIndex.length) {
      throw new RangeError(
        `userIndex has ${userIndex.length} entries but itemIndex has ${itemIndex.length}`,
      );
    }
    const n = userIndex.length;
    const result = out && out.length >= n ? out.subarray(0, n) : new Float32Array(n);
    combineEnsemble(
      this.config,
      n,
      (k, scratch) => this.members[k]!.predict(userIndex, itemIndex, scratch),
      this.#grow(n),
      result,
    );
    return result;
  }

  #buffers = { scratch: new Float32Array(0), sum: new Float64Array(0) };

  #grow(n: number): { scratch: Float32Array; sum: Float64Array } {
    if (this.#buffers.sum.length < n)
      this.#buffers = { scratch: new Float32Array(n), sum: new Float64Array(n) };
    return this.#buffers;
  }

  /**
   * {@link RatingModel.scoreItemsForUser}: each member's fast path (or its `predict` for a member
   * without one), weighted, summed and clipped in the same order as {@link EnsembleModel.predict}.
   */
  scoreItemsForUser(userIndex: number, itemIndex: Int32Array, out: Float32Array): Float32Array {
    const n = itemIndex.length;
    checkScoreArguments(userIndex, n, out);
    const result = out.subarray(0, n);
    combineEnsemble(
      this.config,
      n,
      (k, scratch) => {
        const m = this.members[k]!;
        return (
          m.scoreItemsForUser?.(userIndex, itemIndex, scratch) ??
          scoreItemsByPredict(m, userIndex, itemIndex, scratch)
        );
      },
      this.#grow(n),
      result,
    );
    return result;
  }

  /** Unclipped `Σ w_k · member_k` and each member's (eval-mode) predictions. */
  #weightedSum(userIndex: Int32Array, itemIndex: Int32Array, n: number, keep?: Float32Array[]) {
    const sum = new Float64Array(n);
    this.members.forEach((m, k) => {
      const w = this.config.weights[k]!;
      const p = m.predict(userIndex, itemIndex);
      keep?.push(p);
      for (let b = 0; b < n; b++) sum[b]! += w * p[b]!;
    });
    return sum;
  }

  /**
   * Eval mode only (`training: false`): the mean squared error of the unclipped weighted average and
   * its gradients with respect to every member's parameters (under their ensemble names). Each
   * member computes its share with a shifted target `p_k − w_k (ŷ − y)`, whose gradient is
   * `w_k · ∂MSE/∂p_k`. Throws {@link CfError} `ENSEMBLE_TRAINING` in training mode.
   */
  lossAndGradients(batch: RatingBatch, options: LossAndGradientsOptions = {}): LossAndGradients {
    if (options.training !== false) {
      throw new CfError(
        'ENSEMBLE_TRAINING',
        'an ensemble is not trained as a whole: train each member model, then combine them with createEnsemble (only eval-mode gradients, { training: false }, are supported, e.g. for folding a user in)',
      );
    }
    const n = batch.size ?? batch.rating.length;
    if (n <= 0) throw new RangeError('a batch needs at least one row');
    if (batch.rating.length < n)
      throw new RangeError(`batch has ${batch.rating.length} targets for ${n} rows`);
    const userIndex = batch.userIndex.subarray(0, n);
    const itemIndex = batch.itemIndex.subarray(0, n);
    const memberPredictions: Float32Array[] = [];
    const sum = this.#weightedSum(userIndex, itemIndex, n, memberPredictions);
    let loss = 0;
    for (let b = 0; b < n; b++) loss += (sum[b]! - batch.rating[b]!) ** 2;
    const gradients: LossAndGradients['gradients'] = [];
    this.members.forEach((m, k) => {
      const w = this.config.weights[k]!;
      if (w === 0) return;
      const p = memberPredictions[k]!;
      const target = new Float32Array(n);
      for (let b = 0; b < n; b++) target[b] = p[b]! - w * (sum[b]! - batch.rating[b]!);
      const result = m.lossAndGradients({ userIndex, itemIndex, rating: target, size: n }, options);
      for (const g of result.gradients) {
        const parameter = this.#byMemberParameter.get(g.parameter);
        if (parameter) gradients.push({ parameter, rows: g.rows, values: g.values });
      }
    });
    return { loss: loss / n, gradients };
  }

  withUsers(nUsers: number): EnsembleModel {
    const members = this.members.map((m) => m.withUsers(nUsers));
    return new EnsembleModel(
      { ...this.config, nUsers, members: members.map((m) => m.config) },
      members,
    );
  }

  /** Disposes every member. */
  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

/**
 * Combines trained models into an {@link EnsembleModel} that takes ownership of them (its
 * `dispose()` disposes them). All members must have the same `nUsers` and `nItems`.
 */
export function createEnsemble(members: RatingModel[], options: EnsembleOptions): EnsembleModel {
  const first = members[0];
  if (!first)
    throw new InvalidArgumentError('members', 'an ensemble needs at least one member model');
  const config: EnsembleConfig = {
    type: 'ensemble',
    nUsers: first.config.nUsers,
    nItems: first.config.nItems,
    ratingRange: options.ratingRange,
    members: members.map((m) => m.config),
    weights: options.weights ?? members.map(() => 1 / members.length),
  };
  return new EnsembleModel(config, members);
}
