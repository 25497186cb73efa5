import { InvalidArgumentError } from '@cf/data';
import { SeededRandom } from '../core/random.js';

/** Options of {@link principalComponents}. */
export interface PrincipalComponentsOptions {
  /** Components to extract. Default 3. */
  components?: number;
  /** Power-iteration steps per component. Default 200. */
  iterations?: number;
  /** Seed of the starting vectors. Default 0. */
  seed?: number;
}

/** Result of {@link principalComponents}. */
export interface PrincipalComponents {
  /** Unit component vectors (length `dim` each), largest variance first; sign fixed so the largest-magnitude entry is positive. */
  components: Float32Array[];
  /** Variance along each component (eigenvalue of the covariance). */
  variances: number[];
  /** `rows × components` projections of the centred rows, row-major. */
  scores: Float32Array;
}

/**
 * A small PCA for embedding analysis (the notebook's "movie factors" plots): centres the `rows × dim`
 * row-major values, forms the `dim × dim` covariance in float64, and extracts components by power
 * iteration with deflation from seeded starting vectors. Deterministic for a given seed.
 */
export function principalComponents(
  values: ArrayLike<number>,
  rows: number,
  dim: number,
  options: PrincipalComponentsOptions = {},
): PrincipalComponents {
  const wanted = options.components ?? 3;
  const iterations = options.iterations ?? 200;
  if (values.length !== rows * dim)
    throw new InvalidArgumentError(
      'values',
      `has ${values.length} entries, expected rows × dim = ${rows * dim}`,
    );
  if (!(Number.isInteger(wanted) && wanted >= 1 && wanted <= dim))
    throw new InvalidArgumentError('components', `must be an integer in 1..${dim}, got ${wanted}`);
  if (rows < 2) throw new InvalidArgumentError('rows', `needs at least 2 rows, got ${rows}`);
  const mean = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let d = 0; d < dim; d++) mean[d]! += values[r * dim + d]!;
  for (let d = 0; d < dim; d++) mean[d]! /= rows;
  const cov = new Float64Array(dim * dim);
  const row = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let d = 0; d < dim; d++) row[d] = values[r * dim + d]! - mean[d]!;
    for (let a = 0; a < dim; a++) {
      const ra = row[a]!;
      if (ra === 0) continue;
      for (let b = a; b < dim; b++) cov[a * dim + b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < dim; a++) {
    for (let b = a; b < dim; b++) {
      const v = cov[a * dim + b]! / (rows - 1);
      cov[a * dim + b] = v;
      cov[b * dim + a] = v;
    }
  }
  const random = new SeededRandom(options.seed ?? 0);
  const components: Float32Array[] = [];
  const variances: number[] = [];
  const next = new Float64Array(dim);
  for (let c = 0; c < wanted; c++) {
    const v = Float64Array.from({ length: dim }, () => random.normal());
    normalise(v);
    let lambda = 0;
    for (let it = 0; it < iterations; it++) {
      for (let a = 0; a < dim; a++) {
        let s = 0;
        for (let b = 0; b < dim; b++) s += cov[a * dim + b]! * v[b]!;
        next[a] = s;
      }
      lambda = 0;
      for (let a = 0; a < dim; a++) lambda += v[a]! * next[a]!;
      if (normalise(next) === 0) break;
      v.set(next);
    }
    let largest = 0;
    for (let a = 0; a < dim; a++) if (Math.abs(v[a]!) > Math.abs(v[largest]!)) largest = a;
    if (v[largest]! < 0) for (let a = 0; a < dim; a++) v[a] = -v[a]!;
    // deflate: cov -= λ v vᵀ
    for (let a = 0; a < dim; a++)
      for (let b = 0; b < dim; b++) cov[a * dim + b]! -= lambda * v[a]! * v[b]!;
    components.push(Float32Array.from(v));
    variances.push(Math.max(0, lambda));
  }
  const scores = new Float32Array(rows * wanted);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < wanted; c++) {
      const comp = components[c]!;
      let s = 0;
      for (let d = 0; d < dim; d++) s += (values[r * dim + d]! - mean[d]!) * comp[d]!;
      scores[r * wanted + c] = s;
    }
  }
  return { components, variances, scores };
}

function normalise(v: Float64Array): number {
  let n = 0;
  for (let k = 0; k < v.length; k++) n += v[k]! * v[k]!;
  n = Math.sqrt(n);
  if (n > 0) for (let k = 0; k < v.length; k++) v[k]! /= n;
  return n;
}
