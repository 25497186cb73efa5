import * as tf from '@tensorflow/tfjs-core';
import { createParameter, type Parameter } from '../core/parameter.js';
import { SeededRandom } from '../core/random.js';
import type { EmbeddingDotBiasConfig } from './model-config.js';
import type { LossAndGradients } from './rating-model.js';
import { RowGradientAccumulator } from '../core/row-gradient-accumulator.js';
import {
  checkEmbeddingDotBiasConfig,
  EmbeddingDotBiasScorer,
} from '../host/embedding-dot-bias-host.js';
import {
  BaseRatingModel,
  readAndDispose,
  truncatedNormalValues,
  type PassInput,
} from './base-rating-model.js';

/** Options of {@link createEmbeddingDotBias}; defaults are fastai v2's `collab_learner`. */
export interface EmbeddingDotBiasOptions {
  nUsers: number;
  nItems: number;
  /** Default 50. */
  nFactors?: number;
  /** `sigmoid_range` bounds, or null for none. Default `[0, 5.5]`. */
  yRange?: [number, number] | null;
  /** Seed of the initial weights. Default 42. */
  seed?: number;
}

/**
 * fastai v2's EmbeddingDotBias: `sigmoid_range(Σ u·i + b_u + b_i, low, high)`. All four tables are
 * embeddings initialised with fastai's truncated normal (std 0.01).
 */
export class EmbeddingDotBias extends BaseRatingModel {
  readonly config: EmbeddingDotBiasConfig;
  readonly userParameterNames = ['userEmbedding', 'userBias'] as const;
  /** A dot-product model: its item rows are meant for similarity. */
  readonly itemSimilarityParameter = 'itemEmbedding';
  readonly #user: Parameter;
  readonly #item: Parameter;
  readonly #userBias: Parameter;
  readonly #itemBias: Parameter;
  readonly #acc: RowGradientAccumulator[];
  /** The eval-mode maths on the host, shared with `@cf/model/inference`. */
  readonly #scorer: EmbeddingDotBiasScorer;

