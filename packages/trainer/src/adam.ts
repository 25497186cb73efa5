import type { Parameter, ParameterGradient } from '@cf/model';
import { AdamTableKernel, type AdamStepScalars } from '@cf/kernels';
import { LazyCatchUp } from './lazy-catch-up.js';
import {
  DenseGradientBuffer,
  buildGroups,
  rowDim,
  type EmbeddingUpdateMode,
  type Optimizer,
  type OptimizerOptions,
  type ParameterGroup,
} from './optimizer.js';

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
 *
 * In both modes the update runs in the WebAssembly SIMD kernels of `@cf/kernels` (float32,
 * PyTorch's order of operations) when they are available: `dense` mode moves every row of every
 * table every step (`adamTable`), `lazy` mode only the batch's rows (`adamRows`), and dense
 * parameters take whole steps either way. The optimizer then moves its parameters' storage into
 * the kernel's memory at construction ({@link Parameter.relocate}; `parameter.values` is a view of
 * that memory from then on) and keeps the moments there too. Lazy AdamW's catch-up factors
 * (`LazyCatchUp`) are computed here and applied by the kernel to each row just before its update
 * (`flush` applies them in JavaScript, on views of that memory). Without the kernels (or after
 * `setWasmKernelsEnabled(false)`) the same updates run in JavaScript (float64 arithmetic).
 */
