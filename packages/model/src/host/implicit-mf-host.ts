import { addItemDots } from '../core/add-item-dots.js';
import type { ImplicitMatrixFactorizationConfig } from '../models/model-config.js';
import type { HostScorer, HostValues, ParameterSpec } from './host-scorer.js';

/** Implicit MF's parameters: user and item factors `[n, nFactors]`. */
export function implicitMatrixFactorizationSpecs(
  config: ImplicitMatrixFactorizationConfig,
): ParameterSpec[] {
  return [
    { name: 'userEmbedding', kind: 'embedding', shape: [config.nUsers, config.nFactors] },
    { name: 'itemEmbedding', kind: 'embedding', shape: [config.nItems, config.nFactors] },
  ];
}

/** Throws `RangeError` for a config implicit MF cannot hold (nFactors < 1, a negative or infinite α₀, λ or ν). */
export function checkImplicitMatrixFactorizationConfig(
  config: ImplicitMatrixFactorizationConfig,
): void {
  if (!(Number.isInteger(config.nFactors) && config.nFactors >= 1)) {
    throw new RangeError(
      `ImplicitMatrixFactorization: nFactors must be a whole number ≥ 1, got ${config.nFactors}`,
    );
  }
  for (const key of ['unobservedWeight', 'regularization', 'frequencyExponent'] as const) {
    const v = config[key];
    if (!(Number.isFinite(v) && v >= 0))
      throw new RangeError(`ImplicitMatrixFactorization: ${key} must be finite and ≥ 0, got ${v}`);
  }
}

/** Implicit MF's scores: `p_u · q_i` (a ranking score, not a rating). */
export class ImplicitMatrixFactorizationScorer implements HostScorer {
  readonly #f: number;
  readonly #user: HostValues;
  readonly #item: HostValues;
  #scratch = new Float64Array(0);

  constructor(config: ImplicitMatrixFactorizationConfig, parameter: (name: string) => HostValues) {
    this.#f = config.nFactors;
    this.#user = parameter('userEmbedding');
    this.#item = parameter('itemEmbedding');
  }

  /** `p_u · q_i` of one pair. */
  dot(u: number, i: number): number {
    const f = this.#f;
    const uo = u * f;
    const io = i * f;
    const uv = this.#user.values;
    const iv = this.#item.values;
    let res = 0;
    for (let d = 0; d < f; d++) res += uv[uo + d]! * iv[io + d]!;
    return res;
  }

  predict(userIndex: Int32Array, itemIndex: Int32Array, count: number, out: Float32Array): void {
    for (let b = 0; b < count; b++) out[b] = this.dot(userIndex[b]!, itemIndex[b]!);
  }

  /** One user's scores: the user's row read once, eight items at a time. */
  scoreItems(userIndex: number, itemIndex: Int32Array, out: Float32Array): void {
    const f = this.#f;
    if (this.#scratch.length < out.length) this.#scratch = new Float64Array(out.length);
    const res = this.#scratch.subarray(0, out.length);
    res.fill(0);
    const user = Float64Array.from(this.#user.values.subarray(userIndex * f, (userIndex + 1) * f));
    addItemDots(user, this.#item.values, f, itemIndex, res);
    for (let j = 0; j < out.length; j++) out[j] = res[j]!;
  }
}
