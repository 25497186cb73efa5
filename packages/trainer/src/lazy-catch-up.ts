/** Steps after a row's last update whose momentum drift is replayed one by one. */
const DRIFT_HORIZON = 96;

/**
 * Makes lazy (row-sparse) AdamW agree with dense AdamW. In dense mode a row that is not in the
 * batch still (1) shrinks by `1 − lr·wd`, (2) has its moments decay by β1 and β2, and (3) keeps
 * moving on its momentum, `lr/bc1 · m/(√(v/bc2) + eps)` every step. With no gradient the row's
 * state evolves by known scalars, so this class records each step's scalars and, when a row is
 * touched again (or at {@link LazyCatchUp.flush}), applies all skipped steps at once: the decay and
 * moment factors exactly, the momentum drift replayed for the first {@link DRIFT_HORIZON} skipped
 * steps (after those, β1^96 leaves less than 1%) with `eps` taken at the row's last `√v`.
 *
 * The factors cost O(1) per row: those that end at the current target for a gap of up to
 * {@link DRIFT_HORIZON} steps come from one backward recurrence shared by every row of the step,
 * and a longer gap takes its first {@link DRIFT_HORIZON} steps from a memo by the row's last step
 * (those steps never change) and the rest from prefix sums.
 */
export class LazyCatchUp {
  readonly #beta2: number;
  readonly #invSqrtBeta2: number;
  /** Per step (1-based): β1, the weight factor 1 − lr·wd, and lr/bc1·√bc2. */
  #beta1: Float64Array = new Float64Array(1024);
  #decay: Float64Array = new Float64Array(1024);
  #stepScale: Float64Array = new Float64Array(1024);
  /** Prefix sums of log β1 and log(1 − lr·wd); index 0 is 0. */
  #logBeta1: Float64Array = new Float64Array(1024);
  #logDecay: Float64Array = new Float64Array(1024);
  /**
   * By a row's last step `l`: the factors of the {@link DRIFT_HORIZON} steps after it (weight, m,
   * v, drift at `4·l`), once `#headReady[l]` is 1.
   */
  #head: Float64Array = new Float64Array(4 * 1024);
  #headReady: Uint8Array = new Uint8Array(1024);
  #step = 0;
  /** The step each row is current at (its weights include that step). */
  readonly #rowStep: Int32Array;
  /** Factors from the end of step `#nearTarget − g` to the end of `#nearTarget`, at `4·g`. */
  readonly #near = new Float64Array(4 * (DRIFT_HORIZON + 1));
  #nearTarget = -1;
  /** Gaps of {@link LazyCatchUp.#near} filled so far (0: only the identity at gap 0). */
  #nearDepth = 0;
  /** Scratch factors for {@link LazyCatchUp.catchUpRow} and {@link LazyCatchUp.flush}. */
  readonly #scratch = new Float64Array(4);

  /**
   * `rowStep` (one entry per row, all 0 = every row current) may be given to share it: the threaded
   * engine's workers keep one per table in a `SharedArrayBuffer`, so a row caught up by one
   * worker is not caught up again by another.
   */
  constructor(rows: number, beta2: number, rowStep: Int32Array = new Int32Array(rows)) {
    this.#beta2 = beta2;
    this.#invSqrtBeta2 = 1 / Math.sqrt(beta2);
    this.#rowStep = rowStep;
  }

  /** The per-row steps (shared when one was given to the constructor). */
  get sharedRowStep(): Int32Array {
    return this.#rowStep;
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
  }

