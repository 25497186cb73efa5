import * as tf from '@tensorflow/tfjs-core';
import { createParameter, type Parameter } from '../core/parameter.js';
import { SeededRandom } from '../core/random.js';
import type { BiasedMatrixFactorizationConfig } from './model-config.js';
import type { LossAndGradients } from './rating-model.js';
import { RowGradientAccumulator } from '../core/row-gradient-accumulator.js';
import {
  BiasedMatrixFactorizationScorer,
  checkBiasedMatrixFactorizationConfig,
} from '../host/biased-mf-host.js';
import {
  BaseRatingModel,
  denseGradient,
  normalValues,
  readAndDispose,
  type PassInput,
} from './base-rating-model.js';

/** Options of {@link createBiasedMatrixFactorization}. */
export interface BiasedMatrixFactorizationOptions {
  nUsers: number;
  nItems: number;
  /** Ratings scale `[min, max]`; predictions are clipped to it. */
  ratingRange: [number, number];
  /** Default 50. */
  nFactors?: number;
  /** Starting global bias. Default the middle of `ratingRange`. */
  globalBias?: number;
  /** Std of the normal initial factors (biases start at 0). Default 0.01. */
  initStd?: number;
  /** Seed of the initial weights. Default 42. */
  seed?: number;
}

/**
 * Biased matrix factorisation (Koren's "SVD", Surprise's `SVD`): `μ + b_u + b_i + p_u·q_i`,
 * clipped to the rating range when predicting (training fits the unclipped value, as the bias
 * baseline does). The linear model that `fitBayesianMf` in `@cf/trainer` produces; it can also be
 * trained by gradient descent like any other model. Parameter names match EmbeddingDotBias
 * (`userEmbedding`, `itemEmbedding`, `userBias`, `itemBias`) plus a dense `globalBias` that
 * weight decay never touches.
 */
