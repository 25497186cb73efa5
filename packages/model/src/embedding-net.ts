import * as tf from '@tensorflow/tfjs-core';
import { createParameter, type Parameter, type ParameterGradient } from './parameter.js';
import { SeededRandom } from './random.js';
import type { EmbeddingNetConfig } from './model-config.js';
import type { LossAndGradients } from './rating-model.js';
import { RowGradientAccumulator, gatherRows } from './row-gradient-accumulator.js';
import { BaseRatingModel, denseGradient, readAndDispose, uniformValues, type PassInput } from './base-rating-model.js';

/** Options of {@link createEmbeddingNet}; defaults are the notebook's. */
export interface EmbeddingNetOptions {
  nUsers: number;
  nItems: number;
  /** Ratings scale `[min, max]` of the training data. */
  ratingRange: [number, number];
  /** Default 50. */
  nFactors?: number;
  /** Hidden layer widths. Default `[10]`. */
  hidden?: number[];
  /** Dropout before each linear layer. Default `[0.5, 0.5]` (one more entry than `hidden`). */
  dropout?: number[];
  /** Seed of the initial weights. Default 42. */
  seed?: number;
}

/**
 * The notebook's EmbeddingNet: `concat(userEmb, itemEmb) → dropout(p1) → Linear → ReLU →
 * dropout(p2) → Linear(→1) → sigmoid · (max − min + 1) + min − 0.5`. Embeddings start
 * uniform(0, 0.05); linear layers like PyTorch's default (uniform ±1/√fan_in).
 */
export class EmbeddingNet extends BaseRatingModel {
  readonly config: EmbeddingNetConfig;
  readonly userParameterNames = ['userEmbedding'] as const;
  readonly #user: Parameter;
  readonly #item: Parameter;
  /** Linear layers: hidden ones then the output; weight `[out, in]`, bias `[out]`. */
  readonly #layers: { weight: Parameter; bias: Parameter; inputs: number; outputs: number }[];
  readonly #userGrads: RowGradientAccumulator;
  readonly #itemGrads: RowGradientAccumulator;