  #grow(): void {
    const grow = <T extends Float64Array | Uint8Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(a.length * 2);
      b.set(a);
      return b;
    };
    this.#beta1 = grow(this.#beta1);
    this.#decay = grow(this.#decay);
    this.#stepScale = grow(this.#stepScale);
    this.#logBeta1 = grow(this.#logBeta1);
    this.#logDecay = grow(this.#logDecay);
    this.#head = grow(this.#head);
    this.#headReady = grow(this.#headReady);
  }

  /**
   * Writes to `out[at .. at+4)` the factors (weight, m, v, drift) from the end of step `last` to
   * the end of step `target` (`last < target`).
   */
  #factors(last: number, target: number, out: Float32Array | Float64Array, at: number): void {
    const gap = target - last;
    if (gap <= DRIFT_HORIZON) {
      const near = this.#nearUpTo(target, gap);
      const k = 4 * gap;
      out[at] = near[k]!;
      out[at + 1] = near[k + 1]!;
      out[at + 2] = near[k + 2]!;
      out[at + 3] = near[k + 3]!;
      return;
    }
    const head = this.#headOf(last);
    const k = 4 * last;
    const from = last + DRIFT_HORIZON;
    const rest = Math.exp(this.#logDecay[target]! - this.#logDecay[from]!);
    out[at] = head[k]! * rest;
    out[at + 1] = head[k + 1]! * Math.exp(this.#logBeta1[target]! - this.#logBeta1[from]!);
    out[at + 2] = head[k + 2]! * Math.pow(this.#beta2, target - from);
    out[at + 3] = head[k + 3]! * rest;
  }

  /**
   * {@link LazyCatchUp.#near} for `target`, filled down to `gap`: going from a last step `l` to
   * `l − 1` adds step `l` in front of the skipped ones, which multiplies every later drift term by
   * `β1[l]/√β2` and adds step `l`'s own term, `stepScale[l]·β1[l]/√β2` times the decay after it.
   */
  #nearUpTo(target: number, gap: number): Float64Array {
    const near = this.#near;
    if (this.#nearTarget !== target) {
      this.#nearTarget = target;
      this.#nearDepth = 0;
      near[0] = 1;
      near[1] = 1;
      near[2] = 1;
      near[3] = 0;
    }
    for (let g = this.#nearDepth; g < gap; g++) {
      const u = target - g; // the step added in front
      const k = 4 * g;
      const weight = near[k]!;
      const b = this.#beta1[u]! * this.#invSqrtBeta2;
      near[k + 4] = this.#decay[u]! * weight;
      near[k + 5] = this.#beta1[u]! * near[k + 1]!;
      near[k + 6] = this.#beta2 * near[k + 2]!;
      near[k + 7] = b * (near[k + 3]! + this.#stepScale[u]! * weight);
    }
    if (gap > this.#nearDepth) this.#nearDepth = gap;
    return near;
  }

  /** {@link LazyCatchUp.#head} with the factors of the {@link DRIFT_HORIZON} steps after `last` filled. */
  #headOf(last: number): Float64Array {
    const head = this.#head;
    if (this.#headReady[last]) return head;
    const beta2 = this.#beta2;
    let m = 1;
    let v = 1;
    let weight = 1;
    let drift = 0;
    for (let t = last + 1; t <= last + DRIFT_HORIZON; t++) {
      const decay = this.#decay[t]!;
      m *= this.#beta1[t]!;
      v *= beta2;
      weight *= decay;
      drift = drift * decay + (this.#stepScale[t]! * m) / Math.sqrt(v);
    }
    const k = 4 * last;
    head[k] = weight;
    head[k + 1] = m;
    head[k + 2] = v;
    head[k + 3] = drift;
    this.#headReady[last] = 1;
    return head;
  }

  /**
   * Marks `row` current at this step and writes to `out[at .. at+4)` the factors (weight, m, v,
   * drift) that bring it from its last update to the end of the previous step, for the caller to
   * apply before this step's own update of it (`w ← w·weight − drift·m/(√v + eps); m ← m·mFactor;
   * v ← v·vFactor`, with the row's m and v before the catch-up). Returns false, with the identity
   * (1, 1, 1, 0) written, when the row is already current.
   */
  catchUpFactors(row: number, out: Float32Array | Float64Array, at: number): boolean {
    const last = this.#rowStep[row]!;
    // never move a row back: another worker may have updated it at a later step already
    if (last < this.#step) this.#rowStep[row] = this.#step;
    return this.factorsSince(last, out, at);
  }

  /**
   * {@link LazyCatchUp.catchUpFactors} for a row whose step the caller keeps (and marks current
   * itself): the factors from the end of step `last` to the end of the previous step, or the
   * identity (and false) when `last` is that step or later. Reads and writes no row state.
   */
  factorsSince(last: number, out: Float32Array | Float64Array, at: number): boolean {
    const target = this.#step - 1;
    if (last >= target) {
      out[at] = 1;
      out[at + 1] = 1;
      out[at + 2] = 1;
      out[at + 3] = 0;
      return false;
    }
    this.#factors(last, target, out, at);
    return true;
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
    const f = this.#scratch;
    if (this.catchUpFactors(row, f, 0)) apply(row * dim, dim, w, m, v, eps, f);
  }

  /**
   * Brings every row to the end of the current step (before evaluation or saving), then restarts
   * the clock (every row current at step 0). With `restart` false the clock and the rows' steps
   * are kept, to flush a second table that shares them (a bias beside its weights).
   */
  flush(
    dim: number,
    w: Float32Array,
    m: Float32Array,
    v: Float32Array,
    eps: number,
    restart = true,
  ): void {
    const target = this.#step;
    const f = this.#scratch;
    for (let row = 0; row < this.#rowStep.length; row++) {
      const last = this.#rowStep[row]!;
      if (last >= target) continue;
      this.#factors(last, target, f, 0);
      apply(row * dim, dim, w, m, v, eps, f);
    }
    if (!restart) return;
    // Every row is now current: the recorded history is no longer needed. Restart the clock so
    // memory stays bounded by the steps between flushes (an epoch), not the whole run.
    this.#rowStep.fill(0);
    this.#step = 0;
    this.#headReady.fill(0);
    this.#nearTarget = -1;
  }
}

/** `f`: weight, m, v and drift factors. */
function apply(
  start: number,
  dim: number,
  w: Float32Array,
  m: Float32Array,
  v: Float32Array,
  eps: number,
  f: Float64Array,
): void {
  const weight = f[0]!;
  const mFactor = f[1]!;
  const vFactor = f[2]!;
  const drift = f[3]!;
  for (let j = start, end = start + dim; j < end; j++) {
    const mj = m[j]!;
    const vj = v[j]!;
    w[j] = w[j]! * weight - (drift * mj) / (Math.sqrt(vj) + eps);
    m[j] = mj * mFactor;
    v[j] = vj * vFactor;
  }
}
