import type { Parameter, ParameterGradient } from '@cf/model';
import {
  DenseGradientBuffer,
  buildGroups,
  rowDim,
  type EmbeddingUpdateMode,
  type Optimizer,
  type OptimizerOptions,
  type ParameterGroup,
} from './optimizer.js';

/** Options of {@link createSgd}. */
export interface SgdOptions extends OptimizerOptions {
  /** Default 0.01. */
  lr?: number;
  /** Default 0.9. */
  momentum?: number;
  /** Coupled L2 (`g += wd·w`), as PyTorch's SGD. Default 0. */
  weightDecay?: number;
}

/** SGD with momentum, as PyTorch's (`buf = μ·buf + g; w −= lr·buf`), with row-sparse embedding updates in `lazy` mode. */
export class Sgd implements Optimizer {
  readonly name = 'SGD';
  readonly groups: ParameterGroup[];
  readonly embeddingUpdate: EmbeddingUpdateMode;
  #step = 0;
  readonly #buf = new Map<Parameter, Float32Array>();
  readonly #groupOf = new Map<Parameter, ParameterGroup>();
  readonly #dense = new DenseGradientBuffer();

  constructor(parameters: readonly Parameter[], options: SgdOptions = {}) {
    this.groups = buildGroups(
      parameters,
      options,
      options.lr ?? 0.01,
      options.weightDecay ?? 0,
      options.momentum ?? 0.9,
    );
    this.embeddingUpdate = options.embeddingUpdate ?? 'lazy';
    for (const g of this.groups) {
      for (const p of g.parameters) {
        this.#groupOf.set(p, g);
        this.#buf.set(p, new Float32Array(p.values.length));
      }
    }
  }

  get stepCount(): number {
    return this.#step;
  }

  step(gradients: readonly ParameterGradient[]): void {
    this.#step++;
    for (const gradient of gradients) {
      const p = gradient.parameter;
      const group = this.#groupOf.get(p);
      if (!group) continue;
      if (gradient.rows && this.embeddingUpdate === 'lazy') {
        const dim = rowDim(p);
        gradient.rows.forEach((row, k) =>
          this.#update(p, group, gradient.values, k * dim, row * dim, dim),
        );
      } else {
        this.#update(p, group, this.#dense.expand(gradient), 0, 0, p.values.length);
        this.#dense.clear(gradient);
      }
      p.markChanged();
    }
  }

  #update(
    p: Parameter,
    group: ParameterGroup,
    grad: Float32Array,
    from: number,
    to: number,
    len: number,
  ): void {
    const w = p.values;
    const buf = this.#buf.get(p)!;
    const wd = group.weightDecay * p.weightDecayScale;
    const mu = group.momentum;
    const lr = group.lr;
    const first = this.#step === 1;
    for (let k = 0; k < len; k++) {
      const j = to + k;
      const g = grad[from + k]! + wd * w[j]!;
      const b = first || mu === 0 ? g : mu * buf[j]! + g;
      buf[j] = b;
      w[j] = w[j]! - lr * b;
    }
  }

  /** Nothing is deferred in SGD. */
  flush(): void {}

  stateDict(): Record<string, Float32Array[]> {
    const out: Record<string, Float32Array[]> = {};
    for (const [p, b] of this.#buf) out[p.name] = [b];
    return out;
  }

  loadStateDict(state: Record<string, Float32Array[]>, stepCount: number): void {
    for (const [p, b] of this.#buf) {
      const saved = state[p.name]?.[0];
      if (!saved || saved.length !== b.length)
        throw new RangeError(`optimizer state for ${p.name} is missing or has the wrong size`);
      b.set(saved);
    }
    this.#step = stepCount;
  }
}

/** Creates an {@link Sgd} optimizer. */
export function createSgd(parameters: readonly Parameter[], options: SgdOptions = {}): Sgd {
  return new Sgd(parameters, options);
}
