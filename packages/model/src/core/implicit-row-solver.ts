/**
 * The per-row least-squares solve of implicit alternating least squares (iALS, Hu et al. 2008, in
 * the form of Rendle et al. 2021, "Revisiting the Performance of iALS"). For one row (a user, or an
 * item when the roles are swapped) with observed columns `j` of confidence `c_j` it finds
 *
 * `x = argmin Σ_j c_j (1 − x·y_j)² + α₀ Σ_all (x·y)² + reg ‖x‖²`,
 *
 * i.e. solves `(α₀ G + Σ_j c_j y_j y_jᵀ + reg I) x = Σ_j c_j y_j` where `G = Σ_all y yᵀ` is the
 * Gramian of the other side, computed once per half-sweep. The system is symmetric positive
 * definite and solved by Cholesky in float64.
 */
export class ImplicitRowSolver {
  readonly dim: number;
  readonly #a: Float64Array;
  readonly #b: Float64Array;

  constructor(dim: number) {
    this.dim = dim;
    this.#a = new Float64Array(dim * dim);
    this.#b = new Float64Array(dim);
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
