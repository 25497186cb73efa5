import { InvalidArgumentError, type RatingsTable } from '@cf/data';
import type { BiasedMatrixFactorization } from '@cf/model';
import {
  SeededRandom,
  createModelFromConfig,
  type BiasedMatrixFactorizationConfig,
} from '@cf/model';
import { groupRows } from './group-rows.js';
import { EventLoopYielder } from './event-loop-yielder.js';

/** Options of {@link fitBayesianMf}; defaults are what the `best` recipe uses (see the trainer README). */
export interface BayesianMfOptions {
  /** Latent factors per sample. Default 20. */
  nFactors?: number;
  /** Gibbs sweeps (one user pass and one item pass each). Default 150. */
  sweeps?: number;
  /** Sweeps discarded before averaging. Default 20. */
  burnIn?: number;
  /** Keep the factors of every `thin`-th averaged sweep for the final low-rank model (biases use every sweep). Default 2. */
  thin?: number;
  /** Rank of the stored model (the averaged factor products are projected onto this many directions). Default 128. */
  rank?: number;
  /**
   * Bayesian SVD++: each user's factor row becomes `p_u + |N(u)|^(−1/2) Σ_{j ∈ N(u)} y_j`, where
   * `N(u)` is the set of items the user rated in `rows` (which items, not the ratings) and every
   * item has an implicit factor row `y_j` (Koren 2008's implicit feedback, sampled as in Rendle's
   * libFM MCMC: one coordinate at a time, zero-mean Gaussian prior whose per-factor precision has
   * a Gamma(1, 1) hyper-prior). Costs about a quarter more per sweep. The stored user rows are the
   * combined rows, so the model is still one `biased-mf`. Default false.
   */
  implicitFeedback?: boolean;
  /** Fixed noise precision α; by default α is sampled from its Gamma(1, 1)-prior posterior each sweep. */
  noisePrecision?: number;
  /** Normal-Wishart prior strength β0 of the factor means. Default 2. */
  beta0?: number;
  /** Ratings scale `[min, max]` predictions are clipped to. Default the table's. */
  ratingRange?: [number, number];
  /** Seed of the sampler. Default 42. */
  seed?: number;
  /** Rows to report the running-average RMSE on after each sweep (monitoring only; never used to fit). */
  monitorRows?: Int32Array;
  /** Called after every sweep. */
  onSweep?: (info: BayesianMfSweep) => void;
  /**
   * Stops sampling after the current sweep. The model is built from the sweeps done: biases
   * averaged over the kept sweeps (during burn-in, the latest sample's), factors the latest
   * sample's, `nFactors` of them (compressing the average of every kept sample takes seconds, and
   * a stopped run must end within one).
   */
  signal?: AbortSignal;
}

/** Progress of one Gibbs sweep. */
export interface BayesianMfSweep {
  sweep: number;
  sweeps: number;
  noisePrecision: number;
  /** Running-average RMSE on `monitorRows` (NaN before burn-in ends or without monitor rows). */
  monitorRmse: number;
  seconds: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Gamma(shape, 1) by Marsaglia–Tsang. */
function sampleGamma(shape: number, random: SeededRandom): number {
  if (shape < 1) return sampleGamma(shape + 1, random) * Math.pow(1 - random.next(), 1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = random.normal();
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random.next();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v)))
      return d * v;
  }
}

/** In-place lower Cholesky factor of a `D×D` symmetric positive definite matrix (upper part zeroed). */
function cholesky(a: Float64Array, D: number): void {
  for (let j = 0; j < D; j++) {
    let s = a[j * D + j]!;
    for (let k = 0; k < j; k++) s -= a[j * D + k]! * a[j * D + k]!;
    const l = Math.sqrt(s);
    a[j * D + j] = l;
    for (let i = j + 1; i < D; i++) {
      let t = a[i * D + j]!;
      for (let k = 0; k < j; k++) t -= a[i * D + k]! * a[j * D + k]!;
      a[i * D + j] = t / l;
    }
    for (let i = 0; i < j; i++) a[i * D + j] = 0;
  }
}

/** Solves `L y = b` in place. */
function forwardSolve(l: Float64Array, D: number, b: Float64Array): void {
  for (let i = 0; i < D; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= l[i * D + k]! * b[k]!;
    b[i] = s / l[i * D + i]!;
  }
}

