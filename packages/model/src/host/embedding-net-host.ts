import type { EmbeddingNetConfig } from '../models/model-config.js';
import type { HostScorer, HostValues, ParameterSpec } from './host-scorer.js';

/** The saved name of linear layer `l` of an EmbeddingNet with `nHidden` hidden layers. */
export function embeddingNetLayerName(l: number, nHidden: number, what: 'weight' | 'bias'): string {
  return l < nHidden ? `hidden.${l}.${what}` : `output.${what}`;
}

/**
 * EmbeddingNet's parameters: user and item embeddings `[n, nFactors]`, then per linear layer (the
 * hidden ones, then the output) a weight `[out, in]` and a bias `[out]`.
 */
export function embeddingNetSpecs(config: EmbeddingNetConfig): ParameterSpec[] {
  const f = config.nFactors;
  const specs: ParameterSpec[] = [
    { name: 'userEmbedding', kind: 'embedding', shape: [config.nUsers, f] },
    { name: 'itemEmbedding', kind: 'embedding', shape: [config.nItems, f] },
  ];
  const widths = [2 * f, ...config.hidden, 1];
  for (let l = 0; l + 1 < widths.length; l++) {
    const nHidden = config.hidden.length;
    specs.push(
      {
        name: embeddingNetLayerName(l, nHidden, 'weight'),
        kind: 'dense',
        shape: [widths[l + 1]!, widths[l]!],
      },
      { name: embeddingNetLayerName(l, nHidden, 'bias'), kind: 'dense', shape: [widths[l + 1]!] },
    );
  }
  return specs;
}

/** Throws `RangeError` for a config EmbeddingNet cannot compute with (dropout list, empty range). */
export function checkEmbeddingNetConfig(config: EmbeddingNetConfig): void {
  if (config.dropout.length !== config.hidden.length + 1) {
    throw new RangeError(
      `EmbeddingNet: dropout needs ${config.hidden.length + 1} entries (one per linear layer), got ${config.dropout.length}`,
    );
  }
  for (const p of config.dropout)
    if (!(p >= 0 && p < 1)) throw new RangeError(`EmbeddingNet: dropout ${p} is outside [0, 1)`);
  const [min, max] = config.ratingRange;
  if (!(max > min)) throw new RangeError(`EmbeddingNet: ratingRange [${min}, ${max}] is empty`);
}

/** One linear layer: weight `[outputs, inputs]`, bias `[outputs]`. */
export interface HostLayer {
  readonly weight: HostValues;
  readonly bias: HostValues;
  readonly inputs: number;
  readonly outputs: number;
}

/** First-layer projections per user and per item (`[rows, hidden]`), valid where the stamp equals the generation. */
interface Projections {
  versions: number[];
  generation: number;
  user: Float64Array;
  item: Float64Array;
  userStamp: Int32Array;
  itemStamp: Int32Array;
}

/**
 * EmbeddingNet's eval-mode maths on the host, in float64: `concat(u, i) → Linear → ReLU → … →
 * Linear(→1) → sigmoid · (max − min + 1) + min − 0.5`. The first layer is split into a user part and
 * an item part, `W·concat(u, i) = W_u·u + W_i·i`: each user's and each item's part is computed once
 * and cached until the embeddings or that weight change (their versions), so scoring many items for
 * one user (recommend) costs the later layers only.
 */
export class EmbeddingNetScorer implements HostScorer {
  readonly #config: EmbeddingNetConfig;
  readonly #user: HostValues;
  readonly #item: HostValues;
  readonly #layers: HostLayer[];
  readonly #ins: number[];
  readonly #outs: number[];
  /** Per layer pre-activations of the one pair being computed. */
  readonly #z: Float64Array[];
  readonly #range: number;
  readonly #offset: number;
  #projection: Projections | undefined;
  #scratch = new Float64Array(0);