export class BiasedMatrixFactorization extends BaseRatingModel {
  readonly config: BiasedMatrixFactorizationConfig;
  readonly userParameterNames = ['userEmbedding', 'userBias'] as const;
  /** A dot-product model: its item rows are meant for similarity. */
  readonly itemSimilarityParameter = 'itemEmbedding';
  readonly #user: Parameter;
  readonly #item: Parameter;
  readonly #userBias: Parameter;
  readonly #itemBias: Parameter;
  readonly #global: Parameter;
  readonly #acc: [
    RowGradientAccumulator,
    RowGradientAccumulator,
    RowGradientAccumulator,
    RowGradientAccumulator,
  ];
  readonly #globalGrad = new Float32Array(1);
  #scratch = new Float32Array(0);
  /** The eval-mode maths on the host, shared with `@cf/model/inference`. */
  readonly #scorer: BiasedMatrixFactorizationScorer;

  constructor(config: BiasedMatrixFactorizationConfig, parameters: Parameter[]) {
    super(parameters);
    checkBiasedMatrixFactorizationConfig(config);
    this.config = config;
    this.#user = this.parameter('userEmbedding');
    this.#item = this.parameter('itemEmbedding');
    this.#userBias = this.parameter('userBias');
    this.#itemBias = this.parameter('itemBias');
    this.#global = this.parameter('globalBias');
    const f = config.nFactors;
    this.#acc = [
      new RowGradientAccumulator(config.nUsers, f),
      new RowGradientAccumulator(config.nItems, f),
      new RowGradientAccumulator(config.nUsers, 1),
      new RowGradientAccumulator(config.nItems, 1),
    ];
    this.#scorer = new BiasedMatrixFactorizationScorer(config, (name) => this.parameter(name));
  }

  /** Parameters of a fresh model: normal(0, `initStd`) factors, zero biases, global bias `globalBias`. */
  static initialParameters(
    config: BiasedMatrixFactorizationConfig,
    seed: number,
    options: { initStd?: number; globalBias?: number } = {},
  ): Parameter[] {
    const random = new SeededRandom(seed);
    const f = config.nFactors;
    const std = options.initStd ?? 0.01;
    const global = options.globalBias ?? (config.ratingRange[0] + config.ratingRange[1]) / 2;
    return [
      createParameter(
        'userEmbedding',
        'embedding',
        [config.nUsers, f],
        normalValues(config.nUsers * f, std, random),
      ),
      createParameter(
        'itemEmbedding',
        'embedding',
        [config.nItems, f],
        normalValues(config.nItems * f, std, random),
      ),
      createParameter('userBias', 'embedding', [config.nUsers, 1], new Float32Array(config.nUsers)),
      createParameter('itemBias', 'embedding', [config.nItems, 1], new Float32Array(config.nItems)),
      createParameter('globalBias', 'dense', [1], Float32Array.of(global), { weightDecayScale: 0 }),
    ];
  }

  /** {@inheritDoc RatingModel.withUsers} */
  withUsers(nUsers: number): BiasedMatrixFactorization {
    const config = { ...this.config, nUsers };
    const f = config.nFactors;
    const fresh = new Map([
      [
        'userEmbedding',
        createParameter(
          'userEmbedding',
          'embedding',
          [nUsers, f],
          normalValues(nUsers * f, 0.01, new SeededRandom(nUsers)),
        ),
      ],
      ['userBias', createParameter('userBias', 'embedding', [nUsers, 1], new Float32Array(nUsers))],
    ]);
    return new BiasedMatrixFactorization(
      config,
      this.parameters.map((p) => fresh.get(p.name) ?? p),
    );
  }

  /** Unclipped `μ + b_u + b_i + p_u·q_i` and the gathered factor rows. */
  #graph(input: PassInput): { raw: tf.Tensor1D; u: tf.Tensor2D; i: tf.Tensor2D } {
    const n = input.count;
    const u = this.gatheredRows(this.#user, input.userIndex, n);
    const i = this.gatheredRows(this.#item, input.itemIndex, n);
    const ub = this.gatheredValues(this.#userBias, input.userIndex, n);
    const ib = this.gatheredValues(this.#itemBias, input.itemIndex, n);
    const raw = tf.add<tf.Tensor1D>(
      tf.add(tf.add(tf.sum(tf.mul(u, i), 1), ub), ib),
      this.tensorOf(this.#global),
    );
    return { raw, u, i };
  }

  protected forwardTfjs(input: PassInput): tf.Tensor1D {
    return tf.clipByValue(this.#graph(input).raw, ...this.config.ratingRange);
  }

  protected lossAndGradientsTfjs(input: PassInput, target: Float32Array): LossAndGradients {
    const n = input.count;
    const flat = tf.tidy(() => {
      const { raw, u, i } = this.#graph(input);
      const diff = tf.sub(raw, tf.tensor1d(target.subarray(0, n)));
      const loss = tf.mean(tf.square(diff));
      const dres = tf.mul(diff, 2 / n);
      const d2 = tf.reshape(dres, [n, 1]);
      return tf.concat([
        tf.reshape(loss, [1]),
        tf.reshape(tf.mul(d2, i), [-1]),
        tf.reshape(tf.mul(d2, u), [-1]),
        dres,
      ]);
    });
    const values = readAndDispose(flat);
    return this.#collect(input, values, 1, values[0]!);
  }

  #raw(b: number, input: PassInput): number {
    return this.#scorer.raw(input.userIndex[b]!, input.itemIndex[b]!);
  }

  protected predictFused(input: PassInput, out: Float32Array): void {
    this.#scorer.predict(input.userIndex, input.itemIndex, input.count, out);
  }

  /** The host scorer's one-user path: `μ + b_u` and the user's row read once, eight items at a time. */
  protected override scoreItemsFused(
    userIndex: number,
    itemIndex: Int32Array,
    out: Float32Array,
  ): void {
    this.#scorer.scoreItems(userIndex, itemIndex, out);
  }

  protected lossAndGradientsFused(input: PassInput, target: Float32Array): LossAndGradients {
    const n = input.count;
    const f = this.config.nFactors;
    if (this.#scratch.length < n * (2 * f + 1)) this.#scratch = new Float32Array(n * (2 * f + 1));
    const g = this.#scratch;
    const uv = this.#user.values;
    const iv = this.#item.values;
    let sum = 0;
    for (let b = 0; b < n; b++) {
      const err = this.#raw(b, input) - target[b]!;
      sum += err * err;
      const dres = (2 / n) * err;
      const uo = input.userIndex[b]! * f;
      const io = input.itemIndex[b]! * f;
      for (let d = 0; d < f; d++) {
        g[b * f + d] = dres * iv[io + d]!;
        g[(n + b) * f + d] = dres * uv[uo + d]!;
      }
      g[2 * n * f + b] = dres;
    }
    return this.#collect(input, g, 0, sum / n);
  }

  /** Flat layout from `offset`: du rows, di rows, then one dres per row (the bias gradients). */
  #collect(input: PassInput, values: Float32Array, offset: number, loss: number): LossAndGradients {
    const n = input.count;
    const f = this.config.nFactors;
    const [ua, ia, uba, iba] = this.#acc;
    const du = ua.accumulate(input.userIndex, values, n, offset);
    const di = ia.accumulate(input.itemIndex, values, n, offset + n * f);
    const dub = uba.accumulate(input.userIndex, values, n, offset + 2 * n * f);
    const dib = iba.accumulate(input.itemIndex, values, n, offset + 2 * n * f);
    let global = 0;
    for (let b = 0; b < n; b++) global += values[offset + 2 * n * f + b]!;
    this.#globalGrad[0] = global;
    return {
      loss,
      gradients: [
        { parameter: this.#user, rows: du.rows, values: du.values },
        { parameter: this.#item, rows: di.rows, values: di.values },
        { parameter: this.#userBias, rows: dub.rows, values: dub.values },
        { parameter: this.#itemBias, rows: dib.rows, values: dib.values },
        denseGradient(this.#global, this.#globalGrad),
      ],
    };
  }
}

/** Creates a freshly initialised {@link BiasedMatrixFactorization}. */
export function createBiasedMatrixFactorization(
  options: BiasedMatrixFactorizationOptions,
): BiasedMatrixFactorization {
  const config: BiasedMatrixFactorizationConfig = {
    type: 'biased-mf',
    nUsers: options.nUsers,
    nItems: options.nItems,
    nFactors: options.nFactors ?? 50,
    ratingRange: options.ratingRange,
  };
  const init: { initStd?: number; globalBias?: number } = {};
  if (options.initStd !== undefined) init.initStd = options.initStd;
  if (options.globalBias !== undefined) init.globalBias = options.globalBias;
  return new BiasedMatrixFactorization(
    config,
    BiasedMatrixFactorization.initialParameters(config, options.seed ?? 42, init),
  );
}
