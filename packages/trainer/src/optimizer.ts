import type { Parameter, ParameterGradient } from '@cf/model';

/**
 * How embedding tables are updated. `dense`: every row decays and moves every step, exactly as
 * PyTorch does with dense gradients. `lazy`: only the rows in the batch are touched (row-sparse,
 * like TensorFlow's LazyAdam), much faster on large tables.
 */
export type EmbeddingUpdateMode = 'dense' | 'lazy';

/** A group of parameters sharing hyper-parameters (fastai/PyTorch `param_groups`). */
export interface ParameterGroup {
  readonly parameters: readonly Parameter[];
  /** Learning rate; schedules and {@link setLrs} change it. */
  lr: number;
  /** Weight decay (coupled L2 or decoupled, per the optimizer), times each parameter's `weightDecayScale`. */
  weightDecay: number;
  /** Adam's β1, or SGD's momentum; one-cycle schedules change it. */
  momentum: number;
}

/** Options shared by the optimizers. */
export interface OptimizerOptions {
  lr?: number;
  weightDecay?: number;
  /** Embedding update mode. Default `'lazy'`. */
  embeddingUpdate?: EmbeddingUpdateMode;
  /** Groups with their own lr / weight decay; by default one group holds every parameter. */
  groups?: { parameters: readonly Parameter[]; lr?: number; weightDecay?: number }[];
}

/** A first-order optimizer over host parameters with row-sparse support for embeddings. */
export interface Optimizer {
  readonly name: string;
  readonly groups: ParameterGroup[];
  readonly embeddingUpdate: EmbeddingUpdateMode;
  /** Applies one update from the gradients of one batch, and marks the parameters changed. */
  step(gradients: readonly ParameterGradient[]): void;
  /** Steps taken. */
  readonly stepCount: number;
  /** Applies any deferred (lazy) decay so the parameters are current; `fit` calls it before evaluating. */
  flush(): void;
  /** Optimizer state (moments) for checkpoints, by parameter name. */
  stateDict(): Record<string, Float32Array[]>;
  /** Restores {@link Optimizer.stateDict} output and the step count. */
  loadStateDict(state: Record<string, Float32Array[]>, stepCount: number): void;
}

/**
 * Changes the learning rate of every group (one number) or of each group (a list whose length
 * must match), keeping the optimizer's moments: fastai 0.7's `set_lrs`.
 */
export function setLrs(optimizer: Optimizer, lrs: number | readonly number[]): void {
  if (typeof lrs === 'number') {
    for (const g of optimizer.groups) g.lr = lrs;
    return;
  }
  if (lrs.length !== optimizer.groups.length) {
    throw new RangeError(
      `setLrs: got ${lrs.length} learning rates for ${optimizer.groups.length} parameter groups`,
    );
  }
  optimizer.groups.forEach((g, k) => (g.lr = lrs[k]!));
}

/** Builds the groups from options, checking that each parameter is in exactly one group. */
export function buildGroups(
  parameters: readonly Parameter[],
  options: OptimizerOptions,
  lr: number,
  weightDecay: number,
  momentum: number,
): ParameterGroup[] {
  const specs = options.groups ?? [{ parameters }];
  const seen = new Set<Parameter>();
  const groups = specs.map((spec) => {
    for (const p of spec.parameters) {
      if (seen.has(p)) throw new RangeError(`parameter ${p.name} is in two optimizer groups`);
      seen.add(p);
    }
    return {
      parameters: spec.parameters,
      lr: spec.lr ?? lr,
      weightDecay: spec.weightDecay ?? weightDecay,
      momentum,
    };
  });
  return groups;
}

/**
 * Scatters row-sparse gradients into a table-sized buffer for dense updates and clears them after,
 * touching only the rows that were written.
 */
export class DenseGradientBuffer {
  readonly #buffers = new Map<Parameter, Float32Array>();

  /** The full gradient of `gradient.parameter` (zeros where no row was given). */
  expand(gradient: ParameterGradient): Float32Array {
    const p = gradient.parameter;
    if (!gradient.rows) return gradient.values;
    let buffer = this.#buffers.get(p);
    if (!buffer) {
      buffer = new Float32Array(p.values.length);
      this.#buffers.set(p, buffer);
    }
    const dim = p.values.length / (p.shape[0] ?? 1);
    const rows = gradient.rows;
    for (let k = 0; k < rows.length; k++)
      buffer.set(gradient.values.subarray(k * dim, (k + 1) * dim), rows[k]! * dim);
    return buffer;
  }

  /** Zeroes the rows {@link DenseGradientBuffer.expand} wrote for this gradient. */
  clear(gradient: ParameterGradient): void {
    if (!gradient.rows) return;
    const p = gradient.parameter;
    const buffer = this.#buffers.get(p);
    if (!buffer) return;
    const dim = p.values.length / (p.shape[0] ?? 1);
    for (const row of gradient.rows) buffer.fill(0, row * dim, (row + 1) * dim);
  }
}

/** Row dimension of a parameter (1 for vectors). */
export function rowDim(p: Parameter): number {
  return p.values.length / (p.shape[0] ?? 1);
}
