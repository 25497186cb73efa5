import * as tf from '@tensorflow/tfjs-core';
import { gatherRows } from '../core/row-gradient-accumulator.js';
import type { Parameter, ParameterGradient } from '../core/parameter.js';
import type { SeededRandom } from '../core/random.js';
import type { RatingModelConfig } from './model-config.js';
import type {
  ForwardOptions,
  LossAndGradients,
  LossAndGradientsOptions,
  RatingBatch,
  RatingModel,
} from './rating-model.js';
import { CfError } from '@cf/data';
import { scoreItemsByPredict } from '../inference/score-items-by-predict.js';
import { checkPairIndices, checkUserItems } from '../host/check-indices.js';

/** Rows per chunk when predicting many pairs. */
const PREDICT_CHUNK = 8192;

/** Inputs of one pass: `count` pairs of dense indices, and dropout masks when training. */
export interface PassInput {
  readonly userIndex: Int32Array;
  readonly itemIndex: Int32Array;
  readonly count: number;
  /** One mask per dropout site, `count × width` entries of 0 or `1/(1−p)`; undefined in eval mode. */
  readonly masks: Float32Array[] | undefined;
}

/**
 * Shared machinery of the cf models: parameter lookup, cached parameter tensors, chunked
 * prediction, the choice between the tfjs and the fused host engine, and index checks.
 * Subclasses implement the maths once per engine.
 */
export abstract class BaseRatingModel implements RatingModel {
  abstract readonly config: RatingModelConfig;
  readonly parameters: readonly Parameter[];
  abstract readonly userParameterNames: readonly string[];
  readonly #byName = new Map<string, Parameter>();
  readonly #tensorCache = new Map<string, { version: number; tensor: tf.Tensor }>();

  protected constructor(parameters: Parameter[]) {
    this.parameters = parameters;
    for (const p of parameters) this.#byName.set(p.name, p);
  }

  /** The parameter of that name; throws if the model has none. */
  parameter(name: string): Parameter {
    const p = this.#byName.get(name);
    if (!p) throw new RangeError(`model has no parameter ${name}`);
    return p;
  }

  /** A backend tensor of the parameter's current values, cached until the parameter changes. Owned by the model. */
  protected tensorOf(p: Parameter): tf.Tensor {
    const cached = this.#tensorCache.get(p.name);
    if (cached && cached.version === p.version) return cached.tensor;
    cached?.tensor.dispose();
    const tensor = tf.keep(tf.tensor(p.values, [...p.shape], 'float32'));
    this.#tensorCache.set(p.name, { version: p.version, tensor });
    return tensor;
  }

  /**
   * The rows `indices[0..count)` of an embedding table, gathered on the host and uploaded as a
   * `[count, dim]` tensor (inside the caller's tidy scope). How every model feeds its tables to tfjs.
   */
  protected gatheredRows(p: Parameter, indices: Int32Array, count: number): tf.Tensor2D {
    const dim = p.shape[1] ?? 1;
    return tf.tensor2d(gatherRows(p.values, dim, indices, count, new Float32Array(count * dim)), [
      count,
      dim,
    ]);
  }

  /** {@link BaseRatingModel.gatheredRows} of a one-column table (biases) as a `[count]` tensor. */
  protected gatheredValues(p: Parameter, indices: Int32Array, count: number): tf.Tensor1D {
    return tf.tensor1d(gatherRows(p.values, 1, indices, count, new Float32Array(count)));
  }

  /** Dropout sites' widths and probabilities, in the order masks are drawn. Empty for no dropout. */
  protected dropoutSites(): { width: number; p: number }[] {
    return [];
  }

  /** Mask buffers reused from step to step, one per dropout site (grown when a batch is larger). */
  #maskBuffers: Float32Array[] = [];
  #maskViews: Float32Array[] = [];

  /**
   * Draws the masks of one training pass: site by site, row by row. Both engines use the same masks.
   * The arrays are views of buffers the model reuses: valid until its next training pass.
   */
  protected drawMasks(count: number, random: SeededRandom | undefined): Float32Array[] | undefined {
    const sites = this.dropoutSites();
    let any = false;
    for (const s of sites) if (s.p > 0) any = true;
    if (!any) return undefined;
    if (!random)
      throw new CfError(
        'MISSING_RANDOM',
        'training mode with dropout needs a seeded `random` source',
      );
    const views = this.#maskViews;
    views.length = sites.length;
    for (let k = 0; k < sites.length; k++) {
      const { width, p } = sites[k]!;
      const size = count * width;
      let buffer = this.#maskBuffers[k];
      if (!buffer || buffer.length < size) {
        buffer = new Float32Array(size);
        this.#maskBuffers[k] = buffer;
      }
      const mask = buffer.length === size ? buffer : buffer.subarray(0, size);
      if (p <= 0) mask.fill(1);
      else random.fillDropoutMask(mask, size, p, 1 / (1 - p));
      views[k] = mask;
    }
    return views;
  }

  protected checkIndices(userIndex: Int32Array, itemIndex: Int32Array, count: number): void {
    checkPairIndices(this.config, userIndex, itemIndex, count);
  }

  protected useFused(engine: LossAndGradientsOptions['engine']): boolean {
    if (engine === 'fused') return true;
    if (engine === 'tfjs') return false;
    // With no backend registered at all (an app that only loads a model and recommends), the host
    // kernels are the only engine: tf.getBackend() would throw "No backend found in registry".
    const tfjs = tf.engine();
    if (!tfjs.backendName && tfjs.backendNames().length === 0) return true;
    const backend = tf.getBackend();
    return backend === 'cpu' || backend === 'wasm';
  }

