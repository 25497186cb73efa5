import type { Parameter, ParameterGradient } from '@cf/model';
import { LazyCatchUp } from './lazy-catch-up.js';
import { DenseGradientBuffer, buildGroups, rowDim, type EmbeddingUpdateMode, type Optimizer, type OptimizerOptions, type ParameterGroup } from './optimizer.js';

/** Options of {@link createAdam}. */
export interface AdamOptions extends OptimizerOptions {
  /** Default 1e-3. */
  lr?: number;
  /** `[β1, β2]`. Default `[0.9, 0.999]` (PyTorch). fastai v2 uses `[0.9, 0.99]`. */
  betas?: [number, number];
  /** Default 1e-8 (PyTorch). fastai v2 uses 1e-5. */
  eps?: number;
  /** Default 0. */
  weightDecay?: number;
  /**
   * `false` (default): coupled L2 as PyTorch's `Adam(weight_decay)`: `g += wd·w` before the
   * moments. `true`: decoupled (AdamW / fastai v2 `true_wd`): `w *= 1 − lr·wd` before the step.
   */
  decoupledWeightDecay?: boolean;
}

/**
 * Adam (and AdamW) over host parameters, with the learning rate and β1 settable at any step
 * (one-cycle schedules) and row-sparse updates of embedding tables in `lazy` mode.
 */
export class Adam implements Optimizer {
  readonly name: string;
  readonly groups: ParameterGroup[];
  readonly embeddingUpdate: EmbeddingUpdateMode;
  readonly beta2: number;
  readonly eps: number;
  readonly decoupled: boolean;
  #step = 0;
  readonly #m = new Map<Parameter, Float32Array>();
  readonly #v = new Map<Parameter, Float32Array>();
  readonly #groupOf = new Map<Parameter, ParameterGroup>();
  readonly #dense = new DenseGradientBuffer();
  /** Per embedding table in lazy mode: replays what dense mode does to rows outside the batch. */
  readonly #catchUp = new Map<Parameter, LazyCatchUp>();

  constructor(parameters: readonly Parameter[], options: AdamOptions = {}) {
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    this.groups = buildGroups(parameters, options, options.lr ?? 1e-3, options.weightDecay ?? 0, beta1);
    this.beta2 = beta2;
    this.eps = options.eps ?? 1e-8;
    this.decoupled = options.decoupledWeightDecay ?? false;
    this.embeddingUpdate = options.embeddingUpdate ?? 'lazy';
    this.name = this.decoupled ? 'AdamW' : 'Adam';
    for (const g of this.groups) {
      for (const p of g.parameters) {
        this.#groupOf.set(p, g);
        this.#m.set(p, new Float32Array(p.values.length));
        this.#v.set(p, new Float32Array(p.values.length));
        if (this.embeddingUpdate === 'lazy' && this.decoupled && p.kind === 'embedding') {
          this.#catchUp.set(p, new LazyCatchUp(p.shape[0] ?? 1, this.beta2));
        }
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
      if (!group) continue; // frozen: not in any group
      if (gradient.rows && this.embeddingUpdate === 'lazy') {
        const dim = rowDim(p);
        const rows = gradient.rows;
        const catchUp = this.#catchUp.get(p);
        if (catchUp) {
          const step = this.#step;
          catchUp.beginStep(group.lr, group.weightDecay * p.weightDecayScale, group.momentum, 1 - Math.pow(group.momentum, step), 1 - Math.pow(this.beta2, step));
          const m = this.#m.get(p)!;
          const v = this.#v.get(p)!;
          for (let k = 0; k < rows.length; k++) catchUp.catchUpRow(rows[k]!, dim, p.values, m, v, this.eps);
        }
        for (let k = 0; k < rows.length; k++) {
          this.#update(p, group, gradient.values, k * dim, rows[k]! * dim, dim);
        }
      } else {
        const full = this.#dense.expand(gradient);
        this.#update(p, group, full, 0, 0, p.values.length);
        this.#dense.clear(gradient);
      }
      p.markChanged();
    }
  }

  /**
   * Lazy mode with decoupled weight decay: brings every row that missed steps up to date (decay,
   * moments and momentum drift, as dense mode would have left it). `fit` calls it before each
   * evaluation; `stateDict` calls it first. A no-op otherwise.
   */
  flush(): void {
    for (const [p, catchUp] of this.#catchUp) {
      catchUp.flush(rowDim(p), p.values, this.#m.get(p)!, this.#v.get(p)!, this.eps);
      p.markChanged();
    }
  }

  /** Updates `values[to .. to+len)` from `grad[from .. from+len)`. */
  #update(p: Parameter, group: ParameterGroup, grad: Float32Array, from: number, to: number, len: number): void {
    const w = p.values;
    const m = this.#m.get(p)!;
    const v = this.#v.get(p)!;
    const beta1 = group.momentum;
    const beta2 = this.beta2;
    const lr = group.lr;
    const wd = group.weightDecay * p.weightDecayScale;
    const bc1 = 1 - Math.pow(beta1, this.#step);
    const bc2 = 1 - Math.pow(beta2, this.#step);
    const stepSize = lr / bc1;
    const invSqrtBc2 = 1 / Math.sqrt(bc2);
    const eps = this.eps;
    const decay = this.decoupled ? 1 - lr * wd : 1;
    const l2 = this.decoupled ? 0 : wd;
    const c1 = 1 - beta1;
    const c2 = 1 - beta2;
    for (let k = 0; k < len; k++) {
      const j = to + k;
      let wj = w[j]! * decay;
      const g = grad[from + k]! + l2 * wj;
      const mj = beta1 * m[j]! + c1 * g;
      const vj = beta2 * v[j]! + c2 * g * g;
      m[j] = mj;
      v[j] = vj;
      wj -= (stepSize * mj) / (Math.sqrt(vj) * invSqrtBc2 + eps);
      w[j] = wj;
    }
  }

  /** The moments by parameter name; deferred lazy decay is applied first so the state is complete. */
  stateDict(): Record<string, Float32Array[]> {
    this.flush();
    const out: Record<string, Float32Array[]> = {};
    for (const [p, m] of this.#m) out[p.name] = [m, this.#v.get(p)!];
    return out;
  }

  loadStateDict(state: Record<string, Float32Array[]>, stepCount: number): void {
    for (const [p, m] of this.#m) {
      const saved = state[p.name];
      if (!saved || saved.length !== 2 || saved[0]!.length !== m.length || saved[1]!.length !== m.length) {
        throw new RangeError(`optimizer state for ${p.name} is missing or has the wrong size`);
      }
      m.set(saved[0]!);
      this.#v.get(p)!.set(saved[1]!);
    }
    this.#step = stepCount;
  }
}

/** Creates an {@link Adam} optimizer (PyTorch defaults unless given). */
export function createAdam(parameters: readonly Parameter[], options: AdamOptions = {}): Adam {
  return new Adam(parameters, options);
}

/** Creates AdamW with fastai v2's defaults: betas (0.9, 0.99), eps 1e-5, decoupled weight decay 0.01. */
export function createAdamW(parameters: readonly Parameter[], options: AdamOptions = {}): Adam {
  return new Adam(parameters, { betas: [0.9, 0.99], eps: 1e-5, weightDecay: 0.01, ...options, decoupledWeightDecay: true });
}
