import * as tf from '@tensorflow/tfjs-core';
import { createParameter, type Parameter } from '../core/parameter.js';
import { SeededRandom } from '../core/random.js';
import { RowGradientAccumulator } from '../core/row-gradient-accumulator.js';
import {
  checkImplicitMatrixFactorizationConfig,
  ImplicitMatrixFactorizationScorer,
} from '../host/implicit-mf-host.js';
import { ImplicitRowSolver, scaledGramian } from '../core/implicit-row-solver.js';
import type { ImplicitMatrixFactorizationConfig, RatingConfidence } from './model-config.js';
import type { LossAndGradients, RatingModel } from './rating-model.js';
import {
  BaseRatingModel,
  normalValues,
  readAndDispose,
  type PassInput,
} from './base-rating-model.js';

/** Options of {@link createImplicitMatrixFactorization}. */
export interface ImplicitMatrixFactorizationOptions {
  nUsers: number;
  nItems: number;
  /** Default 64. */
  nFactors?: number;
  /** Weight α₀ of the unobserved pairs (pushed towards 0). Default 0.1. */
  unobservedWeight?: number;
  /** Regularisation λ, scaled per row by `(n + α₀·N)^ν`. Default 0.01. */
  regularization?: number;
  /** Frequency exponent ν of the regularisation. Default 1. */
  frequencyExponent?: number;
  /** How ratings become confidences; `null` (default) counts every interaction as 1. */
  confidence?: RatingConfidence | null;
  /** Std of the normal initial factors. Default 0.1 / √nFactors. */
  initStd?: number;
  /** Seed of the initial factors. Default 42. */
  seed?: number;
}

/**
 * Implicit matrix factorisation for top-N recommendation: the score of (user, item) is `p_u · q_i`,
 * fitted by implicit alternating least squares (iALS; `fitImplicitAls` in `@cf/trainer`) so that
 * the items a user interacted with score near 1 (weighted by their {@link RatingConfidence}) and all
 * other items near 0 with weight α₀. Scores are ranking scores, not ratings. The config keeps the
 * training's α₀, λ, ν and confidence so that {@link ImplicitMatrixFactorization.foldInItems} can
 * solve a new user's row in closed form, exactly as a training sweep would.
 *
 * It is also a {@link RatingModel}: `lossAndGradients` is the mean squared error of the score
 * against the batch targets (so it can be fine-tuned by gradient descent like any other model).
 */
export class ImplicitMatrixFactorization extends BaseRatingModel {
  readonly config: ImplicitMatrixFactorizationConfig;
  readonly userParameterNames = ['userEmbedding'] as const;
  /** A dot-product model: its item rows (fitted to item co-occurrence) are meant for similarity. */
  readonly itemSimilarityParameter = 'itemEmbedding';
  readonly #user: Parameter;
  readonly #item: Parameter;
  readonly #acc: [RowGradientAccumulator, RowGradientAccumulator];
  #scratch = new Float32Array(0);
  /** The eval-mode maths on the host, shared with `@cf/model/inference`. */
  readonly #scorer: ImplicitMatrixFactorizationScorer;

