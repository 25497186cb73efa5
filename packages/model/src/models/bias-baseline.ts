import * as tf from '@tensorflow/tfjs-core';
import type { RatingsTable } from '@cf/data';
import { createParameter, type Parameter } from '../core/parameter.js';
import type { BiasBaselineConfig } from './model-config.js';
import type { LossAndGradients } from './rating-model.js';
import { RowGradientAccumulator } from '../core/row-gradient-accumulator.js';
import { BiasBaselineScorer } from '../host/bias-host.js';
import {
  BaseRatingModel,
  denseGradient,
  readAndDispose,
  type PassInput,
} from './base-rating-model.js';

/** Options of {@link fitBiasBaseline}. */
export interface BiasBaselineFitOptions {
  /** Damping of the user biases (Surprise's `reg_u`). Default 15. */
  userDamping?: number;
  /** Damping of the item biases (Surprise's `reg_i`). Default 10. */
  itemDamping?: number;
  /** Alternating passes. Default 10. */
  iterations?: number;
}

/**
 * The yardstick: `globalMean + userBias + itemBias`, clipped to the rating range when predicting.
 * Fit in closed form by {@link fitBiasBaseline} (damped alternating means, as Surprise's
 * `BaselineOnly` with ALS), or by gradient descent like any other model.
 */
export class BiasBaseline extends BaseRatingModel {
  readonly config: BiasBaselineConfig;
  readonly userParameterNames = ['userBias'] as const;
  readonly #userBias: Parameter;
  readonly #itemBias: Parameter;
  readonly #global: Parameter;
  readonly #acc: [RowGradientAccumulator, RowGradientAccumulator];
  #scratch = new Float32Array(0);
  readonly #globalGrad = new Float32Array(1);
  /** The eval-mode maths on the host, shared with `@cf/model/inference`. */
  readonly #scorer: BiasBaselineScorer;