  constructor(config: EmbeddingNetConfig, parameter: (name: string) => HostValues) {
    this.#config = config;
    this.#user = parameter('userEmbedding');
    this.#item = parameter('itemEmbedding');
    const widths = [2 * config.nFactors, ...config.hidden, 1];
    this.#layers = widths.slice(1).map((outputs, l) => ({
      weight: parameter(embeddingNetLayerName(l, config.hidden.length, 'weight')),
      bias: parameter(embeddingNetLayerName(l, config.hidden.length, 'bias')),
      inputs: widths[l]!,
      outputs,
    }));
    this.#ins = this.#layers.map((l) => l.inputs);
    this.#outs = this.#layers.map((l) => l.outputs);
    this.#z = this.#outs.map((o) => new Float64Array(o));
    this.#range = config.ratingRange[1] - config.ratingRange[0] + 1;
    this.#offset = config.ratingRange[0] - 0.5;
  }

  /** The linear layers (hidden ones, then the output), in order. */
  get layers(): readonly HostLayer[] {
    return this.#layers;
  }

  predict(userIndex: Int32Array, itemIndex: Int32Array, count: number, out: Float32Array): void {
    const p = this.#projections();
    const f = this.#config.nFactors;
    const layers = this.#layers;
    const L = layers.length;
    const z = this.#z;
    const h0 = this.#outs[0]!;
    const w0 = layers[0]!.weight.values;
    const b0 = layers[0]!.bias.values;
    const uv = this.#user.values;
    const iv = this.#item.values;
    const z0 = z[0]!;
    const gen = p.generation;
    for (let b = 0; b < count; b++) {
      const u = userIndex[b]!;
      const i = itemIndex[b]!;
      const up = u * h0;
      const ip = i * h0;
      if (p.userStamp[u] !== gen) {
        project(w0, 2 * f, 0, uv, u * f, f, h0, p.user, up);
        p.userStamp[u] = gen;
      }
      if (p.itemStamp[i] !== gen) {
        project(w0, 2 * f, f, iv, i * f, f, h0, p.item, ip);
        p.itemStamp[i] = gen;
      }
      for (let o = 0; o < h0; o++) z0[o] = b0[o]! + p.user[up + o]! + p.item[ip + o]!;
      forwardAfterFirstLayer(layers, this.#ins, this.#outs, z);
      const sig = 1 / (1 + Math.exp(-z[L - 1]![0]!));
      out[b] = sig * this.#range + this.#offset;
    }
  }

  /**
   * {@link EmbeddingNetScorer.predict} for one user: one pass brings the user's and the items'
   * first-layer projections up to date, `b₀ + W_u·u` is added once, then each item costs its
   * projection plus the later layers (no cache checks in the item loop). Same sums in the same order.
   */
  scoreItems(userIndex: number, itemIndex: Int32Array, out: Float32Array): void {
    const p = this.#projections();
    const f = this.#config.nFactors;
    const layers = this.#layers;
    const L = layers.length;
    const outs = this.#outs;
    const z = this.#z;
    const h0 = outs[0]!;
    const w0 = layers[0]!.weight.values;
    const b0 = layers[0]!.bias.values;
    const gen = p.generation;
    const n = out.length;
    const up = userIndex * h0;
    if (p.userStamp[userIndex] !== gen) {
      project(w0, 2 * f, 0, this.#user.values, userIndex * f, f, h0, p.user, up);
      p.userStamp[userIndex] = gen;
    }
    const iv = this.#item.values;
    const item = p.item;
    const itemStamp = p.itemStamp;
    for (let j = 0; j < n; j++) {
      const i = itemIndex[j]!;
      if (itemStamp[i] !== gen) {
        project(w0, 2 * f, f, iv, i * f, f, h0, item, i * h0);
        itemStamp[i] = gen;
      }
    }
    // b₀ + W_u·u, added first as predict does
    const zu = new Float64Array(h0);
    for (let o = 0; o < h0; o++) zu[o] = b0[o]! + p.user[up + o]!;
    const range = this.#range;
    const offset = this.#offset;
    if (L === 2 && outs[1] === 1) {
      // the notebook's shape: one hidden layer, then the output unit
      const w1 = layers[1]!.weight.values;
      const b1 = layers[1]!.bias.values[0]!;
      // the output unit's input first, the sigmoids after: no call inside the hot loop
      if (this.#scratch.length < n) this.#scratch = new Float64Array(n);
      const zs = this.#scratch;
      for (let j = 0; j < n; j++) {
        const ip = itemIndex[j]! * h0;
        let acc = b1;
        for (let o = 0; o < h0; o++) {
          const a = zu[o]! + item[ip + o]!;
          if (a > 0) acc += w1[o]! * a;
        }
        zs[j] = acc;
      }
      for (let j = 0; j < n; j++) out[j] = (1 / (1 + Math.exp(-zs[j]!))) * range + offset;
      return;
    }
    const z0 = z[0]!;
    for (let j = 0; j < n; j++) {
      const ip = itemIndex[j]! * h0;
      for (let o = 0; o < h0; o++) z0[o] = zu[o]! + item[ip + o]!;
      forwardAfterFirstLayer(layers, this.#ins, outs, z);
      out[j] = (1 / (1 + Math.exp(-z[L - 1]![0]!))) * range + offset;
    }
  }

  /** The cached first-layer projections, invalidated when the embeddings or the first weight change. */
  #projections(): Projections {
    const versions = [this.#user.version, this.#item.version, this.#layers[0]!.weight.version];
    const h0 = this.#outs[0]!;
    const { nUsers, nItems } = this.#config;
    let p = this.#projection;
    if (!p || p.userStamp.length !== nUsers || p.itemStamp.length !== nItems) {
      p = {
        versions: [],
        generation: 0,
        user: new Float64Array(nUsers * h0),
        item: new Float64Array(nItems * h0),
        userStamp: new Int32Array(nUsers),
        itemStamp: new Int32Array(nItems),
      };
      this.#projection = p;
    }
    if (p.generation === 0 || versions.some((v, k) => v !== p.versions[k])) {
      p.generation++;
      p.versions = versions;
    }
    return p;
  }
}

/**
 * Eval-mode forward of layers 1.. from layer 0's pre-activations `z[0]`: `z[l] = W_l·relu(z[l−1]) + b_l`
 * (one place for predict and the one-user scoring path, so both give the same bits).
 */
function forwardAfterFirstLayer(
  layers: readonly HostLayer[],
  ins: readonly number[],
  outs: readonly number[],
  z: readonly Float64Array[],
): void {
  for (let l = 1; l < layers.length; l++) {
    const prev = z[l - 1]!;
    const zl = z[l]!;
    const w = layers[l]!.weight.values;
    const bias = layers[l]!.bias.values;
    const inp = ins[l]!;
    for (let o = 0; o < outs[l]!; o++) {
      let acc = bias[o]!;
      const row = o * inp;
      for (let k = 0; k < inp; k++) {
        const a = prev[k]!;
        if (a > 0) acc += w[row + k]! * a;
      }
      zl[o] = acc;
    }
  }
}

/** `dst[at + o] = Σ_d w[o·stride + col + d] · v[from + d]` for `o < outputs`. */
function project(
  w: Float32Array,
  stride: number,
  col: number,
  v: Float32Array,
  from: number,
  dim: number,
  outputs: number,
  dst: Float64Array,
  at: number,
): void {
  for (let o = 0; o < outputs; o++) {
    let acc = 0;
    const row = o * stride + col;
    for (let d = 0; d < dim; d++) acc += w[row + d]! * v[from + d]!;
    dst[at + o] = acc;
  }
}
