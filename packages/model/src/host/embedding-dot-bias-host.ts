import { addItemDots } from '../core/add-item-dots.js';
import type { EmbeddingDotBiasConfig } from '../models/model-config.js';
import type { HostScorer, HostValues, ParameterSpec } from './host-scorer.js';

/** EmbeddingDotBias's parameters: user and item embeddings `[n, nFactors]` and biases `[n, 1]`. */
export function embeddingDotBiasSpecs(config: EmbeddingDotBiasConfig): ParameterSpec[] {
  const f = config.nFactors;
  return [
    { name: 'userEmbedding', kind: 'embedding', shape: [config.nUsers, f] },
    { name: 'itemEmbedding', kind: 'embedding', shape: [config.nItems, f] },
    { name: 'userBias', kind: 'embedding', shape: [config.nUsers, 1] },
    { name: 'itemBias', kind: 'embedding', shape: [config.nItems, 1] },
  ];
}

/** Throws `RangeError` for a config EmbeddingDotBias cannot compute with (an empty `yRange`). */
export function checkEmbeddingDotBiasConfig(config: EmbeddingDotBiasConfig): void {
  if (config.yRange && !(config.yRange[1] > config.yRange[0])) {
    throw new RangeError(`EmbeddingDotBias: yRange [${config.yRange.join(', ')}] is empty`);
  }
}

/** EmbeddingDotBias's eval-mode maths: `sigmoid_range(Σ u·i + b_u + b_i, low, high)`. */
export class EmbeddingDotBiasScorer implements HostScorer {
  readonly #config: EmbeddingDotBiasConfig;
  readonly #user: HostValues;
  readonly #item: HostValues;
  readonly #userBias: HostValues;
  readonly #itemBias: HostValues;
  #scratch = new Float64Array(0);

  constructor(config: EmbeddingDotBiasConfig, parameter: (name: string) => HostValues) {
    this.#config = config;
    this.#user = parameter('userEmbedding');
    this.#item = parameter('itemEmbedding');
    this.#userBias = parameter('userBias');
    this.#itemBias = parameter('itemBias');
  }

  predict(userIndex: Int32Array, itemIndex: Int32Array, count: number, out: Float32Array): void {
    const f = this.#config.nFactors;
    const uv = this.#user.values;
    const iv = this.#item.values;
    const ub = this.#userBias.values;
    const ib = this.#itemBias.values;
    const squash = this.#config.yRange;
    const low = squash ? squash[0] : 0;
    const span = squash ? squash[1] - squash[0] : 0;
    for (let b = 0; b < count; b++) {
      const u = userIndex[b]!;
      const i = itemIndex[b]!;
      const uo = u * f;
      const io = i * f;
      let res = ub[u]! + ib[i]!;
      for (let d = 0; d < f; d++) res += uv[uo + d]! * iv[io + d]!;
      out[b] = squash ? (1 / (1 + Math.exp(-res))) * span + low : res;
    }
  }

  /** {@link EmbeddingDotBiasScorer.predict} for one user: the user's row and bias read once, eight items at a time. */
  scoreItems(userIndex: number, itemIndex: Int32Array, out: Float32Array): void {
    const f = this.#config.nFactors;
    const ib = this.#itemBias.values;
    const ub = this.#userBias.values[userIndex]!;
    const n = out.length;
    if (this.#scratch.length < n) this.#scratch = new Float64Array(n);
    const res = this.#scratch.subarray(0, n);
    for (let j = 0; j < n; j++) res[j] = ub + ib[itemIndex[j]!]!;
    const user = Float64Array.from(this.#user.values.subarray(userIndex * f, (userIndex + 1) * f));
    addItemDots(user, this.#item.values, f, itemIndex, res);
    const squash = this.#config.yRange;
    if (!squash) {
      out.set(res);
      return;
    }
    const low = squash[0];
    const span = squash[1] - squash[0];
    for (let j = 0; j < n; j++) out[j] = (1 / (1 + Math.exp(-res[j]!))) * span + low;
  }
}