export class Adam implements Optimizer {
  readonly name: string;
  readonly groups: ParameterGroup[];
  readonly embeddingUpdate: EmbeddingUpdateMode;
  readonly beta2: number;
  readonly eps: number;
  readonly decoupled: boolean;
  #step = 0;
  /** Per parameter: its group, moments, row size and (lazy AdamW tables) catch-up; one lookup per gradient. */
  readonly #state = new Map<Parameter, AdamState>();
  readonly #dense = new DenseGradientBuffer();
  /** With the WebAssembly kernels: every parameter's weights and moments live here. */
  readonly #kernel: AdamTableKernel | undefined;
  /** Lazy AdamW with the kernels: four catch-up factors per gradient row, for the kernel to apply. */
  #catchUpFactors = new Float32Array(0);
  /** Reused for each kernel call. */
  readonly #scalars: AdamStepScalars = {
    beta1: 0,
    beta2: 0,
    stepSize: 0,
    sqrtBc2: 0,
    eps: 0,
    decay: 1,
    l2: 0,
  };

  constructor(parameters: readonly Parameter[], options: AdamOptions = {}) {
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    this.groups = buildGroups(
      parameters,
      options,
      options.lr ?? 1e-3,
      options.weightDecay ?? 0,
      beta1,
    );
    this.beta2 = beta2;
    this.eps = options.eps ?? 1e-8;
    this.decoupled = options.decoupledWeightDecay ?? false;
    this.embeddingUpdate = options.embeddingUpdate ?? 'lazy';
    this.name = this.decoupled ? 'AdamW' : 'Adam';
    const owned = this.groups.flatMap((g) => g.parameters.map((p) => ({ g, p })));
    this.#kernel = AdamTableKernel.create(owned.map(({ p }) => tableShape(p)));
    owned.forEach(({ g, p }, table) => {
      const catchUp =
        this.embeddingUpdate === 'lazy' && this.decoupled && p.kind === 'embedding'
          ? new LazyCatchUp(p.shape[0] ?? 1, this.beta2)
          : undefined;
      const buffers = this.#kernel?.tables[table];
      // the parameter's storage moves into the kernel's memory; its moments start there at zero
      if (buffers) p.relocate(buffers.weights);
      this.#state.set(p, {
        group: g,
        m: buffers?.m ?? new Float32Array(p.values.length),
        v: buffers?.v ?? new Float32Array(p.values.length),
        dim: rowDim(p),
        catchUp,
        table,
      });
    });
  }

  /** Whether steps run in the WebAssembly kernels (they were available when it was created). */
  get usesWasmKernel(): boolean {
    return this.#kernel !== undefined;
  }

  get stepCount(): number {
    return this.#step;
  }

  step(gradients: readonly ParameterGradient[]): void {
    const step = ++this.#step;
    const lazy = this.embeddingUpdate === 'lazy';
    const beta2 = this.beta2;
    const eps = this.eps;
    const kernel = this.#kernel;
    for (let q = 0; q < gradients.length; q++) {
      const gradient = gradients[q]!;
      const p = gradient.parameter;
      const state = this.#state.get(p);
      if (!state) continue; // frozen: not in any group
      const { group, m, v, dim, catchUp, table } = state;
      const beta1 = group.momentum;
      const lr = group.lr;
      const wd = group.weightDecay * p.weightDecayScale;
      const bc1 = 1 - Math.pow(beta1, step);
      const bc2 = 1 - Math.pow(beta2, step);
      const stepSize = lr / bc1;
      const invSqrtBc2 = 1 / Math.sqrt(bc2);
      const decay = this.decoupled ? 1 - lr * wd : 1;
      const l2 = this.decoupled ? 0 : wd;
      const rows = gradient.rows;
      if (kernel) {
        const weights = kernel.tables[table]!.weights;
        // another owner (a second optimizer over the same model) moved it since: take it back
        if (p.values !== weights) p.relocate(weights);
        const s = this.#scalars;
        s.beta1 = beta1;
        s.beta2 = beta2;
        s.stepSize = stepSize;
        s.sqrtBc2 = Math.sqrt(bc2);
        s.eps = eps;
        s.decay = decay;
        s.l2 = l2;
        if (rows && lazy) {
          if (catchUp) {
            // the factors are computed here, and applied by the kernel just before the update
            catchUp.beginStep(lr, wd, beta1, bc1, bc2);
            if (this.#catchUpFactors.length < 4 * rows.length)
              this.#catchUpFactors = new Float32Array(4 * rows.length);
            const factors = this.#catchUpFactors;
            for (let k = 0; k < rows.length; k++) catchUp.catchUpFactors(rows[k]!, factors, 4 * k);
            kernel.stepOnlyRows(table, rows, gradient.values, s, factors);
          } else kernel.stepOnlyRows(table, rows, gradient.values, s);
        } else if (rows) kernel.stepRows(table, rows, gradient.values, s);
        else kernel.stepWhole(table, gradient.values, s);
      } else if (rows && lazy) {
        if (catchUp) {
          catchUp.beginStep(lr, wd, beta1, bc1, bc2);
          for (let k = 0; k < rows.length; k++)
            catchUp.catchUpRow(rows[k]!, dim, p.values, m, v, eps);
        }
        adamRows(
          p.values,
          m,
          v,
          gradient.values,
          rows,
          dim,
          beta1,
          beta2,
          stepSize,
          invSqrtBc2,
          eps,
          decay,
          l2,
        );
      } else {
        const full = this.#dense.expand(gradient);
        adamRange(
          p.values,
          m,
          v,
          full,
          0,
          0,
          p.values.length,
          beta1,
          beta2,
          stepSize,
          invSqrtBc2,
          eps,
          decay,
          l2,
        );
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
    for (const [p, { m, v, dim, catchUp }] of this.#state) {
      if (!catchUp) continue;
      catchUp.flush(dim, p.values, m, v, this.eps);
      p.markChanged();
    }
  }

  /** The moments by parameter name; deferred lazy decay is applied first so the state is complete. */
  stateDict(): Record<string, Float32Array[]> {
    this.flush();
    const out: Record<string, Float32Array[]> = {};
    for (const [p, { m, v }] of this.#state) out[p.name] = [m, v];
    return out;
  }

  loadStateDict(state: Record<string, Float32Array[]>, stepCount: number): void {
    for (const [p, { m, v }] of this.#state) {
      const saved = state[p.name];
      if (
        !saved ||
        saved.length !== 2 ||
        saved[0]!.length !== m.length ||
        saved[1]!.length !== m.length
      ) {
        throw new RangeError(`optimizer state for ${p.name} is missing or has the wrong size`);
      }
      m.set(saved[0]!);
      v.set(saved[1]!);
    }
    // The loaded state is complete (stateDict flushes first): forget any catch-up history.
    for (const state of this.#state.values()) {
      if (state.catchUp) state.catchUp = new LazyCatchUp(state.catchUp.rows, this.beta2);
    }
    this.#step = stepCount;
  }
}

interface AdamState {
  readonly group: ParameterGroup;
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly dim: number;
  catchUp: LazyCatchUp | undefined;
  /** Index of the parameter's table in the kernel (when the kernels are used). */
  readonly table: number;
}

/** How the kernel lays out a parameter: its rows (first dimension) of the rest. */
function tableShape(p: Parameter): { rows: number; dim: number } {
  const rows = p.shape[0] ?? 1;
  return { rows, dim: rows > 0 ? p.values.length / rows : 0 };
}

/**
 * One Adam update of `w[to .. to+len)` from `grad[from .. from+len)` (PyTorch's arithmetic):
 * `w ← w·decay; g += l2·w; m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; w −= stepSize·m/(√v/√bc2 + eps)`.
 * A plain function over typed arrays so that the JIT keeps it monomorphic and tight.
 */
function adamRange(
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grad: Float32Array,
  from: number,
  to: number,
  len: number,
  beta1: number,
  beta2: number,
  stepSize: number,
  invSqrtBc2: number,
  eps: number,
  decay: number,
  l2: number,
): void {
  const c1 = 1 - beta1;
  const c2 = 1 - beta2;
  const shift = from - to;
  for (let j = to, end = to + len; j < end; j++) {
    let wj = w[j]! * decay;
    const g = grad[j + shift]! + l2 * wj;
    const mj = beta1 * m[j]! + c1 * g;
    const vj = beta2 * v[j]! + c2 * g * g;
    m[j] = mj;
    v[j] = vj;
    wj -= (stepSize * mj) / (Math.sqrt(vj) * invSqrtBc2 + eps);
    w[j] = wj;
  }
}

/** {@link adamRange} for the table rows `rows[k]` from gradient rows `k` (row size `dim`). */
function adamRows(
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  grad: Float32Array,
  rows: Int32Array,
  dim: number,
  beta1: number,
  beta2: number,
  stepSize: number,
  invSqrtBc2: number,
  eps: number,
  decay: number,
  l2: number,
): void {
  for (let k = 0; k < rows.length; k++)
    adamRange(
      w,
      m,
      v,
      grad,
      k * dim,
      rows[k]! * dim,
      dim,
      beta1,
      beta2,
      stepSize,
      invSqrtBc2,
      eps,
      decay,
      l2,
    );
}

/** Creates an {@link Adam} optimizer (PyTorch defaults unless given). */
export function createAdam(parameters: readonly Parameter[], options: AdamOptions = {}): Adam {
  return new Adam(parameters, options);
}

/** Creates AdamW with fastai v2's defaults: betas (0.9, 0.99), eps 1e-5, decoupled weight decay 0.01. */
export function createAdamW(parameters: readonly Parameter[], options: AdamOptions = {}): Adam {
  return new Adam(parameters, {
    betas: [0.9, 0.99],
    eps: 1e-5,
    weightDecay: 0.01,
    ...options,
    decoupledWeightDecay: true,
  });
}