/** Solves `Lᵀ x = b` in place. */
function backSolve(l: Float64Array, D: number, b: Float64Array): void {
  for (let i = D - 1; i >= 0; i--) {
    let s = b[i]!;
    for (let k = i + 1; k < D; k++) s -= l[k * D + i]! * b[k]!;
    b[i] = s / l[i * D + i]!;
  }
}

function inverseSpd(a: Float64Array, D: number): Float64Array {
  const l = a.slice();
  cholesky(l, D);
  const inv = new Float64Array(D * D);
  const e = new Float64Array(D);
  for (let c = 0; c < D; c++) {
    e.fill(0);
    e[c] = 1;
    forwardSolve(l, D, e);
    backSolve(l, D, e);
    for (let r = 0; r < D; r++) inv[r * D + c] = e[r]!;
  }
  return inv;
}

/** Wishart(W, ν) sample by Bartlett's decomposition. */
function sampleWishart(w: Float64Array, nu: number, D: number, random: SeededRandom): Float64Array {
  const l = w.slice();
  cholesky(l, D);
  const a = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    a[i * D + i] = Math.sqrt(2 * sampleGamma((nu - i) / 2, random));
    for (let j = 0; j < i; j++) a[i * D + j] = random.normal();
  }
  const la = new Float64Array(D * D);
  for (let i = 0; i < D; i++)
    for (let j = 0; j <= i; j++) {
      let s = 0;
      for (let k = j; k <= i; k++) s += l[i * D + k]! * a[k * D + j]!;
      la[i * D + j] = s;
    }
  const out = new Float64Array(D * D);
  for (let i = 0; i < D; i++)
    for (let j = 0; j < D; j++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += la[i * D + k]! * la[j * D + k]!;
      out[i * D + j] = s;
    }
  return out;
}

/**
 * Bayesian biased matrix factorisation fitted by Gibbs sampling (BPMF, Salakhutdinov & Mnih 2008,
 * with the biases sampled as an extra factor as in Rendle's Bayesian MF). Each user row
 * `[b_u, p_u]` and item row `[b_i, q_i]` has a Gaussian prior whose mean and precision get a
 * Normal-Wishart hyper-prior; the noise precision gets a Gamma(1, 1) prior. The prediction is the
 * average over the sweeps after burn-in of `μ + b_u + b_i + p_u·q_i`, i.e. an ensemble of many
 * matrix factorisations drawn from the posterior, which is why it needs so little tuning.
 *
 * The average of the kept samples' factor products is compressed into one rank-`rank`
 * {@link BiasedMatrixFactorization} (randomised range finder over the user side: exact when
 * `rank ≥ nUsers`), so the result predicts, saves, loads and folds in like any other model.
 * Uses only `rows` of `table`. Host arithmetic only, no tensors. The caller owns the returned
 * model (dispose it).
 *
 * Asynchronous so that it can be stopped: between sweeps it lets timers and signal handlers run (at
 * most every 50 ms), and an aborted `signal` ends sampling after the current sweep (one sweep of
 * ml-latest-small takes about 0.1 s).
 */
