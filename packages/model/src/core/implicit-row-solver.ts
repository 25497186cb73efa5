/**
 * The per-row least-squares solve of implicit alternating least squares (iALS, Hu et al. 2008, in
 * the form of Rendle et al. 2021, "Revisiting the Performance of iALS"). For one row (a user, or an
 * item when the roles are swapped) with observed columns `j` of confidence `c_j` it finds
 *
 * `x = argmin Σ_j c_j (1 − x·y_j)² + α₀ Σ_all (x·y)² + reg ‖x‖²`,
 *
 * i.e. solves `(α₀ G + Σ_j c_j y_j y_jᵀ + reg I) x = Σ_j c_j y_j` where `G = Σ_all y yᵀ` is the
 * Gramian of the other side, computed once per half-sweep. The system is symmetric positive
 * definite and solved exactly by Cholesky in float64 ({@link ImplicitRowSolver.solve}), or
 * approximately by a few conjugate-gradient steps from the row's current values
 * ({@link ImplicitRowSolver.solveConjugateGradient}, as in Takács et al. 2011 and the `implicit`
 * library), which costs `O(dim² + n·dim)` per step instead of Cholesky's `O(dim³ + n·dim²)`.
 */
export class ImplicitRowSolver {
  readonly dim: number;
  readonly #a: Float64Array;
  readonly #b: Float64Array;
  readonly #p: Float64Array;
  readonly #ap: Float64Array;

  constructor(dim: number) {
    this.dim = dim;
    this.#a = new Float64Array(dim * dim);
    this.#b = new Float64Array(dim);
    this.#p = new Float64Array(dim);
    this.#ap = new Float64Array(dim);
  }

  /**
   * `ap = (gramian + Σ_k c_k y_k y_kᵀ + reg I) p` over the row's observed columns, without forming
   * the matrix: `O(dim² + n·dim)`.
   */
  #multiply(
    gramian: Float64Array,
    table: Float32Array,
    columns: Int32Array,
    confidence: Float32Array,
    start: number,
    end: number,
    reg: number,
    p: Float64Array,
    ap: Float64Array,
  ): void {
    const d = this.dim;
    for (let i = 0; i < d; i++) {
      const row = i * d;
      let s = reg * p[i]!;
      for (let j = 0; j < d; j++) s += gramian[row + j]! * p[j]!;
      ap[i] = s;
    }
    for (let k = start; k < end; k++) {
      const o = columns[k]! * d;
      let yp = 0;
      for (let j = 0; j < d; j++) yp += table[o + j]! * p[j]!;
      const cyp = confidence[k]! * yp;
      for (let j = 0; j < d; j++) ap[j] = ap[j]! + cyp * table[o + j]!;
    }
  }

  /**
   * The same system as {@link ImplicitRowSolver.solve}, approximately: `steps` conjugate-gradient
   * steps starting from the row's current values `out[outOffset .. outOffset + dim)`, which it
   * overwrites (stopping early once the residual vanishes; a row with no observed column gets
   * the exact 0). `gramian` must be full (both
   * triangles), as {@link scaledGramian} returns it. With `steps ≥ dim` it is exact up to rounding;
   * iALS warm-started from the previous sweep needs only a few (the `topn` recipe uses 3).
   */
  solveConjugateGradient(
    gramian: Float64Array,
    table: Float32Array,
    columns: Int32Array,
    confidence: Float32Array,
    start: number,
    end: number,
    reg: number,
    out: Float32Array,
    outOffset: number,
    steps: number,
  ): void {
    const d = this.dim;
    const x = this.#b; // the iterate, in float64
    const r = this.#a; // the residual: the first dim entries of the (unused here) matrix buffer
    const p = this.#p;
    const ap = this.#ap;
    if (end <= start) {
      // no observed column: the right-hand side is 0, so is the exact solution
      out.fill(0, outOffset, outOffset + d);
      return;
    }
    for (let j = 0; j < d; j++) x[j] = out[outOffset + j]!;
    this.#multiply(gramian, table, columns, confidence, start, end, reg, x, ap);
    for (let j = 0; j < d; j++) r[j] = -ap[j]!;
    for (let k = start; k < end; k++) {
      const o = columns[k]! * d;
      const c = confidence[k]!;
      for (let j = 0; j < d; j++) r[j] = r[j]! + c * table[o + j]!;
    }
    let rr = 0;
    for (let j = 0; j < d; j++) {
      p[j] = r[j]!;
      rr += r[j]! * r[j]!;
    }
    for (let step = 0; step < steps && rr > 1e-20; step++) {
      this.#multiply(gramian, table, columns, confidence, start, end, reg, p, ap);
      let pap = 0;
      for (let j = 0; j < d; j++) pap += p[j]! * ap[j]!;
      if (!(pap > 0)) break;
      const alpha = rr / pap;
      let next = 0;
      for (let j = 0; j < d; j++) {
        x[j] = x[j]! + alpha * p[j]!;
        r[j] = r[j]! - alpha * ap[j]!;
        next += r[j]! * r[j]!;
      }
      const beta = next / rr;
      rr = next;
      for (let j = 0; j < d; j++) p[j] = r[j]! + beta * p[j]!;
    }
    for (let j = 0; j < d; j++) out[outOffset + j] = x[j]!;
  }

  /**
   * Writes the solution for one row into `out[outOffset .. outOffset + dim)`. `gramian` is the
   * `dim × dim` matrix `α₀ G` (already scaled); `columns[k]`, `confidence[k]` for `k` in
   * `[start, end)` are the row's observed columns of `table` (row-major, `dim` wide).
   */
  solve(
    gramian: Float64Array,
    table: Float32Array,
    columns: Int32Array,
    confidence: Float32Array,
    start: number,
    end: number,
    reg: number,
    out: Float32Array,
    outOffset: number,
  ): void {
    const d = this.dim;
    const a = this.#a;
    const b = this.#b;
    a.set(gramian);
    b.fill(0);
    for (let k = start; k < end; k++) {
      const o = columns[k]! * d;
      const c = confidence[k]!;
      for (let p = 0; p < d; p++) {
        const cy = c * table[o + p]!;
        b[p] = b[p]! + cy;
        const row = p * d;
        // lower triangle only; the Cholesky below reads no other entry
        for (let q = 0; q <= p; q++) a[row + q] = a[row + q]! + cy * table[o + q]!;
      }
    }
    for (let p = 0; p < d; p++) a[p * d + p] = a[p * d + p]! + reg;
    choleskySolveInPlace(a, b, d);
    for (let p = 0; p < d; p++) out[outOffset + p] = b[p]!;
  }
}

