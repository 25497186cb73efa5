import * as tf from '@tensorflow/tfjs-core';
import { EmbeddingMlpKernel, wasmKernelModule } from '@cf/kernels';
import { createParameter, type Parameter, type ParameterGradient } from '../core/parameter.js';
import { SeededRandom } from '../core/random.js';
import type { EmbeddingNetConfig } from './model-config.js';
import type { LossAndGradients } from './rating-model.js';
import { RowGradientAccumulator } from '../core/row-gradient-accumulator.js';
import {
  checkEmbeddingNetConfig,
  embeddingNetLayerName as layerName,
  EmbeddingNetScorer,
} from '../host/embedding-net-host.js';
import {
  BaseRatingModel,
  denseGradient,
  readAndDispose,
  uniformValues,
  type PassInput,
} from './base-rating-model.js';

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
  /** Output scaling: `sigmoid · range + offset`. */
  readonly #range: number;
  readonly #offset: number;

  constructor(config: EmbeddingNetConfig, parameters: Parameter[]) {
    super(parameters);
    checkEmbeddingNetConfig(config);
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
    this.#range = config.ratingRange[1] - config.ratingRange[0] + 1;
    this.#offset = config.ratingRange[0] - 0.5;
    // decided once: a model made while the kernels are switched off keeps the JavaScript kernel
    this.#wasm = wasmKernelModule() ? undefined : null;
    this.#scorer = new EmbeddingNetScorer(config, (name) => this.parameter(name));
  }

  /** The eval-mode maths on the host (with its first-layer projection cache), shared with `@cf/model/inference`. */
  readonly #scorer: EmbeddingNetScorer;

  /** Parameters of a fresh model with the given config, initialised from `seed`. */
  static initialParameters(config: EmbeddingNetConfig, seed: number): Parameter[] {
    const random = new SeededRandom(seed);
    const f = config.nFactors;
    const params = [
      createParameter(
        'userEmbedding',
        'embedding',
        [config.nUsers, f],
        uniformValues(config.nUsers * f, 0, 0.05, random),
      ),
      createParameter(
        'itemEmbedding',
        'embedding',
        [config.nItems, f],
        uniformValues(config.nItems * f, 0, 0.05, random),
      ),
    ];
    const widths = [2 * f, ...config.hidden, 1];
    for (let l = 0; l + 1 < widths.length; l++) {
      const fanIn = widths[l]!;
      const out = widths[l + 1]!;
      const bound = 1 / Math.sqrt(fanIn);
      params.push(
        createParameter(
          layerName(l, config.hidden.length, 'weight'),
          'dense',
          [out, fanIn],
          uniformValues(out * fanIn, -bound, bound, random),
        ),
        createParameter(
          layerName(l, config.hidden.length, 'bias'),
          'dense',
          [out],
          uniformValues(out, -bound, bound, random),
        ),
      );
    }
    return params;
  }

  #sites: { width: number; p: number }[] | undefined;

  protected override dropoutSites(): { width: number; p: number }[] {
    if (!this.#sites) {
      const widths = [2 * this.config.nFactors, ...this.config.hidden];
      this.#sites = widths.map((width, k) => ({ width, p: this.config.dropout[k]! }));
    }
    return this.#sites;
  }

  /** {@inheritDoc RatingModel.withUsers} */
  withUsers(nUsers: number): EmbeddingNet {
    const config = { ...this.config, nUsers };
    const user = createParameter(
      'userEmbedding',
      'embedding',
      [nUsers, config.nFactors],
      uniformValues(nUsers * config.nFactors, 0, 0.05, new SeededRandom(nUsers)),
    );
    return new EmbeddingNet(
      config,
      this.parameters.map((p) => (p.name === 'userEmbedding' ? user : p)),
    );
  }

  #scale(): { range: number; offset: number } {
    const [min, max] = this.config.ratingRange;
    return { range: max - min + 1, offset: min - 0.5 };
  }

  /** Runs the graph with tfjs ops; returns predictions and what the backward pass needs. */
  #graph(input: PassInput): {
    pred: tf.Tensor1D;
    sig: tf.Tensor1D;
    xs: tf.Tensor2D[];
    zs: tf.Tensor2D[];
    masks: tf.Tensor2D[];
  } {
    const f = this.config.nFactors;
    const n = input.count;
    const u = this.gatheredRows(this.#user, input.userIndex, n);
    const i = this.gatheredRows(this.#item, input.itemIndex, n);
    const masks = (input.masks ?? []).map((m, k) =>
      tf.tensor2d(m, [n, k === 0 ? 2 * f : this.config.hidden[k - 1]!]),
    );
    let x: tf.Tensor2D = tf.concat([u, i], 1);
    if (masks[0]) x = tf.mul(x, masks[0]);
    const xs = [x];
    const zs: tf.Tensor2D[] = [];
    const last = this.#layers.length - 1;
    this.#layers.forEach((layer, l) => {
      const z = tf.add<tf.Tensor2D>(
        tf.matMul(x, this.tensorOf(layer.weight), false, true),
        this.tensorOf(layer.bias),
      );
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
      const dz = tf.reshape<tf.Rank.R2>(
        tf.mul(tf.mul(diff, (2 * range) / n), tf.mul(sig, tf.sub(1, sig))),
        [n, 1],
      );
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
      return tf.concat([
        tf.reshape(loss, [1]),
        tf.reshape(du!, [-1]),
        tf.reshape(di!, [-1]),
        ...parts.map((p) => tf.reshape(p, [-1])),
      ]);
    });
    const values = readAndDispose(flat);
    return this.#collect(input, values, 1, values, 1 + 2 * n * f, values[0]!);
  }

  /** Turns the flat gradient layout (du rows, di rows at `rowOffset`, then dW/db per layer at `denseOffset`) into gradients. */
  #collect(
    input: PassInput,
    rowValues: Float32Array,
    rowOffset: number,
    denseValues: Float32Array,
    denseOffset: number,
    loss: number,
  ): LossAndGradients {
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
      gradients.push(
        denseGradient(layer.bias, denseValues.subarray(offset, offset + layer.outputs)),
      );
      offset += layer.outputs;
    }
    return { loss, gradients };
  }

  #fused: FusedNet | undefined;

  /** Host state of the fused engine, (re)built when the batch capacity grows. */
  #fusedState(n: number): FusedNet {
    const s = this.#fused;
    if (s && s.capacity >= n) return s;
    const layers = this.#layers;
    const ins = layers.map((l) => l.inputs);
    const outs = layers.map((l) => l.outputs);
    const sizes = layers.map((l) => l.inputs * l.outputs);
    const fresh: FusedNet = {
      capacity: Math.max(n, s?.capacity ?? 0),
      ins,
      outs,
      weightsT: sizes.map((size) => new Float64Array(size)),
      gradWT: sizes.map((size) => new Float64Array(size)),
      gradB: outs.map((o) => new Float64Array(o)),
      kept: ins.map((i) => new Int32Array(i)),
      x: ins.map((i) => new Float64Array(i)),
      nKept: new Int32Array(layers.length),
      z: outs.map((o) => new Float64Array(o)),
      g: outs.map((o) => new Float64Array(o)),
      dx: new Float64Array(Math.max(...ins)),
      dense: new Float32Array(sizes.reduce((a, w, l) => a + w + outs[l]!, 0)),
    };
    this.#fused = fresh;
    return fresh;
  }

  /**
   * The fused host engine: the WebAssembly SIMD kernel where the platform runs it (float32), else
   * the JavaScript kernel (float64). Both compute the same maths as the tfjs path.
   */
  protected lossAndGradientsFused(input: PassInput, target: Float32Array): LossAndGradients {
    const kernel = this.#wasmKernel(input.count);
    if (kernel) return this.#lossAndGradientsWasm(kernel, input, target);
    return this.#lossAndGradientsJs(input, target);
  }

  /** The WebAssembly SIMD kernel, built at first use and rebuilt for a larger batch; null when unavailable. */
  #wasm: EmbeddingMlpKernel | null | undefined;

  /**
   * Whether training passes on the fused engine run the WebAssembly SIMD kernel (true from
   * construction where WebAssembly SIMD is available and kernels are on; false after a kernel
   * could not be built, e.g. its memory could not be allocated, or with the JavaScript kernel).
   */
  get usesWasmKernel(): boolean {
    return this.#wasm !== null;
  }

  #wasmKernel(n: number): EmbeddingMlpKernel | undefined {
    if (this.#wasm === null) return undefined;
    if (this.#wasm && this.#wasm.capacity >= n) return this.#wasm;
    let kernel: EmbeddingMlpKernel | undefined;
    try {
      kernel = EmbeddingMlpKernel.create(
        {
          nFactors: this.config.nFactors,
          hidden: this.config.hidden,
          masked: this.config.dropout.map((p) => p > 0),
        },
        Math.max(n, 64, this.#wasm?.capacity ?? 0),
      );
    } catch {
      // no memory for the instance (a huge batch, a constrained browser): the JavaScript kernel
      kernel = undefined;
    }
    this.#wasm = kernel ?? null;
    return kernel;
  }

  /**
   * The fused engine on the WebAssembly SIMD kernel (`@cf/kernels`), in float32: gathers the
   * batch's rows, masks, targets and weights into the kernel's memory, runs forward and backward
   * there, and sums the per-example row gradients per distinct row.
   */
  #lossAndGradientsWasm(
    kernel: EmbeddingMlpKernel,
    input: PassInput,
    target: Float32Array,
  ): LossAndGradients {
    const n = input.count;
    const f = this.config.nFactors;
    const uv = this.#user.values;
    const iv = this.#item.values;
    const ku = kernel.user;
    const ki = kernel.item;
    const { userIndex, itemIndex } = input;
    for (let b = 0; b < n; b++) {
      const uo = userIndex[b]! * f;
      const io = itemIndex[b]! * f;
      const o = b * f;
      for (let d = 0; d < f; d++) {
        ku[o + d] = uv[uo + d]!;
        ki[o + d] = iv[io + d]!;
      }
    }
    kernel.target.set(target.subarray(0, n));
    const layers = this.#layers;
    for (let l = 0; l < layers.length; l++) {
      const k = kernel.layers[l]!;
      k.weight.set(layers[l]!.weight.values);
      k.bias.set(layers[l]!.bias.values);
      if (!k.mask) continue;
      const mask = input.masks?.[l];
      if (mask) k.mask.set(mask.subarray(0, n * k.inputs));
      else k.mask.fill(1, 0, n * k.inputs);
    }
    const sum = kernel.train(n, this.#range, this.#offset);
    const users = this.#userGrads.accumulate(userIndex, kernel.userGrad, n, 0);
    const items = this.#itemGrads.accumulate(itemIndex, kernel.itemGrad, n, 0);
    const gradients: ParameterGradient[] = [
      { parameter: this.#user, rows: users.rows, values: users.values },
      { parameter: this.#item, rows: items.rows, values: items.values },
    ];
    for (let l = 0; l < layers.length; l++) {
      const k = kernel.layers[l]!;
      gradients.push(
        denseGradient(layers[l]!.weight, k.weightGrad),
        denseGradient(layers[l]!.bias, k.biasGrad),
      );
    }
    return { loss: sum / n, gradients };
  }

  /**
   * The fused engine in JavaScript, where WebAssembly SIMD is unavailable. Per example: forward and backward through the layers in float64, over
   * the kept (non-zero after dropout and ReLU) inputs of each layer only: a dropped input adds
   * exactly 0 to every sum it enters, so skipping it changes no result and halves the work at
   * p = 0.5. Weights are read transposed (`[in, out]`, copied once per step) so that the forward
   * sums, the weight gradients and the input gradients of one kept input are one contiguous run.
   * Embedding row gradients go straight into the row accumulators.
   */
  #lossAndGradientsJs(input: PassInput, target: Float32Array): LossAndGradients {
    const n = input.count;
    const f = this.config.nFactors;
    const s = this.#fusedState(n);
    const layers = this.#layers;
    const L = layers.length;
    const last = L - 1;
    const { ins, outs, weightsT, gradWT, gradB, kept, x, nKept, z, g } = s;
    for (let l = 0; l < L; l++) {
      transposeInto(layers[l]!.weight.values, outs[l]!, ins[l]!, weightsT[l]!);
      gradWT[l]!.fill(0);
      gradB[l]!.fill(0);
    }
    const masks = input.masks;
    const uv = this.#user.values;
    const iv = this.#item.values;
    const userIndex = input.userIndex;
    const itemIndex = input.itemIndex;
    const userAcc = this.#userGrads;
    const itemAcc = this.#itemGrads;
    const userGrad = userAcc.begin(n);
    const itemGrad = itemAcc.begin(n);
    const range = this.#range;
    const offset = this.#offset;
    const dScale = 2 / n;
    const m0 = masks?.[0];
    const x0 = x[0]!;
    const k0 = kept[0]!;
    const dx = s.dx;
    let sum = 0;
    for (let b = 0; b < n; b++) {
      // layer 0 input: the kept entries of concat(user row, item row) · mask
      const uo = userIndex[b]! * f;
      const io = itemIndex[b]! * f;
      let count = 0;
      if (m0) {
        const mo = b * 2 * f;
        for (let d = 0; d < f; d++) {
          const m = m0[mo + d]!;
          if (m !== 0) {
            k0[count] = d;
            x0[count++] = uv[uo + d]! * m;
          }
        }
        for (let d = 0; d < f; d++) {
          const m = m0[mo + f + d]!;
          if (m !== 0) {
            k0[count] = f + d;
            x0[count++] = iv[io + d]! * m;
          }
        }
      } else {
        for (let d = 0; d < f; d++) {
          k0[d] = d;
          x0[d] = uv[uo + d]!;
          k0[f + d] = f + d;
          x0[f + d] = iv[io + d]!;
        }
        count = 2 * f;
      }
      nKept[0] = count;
      // forward
      for (let l = 0; l < L; l++) {
        const out = outs[l]!;
        const wt = weightsT[l]!;
        const bias = layers[l]!.bias.values;
        const zl = z[l]!;
        const kl = kept[l]!;
        const xl = x[l]!;
        for (let o = 0; o < out; o++) zl[o] = bias[o]!;
        for (let j = 0, nk = nKept[l]!; j < nk; j++) {
          const xv = xl[j]!;
          const base = kl[j]! * out;
          for (let o = 0; o < out; o++) zl[o]! += wt[base + o]! * xv;
        }
        if (l < last) {
          const mask = masks?.[l + 1];
          const kn = kept[l + 1]!;
          const xn = x[l + 1]!;
          let c = 0;
          for (let o = 0; o < out; o++) {
            const a = zl[o]! > 0 ? zl[o]! : 0;
            const v = mask ? a * mask[b * out + o]! : a;
            if (v !== 0) {
              kn[c] = o;
              xn[c++] = v;
            }
          }
          nKept[l + 1] = c;
        }
      }
      const sig = 1 / (1 + Math.exp(-z[last]![0]!));
      const err = sig * range + offset - target[b]!;
      sum += err * err;
      // backward
      g[last]![0] = err * dScale * range * sig * (1 - sig);
      for (let l = last; l >= 0; l--) {
        const out = outs[l]!;
        const gl = g[l]!;
        const gb = gradB[l]!;
        for (let o = 0; o < out; o++) gb[o]! += gl[o]!;
        const wt = weightsT[l]!;
        const gwt = gradWT[l]!;
        const kl = kept[l]!;
        const xl = x[l]!;
        const nk = nKept[l]!;
        for (let j = 0; j < nk; j++) {
          const xv = xl[j]!;
          const base = kl[j]! * out;
          let acc = 0;
          for (let o = 0; o < out; o++) {
            const go = gl[o]!;
            gwt[base + o]! += go * xv;
            acc += go * wt[base + o]!;
          }
          dx[j] = acc;
        }
        if (l > 0) {
          // through the dropout and ReLU that made this layer's kept inputs (z > 0, mask ≠ 0 there)
          const mask = masks?.[l];
          const width = ins[l]!;
          const gp = g[l - 1]!;
          gp.fill(0);
          for (let j = 0; j < nk; j++) {
            const k = kl[j]!;
            gp[k] = mask ? dx[j]! * mask[b * width + k]! : dx[j]!;
          }
        } else {
          const us = userAcc.slot(userIndex[b]!);
          const is = itemAcc.slot(itemIndex[b]!);
          const mo = b * 2 * f;
          for (let j = 0; j < nk; j++) {
            const k = kl[j]!;
            const v = m0 ? dx[j]! * m0[mo + k]! : dx[j]!;
            if (k < f) userGrad[us + k]! += v;
            else itemGrad[is + k - f]! += v;
          }
        }
      }
    }
    // dense gradients in the parameters' layout: per layer weight [out, in] then bias
    const dense = s.dense;
    let at = 0;
    const gradients: ParameterGradient[] = [];
    const users = userAcc.finish();
    const items = itemAcc.finish();
    gradients.push(
      { parameter: this.#user, rows: users.rows, values: users.values },
      { parameter: this.#item, rows: items.rows, values: items.values },
    );
    for (let l = 0; l < L; l++) {
      const out = outs[l]!;
      const inp = ins[l]!;
      const gwt = gradWT[l]!;
      const w = out * inp;
      for (let o = 0; o < out; o++)
        for (let k = 0; k < inp; k++) dense[at + o * inp + k] = gwt[k * out + o]!;
      gradients.push(denseGradient(layers[l]!.weight, dense.subarray(at, at + w)));
      at += w;
      const gb = gradB[l]!;
      for (let o = 0; o < out; o++) dense[at + o] = gb[o]!;
      gradients.push(denseGradient(layers[l]!.bias, dense.subarray(at, at + out)));
      at += out;
    }
    return { loss: sum / n, gradients };
  }

  /**
   * Eval-mode forward on the host ({@link EmbeddingNetScorer}): the first layer is split into a user
   * part and an item part, each cached until the embeddings or that weight change, so scoring many
   * items for one user (recommend) costs the later layers only.
   */
  protected predictFused(input: PassInput, out: Float32Array): void {
    this.#scorer.predict(input.userIndex, input.itemIndex, input.count, out);
  }

  /** The host scorer's one-user path: `b₀ + W_u·u` once, then each item's projection and the later layers. */
  protected override scoreItemsFused(
    userIndex: number,
    itemIndex: Int32Array,
    out: Float32Array,
  ): void {
    this.#scorer.scoreItems(userIndex, itemIndex, out);
  }
}

/** Host buffers of the fused engine, reused across steps. */
interface FusedNet {
  capacity: number;
  ins: number[];
  outs: number[];
  /** Per layer, the weight transposed to `[in, out]` (refreshed every step). */
  weightsT: Float64Array[];
  /** Per layer, the weight gradient in `[in, out]` layout, and the bias gradient. */
  gradWT: Float64Array[];
  gradB: Float64Array[];
  /** Per layer input: positions and values of the kept (non-zero) entries, and how many. */
  kept: Int32Array[];
  x: Float64Array[];
  nKept: Int32Array;
  /** Per layer: pre-activations and output gradients. */
  z: Float64Array[];
  g: Float64Array[];
  /** Gradient of one layer's kept inputs. */
  dx: Float64Array;
  /** The dense gradients handed out: per layer weight `[out, in]` then bias. */
  dense: Float32Array;
}

/** `out[o·in + k]` (a row-major `[out, in]` matrix) → `t[k·out + o]`. */
function transposeInto(w: Float32Array, out: number, inp: number, t: Float64Array): void {
  for (let o = 0; o < out; o++) {
    const row = o * inp;
    for (let k = 0; k < inp; k++) t[k * out + o] = w[row + k]!;
  }
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