  constructor(config: BiasBaselineConfig, parameters: Parameter[]) {
    super(parameters);
    this.config = config;
    this.#userBias = this.parameter('userBias');
    this.#itemBias = this.parameter('itemBias');
    this.#global = this.parameter('globalBias');
    this.#acc = [
      new RowGradientAccumulator(config.nUsers, 1),
      new RowGradientAccumulator(config.nItems, 1),
    ];
    this.#scorer = new BiasBaselineScorer(config, (name) => this.parameter(name));
  }

  /** Zero biases and a global bias at the middle of the range. */
  static initialParameters(config: BiasBaselineConfig): Parameter[] {
    return [
      createParameter('userBias', 'embedding', [config.nUsers, 1], new Float32Array(config.nUsers)),
      createParameter('itemBias', 'embedding', [config.nItems, 1], new Float32Array(config.nItems)),
      createParameter(
        'globalBias',
        'dense',
        [1],
        Float32Array.of((config.ratingRange[0] + config.ratingRange[1]) / 2),
        { weightDecayScale: 0 },
      ),
    ];
  }

  /** {@inheritDoc RatingModel.withUsers} */
  withUsers(nUsers: number): BiasBaseline {
    const userBias = createParameter(
      'userBias',
      'embedding',
      [nUsers, 1],
      new Float32Array(nUsers),
    );
    return new BiasBaseline(
      { ...this.config, nUsers },
      this.parameters.map((p) => (p.name === 'userBias' ? userBias : p)),
    );
  }

  /** The global mean the biases are relative to. */
  get globalMean(): number {
    return this.#global.values[0]!;
  }

  /** User bias of a dense user index. */
  userBiasAt(userIndex: number): number {
    return this.#userBias.values[userIndex]!;
  }

  /** Item bias of a dense item index. */
  itemBiasAt(itemIndex: number): number {
    return this.#itemBias.values[itemIndex]!;
  }

  /** Unclipped `μ + b_u + b_i` (what training fits). */
  #raw(input: PassInput): tf.Tensor1D {
    const n = input.count;
    const ub = this.gatheredValues(this.#userBias, input.userIndex, n);
    const ib = this.gatheredValues(this.#itemBias, input.itemIndex, n);
    return tf.add(tf.add(ub, ib), this.tensorOf(this.#global));
  }

  protected forwardTfjs(input: PassInput): tf.Tensor1D {
    return tf.clipByValue(this.#raw(input), ...this.config.ratingRange);
  }

  protected predictFused(input: PassInput, out: Float32Array): void {
    this.#scorer.predict(input.userIndex, input.itemIndex, input.count, out);
  }

  /** The host scorer's one-user path: `μ + b_u` read once. */
  protected override scoreItemsFused(
    userIndex: number,
    itemIndex: Int32Array,
    out: Float32Array,
  ): void {
    this.#scorer.scoreItems(userIndex, itemIndex, out);
  }

  protected lossAndGradientsTfjs(input: PassInput, target: Float32Array): LossAndGradients {
    const n = input.count;
    const flat = tf.tidy(() => {
      const diff = tf.sub(this.#raw(input), tf.tensor1d(target.subarray(0, n)));
      const loss = tf.mean(tf.square(diff));
      return tf.concat([tf.reshape(loss, [1]), tf.mul(diff, 2 / n)]);
    });
    const values = readAndDispose(flat);
    return this.#collect(input, values.subarray(1), values[0]!);
  }

  protected lossAndGradientsFused(input: PassInput, target: Float32Array): LossAndGradients {
    const n = input.count;
    if (this.#scratch.length < n) this.#scratch = new Float32Array(n);
    let sum = 0;
    for (let b = 0; b < n; b++) {
      const err =
        this.globalMean +
        this.#userBias.values[input.userIndex[b]!]! +
        this.#itemBias.values[input.itemIndex[b]!]! -
        target[b]!;
      sum += err * err;
      this.#scratch[b] = (2 / n) * err;
    }
    return this.#collect(input, this.#scratch, sum / n);
  }

  #collect(input: PassInput, dPred: Float32Array, loss: number): LossAndGradients {
    const n = input.count;
    const du = this.#acc[0].accumulate(input.userIndex, dPred, n);
    const di = this.#acc[1].accumulate(input.itemIndex, dPred, n);
    let g = 0;
    for (let b = 0; b < n; b++) g += dPred[b]!;
    this.#globalGrad[0] = g;
    return {
      loss,
      gradients: [
        { parameter: this.#userBias, rows: du.rows, values: du.values },
        { parameter: this.#itemBias, rows: di.rows, values: di.values },
        denseGradient(this.#global, this.#globalGrad),
      ],
    };
  }
}

/** Creates a zero-bias {@link BiasBaseline}. */
export function createBiasBaseline(options: {
  nUsers: number;
  nItems: number;
  ratingRange: [number, number];
}): BiasBaseline {
  const config: BiasBaselineConfig = {
    type: 'bias',
    nUsers: options.nUsers,
    nItems: options.nItems,
    ratingRange: options.ratingRange,
  };
  return new BiasBaseline(config, BiasBaseline.initialParameters(config));
}

/**
 * Fits a {@link BiasBaseline} in closed form on the given training rows: global mean, then
 * alternating damped means `b_u = Σ(r − μ − b_i)/(λ_u + n_u)`, `b_i = Σ(r − μ − b_u)/(λ_i + n_i)`.
 */
export function fitBiasBaseline(
  table: RatingsTable,
  rows: Int32Array,
  options: BiasBaselineFitOptions & { ratingRange?: [number, number] } = {},
): BiasBaseline {
  const model = createBiasBaseline({
    nUsers: table.userIds.size,
    nItems: table.itemIds.size,
    ratingRange: options.ratingRange ?? [table.stats.minRating, table.stats.maxRating],
  });
  const userDamping = options.userDamping ?? 15;
  const itemDamping = options.itemDamping ?? 10;
  const iterations = options.iterations ?? 10;
  const bu = model.parameter('userBias').values;
  const bi = model.parameter('itemBias').values;
  const global = model.parameter('globalBias');
  let mean = 0;
  for (const r of rows) mean += table.rating[r]!;
  mean = rows.length ? mean / rows.length : 0;
  global.values[0] = mean;
  const sumU = new Float64Array(bu.length);
  const cntU = new Float64Array(bu.length);
  const sumI = new Float64Array(bi.length);
  const cntI = new Float64Array(bi.length);
  for (let it = 0; it < iterations; it++) {
    sumU.fill(0);
    cntU.fill(0);
    for (const r of rows) {
      const u = table.userIndex[r]!;
      sumU[u]! += table.rating[r]! - mean - bi[table.itemIndex[r]!]!;
      cntU[u]! += 1;
    }
    for (let u = 0; u < bu.length; u++) bu[u] = sumU[u]! / (userDamping + cntU[u]!);
    sumI.fill(0);
    cntI.fill(0);
    for (const r of rows) {
      const i = table.itemIndex[r]!;
      sumI[i]! += table.rating[r]! - mean - bu[table.userIndex[r]!]!;
      cntI[i]! += 1;
    }
    for (let i = 0; i < bi.length; i++) bi[i] = sumI[i]! / (itemDamping + cntI[i]!);
  }
  for (const p of model.parameters) p.markChanged();
  return model;
}