  forward(userIndex: Int32Array, itemIndex: Int32Array, options: ForwardOptions = {}): tf.Tensor1D {
    const count = Math.min(userIndex.length, itemIndex.length);
    if (userIndex.length !== itemIndex.length) {
      throw new RangeError(
        `userIndex has ${userIndex.length} entries but itemIndex has ${itemIndex.length}`,
      );
    }
    this.checkIndices(userIndex, itemIndex, count);
    const masks = options.training ? this.drawMasks(count, options.random) : undefined;
    return tf.tidy(() => this.forwardTfjs({ userIndex, itemIndex, count, masks }));
  }

  predict(userIndex: Int32Array, itemIndex: Int32Array, into?: Float32Array): Float32Array {
    if (userIndex.length !== itemIndex.length) {
      throw new RangeError(
        `userIndex has ${userIndex.length} entries but itemIndex has ${itemIndex.length}`,
      );
    }
    const n = userIndex.length;
    this.checkIndices(userIndex, itemIndex, n);
    const out = into && into.length >= n ? into.subarray(0, n) : new Float32Array(n);
    const fused = this.useFused('auto');
    for (let start = 0; start < n; start += PREDICT_CHUNK) {
      const end = Math.min(n, start + PREDICT_CHUNK);
      const input: PassInput = {
        userIndex: userIndex.subarray(start, end),
        itemIndex: itemIndex.subarray(start, end),
        count: end - start,
        masks: undefined,
      };
      if (fused) {
        this.predictFused(input, out.subarray(start, end));
      } else {
        const t = tf.tidy(() => this.forwardTfjs(input));
        out.set(t.dataSync(), start);
        t.dispose();
      }
    }
    return out;
  }

  /**
   * {@link RatingModel.scoreItemsForUser}: the model's host fast path (`scoreItemsFused`) after one
   * range check of the indices, or `predict` pair by pair for a model without one.
   */
  scoreItemsForUser(userIndex: number, itemIndex: Int32Array, out: Float32Array): Float32Array {
    if (!this.scoreItemsFused) return scoreItemsByPredict(this, userIndex, itemIndex, out);
    const n = itemIndex.length;
    checkUserItems(this.config, userIndex, itemIndex, out);
    const view = out.subarray(0, n);
    this.scoreItemsFused(userIndex, itemIndex, view);
    return view;
  }

  lossAndGradients(batch: RatingBatch, options: LossAndGradientsOptions = {}): LossAndGradients {
    const count = batch.size ?? batch.rating.length;
    if (count <= 0) throw new RangeError('a batch needs at least one row');
    if (batch.rating.length < count)
      throw new RangeError(`batch has ${batch.rating.length} targets for ${count} rows`);
    this.checkIndices(batch.userIndex, batch.itemIndex, count);
    const masks = options.training === false ? undefined : this.drawMasks(count, options.random);
    const input: PassInput = {
      userIndex: batch.userIndex,
      itemIndex: batch.itemIndex,
      count,
      masks,
    };
    return this.useFused(options.engine)
      ? this.lossAndGradientsFused(input, batch.rating)
      : this.lossAndGradientsTfjs(input, batch.rating);
  }

  /** tfjs forward pass inside a tidy scope; returns `[count]` predictions. */
  protected abstract forwardTfjs(input: PassInput): tf.Tensor1D;
  /** Host forward pass writing `count` predictions to `out`. */
  protected abstract predictFused(input: PassInput, out: Float32Array): void;
  /**
   * Host fast path of {@link BaseRatingModel.scoreItemsForUser}: eval-mode predictions of one user
   * for `out.length` items, indices already checked, the same maths as `predictFused` (per-user
   * work hoisted out of the item loop). Models without one score through `predict`.
   */
  protected scoreItemsFused?(userIndex: number, itemIndex: Int32Array, out: Float32Array): void;
  protected abstract lossAndGradientsTfjs(input: PassInput, target: Float32Array): LossAndGradients;
  protected abstract lossAndGradientsFused(
    input: PassInput,
    target: Float32Array,
  ): LossAndGradients;
  abstract withUsers(nUsers: number): RatingModel;

  dispose(): void {
    for (const { tensor } of this.#tensorCache.values()) tensor.dispose();
    this.#tensorCache.clear();
  }
}

/** Reads back one flat tensor and disposes it. */
export function readAndDispose(t: tf.Tensor): Float32Array {
  const values = t.dataSync() as Float32Array;
  t.dispose();
  return values;
}

/** Normal(0, std) values. */
export function normalValues(n: number, std: number, random: SeededRandom): Float32Array {
  const v = new Float32Array(n);
  for (let k = 0; k < n; k++) v[k] = random.normal() * std;
  return v;
}

/** fastai v2's `trunc_normal_`: normal, `fmod 2`, times std. */
export function truncatedNormalValues(n: number, std: number, random: SeededRandom): Float32Array {
  const v = new Float32Array(n);
  for (let k = 0; k < n; k++) v[k] = (random.normal() % 2) * std;
  return v;
}

/** Uniform(low, high) values. */
export function uniformValues(
  n: number,
  low: number,
  high: number,
  random: SeededRandom,
): Float32Array {
  const v = new Float32Array(n);
  for (let k = 0; k < n; k++) v[k] = random.uniform(low, high);
  return v;
}

/** A dense gradient record. */
export function denseGradient(parameter: Parameter, values: Float32Array): ParameterGradient {
  return { parameter, rows: undefined, values };
}