  constructor(config: EmbeddingDotBiasConfig, parameters: Parameter[]) {
    super(parameters);
    checkEmbeddingDotBiasConfig(config);
    this.config = config;
    this.#user = this.parameter('userEmbedding');
    this.#item = this.parameter('itemEmbedding');
    this.#userBias = this.parameter('userBias');
    this.#itemBias = this.parameter('itemBias');
    const f = config.nFactors;
    this.#acc = [
      new RowGradientAccumulator(config.nUsers, f),
      new RowGradientAccumulator(config.nItems, f),
      new RowGradientAccumulator(config.nUsers, 1),
      new RowGradientAccumulator(config.nItems, 1),
    ];
    this.#scorer = new EmbeddingDotBiasScorer(config, (name) => this.parameter(name));
  }

  /** Parameters of a fresh model, initialised from `seed`. */
  static initialParameters(config: EmbeddingDotBiasConfig, seed: number): Parameter[] {
    const random = new SeededRandom(seed);
    const f = config.nFactors;
    return [
      createParameter(
        'userEmbedding',
        'embedding',
        [config.nUsers, f],
        truncatedNormalValues(config.nUsers * f, 0.01, random),
      ),
      createParameter(
        'itemEmbedding',
        'embedding',
        [config.nItems, f],
        truncatedNormalValues(config.nItems * f, 0.01, random),
      ),
      createParameter(
        'userBias',
        'embedding',
        [config.nUsers, 1],
        truncatedNormalValues(config.nUsers, 0.01, random),
      ),
      createParameter(
        'itemBias',
        'embedding',
        [config.nItems, 1],
        truncatedNormalValues(config.nItems, 0.01, random),
      ),
    ];
  }

  /** {@inheritDoc RatingModel.withUsers} */
  withUsers(nUsers: number): EmbeddingDotBias {
    const config = { ...this.config, nUsers };
    const random = new SeededRandom(nUsers);
    const fresh = new Map([
      [
        'userEmbedding',
        createParameter(
          'userEmbedding',
          'embedding',
          [nUsers, config.nFactors],
          truncatedNormalValues(nUsers * config.nFactors, 0.01, random),
        ),
      ],
      ['userBias', createParameter('userBias', 'embedding', [nUsers, 1], new Float32Array(nUsers))],
    ]);
    return new EmbeddingDotBias(
      config,
      this.parameters.map((p) => fresh.get(p.name) ?? p),
    );
  }

  #squash(): { low: number; span: number } | undefined {
    const r = this.config.yRange;
    return r ? { low: r[0], span: r[1] - r[0] } : undefined;
  }

  #graph(input: PassInput): {
    pred: tf.Tensor1D;
    sig: tf.Tensor1D | undefined;
    u: tf.Tensor2D;
    i: tf.Tensor2D;
  } {
    const n = input.count;
    const u = this.gatheredRows(this.#user, input.userIndex, n);
    const i = this.gatheredRows(this.#item, input.itemIndex, n);
    const ub = this.gatheredValues(this.#userBias, input.userIndex, n);
    const ib = this.gatheredValues(this.#itemBias, input.itemIndex, n);
    const res = tf.add<tf.Tensor1D>(tf.add(tf.sum(tf.mul(u, i), 1), ub), ib);
    const squash = this.#squash();
    if (!squash) return { pred: res, sig: undefined, u, i };
    const sig = tf.sigmoid(res);
    return { pred: tf.add(tf.mul(sig, squash.span), squash.low), sig, u, i };
  }

  protected forwardTfjs(input: PassInput): tf.Tensor1D {
    return this.#graph(input).pred;
  }

  protected lossAndGradientsTfjs(input: PassInput, target: Float32Array): LossAndGradients {
    const n = input.count;
    const flat = tf.tidy(() => {
      const { pred, sig, u, i } = this.#graph(input);
      const diff = tf.sub(pred, tf.tensor1d(target.subarray(0, n)));
      const loss = tf.mean(tf.square(diff));
      const squash = this.#squash();
      let dres = tf.mul(diff, 2 / n);
      if (sig && squash) dres = tf.mul(dres, tf.mul(tf.mul(sig, tf.sub(1, sig)), squash.span));
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

  /** Flat layout from `offset`: du rows, di rows, then one dres per row (the gradient of both biases). */
  #collect(input: PassInput, values: Float32Array, offset: number, loss: number): LossAndGradients {
    const n = input.count;
    const f = this.config.nFactors;
    const [ua, ia, uba, iba] = this.#acc as [
      RowGradientAccumulator,
      RowGradientAccumulator,
      RowGradientAccumulator,
      RowGradientAccumulator,
    ];
    const du = ua.accumulate(input.userIndex, values, n, offset);
    const di = ia.accumulate(input.itemIndex, values, n, offset + n * f);
    const dub = uba.accumulate(input.userIndex, values, n, offset + 2 * n * f);
    const dib = iba.accumulate(input.itemIndex, values, n, offset + 2 * n * f);
    return {
      loss,
      gradients: [
        { parameter: this.#user, rows: du.rows, values: du.values },
        { parameter: this.#item, rows: di.rows, values: di.values },
        { parameter: this.#userBias, rows: dub.rows, values: dub.values },
        { parameter: this.#itemBias, rows: dib.rows, values: dib.values },
      ],
    };
  }

  protected predictFused(input: PassInput, out: Float32Array): void {
    this.#scorer.predict(input.userIndex, input.itemIndex, input.count, out);
  }

  /** The host scorer's one-user path: the user's row and bias read once, eight items at a time. */
  protected override scoreItemsFused(
    userIndex: number,
    itemIndex: Int32Array,
    out: Float32Array,
  ): void {
    this.#scorer.scoreItems(userIndex, itemIndex, out);
  }

  /** One pass over the batch: forward, loss, and the gradients added straight into the row accumulators. */
  protected lossAndGradientsFused(input: PassInput, target: Float32Array): LossAndGradients {
    const n = input.count;
    const f = this.config.nFactors;
    const uv = this.#user.values;
    const iv = this.#item.values;
    const ubv = this.#userBias.values;
    const ibv = this.#itemBias.values;
    const squash = this.config.yRange;
    const low = squash ? squash[0] : 0;
    const span = squash ? squash[1] - squash[0] : 0;
    const [ua, ia, uba, iba] = this.#acc as [
      RowGradientAccumulator,
      RowGradientAccumulator,
      RowGradientAccumulator,
      RowGradientAccumulator,
    ];
    const du = ua.begin(n);
    const di = ia.begin(n);
    const dub = uba.begin(n);
    const dib = iba.begin(n);
    const userIndex = input.userIndex;
    const itemIndex = input.itemIndex;
    let sum = 0;
    for (let b = 0; b < n; b++) {
      const u = userIndex[b]!;
      const i = itemIndex[b]!;
      const uo = u * f;
      const io = i * f;
      let res = ubv[u]! + ibv[i]!;
      for (let d = 0; d < f; d++) res += uv[uo + d]! * iv[io + d]!;
      let pred = res;
      let sig = NaN;
      if (squash) {
        sig = 1 / (1 + Math.exp(-res));
        pred = sig * span + low;
      }
      const err = pred - target[b]!;
      sum += err * err;
      let dres = (2 / n) * err;
      if (squash) dres *= sig * (1 - sig) * span;
      // the per-example gradients are rounded to float32 as the two-pass version stored them
      const us = ua.slot(u);
      const is = ia.slot(i);
      for (let d = 0; d < f; d++) {
        du[us + d]! += Math.fround(dres * iv[io + d]!);
        di[is + d]! += Math.fround(dres * uv[uo + d]!);
      }
      const db = Math.fround(dres);
      dub[uba.slot(u)]! += db;
      dib[iba.slot(i)]! += db;
    }
    const gu = ua.finish();
    const gi = ia.finish();
    const gub = uba.finish();
    const gib = iba.finish();
    return {
      loss: sum / n,
      gradients: [
        { parameter: this.#user, rows: gu.rows, values: gu.values },
        { parameter: this.#item, rows: gi.rows, values: gi.values },
        { parameter: this.#userBias, rows: gub.rows, values: gub.values },
        { parameter: this.#itemBias, rows: gib.rows, values: gib.values },
      ],
    };
  }
}

/** Creates a freshly initialised {@link EmbeddingDotBias} (fastai v2 defaults). */
export function createEmbeddingDotBias(options: EmbeddingDotBiasOptions): EmbeddingDotBias {
  const config: EmbeddingDotBiasConfig = {
    type: 'embedding-dot-bias',
    nUsers: options.nUsers,
    nItems: options.nItems,
    nFactors: options.nFactors ?? 50,
    yRange: options.yRange === undefined ? [0, 5.5] : options.yRange,
  };
  return new EmbeddingDotBias(
    config,
    EmbeddingDotBias.initialParameters(config, options.seed ?? 42),
  );
}
