/** Steps after a row's last update whose momentum drift is replayed one by one. */
const DRIFT_HORIZON = 96;

/** Catch-up factors that bring a row from its last update to the end of a later step. */
interface CatchUpFactors {
  /** Multiplies the weights: the decoupled weight decay of the skipped steps. */
  weight: number;
  /** Multiplies the first moment (Π β1). */
  m: number;
  /** Multiplies the second moment (β2^steps). */
  v: number;
  /** Times `m/(√v + eps)` of the row at its last update: how far dense momentum would have moved it. */
  drift: number;
}

/**
 * Makes lazy (row-sparse) AdamW agree with dense AdamW. In dense mode a row that is not in the
 * batch still (1) shrinks by `1 − lr·wd`, (2) has its moments decay by β1 and β2, and (3) keeps
 * moving on its momentum, `lr/bc1 · m/(√(v/bc2) + eps)` every step. With no gradient the row's
 * state evolves by known scalars, so this class records each step's scalars and, when a row is
 * touched again (or at {@link LazyCatchUp.flush}), applies all skipped steps at once: the decay and
 * moment factors exactly, the momentum drift replayed for the first {@link DRIFT_HORIZON} skipped
 * steps (after those, β1^96 leaves less than 1%) with `eps` taken at the row's last `√v`.
 * Rows touched together at the same step share one computation.
 */
export class LazyCatchUp {
  readonly #beta2: number;
  /** Per step (1-based): β1, the weight factor 1 − lr·wd, and lr/bc1·√bc2. */
  #beta1: Float64Array = new Float64Array(1024);
  #decay: Float64Array = new Float64Array(1024);
  #stepScale: Float64Array = new Float64Array(1024);
  /** Prefix sums of log β1 and log(1 − lr·wd); index 0 is 0. */
  #logBeta1: Float64Array = new Float64Array(1024);
  #logDecay: Float64Array = new Float64Array(1024);
  #step = 0;
  /** The step each row is current at (its weights include that step). */
  readonly #rowStep: Int32Array;
  /** Factors of the current step, by the row's last step. */
  readonly #cache = new Map<number, CatchUpFactors>();

  constructor(rows: number, beta2: number) {
    this.#beta2 = beta2;
    this.#rowStep = new Int32Array(rows);
  }

  /** Rows of the table. */
  get rows(): number {
    return this.#rowStep.length;
  }

  /** The step now being taken (1-based). */
  get step(): number {
    return this.#step;
  }

  /** Records the scalars of a new step; `bc1`, `bc2` are Adam's bias corrections at this step. */
  beginStep(lr: number, weightDecay: number, beta1: number, bc1: number, bc2: number): void {
    const t = ++this.#step;
    if (t >= this.#beta1.length) this.#grow();
    // lr·wd ≥ 1 would zero (or flip) weights; keep the log finite so the catch-up never makes NaN
    const decay = Math.max(1e-30, 1 - lr * weightDecay);
    this.#beta1[t] = beta1;
    this.#decay[t] = decay;
    this.#stepScale[t] = (lr / bc1) * Math.sqrt(bc2);
    this.#logBeta1[t] = this.#logBeta1[t - 1]! + Math.log(beta1);
    this.#logDecay[t] = this.#logDecay[t - 1]! + (decay > 0 ? Math.log(decay) : -Infinity);
    this.#cache.clear();
  }

  #grow(): void {
    const grow = (a: Float64Array): Float64Array => {
      const b = new Float64Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.#beta1 = grow(this.#beta1);
    this.#decay = grow(this.#decay);
    this.#stepScale = grow(this.#stepScale);
    this.#logBeta1 = grow(this.#logBeta1);
    this.#logDecay = grow(this.#logDecay);
  }

  /** Factors from the end of step `last` to the end of step `target`. */
  #factors(last: number, target: number): CatchUpFactors {
    const head = Math.min(target - last, DRIFT_HORIZON);
    const beta2 = this.#beta2;
    let m = 1;
    let v = 1;
    let weight = 1;
    let drift = 0;
    for (let t = last + 1; t <= last + head; t++) {
      const decay = this.#decay[t]!;
      m *= this.#beta1[t]!;
      v *= beta2;
      weight *= decay;
      drift = drift * decay + (this.#stepScale[t]! * m) / Math.sqrt(v);
    }
    const from = last + head;
    if (target > from) {
      const rest = Math.exp(this.#logDecay[target]! - this.#logDecay[from]!);
      weight *= rest;
      drift *= rest;
      m *= Math.exp(this.#logBeta1[target]! - this.#logBeta1[from]!);
      v *= Math.pow(beta2, target - from);
    }
    return { weight, m, v, drift };
  }

  /**
   * Brings `row` (elements `[row·dim, (row+1)·dim)` of `w`, `m`, `v`) to the end of the previous
   * step, before the current step's own update of it, and marks it current at this step.
   */
  catchUpRow(
    row: number,
    dim: number,
    w: Float32Array,
    m: Float32Array,
    v: Float32Array,
    eps: number,
  ): void {
    const last = this.#rowStep[row]!;
    const target = this.#step - 1;
    this.#rowStep[row] = this.#step;
    if (last >= target) return;
    let f = this.#cache.get(last);
    if (!f) {
      f = this.#factors(last, target);
      this.#cache.set(last, f);
    }
    apply(row * dim, dim, w, m, v, eps, f);
  }

  /** Brings every row to the end of the current step (before evaluation or saving). */
  flush(dim: number, w: Float32Array, m: Float32Array, v: Float32Array, eps: number): void {
    const target = this.#step;
    const byLast = new Map<number, CatchUpFactors>();
    for (let row = 0; row < this.#rowStep.length; row++) {
      const last = this.#rowStep[row]!;
      if (last >= target) continue;
      let f = byLast.get(last);
      if (!f) {
        f = this.#factors(last, target);
        byLast.set(last, f);
      }
      apply(row * dim, dim, w, m, v, eps, f);
    }
    // Every row is now current: the recorded history is no longer needed. Restart the clock so
    // memory stays bounded by the steps between flushes (an epoch), not the whole run.
    this.#rowStep.fill(0);
    this.#step = 0;
    this.#cache.clear();
  }
}

function apply(
  start: number,
  dim: number,
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  eps: number,
  f: CatchUpFactors,
): void {
  for (let j = start, end = start + dim; j < end; j++) {
    const mj = m[j]!;
    const vj = v[j]!;
    w[j] = w[j]! * f.weight - (f.drift * mj) / (Math.sqrt(vj) + eps);
    m[j] = mj * f.m;
    v[j] = vj * f.v;
  }
}