/**
 * Solves `A x = b` for a symmetric positive definite `A` (row-major `n × n`, only its lower triangle
 * read) by Cholesky: `A` is overwritten by its factor and `b` by `x`. Throws `RangeError` when `A`
 * is not positive definite (a pivot ≤ 0).
 */
export function choleskySolveInPlace(a: Float64Array, b: Float64Array, n: number): void {
  for (let j = 0; j < n; j++) {
    const rj = j * n;
    let diag = a[rj + j]!;
    for (let k = 0; k < j; k++) diag -= a[rj + k]! * a[rj + k]!;
    if (!(diag > 0))
      throw new RangeError(`Cholesky: the matrix is not positive definite (pivot ${j} is ${diag})`);
    const l = Math.sqrt(diag);
    a[rj + j] = l;
    for (let i = j + 1; i < n; i++) {
      const ri = i * n;
      let s = a[ri + j]!;
      for (let k = 0; k < j; k++) s -= a[ri + k]! * a[rj + k]!;
      a[ri + j] = s / l;
    }
  }
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= a[ri + k]! * b[k]!;
    b[i] = s / a[ri + i]!;
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < n; k++) s -= a[k * n + i]! * b[k]!;
    b[i] = s / a[i * n + i]!;
  }
}

/** `α · Σ_r y_r y_rᵀ` over the `rows` rows of a row-major `dim`-wide table, full (both triangles). */
export function scaledGramian(
  table: Float32Array,
  rows: number,
  dim: number,
  alpha: number,
): Float64Array {
  const g = new Float64Array(dim * dim);
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    for (let p = 0; p < dim; p++) {
      const y = table[o + p]!;
      const row = p * dim;
      for (let q = 0; q <= p; q++) g[row + q] = g[row + q]! + y * table[o + q]!;
    }
  }
  for (let p = 0; p < dim; p++)
    for (let q = 0; q <= p; q++) {
      const v = g[p * dim + q]! * alpha;
      g[p * dim + q] = v;
      g[q * dim + p] = v;
    }
  return g;
}