  constructor(config: EmbeddingNetConfig, parameters: Parameter[]) {
    super(parameters);
    validateConfig(config);
    this.config = config;
    this.#user = this.parameter('userEmbedding');
    this.#item = this.parameter('itemEmbedding');
    const widths = [2 * config.nFactors, ...config.hidden, 1];
    this.#layers = widths.slice(1).map((outputs, l) => ({
      weight: this.parameter(layerName(l, config.hidden.length, 'weight')),
      bias: this.parameter(layerName(l, config.hidden.length, 'bias')),
      inputs: widths[l]!,
      outputs,
    }));
    this.#userGrads = new RowGradientAccumulator(config.nUsers, config.nFactors);
    this.#itemGrads = new RowGradientAccumulator(config.nItems, config.nFactors);
  }

  /** Parameters of a fresh model with the given config, initialised from `seed`. */
  static initialParameters(config: EmbeddingNetConfig, seed: number): Parameter[] {
    const random = new SeededRandom(seed);
    const f = config.nFactors;
    const params = [
      createParameter('userEmbedding', 'embedding', [config.nUsers, f], uniformValues(config.nUsers * f, 0, 0.05, random)),
      createParameter('itemEmbedding', 'embedding', [config.nItems, f], uniformValues(config.nItems * f, 0, 0.05, random)),
    ];
    const widths = [2 * f, ...config.hidden, 1];
    for (let l = 0; l + 1 < widths.length; l++) {
      const fanIn = widths[l]!;
      const out = widths[l + 1]!;
      const bound = 1 / Math.sqrt(fanIn);
      params.push(
        createParameter(layerName(l, config.hidden.length, 'weight'), 'dense', [out, fanIn], uniformValues(out * fanIn, -bound, bound, random)),
        createParameter(layerName(l, config.hidden.length, 'bias'), 'dense', [out], uniformValues(out, -bound, bound, random)),
      );
    }
    return params;
  }

  protected override dropoutSites(): { width: number; p: number }[] {
    const widths = [2 * this.config.nFactors, ...this.config.hidden];
    return widths.map((width, k) => ({ width, p: this.config.dropout[k]! }));
  }

  withUsers(nUsers: number): EmbeddingNet {
    const config = { ...this.config, nUsers };
    const user = createParameter('userEmbedding', 'embedding', [nUsers, config.nFactors], uniformValues(nUsers * config.nFactors, 0, 0.05, new SeededRandom(nUsers)));
    return new EmbeddingNet(config, this.parameters.map((p) => (p.name === 'userEmbedding' ? user : p)));
  }

  #scale(): { range: number; offset: number } {
    const [min, max] = this.config.ratingRange;
    return { range: max - min + 1, offset: min - 0.5 };
  }

  /** Runs the graph with tfjs ops; returns predictions and what the backward pass needs. */
  #graph(input: PassInput): { pred: tf.Tensor1D; sig: tf.Tensor1D; xs: tf.Tensor2D[]; zs: tf.Tensor2D[]; masks: tf.Tensor2D[] } {
    const f = this.config.nFactors;
    const n = input.count;
    const u = tf.tensor2d(gatherRows(this.#user.values, f, input.userIndex, n, new Float32Array(n * f)), [n, f]);
    const i = tf.tensor2d(gatherRows(this.#item.values, f, input.itemIndex, n, new Float32Array(n * f)), [n, f]);
    const masks = (input.masks ?? []).map((m, k) => tf.tensor2d(m, [n, k === 0 ? 2 * f : this.config.hidden[k - 1]!]));
    let x: tf.Tensor2D = tf.concat([u, i], 1);
    if (masks[0]) x = tf.mul(x, masks[0]);
    const xs = [x];
    const zs: tf.Tensor2D[] = [];
    const last = this.#layers.length - 1;
    this.#layers.forEach((layer, l) => {
      const z = tf.add<tf.Tensor2D>(tf.matMul(x, this.tensorOf(layer.weight), false, true), this.tensorOf(layer.bias));
      zs.push(z);
      if (l < last) {
        x = tf.relu(z);
        const mask = masks[l + 1];
        if (mask) x = tf.mul(x, mask);
        xs.push(x);
      }
    });
    const { range, offset } = this.#scale();
    const sig = tf.sigmoid<tf.Tensor1D>(tf.reshape(zs[last]!, [n]));
    const pred = tf.add<tf.Tensor1D>(tf.mul(sig, range), offset);
    return { pred, sig, xs, zs, masks };
  }

  protected forwardTfjs(input: PassInput): tf.Tensor1D {
    return this.#graph(input).pred;
  }

  protected lossAndGradientsTfjs(input: PassInput, target: Float32Array): LossAndGradients {
    const n = input.count;
    const f = this.config.nFactors;
    const flat = tf.tidy(() => {
      const { pred, sig, xs, zs, masks } = this.#graph(input);
      const diff = tf.sub(pred, tf.tensor1d(target.subarray(0, n)));
      const loss = tf.mean(tf.square(diff));
      const { range } = this.#scale();
      // d loss / d z_out = 2(pred − y)/n · range · σ(1 − σ)
      const dz = tf.reshape<tf.Rank.R2>(tf.mul(tf.mul(diff, (2 * range) / n), tf.mul(sig, tf.sub(1, sig))), [n, 1]);
      const parts: tf.Tensor[] = [];
      let dOut: tf.Tensor2D = dz;
      for (let l = this.#layers.length - 1; l >= 0; l--) {
        const layer = this.#layers[l]!;
        if (l < this.#layers.length - 1) {
          let da = dOut;
          const mask = masks[l + 1];
          if (mask) da = tf.mul(da, mask);
          dOut = tf.mul(da, tf.step(zs[l]!, 0));
        }
        parts[2 * l] = tf.matMul(dOut, xs[l]!, true, false); // dW [out, in]
        parts[2 * l + 1] = tf.sum(dOut, 0); // db [out]
        dOut = tf.matMul(dOut, this.tensorOf(layer.weight)); // dx [n, in]
      }
      let dx0 = dOut;
      if (masks[0]) dx0 = tf.mul(dx0, masks[0]);
      const [du, di] = tf.split(dx0, [f, f], 1);
      return tf.concat([tf.reshape(loss, [1]), tf.reshape(du!, [-1]), tf.reshape(di!, [-1]), ...parts.map((p) => tf.reshape(p, [-1]))]);
    });
    const values = readAndDispose(flat);
    return this.#collect(input, values, 1, values, 1 + 2 * n * f, values[0]!);
  }

  /** Turns the flat gradient layout (du rows, di rows at `rowOffset`, then dW/db per layer at `denseOffset`) into gradients. */
  #collect(input: PassInput, rowValues: Float32Array, rowOffset: number, denseValues: Float32Array, denseOffset: number, loss: number): LossAndGradients {
    const n = input.count;
    const f = this.config.nFactors;
    const users = this.#userGrads.accumulate(input.userIndex, rowValues, n, rowOffset);
    const items = this.#itemGrads.accumulate(input.itemIndex, rowValues, n, rowOffset + n * f);
    const gradients: ParameterGradient[] = [
      { parameter: this.#user, rows: users.rows, values: users.values },
      { parameter: this.#item, rows: items.rows, values: items.values },
    ];
    let offset = denseOffset;
    for (const layer of this.#layers) {
      const w = layer.inputs * layer.outputs;
      gradients.push(denseGradient(layer.weight, denseValues.subarray(offset, offset + w)));
      offset += w;
      gradients.push(denseGradient(layer.bias, denseValues.subarray(offset, offset + layer.outputs)));
      offset += layer.outputs;
    }
    return { loss, gradients };
  }

  #fusedScratch: NetScratch | undefined;

  #scratch(n: number): NetScratch {
    const f = this.config.nFactors;
    const s = this.#fusedScratch;
    if (s && s.rows.length >= 2 * n * f) return s;
    const denseSize = this.#layers.reduce((a, l) => a + l.inputs * l.outputs + l.outputs, 0);
    const widths = [2 * f, ...this.config.hidden, 1];
    const fresh = {
      rows: new Float32Array(2 * n * f),
      dense: new Float32Array(denseSize),
      acts: widths.map((w) => new Float64Array(w)),
      pre: widths.map((w) => new Float64Array(w)),
      grads: widths.map((w) => new Float64Array(w)),
    };
    this.#fusedScratch = fresh;
    return fresh;
  }

  /**
   * Forward (and, with `target`, backward) of one example on the host, in float64 arithmetic.
   * `acts[l]` is the input of layer l after dropout, `pre[l+1]` its pre-activation.
   */
  #runExample(b: number, input: PassInput, s: NetScratch, target: Float32Array | undefined, dScale: number): { pred: number; err: number } {
    const f = this.config.nFactors;
    const uv = this.#user.values;
    const iv = this.#item.values;
    const masks = input.masks;
    const x0 = s.acts[0]!;
    const uo = input.userIndex[b]! * f;
    const io = input.itemIndex[b]! * f;
    const m0 = masks?.[0];
    for (let d = 0; d < f; d++) {
      x0[d] = uv[uo + d]! * (m0 ? m0[b * 2 * f + d]! : 1);
      x0[f + d] = iv[io + d]! * (m0 ? m0[b * 2 * f + f + d]! : 1);
    }
    const last = this.#layers.length - 1;
    for (let l = 0; l <= last; l++) {
      const { weight, bias, inputs, outputs } = this.#layers[l]!;
      const w = weight.values;
      const x = s.acts[l]!;
      const z = s.pre[l + 1]!;
      for (let o = 0; o < outputs; o++) {
        let acc = bias.values[o]!;
        const row = o * inputs;
        for (let k = 0; k < inputs; k++) acc += w[row + k]! * x[k]!;
        z[o] = acc;
      }
      if (l < last) {
        const next = s.acts[l + 1]!;
        const mask = masks?.[l + 1];
        for (let o = 0; o < outputs; o++) next[o] = (z[o]! > 0 ? z[o]! : 0) * (mask ? mask[b * outputs + o]! : 1);
      }
    }
    const { range, offset } = this.#scale();
    const sig = 1 / (1 + Math.exp(-s.pre[last + 1]![0]!));
    const pred = sig * range + offset;
    if (!target) return { pred, err: 0 };
    const err = pred - target[b]!;
    // backward
    let dOut = s.grads[last + 1]!;
    dOut[0] = err * dScale * range * sig * (1 - sig);
    let denseOffset = 0;
    const layerOffsets: number[] = [];
    for (const layer of this.#layers) {
      layerOffsets.push(denseOffset);
      denseOffset += layer.inputs * layer.outputs + layer.outputs;
    }
    for (let l = last; l >= 0; l--) {
      const { weight, inputs, outputs } = this.#layers[l]!;
      const w = weight.values;
      const x = s.acts[l]!;
      const dx = s.grads[l]!;
      const gw = layerOffsets[l]!;
      const gb = gw + inputs * outputs;
      dx.fill(0, 0, inputs);
      for (let o = 0; o < outputs; o++) {
        const g = dOut[o]!;
        if (g === 0) continue;
        s.dense[gb + o] = s.dense[gb + o]! + g;
        const row = o * inputs;
        for (let k = 0; k < inputs; k++) {
          s.dense[gw + row + k] = s.dense[gw + row + k]! + g * x[k]!;
          dx[k] = dx[k]! + g * w[row + k]!;
        }
      }
      // through the dropout and ReLU that produced x (for l > 0)
      if (l > 0) {
        const mask = masks?.[l];
        const z = s.pre[l]!;
        for (let k = 0; k < inputs; k++) dx[k] = z[k]! > 0 ? dx[k]! * (mask ? mask[b * inputs + k]! : 1) : 0;
      }
      dOut = dx;
    }
    const rowOut = b * f;
    const itemOut = (input.count + b) * f;
    for (let d = 0; d < f; d++) {
      s.rows[rowOut + d] = dOut[d]! * (m0 ? m0[b * 2 * f + d]! : 1);
      s.rows[itemOut + d] = dOut[f + d]! * (m0 ? m0[b * 2 * f + f + d]! : 1);
    }
    return { pred, err };
  }

  protected predictFused(input: PassInput, out: Float32Array): void {
    const s = this.#scratch(1);
    for (let b = 0; b < input.count; b++) out[b] = this.#runExample(b, input, s, undefined, 0).pred;
  }

  protected lossAndGradientsFused(input: PassInput, target: Float32Array): LossAndGradients {
    const n = input.count;
    const s = this.#scratch(n);
    s.dense.fill(0);
    let sum = 0;
    for (let b = 0; b < n; b++) {
      const { err } = this.#runExample(b, input, s, target, 2 / n);
      sum += err * err;
    }
    return this.#collect(input, s.rows, 0, s.dense, 0, sum / n);
  }
}