export async function fitBayesianMf(
  table: RatingsTable,
  rows: Int32Array,
  options: BayesianMfOptions = {},
): Promise<BiasedMatrixFactorization> {
  const f = options.nFactors ?? 20;
  const sweeps = options.sweeps ?? 150;
  const burnIn = options.burnIn ?? 20;
  const thin = options.thin ?? 2;
  const beta0 = options.beta0 ?? 2;
  if (!(Number.isInteger(f) && f >= 1))
    throw new InvalidArgumentError('nFactors', `expected a whole number ≥ 1, got ${f}`);
  if (!(Number.isInteger(sweeps) && sweeps >= 1))
    throw new InvalidArgumentError('sweeps', `expected a whole number ≥ 1, got ${sweeps}`);
  if (!(Number.isInteger(burnIn) && burnIn >= 0 && burnIn < sweeps))
    throw new InvalidArgumentError(
      'burnIn',
      `expected a whole number in 0..sweeps−1 (${sweeps - 1}), got ${burnIn}`,
    );
  if (!(Number.isInteger(thin) && thin >= 1))
    throw new InvalidArgumentError('thin', `expected a whole number ≥ 1, got ${thin}`);
  if (rows.length === 0) throw new InvalidArgumentError('rows', 'no training rows: nothing to fit');
  const nU = table.userIds.size;
  const nI = table.itemIds.size;
  const rank = Math.min(options.rank ?? 128, nU, nI);
  const ratingRange = options.ratingRange ?? [table.stats.minRating, table.stats.maxRating];
  const random = new SeededRandom(options.seed ?? 42);
  const D = f + 1;
  const { userIndex, itemIndex, rating } = table;
  let mu = 0;
  for (const r of rows) mu += rating[r]!;
  mu /= rows.length;
  const byUser = groupRows(rows, userIndex, nU);
  const byItem = groupRows(rows, itemIndex, nI);
  const U = new Float64Array(nU * D);
  const V = new Float64Array(nI * D);
  for (let k = 0; k < U.length; k++) U[k] = 0.1 * random.normal();
  for (let k = 0; k < V.length; k++) V[k] = 0.1 * random.normal();
  let alpha = options.noisePrecision ?? 2;
  const implicit = options.implicitFeedback ?? false;
  // Implicit feedback (Bayesian SVD++): Y holds the items' implicit rows y_j, imp each user's
  // |N(u)|^(−1/2) Σ y_j, and Z the user rows the predictions use: [b_u, p_u + imp_u] (Z is U without).
  const Y = implicit ? new Float64Array(nI * f) : undefined;
  const imp = implicit ? new Float64Array(nU * f) : undefined;
  const Z = implicit ? new Float64Array(nU * D) : U;
  const normOf = new Float64Array(nU);
  for (let u = 0; u < nU; u++) {
    const n = byUser.offsets[u + 1]! - byUser.offsets[u]!;
    normOf[u] = n > 0 ? 1 / Math.sqrt(n) : 0;
  }
  if (Y && imp) {
    for (let k = 0; k < Y.length; k++) Y[k] = 0.1 * random.normal();
    for (let u = 0; u < nU; u++) {
      const w = normOf[u]!;
      for (let k = byUser.offsets[u]!; k < byUser.offsets[u + 1]!; k++) {
        const j = itemIndex[byUser.rows[k]!]! * f;
        for (let d = 0; d < f; d++) imp[u * f + d]! += w * Y[j + d]!;
      }
    }
  }
  /** Z = [b_u, p_u + imp_u] for every user. */
  const combineUserRows = (): void => {
    if (!imp) return;
    for (let u = 0; u < nU; u++) {
      Z[u * D] = U[u * D]!;
      for (let d = 0; d < f; d++) Z[u * D + 1 + d] = U[u * D + 1 + d]! + imp[u * f + d]!;
    }
  };

  // Scratch for the conditionals.
  const A = new Float64Array(D * D);
  const b = new Float64Array(D);
  const z = new Float64Array(D);
  const lamMean = new Float64Array(D);

  /** Draws (mean, precision) of the rows of X from their Normal-Wishart posterior (μ0 = 0, W0 = I, ν0 = D). */
  const sampleHyper = (X: Float64Array, n: number): { lam: Float64Array; mean: Float64Array } => {
    const xbar = new Float64Array(D);
    for (let k = 0; k < n; k++) for (let d = 0; d < D; d++) xbar[d]! += X[k * D + d]!;
    for (let d = 0; d < D; d++) xbar[d]! /= n;
    const winv = new Float64Array(D * D);
    for (let k = 0; k < n; k++) {
      for (let a = 0; a < D; a++) {
        const da = X[k * D + a]! - xbar[a]!;
        for (let c = 0; c <= a; c++) winv[a * D + c]! += da * (X[k * D + c]! - xbar[c]!);
      }
    }
    const shrink = (beta0 * n) / (beta0 + n);
    for (let a = 0; a < D; a++) {
      winv[a * D + a]! += 1;
      for (let c = 0; c <= a; c++) {
        winv[a * D + c]! += shrink * xbar[a]! * xbar[c]!;
        winv[c * D + a] = winv[a * D + c]!;
      }
    }
    const lam = sampleWishart(inverseSpd(winv, D), D + n, D, random);
    const p = lam.map((x) => x * (beta0 + n));
    cholesky(p, D);
    const noise = new Float64Array(D);
    for (let d = 0; d < D; d++) noise[d] = random.normal();
    backSolve(p, D, noise);
    const mean = new Float64Array(D);
    for (let d = 0; d < D; d++) mean[d] = (n * xbar[d]!) / (beta0 + n) + noise[d]!;
    return { lam, mean };
  };

  /**
   * Samples every row of X given the other side Y: features `[1, y_factors]`, target `r − μ − y_bias`
   * (minus `offset_x · y_factors` when X's rows have a fixed `f`-wide offset: the users' implicit part).
   */
  const sampleSide = (
    X: Float64Array,
    Y: Float64Array,
    n: number,
    groups: { offsets: Int32Array; rows: Int32Array },
    otherKey: Int32Array,
    offset?: Float64Array,
  ): void => {
    const { lam, mean } = sampleHyper(X, n);
    for (let a = 0; a < D; a++) {
      let s = 0;
      for (let c = 0; c < D; c++) s += lam[a * D + c]! * mean[c]!;
      lamMean[a] = s;
    }
    for (let x = 0; x < n; x++) {
      A.set(lam);
      b.set(lamMean);
      for (let k = groups.offsets[x]!; k < groups.offsets[x + 1]!; k++) {
        const r = groups.rows[k]!;
        const y = otherKey[r]! * D;
        z[0] = 1;
        for (let d = 1; d < D; d++) z[d] = Y[y + d]!;
        let t = rating[r]! - mu - Y[y]!;
        if (offset) for (let d = 0; d < f; d++) t -= offset[x * f + d]! * z[d + 1]!;
        for (let a = 0; a < D; a++) {
          const za = alpha * z[a]!;
          b[a]! += za * t;
          const row = a * D;
          for (let c = 0; c <= a; c++) A[row + c]! += za * z[c]!;
        }
      }
      cholesky(A, D);
      forwardSolve(A, D, b);
      backSolve(A, D, b);
      for (let d = 0; d < D; d++) z[d] = random.normal();
      backSolve(A, D, z);
      for (let d = 0; d < D; d++) X[x * D + d] = b[d]! + z[d]!;
    }
  };

  const predictRaw = (u: number, i: number): number => {
    const uo = u * D;
    const io = i * D;
    let p = mu + Z[uo]! + V[io]!;
    for (let d = 1; d < D; d++) p += Z[uo + d]! * V[io + d]!;
    return p;
  };

  // Scratch of the implicit step: residuals in byUser order, per-user sums, per-factor precisions.
  const residual = implicit ? new Float64Array(rows.length) : undefined;
  const userQQ = new Float64Array(implicit ? nU : 0);
  const userQE = new Float64Array(implicit ? nU : 0);
  const userStep = new Float64Array(implicit ? nU : 0);
  /**
   * One Gibbs pass over the implicit rows, one factor `d` at a time (libFM's coordinate-wise
   * MCMC): with `c_u = Σ_i q_id²` and `s_u = Σ_i q_id e_ui` over the user's ratings, `y_jd`'s
   * conditional is Gaussian with precision `λ_d + α Σ_{u∈N(j)} w_u² c_u` and mean from
   * `α Σ_{u∈N(j)} w_u (s_u + w_u c_u y_jd)`; after each draw the `s_u` of its users move by
   * `−w_u c_u δ`, and the residuals by `−q_id Δimp_ud` once the factor is done. O(f · ratings).
   */
  const sampleImplicit = (): void => {
    if (!Y || !imp || !residual) return;
    for (let u = 0; u < nU; u++)
      for (let k = byUser.offsets[u]!; k < byUser.offsets[u + 1]!; k++) {
        const r = byUser.rows[k]!;
        residual[k] = rating[r]! - predictRaw(u, itemIndex[r]!);
      }
    for (let d = 0; d < f; d++) {
      // the precision of y_·d from its Gamma(1, 1) hyper-prior (zero mean)
      let ss = 0;
      for (let j = 0; j < nI; j++) ss += Y[j * f + d]! ** 2;
      const lam = sampleGamma(1 + nI / 2, random) / (1 + ss / 2);
      for (let u = 0; u < nU; u++) {
        let c = 0;
        let s = 0;
        for (let k = byUser.offsets[u]!; k < byUser.offsets[u + 1]!; k++) {
          const q = V[itemIndex[byUser.rows[k]!]! * D + 1 + d]!;
          c += q * q;
          s += q * residual[k]!;
        }
        userQQ[u] = c;
        userQE[u] = s;
      }
      userStep.fill(0);
      for (let j = 0; j < nI; j++) {
        const old = Y[j * f + d]!;
        let precision = lam;
        let rhs = 0;
        const end = byItem.offsets[j + 1]!;
        for (let k = byItem.offsets[j]!; k < end; k++) {
          const u = userIndex[byItem.rows[k]!]!;
          const w = normOf[u]!;
          const wc = w * userQQ[u]!;
          precision += alpha * w * wc;
          rhs += alpha * w * (userQE[u]! + wc * old);
        }
        const drawn = rhs / precision + random.normal() / Math.sqrt(precision);
        const delta = drawn - old;
        Y[j * f + d] = drawn;
        for (let k = byItem.offsets[j]!; k < end; k++) {
          const u = userIndex[byItem.rows[k]!]!;
          const w = normOf[u]!;
          userQE[u]! -= w * userQQ[u]! * delta;
          userStep[u]! += w * delta;
        }
      }
      for (let u = 0; u < nU; u++) {
        const step = userStep[u]!;
        if (step === 0) continue;
        imp[u * f + d]! += step;
        Z[u * D + 1 + d]! += step;
        for (let k = byUser.offsets[u]!; k < byUser.offsets[u + 1]!; k++)
          residual[k]! -= step * V[itemIndex[byUser.rows[k]!]! * D + 1 + d]!;
      }
    }
  };

  const monitor = options.monitorRows;
  const monitorSum = monitor ? new Float64Array(monitor.length) : undefined;
  const userBiasSum = new Float64Array(nU);
  const itemBiasSum = new Float64Array(nI);
  const kept: { user: Float32Array; item: Float32Array }[] = [];
  let averaged = 0;
  const start = now();
  const yielder = new EventLoopYielder(options.signal);
  const stopRequested = (): Promise<boolean> => yielder.stopRequested();
  for (let sweep = 0; sweep < sweeps; sweep++) {
    if (await stopRequested()) break;
    sampleSide(U, V, nU, byUser, itemIndex, imp);
    combineUserRows();
    // between the halves too: the first sweep (cold code) can take a second on a busy machine
    if (await stopRequested()) break;
    sampleSide(V, Z, nI, byItem, userIndex);
    sampleImplicit();
    if (options.noisePrecision === undefined) {
      let sse = 0;
      for (const r of rows) sse += (rating[r]! - predictRaw(userIndex[r]!, itemIndex[r]!)) ** 2;
      alpha = sampleGamma(1 + rows.length / 2, random) / (1 + sse / 2);
    }
    let monitorRmse = NaN;
    if (sweep >= burnIn) {
      averaged++;
      for (let u = 0; u < nU; u++) userBiasSum[u]! += U[u * D]!;
      for (let i = 0; i < nI; i++) itemBiasSum[i]! += V[i * D]!;
      if ((sweep - burnIn) % thin === 0) {
        const user = new Float32Array(nU * f);
        const item = new Float32Array(nI * f);
        for (let u = 0; u < nU; u++)
          for (let d = 0; d < f; d++) user[u * f + d] = Z[u * D + 1 + d]!;
        for (let i = 0; i < nI; i++)
          for (let d = 0; d < f; d++) item[i * f + d] = V[i * D + 1 + d]!;
        kept.push({ user, item });
      }
      if (monitor && monitorSum) {
        let se = 0;
        for (let k = 0; k < monitor.length; k++) {
          const r = monitor[k]!;
          monitorSum[k]! += predictRaw(userIndex[r]!, itemIndex[r]!);
          const p = Math.min(ratingRange[1], Math.max(ratingRange[0], monitorSum[k]! / averaged));
          se += (p - rating[r]!) ** 2;
        }
        monitorRmse = Math.sqrt(se / monitor.length);
      }
    }
    options.onSweep?.({
      sweep,
      sweeps,
      noisePrecision: alpha,
      monitorRmse,
      seconds: (now() - start) / 1000,
    });
    if (options.signal?.aborted) break;
  }
  let userFactors: Float32Array;
  let itemFactors: Float32Array;
  let nFactors = rank;
  // the compression checks for a stop too: it takes seconds with many kept samples
  const compressed =
    averaged === 0 || options.signal?.aborted
      ? undefined
      : await compressAverage(kept, nU, nI, f, rank, random, yielder);
  if (compressed) {
    ({ userFactors, itemFactors } = compressed);
  } else {
    // Stopped: the latest sample's factors as they are (compressing the average of the kept
    // samples takes seconds, and a stopped run must end within one). During burn-in the biases
    // are the latest sample's too.
    if (averaged === 0) {
      averaged = 1;
      for (let u = 0; u < nU; u++) userBiasSum[u] = U[u * D]!;
      for (let i = 0; i < nI; i++) itemBiasSum[i] = V[i * D]!;
    }
    nFactors = f;
    userFactors = new Float32Array(nU * f);
    itemFactors = new Float32Array(nI * f);
    for (let u = 0; u < nU; u++)
      for (let d = 0; d < f; d++) userFactors[u * f + d] = Z[u * D + 1 + d]!;
    for (let i = 0; i < nI; i++)
      for (let d = 0; d < f; d++) itemFactors[i * f + d] = V[i * D + 1 + d]!;
  }
  const config: BiasedMatrixFactorizationConfig = {
    type: 'biased-mf',
    nUsers: nU,
    nItems: nI,
    nFactors,
    ratingRange,
  };
  return createModelFromConfig(config, {
    userEmbedding: userFactors,
    itemEmbedding: itemFactors,
    userBias: Float32Array.from(userBiasSum, (s) => s / averaged),
    itemBias: Float32Array.from(itemBiasSum, (s) => s / averaged),
    globalBias: Float32Array.of(mu),
  }) as BiasedMatrixFactorization;
}

