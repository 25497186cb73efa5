import type { BiasBaselineConfig } from '../models/model-config.js';
import type { HostScorer, HostValues, ParameterSpec } from './host-scorer.js';

/** The bias baseline's parameters: `userBias [nUsers, 1]`, `itemBias [nItems, 1]`, `globalBias [1]`. */
export function biasBaselineSpecs(config: BiasBaselineConfig): ParameterSpec[] {
  return [
    { name: 'userBias', kind: 'embedding', shape: [config.nUsers, 1] },
    { name: 'itemBias', kind: 'embedding', shape: [config.nItems, 1] },
    { name: 'globalBias', kind: 'dense', shape: [1], weightDecayScale: 0 },
  ];
}

/** The bias baseline's eval-mode maths: `clip(μ + b_u + b_i, ratingRange)`. */
export class BiasBaselineScorer implements HostScorer {
  readonly #config: BiasBaselineConfig;
  readonly #userBias: HostValues;
  readonly #itemBias: HostValues;
  readonly #global: HostValues;

  constructor(config: BiasBaselineConfig, parameter: (name: string) => HostValues) {
    this.#config = config;
    this.#userBias = parameter('userBias');
    this.#itemBias = parameter('itemBias');
    this.#global = parameter('globalBias');
  }

  /** The global mean the biases are relative to. */
  get globalMean(): number {
    return this.#global.values[0]!;
  }

  /** User bias of a dense user index. */
  userBiasAt(userIndex: number): number {
    return this.#userBias.values[userIndex]!;
  }

  /** Item bias of a dense item index. */
  itemBiasAt(itemIndex: number): number {
    return this.#itemBias.values[itemIndex]!;
  }

  predict(userIndex: Int32Array, itemIndex: Int32Array, count: number, out: Float32Array): void {
    const [lo, hi] = this.#config.ratingRange;
    for (let b = 0; b < count; b++) {
      const v =
        this.globalMean +
        this.#userBias.values[userIndex[b]!]! +
        this.#itemBias.values[itemIndex[b]!]!;
      out[b] = Math.min(hi, Math.max(lo, v));
    }
  }

  /** {@link BiasBaselineScorer.predict} for one user: `μ + b_u` read once. */
  scoreItems(userIndex: number, itemIndex: Int32Array, out: Float32Array): void {
    const [lo, hi] = this.#config.ratingRange;
    const ib = this.#itemBias.values;
    const base = this.globalMean + this.#userBias.values[userIndex]!;
    for (let j = 0; j < out.length; j++)
      out[j] = Math.min(hi, Math.max(lo, base + ib[itemIndex[j]!]!));
  }
}
