import { addItemDots } from '../core/add-item-dots.js';
import type { BiasedMatrixFactorizationConfig } from '../models/model-config.js';
import type { HostScorer, HostValues, ParameterSpec } from './host-scorer.js';

/** Biased MF's parameters: EmbeddingDotBias's four tables plus a dense `globalBias [1]`. */
export function biasedMatrixFactorizationSpecs(
  config: BiasedMatrixFactorizationConfig,
): ParameterSpec[] {
  const f = config.nFactors;
  return [
    { name: 'userEmbedding', kind: 'embedding', shape: [config.nUsers, f] },
    { name: 'itemEmbedding', kind: 'embedding', shape: [config.nItems, f] },
    { name: 'userBias', kind: 'embedding', shape: [config.nUsers, 1] },
    { name: 'itemBias', kind: 'embedding', shape: [config.nItems, 1] },
    { name: 'globalBias', kind: 'dense', shape: [1], weightDecayScale: 0 },
  ];
}

/** Throws `RangeError` for a config biased MF cannot compute with (empty range, nFactors < 1). */
export function checkBiasedMatrixFactorizationConfig(
  config: BiasedMatrixFactorizationConfig,
): void {
  const [min, max] = config.ratingRange;
  if (!(max > min))
    throw new RangeError(`BiasedMatrixFactorization: ratingRange [${min}, ${max}] is empty`);
  if (!(Number.isInteger(config.nFactors) && config.nFactors >= 1)) {
    throw new RangeError(
      `BiasedMatrixFactorization: nFactors must be a whole number ≥ 1, got ${config.nFactors}`,
    );
  }
}

/** Biased MF's eval-mode maths: `clip(μ + b_u + b_i + p_u·q_i, ratingRange)`. */
export class BiasedMatrixFactorizationScorer implements HostScorer {
  readonly #config: BiasedMatrixFactorizationConfig;
  readonly #user: HostValues;
  readonly #item: HostValues;
  readonly #userBias: HostValues;
  readonly #itemBias: HostValues;
  readonly #global: HostValues;
  #scratch = new Float64Array(0);

  constructor(config: BiasedMatrixFactorizationConfig, parameter: (name: string) => HostValues) {
    this.#config = config;
    this.#user = parameter('userEmbedding');
    this.#item = parameter('itemEmbedding');
    this.#userBias = parameter('userBias');
    this.#itemBias = parameter('itemBias');
    this.#global = parameter('globalBias');
  }

  /** Unclipped `μ + b_u + b_i + p_u·q_i` of one pair (what training fits). */
  raw(u: number, i: number): number {
    const f = this.#config.nFactors;
    const uo = u * f;
    const io = i * f;
    const uv = this.#user.values;
    const iv = this.#item.values;
    let res = this.#global.values[0]! + this.#userBias.values[u]! + this.#itemBias.values[i]!;
    for (let d = 0; d < f; d++) res += uv[uo + d]! * iv[io + d]!;
    return res;
  }

  predict(userIndex: Int32Array, itemIndex: Int32Array, count: number, out: Float32Array): void {
    const [lo, hi] = this.#config.ratingRange;
    for (let b = 0; b < count; b++)
      out[b] = Math.min(hi, Math.max(lo, this.raw(userIndex[b]!, itemIndex[b]!)));
  }

  /** {@link BiasedMatrixFactorizationScorer.predict} for one user: `μ + b_u` and the user's row read once, eight items at a time. */
  scoreItems(userIndex: number, itemIndex: Int32Array, out: Float32Array): void {
    const f = this.#config.nFactors;
    const ib = this.#itemBias.values;
    const base = this.#global.values[0]! + this.#userBias.values[userIndex]!;
    const n = out.length;
    if (this.#scratch.length < n) this.#scratch = new Float64Array(n);
    const res = this.#scratch.subarray(0, n);
    for (let j = 0; j < n; j++) res[j] = base + ib[itemIndex[j]!]!;
    const user = Float64Array.from(this.#user.values.subarray(userIndex * f, (userIndex + 1) * f));
    addItemDots(user, this.#item.values, f, itemIndex, res);
    const [lo, hi] = this.#config.ratingRange;
    for (let j = 0; j < n; j++) out[j] = Math.min(hi, Math.max(lo, res[j]!));
  }
}