  constructor(config: ImplicitMatrixFactorizationConfig, parameters: Parameter[]) {
    super(parameters);
    checkImplicitMatrixFactorizationConfig(config);
    this.config = config;
    this.#user = this.parameter('userEmbedding');
    this.#item = this.parameter('itemEmbedding');
    this.#acc = [
      new RowGradientAccumulator(config.nUsers, config.nFactors),
      new RowGradientAccumulator(config.nItems, config.nFactors),
    ];
    this.#scorer = new ImplicitMatrixFactorizationScorer(config, (name) => this.parameter(name));
  }

  /** Parameters of a fresh model: normal(0, `initStd`) factors (default 0.1 / √nFactors). */
  static initialParameters(
    config: ImplicitMatrixFactorizationConfig,
    seed: number,
    options: { initStd?: number } = {},
  ): Parameter[] {
    const random = new SeededRandom(seed);
    const f = config.nFactors;
    const std = options.initStd ?? 0.1 / Math.sqrt(f);
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
    ];
  }

  /** The confidence a rating gets under this model's {@link RatingConfidence} (1 when it has none). */
  confidenceOf(rating: number): number {
    const c = this.config.confidence;
    if (!c) return 1;
    return rating >= c.threshold ? c.atOrAbove : c.below;
  }

  /** {@inheritDoc RatingModel.withUsers} */
  withUsers(nUsers: number): ImplicitMatrixFactorization {
    const config = { ...this.config, nUsers };
    const user = createParameter(
      'userEmbedding',
      'embedding',
      [nUsers, config.nFactors],
      new Float32Array(nUsers * config.nFactors),
    );
    return new ImplicitMatrixFactorization(config, [user, this.#item]);
  }

  /**
   * A one-user model (item factors shared, not copied) whose user row is the exact iALS solve for
   * the given items and confidences: what a training sweep would give this user. Repeated items
   * count once per entry. Throws `RangeError` for an index outside the model or mismatched lengths.
   */
  foldInItems(itemIndex: Int32Array, confidence: Float32Array): ImplicitMatrixFactorization {
    if (itemIndex.length !== confidence.length)
      throw new RangeError(
        `foldInItems: ${itemIndex.length} items but ${confidence.length} confidences`,
      );
    const { nItems, nFactors: f, unobservedWeight: a0 } = this.config;
    for (const i of itemIndex)
      if (!(i >= 0 && i < nItems))
        throw new RangeError(`item index ${i} is outside 0..${nItems - 1}`);
    const folded = this.withUsers(1);
    const gramian = scaledGramian(this.#item.values, nItems, f, a0);
    const reg = implicitRowRegularization(this.config, itemIndex.length, nItems);
    new ImplicitRowSolver(f).solve(
      gramian,
      this.#item.values,
      itemIndex,
      confidence,
      0,
      itemIndex.length,
      reg,
      folded.#user.values,
      0,
    );
    folded.#user.markChanged();
    return folded;
  }

  protected forwardTfjs(input: PassInput): tf.Tensor1D {
    const n = input.count;
    const u = this.gatheredRows(this.#user, input.userIndex, n);
    const i = this.gatheredRows(this.#item, input.itemIndex, n);
    return tf.sum(tf.mul(u, i), 1);
  }

  protected lossAndGradientsTfjs(input: PassInput, target: Float32Array): LossAndGradients {
    const n = input.count;
    const flat = tf.tidy(() => {
      const u = this.gatheredRows(this.#user, input.userIndex, n);
      const i = this.gatheredRows(this.#item, input.itemIndex, n);
      const diff = tf.sub(tf.sum(tf.mul(u, i), 1), tf.tensor1d(target.subarray(0, n)));
      const d2 = tf.reshape(tf.mul(diff, 2 / n), [n, 1]);
      return tf.concat([
        tf.reshape(tf.mean(tf.square(diff)), [1]),
        tf.reshape(tf.mul(d2, i), [-1]),
        tf.reshape(tf.mul(d2, u), [-1]),
      ]);
    });
    const values = readAndDispose(flat);
    return this.#collect(input, values, 1, values[0]!);
  }

  #dot(b: number, input: PassInput): number {
    return this.#scorer.dot(input.userIndex[b]!, input.itemIndex[b]!);
  }

  protected predictFused(input: PassInput, out: Float32Array): void {
    this.#scorer.predict(input.userIndex, input.itemIndex, input.count, out);
  }

  /** The host scorer's one-user path: the user's row read once, eight items at a time. */
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
    if (this.#scratch.length < 2 * n * f) this.#scratch = new Float32Array(2 * n * f);
    const g = this.#scratch;
    const uv = this.#user.values;
    const iv = this.#item.values;
    let sum = 0;
    for (let b = 0; b < n; b++) {
      const err = this.#dot(b, input) - target[b]!;
      sum += err * err;
      const dres = (2 / n) * err;
      const uo = input.userIndex[b]! * f;
      const io = input.itemIndex[b]! * f;
      for (let d = 0; d < f; d++) {
        g[b * f + d] = dres * iv[io + d]!;
        g[(n + b) * f + d] = dres * uv[uo + d]!;
      }
    }
    return this.#collect(input, g, 0, sum / n);
  }

  #collect(input: PassInput, values: Float32Array, offset: number, loss: number): LossAndGradients {
    const n = input.count;
    const f = this.config.nFactors;
    const [ua, ia] = this.#acc;
    const du = ua.accumulate(input.userIndex, values, n, offset);
    const di = ia.accumulate(input.itemIndex, values, n, offset + n * f);
    return {
      loss,
      gradients: [
        { parameter: this.#user, rows: du.rows, values: du.values },
        { parameter: this.#item, rows: di.rows, values: di.values },
      ],
    };
  }
}

/**
 * iALS's regularisation of one row with `observed` interactions against `otherSide` rows:
 * `λ · (observed + α₀ · otherSide)^ν` (Rendle et al. 2021's frequency scaling).
 */
export function implicitRowRegularization(
  config: Pick<
    ImplicitMatrixFactorizationConfig,
    'regularization' | 'unobservedWeight' | 'frequencyExponent'
  >,
  observed: number,
  otherSide: number,
): number {
  return (
    config.regularization *
    (observed + config.unobservedWeight * otherSide) ** config.frequencyExponent
  );
}

/** True when a model can fold users in from their items in closed form (iALS). */
export function isImplicitMatrixFactorization(
  model: RatingModel,
): model is ImplicitMatrixFactorization {
  return model instanceof ImplicitMatrixFactorization;
}

/** Creates a freshly initialised {@link ImplicitMatrixFactorization}. */
export function createImplicitMatrixFactorization(
  options: ImplicitMatrixFactorizationOptions,
): ImplicitMatrixFactorization {
  const config: ImplicitMatrixFactorizationConfig = {
    type: 'implicit-mf',
    nUsers: options.nUsers,
    nItems: options.nItems,
    nFactors: options.nFactors ?? 64,
    unobservedWeight: options.unobservedWeight ?? 0.1,
    regularization: options.regularization ?? 0.01,
    frequencyExponent: options.frequencyExponent ?? 1,
    confidence: options.confidence ?? null,
  };
  const init: { initStd?: number } = {};
  if (options.initStd !== undefined) init.initStd = options.initStd;
  return new ImplicitMatrixFactorization(
    config,
    ImplicitMatrixFactorization.initialParameters(config, options.seed ?? 42, init),
  );
}