/**
 * Rank-`rank` factors of `M = (1/S) Σ_s P_s Q_sᵀ`: `Y = M Ω` (Gaussian Ω), `B = orth(Y)`, then
 * `M ≈ B (Mᵀ B)ᵀ`, i.e. user factors `B` and item factors `Mᵀ B` (Halko et al.'s range finder).
 * Undefined when `yielder` reports a stop (it is asked between kept samples).
 */
async function compressAverage(
  kept: { user: Float32Array; item: Float32Array }[],
  nU: number,
  nI: number,
  f: number,
  rank: number,
  random: SeededRandom,
  yielder: EventLoopYielder,
): Promise<{ userFactors: Float32Array; itemFactors: Float32Array } | undefined> {
  const S = kept.length;
  const omega = new Float64Array(nI * rank);
  for (let k = 0; k < omega.length; k++) omega[k] = random.normal();
  const y = new Float64Array(nU * rank);
  const t = new Float64Array(f * rank);
  for (const { user, item } of kept) {
    if (await yielder.stopRequested()) return undefined;
    // t = Q_sᵀ Ω  (f × rank)
    t.fill(0);
    for (let i = 0; i < nI; i++) {
      const io = i * f;
      const oo = i * rank;
      for (let d = 0; d < f; d++) {
        const q = item[io + d]!;
        if (q === 0) continue;
        const to = d * rank;
        for (let c = 0; c < rank; c++) t[to + c]! += q * omega[oo + c]!;
      }
    }
    // y += P_s t
    for (let u = 0; u < nU; u++) {
      const uo = u * f;
      const yo = u * rank;
      for (let d = 0; d < f; d++) {
        const p = user[uo + d]! / S;
        const to = d * rank;
        for (let c = 0; c < rank; c++) y[yo + c]! += p * t[to + c]!;
      }
    }
  }
  // Orthonormalise the columns of y (modified Gram–Schmidt, twice for stability); drop null columns.
  for (let pass = 0; pass < 2; pass++) {
    for (let c = 0; c < rank; c++) {
      for (let p = 0; p < c; p++) {
        let dot = 0;
        for (let u = 0; u < nU; u++) dot += y[u * rank + c]! * y[u * rank + p]!;
        for (let u = 0; u < nU; u++) y[u * rank + c]! -= dot * y[u * rank + p]!;
      }
      let norm = 0;
      for (let u = 0; u < nU; u++) norm += y[u * rank + c]! ** 2;
      norm = Math.sqrt(norm);
      for (let u = 0; u < nU; u++) y[u * rank + c] = norm > 1e-10 ? y[u * rank + c]! / norm : 0;
    }
  }
  // itemFactors = Mᵀ B = (1/S) Σ_s Q_s (P_sᵀ B)
  const itemFactors = new Float64Array(nI * rank);
  for (const { user, item } of kept) {
    if (await yielder.stopRequested()) return undefined;
    t.fill(0);
    for (let u = 0; u < nU; u++) {
      const uo = u * f;
      const yo = u * rank;
      for (let d = 0; d < f; d++) {
        const p = user[uo + d]! / S;
        if (p === 0) continue;
        const to = d * rank;
        for (let c = 0; c < rank; c++) t[to + c]! += p * y[yo + c]!;
      }
    }
    for (let i = 0; i < nI; i++) {
      const io = i * f;
      const oo = i * rank;
      for (let d = 0; d < f; d++) {
        const q = item[io + d]!;
        const to = d * rank;
        for (let c = 0; c < rank; c++) itemFactors[oo + c]! += q * t[to + c]!;
      }
    }
  }
  return { userFactors: Float32Array.from(y), itemFactors: Float32Array.from(itemFactors) };
}