/** Host buffers of the fused engine, reused across steps. */
interface NetScratch {
  /** Embedding row gradients: user rows then item rows. */
  rows: Float32Array;
  /** Dense gradients, per layer weight then bias. */
  dense: Float32Array;
  acts: Float64Array[];
  pre: Float64Array[];
  grads: Float64Array[];
}

function layerName(l: number, nHidden: number, what: 'weight' | 'bias'): string {
  return l < nHidden ? `hidden.${l}.${what}` : `output.${what}`;
}

function validateConfig(config: EmbeddingNetConfig): void {
  if (config.dropout.length !== config.hidden.length + 1) {
    throw new RangeError(`EmbeddingNet: dropout needs ${config.hidden.length + 1} entries (one per linear layer), got ${config.dropout.length}`);
  }
  for (const p of config.dropout) if (!(p >= 0 && p < 1)) throw new RangeError(`EmbeddingNet: dropout ${p} is outside [0, 1)`);
  const [min, max] = config.ratingRange;
  if (!(max > min)) throw new RangeError(`EmbeddingNet: ratingRange [${min}, ${max}] is empty`);
}

/** Creates a freshly initialised {@link EmbeddingNet} (notebook defaults). */
export function createEmbeddingNet(options: EmbeddingNetOptions): EmbeddingNet {
  const config: EmbeddingNetConfig = {
    type: 'embedding-net',
    nUsers: options.nUsers,
    nItems: options.nItems,
    nFactors: options.nFactors ?? 50,
    hidden: options.hidden ?? [10],
    dropout: options.dropout ?? [0.5, ...(options.hidden ?? [10]).map(() => 0.5)],
    ratingRange: options.ratingRange,
  };
  return new EmbeddingNet(config, EmbeddingNet.initialParameters(config, options.seed ?? 42));
}
