import { InvalidArgumentError, type RatingsTable } from '@cf/data';
import {
  SeededRandom,
  createImplicitMatrixFactorization,
  type ImplicitMatrixFactorization,
  type RatingConfidence,
} from '@cf/model';
import { defaultRatingConfidence } from './default-rating-confidence.js';
import { EventLoopYielder } from './event-loop-yielder.js';
import { groupRows } from './group-rows.js';

/** Which softmax {@link fitSoftmaxRetrieval} trains with. */
export type SoftmaxMode = 'auto' | 'full' | 'sampled';

/** Options of {@link fitSoftmaxRetrieval}; defaults are what the `topn-softmax` recipe uses (see the trainer README). */
export interface SoftmaxRetrievalOptions {
  /** Latent factors of each tower (the stored model has one more: the item bias). Default 64. */
  nFactors?: number;
  /** Passes over the users. Default 20. */
  epochs?: number;
  /** Adam learning rate (β 0.9 / 0.999, ε 1e-8, a step count per row). Default 0.01. */
  lr?: number;
  /**
   * Adam learning rate of the user rows. A user's row is updated once per epoch (its step), an
   * item's in every step whose softmax touches it, so the user tower needs a larger rate to move as
   * far in the same epochs. Default 0.3.
   */
  userLr?: number;
  /** Cosine-anneal the learning rates to 0 over all steps. Default true. */
  cosineAnnealing?: boolean;
  /**
   * L2 penalty `l2 · (‖p_u‖² + ‖q_i‖²)` over the users of a step and the item rows it touches,
   * divided by the step's user count. Item biases are not penalised. Default 0.01.
   */
  l2?: number;
  /** Softmax temperature τ: logits are scores / τ. Default 1. */
  temperature?: number;
  /** Users per Adam step. Default 16. */
  usersPerStep?: number;
  /**
   * The weight of each positive (a training row) in the loss, from its rating (ignored for an
   * implicit table, where every row weighs 1). Default {@link defaultRatingConfidence}:
   * `{threshold, atOrAbove: 1, below: 0.1}` with the threshold 70 % up the table's rating range
   * (4 stars on MovieLens); `null` weighs every row 1. Also the confidence map of the returned model's fold-in.
   */
  confidence?: RatingConfidence | null;
  /**
   * `'full'`: every step's softmax runs over the whole catalogue; `'sampled'`: over `sampledItems`
   * items drawn per step (shared by the step's users) in proportion to their training popularity,
   * with the log-Q correction; `'auto'` (default): full up to `fullSoftmaxMaxItems` items.
   */
  softmax?: SoftmaxMode;
  /** The largest catalogue `'auto'` trains with the full softmax. Default 20,000. */
  fullSoftmaxMaxItems?: number;
  /**
   * The backward pass keeps each candidate's term with probability `min(1, K · π)` (`π` its softmax
   * probability) and divides it by that probability: an unbiased gradient with about `K` of the
   * candidates' terms per user instead of all of them (the forward pass still scores every
   * candidate). `0` keeps every term (exact). Default 2048.
   */
  backwardTerms?: number;
  /** Items drawn (with replacement) per step of the sampled softmax. Default 2048. */
  sampledItems?: number;
  /** The sampling distribution is ∝ (training rows of the item + 1)^this. Default 1. */
  samplingExponent?: number;
  /** Std of the normal initial factors. Default 0.1 / √nFactors. */
  initStd?: number;
  /**
   * α₀, λ and ν of the returned model's config: what its closed-form fold-in
   * (`ImplicitMatrixFactorization.foldInItems`) solves a new user's row with against the trained
   * item rows. Default `{unobservedWeight: 0.1, regularization: 0.01, frequencyExponent: 1}`.
   */
  foldIn?: { unobservedWeight: number; regularization: number; frequencyExponent: number };
  /** Seed of the initial factors, the user order and the sampled items. Default 42. */
  seed?: number;
  /** Called after every epoch. */
  onEpoch?: (info: SoftmaxRetrievalEpoch) => void;
  /** Stops within 50 ms once aborted (after the current step; the model holds the steps done). */
  signal?: AbortSignal;
}

/** Progress of one epoch of {@link fitSoftmaxRetrieval}. */
export interface SoftmaxRetrievalEpoch {
  epoch: number;
  epochs: number;
  /** Mean over the epoch's positives (by weight) of the cross-entropy, before the steps' updates. */
  loss: number;
  /** Whether the epoch ran the full or the sampled softmax. */
  softmax: 'full' | 'sampled';
  seconds: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/** Walker's alias table: O(1) draws from a fixed discrete distribution. @internal */
export class AliasTable {
  readonly probability: Float64Array;
  readonly alias: Int32Array;
  constructor(weights: Float64Array) {
    const n = weights.length;
    let total = 0;
    for (const w of weights) total += w;
    this.probability = new Float64Array(n);
    this.alias = new Int32Array(n);
    const scaled = weights.map((w) => (w * n) / total);
    const small: number[] = [];
    const large: number[] = [];
    scaled.forEach((p, i) => (p < 1 ? small : large).push(i));
    while (small.length && large.length) {
      const s = small.pop()!;
      const l = large[large.length - 1]!;
      this.probability[s] = scaled[s]!;
      this.alias[s] = l;
      scaled[l] = scaled[l]! + scaled[s]! - 1;
      if (scaled[l] < 1) small.push(large.pop()!);
    }
    for (const i of [...small, ...large]) this.probability[i] = 1;
  }
  draw(random: SeededRandom): number {
    const n = this.probability.length;
    const u = random.next() * n;
    const i = Math.min(n - 1, Math.floor(u));
    return u - i < this.probability[i]! ? i : this.alias[i]!;
  }
}

/** Per-row Adam on a `rows × width` table: each row has its own step count (updated rows only). */
class RowAdam {
  readonly m: Float32Array;
  readonly v: Float32Array;
  readonly steps: Int32Array;
  constructor(
    readonly values: Float32Array,
    readonly width: number,
  ) {
    this.m = new Float32Array(values.length);
    this.v = new Float32Array(values.length);
    this.steps = new Int32Array(values.length / width);
  }

  /**
   * One Adam step on each of `rows[0 … count − 1]` with gradient `grad` (same layout as the
   * table) plus `l2Scale ×` the row's values, then zeroes those rows of `grad`.
   */
  step(rows: Int32Array, count: number, grad: Float64Array, lr: number, l2Scale: number): void {
    const { m, v, values, width, steps } = this;
    for (let k = 0; k < count; k++) {
      const row = rows[k]!;
      const t = ++steps[row]!;
      const step = lr / (1 - 0.9 ** t);
      const c2 = 1 / (1 - 0.999 ** t);
      const o = row * width;
      for (let f = o; f < o + width; f++) {
        const x = values[f]!;
        const g = grad[f]! + l2Scale * x;
        grad[f] = 0;
        const mf = 0.9 * m[f]! + 0.1 * g;
        const vf = 0.999 * v[f]! + 0.001 * g * g;
        m[f] = mf;
        v[f] = vf;
        values[f] = x - (step * mf) / (Math.sqrt(vf * c2) + 1e-8);
      }
    }
  }
}

/** A block of users' positives: user `b`'s are `items[offsets[b]] … items[offsets[b + 1] − 1]`. @internal */
export interface SoftmaxBlockPositives {
  offsets: Int32Array;
  items: Int32Array;
  weights: Float32Array;
}

/**
 * The loss of one step and its gradients, shared by the trainer and its tests. For each user `b`
 * of the block (rows of `userRows`, `nFactors` wide) with positives `i` (weights `w_bi`, total
 * `W_b`) and candidates `c` with log-Q corrections `logQ_c`, the loss is
 * `Σ_i w_bi (log Ẑ_b − s_bi / τ)` with `Ẑ_b = Σ_c exp(s_bc / τ − logQ_c)` and `s = p · q + b`;
 * with every item a candidate and `logQ = null` that is the exact softmax cross-entropy over the
 * catalogue; with `S` candidates drawn from `q` and `logQ_c = log(S · q_c)`, `Ẑ_b` is an unbiased
 * estimate of the catalogue's partition function. Adds `scale ×` the loss's gradients to
 * `userGrad` (block rows), `itemGrad` and `biasGrad` (catalogue rows) and returns the loss
 * (unscaled). `logits` is scratch of at least `users × candidates`. Item-major loops: each
 * candidate's row is read once per block.
 * @internal
 */
export function softmaxBlockGradients(
  userRows: Float64Array,
  nFactors: number,
  itemFactors: Float32Array,
  itemBias: Float32Array,
  candidates: Int32Array,
  logQ: Float64Array | null,
  positives: SoftmaxBlockPositives,
  inverseTemperature: number,
  scale: number,
  logits: Float64Array,
  userGrad: Float64Array,
  itemGrad: Float64Array,
  biasGrad: Float64Array,
  thinning?: { expectedKept: number; random: SeededRandom },
): number {
  const d = nFactors;
  const nb = positives.offsets.length - 1;
  const nc = candidates.length;
  const d4 = d - (d % 4);
  for (let c = 0; c < nc; c++) {
    const j = candidates[c]!;
    const qo = j * d;
    const shift = itemBias[j]! * inverseTemperature - (logQ ? logQ[c]! : 0);
    for (let b = 0; b < nb; b++) {
      const po = b * d;
      // four accumulators: V8 keeps them in registers (about twice the speed of one)
      let a0 = 0;
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let f = 0;
      for (; f < d4; f += 4) {
        a0 += userRows[po + f]! * itemFactors[qo + f]!;
        a1 += userRows[po + f + 1]! * itemFactors[qo + f + 1]!;
        a2 += userRows[po + f + 2]! * itemFactors[qo + f + 2]!;
        a3 += userRows[po + f + 3]! * itemFactors[qo + f + 3]!;
      }
      for (; f < d; f++) a0 += userRows[po + f]! * itemFactors[qo + f]!;
      logits[b * nc + c] = (a0 + a1 + a2 + a3) * inverseTemperature + shift;
    }
  }
  let loss = 0;
  for (let b = 0; b < nb; b++) {
    const lo = b * nc;
    let max = -Infinity;
    for (let c = 0; c < nc; c++) if (logits[lo + c]! > max) max = logits[lo + c]!;
    let z = 0;
    for (let c = 0; c < nc; c++) z += logits[lo + c] = Math.exp(logits[lo + c]! - max);
    const logZ = max + Math.log(z);
    let total = 0;
    const po = b * d;
    for (let k = positives.offsets[b]!; k < positives.offsets[b + 1]!; k++) {
      const j = positives.items[k]!;
      const w = positives.weights[k]!;
      const qo = j * d;
      let dot = 0;
      for (let f = 0; f < d; f++) dot += userRows[po + f]! * itemFactors[qo + f]!;
      loss += w * (logZ - (dot + itemBias[j]!) * inverseTemperature);
      total += w;
      // the positive's −w_bi
      const g = -w * scale * inverseTemperature;
      for (let f = 0; f < d; f++) {
        userGrad[po + f]! += g * itemFactors[qo + f]!;
        itemGrad[qo + f]! += g * userRows[po + f]!;
      }
      biasGrad[j]! += g;
    }
    const coefficient = (scale * inverseTemperature * total) / z;
    if (thinning) {
      // keep candidate c with probability k_c = min(1, K · π_c) and divide its term by k_c: the
      // same gradient in expectation, with about K of the catalogue's terms per user
      const kz = thinning.expectedKept / z;
      for (let c = 0; c < nc; c++) {
        const keep = logits[lo + c]! * kz;
        logits[lo + c] =
          keep >= 1
            ? logits[lo + c]! * coefficient
            : thinning.random.next() < keep
              ? coefficient / kz
              : 0;
      }
    } else {
      for (let c = 0; c < nc; c++) logits[lo + c] = logits[lo + c]! * coefficient;
    }
  }
  for (let c = 0; c < nc; c++) {
    const j = candidates[c]!;
    const qo = j * d;
    let bias = 0;
    for (let b = 0; b < nb; b++) {
      const g = logits[b * nc + c]!;
      if (g === 0) continue;
      bias += g;
      const po = b * d;
      let f = 0;
      for (; f < d4; f += 4) {
        userGrad[po + f]! += g * itemFactors[qo + f]!;
        itemGrad[qo + f]! += g * userRows[po + f]!;
        userGrad[po + f + 1]! += g * itemFactors[qo + f + 1]!;
        itemGrad[qo + f + 1]! += g * userRows[po + f + 1]!;
        userGrad[po + f + 2]! += g * itemFactors[qo + f + 2]!;
        itemGrad[qo + f + 2]! += g * userRows[po + f + 2]!;
        userGrad[po + f + 3]! += g * itemFactors[qo + f + 3]!;
        itemGrad[qo + f + 3]! += g * userRows[po + f + 3]!;
      }
      for (; f < d; f++) {
        userGrad[po + f]! += g * itemFactors[qo + f]!;
        itemGrad[qo + f]! += g * userRows[po + f]!;
      }
    }
    biasGrad[j]! += bias;
  }
  return loss;
}

/**
 * Trains a two-tower retrieval model (user and item embeddings plus an item bias: the score of
 * (user, item) is `p_u · q_i + b_i`, EmbeddingDotBias's shape without a user bias, which a softmax
 * over items ignores) with the softmax cross-entropy of TensorFlow Recommenders' retrieval task:
 * each training row is a positive, weighted by its rating (`confidence`), scored against the
 * catalogue. Below `fullSoftmaxMaxItems` items the softmax is exact over all items (a step costs
 * `3 · users · items · nFactors` multiply-adds); above it, each step's users share `sampledItems`
 * items drawn in proportion to popularity, each logit corrected by `−log(S · q_j)` (the log-Q
 * correction), which estimates the full softmax's partition function without bias, at
 * `3 · (users · S + rows) · nFactors` per epoch. Adam with a step count per row, L2 on the rows a
 * step touches, batches of `usersPerStep` users in a seeded order. Host arithmetic only.
 *
 * Returned as an {@link ImplicitMatrixFactorization} of `nFactors + 1` factors (user rows
 * `[p_u / τ, 1]`, item rows `[q_i, b_i / τ]`, so its scores are the trained logits): it saves,
 * loads, recommends, finds similar items and runs in `@cf/model/inference` like the `topn`
 * recipe's iALS, and folds new users in by that model's closed-form row solve against these item
 * rows (α₀, λ, ν from `foldIn`). The caller owns the model (dispose it).
 *
 * Asynchronous so that it can be stopped: between steps it lets timers and signal handlers run at
 * most every 50 ms.
 */
export async function fitSoftmaxRetrieval(
  table: RatingsTable,
  rows: Int32Array,
  options: SoftmaxRetrievalOptions = {},
): Promise<ImplicitMatrixFactorization> {
  const positiveInt = (name: string, value: number): number => {
    if (!(Number.isInteger(value) && value >= 1))
      throw new InvalidArgumentError(name, `must be a positive integer, got ${value}`);
    return value;
  };
  const positiveNumber = (name: string, value: number): number => {
    if (!(Number.isFinite(value) && value > 0))
      throw new InvalidArgumentError(name, `must be a positive number, got ${value}`);
    return value;
  };
  const epochs = options.epochs ?? 20;
  if (!(Number.isInteger(epochs) && epochs >= 0))
    throw new InvalidArgumentError('epochs', `must be a non-negative integer, got ${epochs}`);
  if (rows.length === 0)
    throw new InvalidArgumentError(
      'rows',
      'the softmax retrieval model needs at least one training row',
    );
  const d = positiveInt('nFactors', options.nFactors ?? 64);
  const usersPerStep = positiveInt('usersPerStep', options.usersPerStep ?? 16);
  const sampledItems = positiveInt('sampledItems', options.sampledItems ?? 2048);
  const backwardTerms = options.backwardTerms ?? 2048;
  if (!(Number.isFinite(backwardTerms) && backwardTerms >= 0))
    throw new InvalidArgumentError(
      'backwardTerms',
      `must be a non-negative number, got ${backwardTerms}`,
    );
  const lr = positiveNumber('lr', options.lr ?? 0.01);
  const userLr = positiveNumber('userLr', options.userLr ?? 0.3);
  const tau = positiveNumber('temperature', options.temperature ?? 1);
  const l2 = options.l2 ?? 0.01;
  if (!(Number.isFinite(l2) && l2 >= 0))
    throw new InvalidArgumentError('l2', `must be a non-negative number, got ${l2}`);
  const mode = options.softmax ?? 'auto';
  if (mode !== 'auto' && mode !== 'full' && mode !== 'sampled')
    throw new InvalidArgumentError(
      'softmax',
      `must be 'auto', 'full' or 'sampled', got ${String(mode)}`,
    );
  const nUsers = table.userIds.size;
  const nItems = table.itemIds.size;
  const full =
    mode === 'full' || (mode === 'auto' && nItems <= (options.fullSoftmaxMaxItems ?? 20_000));
  const confidence = table.implicit
    ? null
    : options.confidence === undefined
      ? defaultRatingConfidence(table)
      : options.confidence;
  const foldIn = options.foldIn ?? {
    unobservedWeight: 0.1,
    regularization: 0.01,
    frequencyExponent: 1,
  };
  const seed = options.seed ?? 42;
  const model = createImplicitMatrixFactorization({
    nUsers,
    nItems,
    nFactors: d + 1,
    ...foldIn,
    confidence,
    seed,
  });

  const byUser = groupRows(rows, table.userIndex, nUsers);
  const items = new Int32Array(rows.length);
  const weights = new Float32Array(rows.length);
  for (let k = 0; k < rows.length; k++) {
    const r = byUser.rows[k]!;
    items[k] = table.itemIndex[r]!;
    weights[k] = model.confidenceOf(table.rating[r]!);
  }
  const users: number[] = [];
  for (let u = 0; u < nUsers; u++) {
    let w = 0;
    for (let k = byUser.offsets[u]!; k < byUser.offsets[u + 1]!; k++) w += weights[k]!;
    if (w > 0) users.push(u);
  }
  if (users.length === 0)
    throw new InvalidArgumentError('rows', 'every training row has weight 0 under `confidence`');

  const random = new SeededRandom(seed + 1);
  const std = options.initStd ?? 0.1 / Math.sqrt(d);
  const P = new Float32Array(nUsers * d);
  const Q = new Float32Array(nItems * d);
  const B = new Float32Array(nItems);
  for (const t of [P, Q]) for (let k = 0; k < t.length; k++) t[k] = random.normal() * std;
  const adamP = new RowAdam(P, d);
  const adamQ = new RowAdam(Q, d);
  const adamB = new RowAdam(B, 1);

  // candidates of a step: every item (full), or `sampledItems` popularity-proportional draws
  let candidates = Int32Array.from({ length: nItems }, (_, j) => j);
  let logQ: Float64Array | null = null;
  let alias: AliasTable | null = null;
  let sampleLogQ: Float64Array | null = null;
  if (!full) {
    const counts = new Float64Array(nItems).fill(1);
    for (let k = 0; k < items.length; k++) counts[items[k]!]! += 1;
    const exponent = options.samplingExponent ?? 1;
    let total = 0;
    for (let j = 0; j < nItems; j++) total += counts[j] = counts[j]! ** exponent;
    alias = new AliasTable(counts);
    sampleLogQ = counts.map((c) => Math.log((sampledItems * c) / total));
    candidates = new Int32Array(sampledItems);
    logQ = new Float64Array(sampledItems);
  }
  const logits = new Float64Array(usersPerStep * candidates.length);
  const userRows = new Float64Array(usersPerStep * d);
  const userGrad = new Float64Array(usersPerStep * d);
  let mostPositives = 0;
  for (let u = 0; u < nUsers; u++)
    mostPositives = Math.max(mostPositives, byUser.offsets[u + 1]! - byUser.offsets[u]!);
  const blockOffsets = new Int32Array(usersPerStep + 1);
  const blockItems = new Int32Array(Math.min(rows.length, usersPerStep * mostPositives));
  const blockWeights = new Float32Array(blockItems.length);
  const dQ = new Float64Array(nItems * d);
  const dP = new Float64Array(nUsers * d);
  const blockUsers = new Int32Array(usersPerStep);
  const dB = new Float64Array(nItems);
  const touched = new Uint8Array(nItems);
  const touchedList = new Int32Array(nItems);
  const invTau = 1 / tau;
  const order = Int32Array.from(users);
  const stepsPerEpoch = Math.ceil(order.length / usersPerStep);
  const totalSteps = epochs * stepsPerEpoch;
  let stepIndex = 0;
  const yielder = new EventLoopYielder(options.signal);
  const thinning =
    backwardTerms > 0
      ? { expectedKept: backwardTerms, random: new SeededRandom(seed + 2) }
      : undefined;

  training: for (let epoch = 0; epoch < epochs; epoch++) {
    const started = now();
    for (let k = order.length - 1; k > 0; k--) {
      const j = Math.floor(random.next() * (k + 1));
      const t = order[k]!;
      order[k] = order[j]!;
      order[j] = t;
    }
    let lossSum = 0;
    let weightSum = 0;
    for (let start = 0; start < order.length; start += usersPerStep) {
      if (await yielder.stopRequested()) break training;
      const end = Math.min(order.length, start + usersPerStep);
      const anneal =
        (options.cosineAnnealing ?? true)
          ? (1 + Math.cos((Math.PI * stepIndex) / totalSteps)) / 2
          : 1;
      const stepLr = lr * anneal;
      stepIndex++;
      let nTouched = 0;
      const touch = (j: number): void => {
        if (!touched[j]) {
          touched[j] = 1;
          touchedList[nTouched++] = j;
        }
      };
      if (alias) {
        for (let c = 0; c < sampledItems; c++) {
          const j = alias.draw(random);
          candidates[c] = j;
          logQ![c] = sampleLogQ![j]!;
        }
      }
      for (const j of candidates) touch(j);
      const nb = end - start;
      blockOffsets[0] = 0;
      let blockWeight = 0;
      let nPositives = 0;
      for (let b = 0; b < nb; b++) {
        const u = order[start + b]!;
        const po = u * d;
        for (let f = 0; f < d; f++) userRows[b * d + f] = P[po + f]!;
        for (let k = byUser.offsets[u]!; k < byUser.offsets[u + 1]!; k++) {
          blockItems[nPositives] = items[k]!;
          blockWeights[nPositives++] = weights[k]!;
          blockWeight += weights[k]!;
          touch(items[k]!);
        }
        blockOffsets[b + 1] = nPositives;
      }
      userGrad.fill(0, 0, nb * d);
      lossSum += softmaxBlockGradients(
        userRows.subarray(0, nb * d),
        d,
        Q,
        B,
        candidates,
        logQ,
        {
          offsets: blockOffsets.subarray(0, nb + 1),
          items: blockItems.subarray(0, nPositives),
          weights: blockWeights.subarray(0, nPositives),
        },
        invTau,
        1 / blockWeight,
        logits,
        userGrad,
        dQ,
        dB,
        thinning,
      );
      weightSum += blockWeight;
      const userL2 = (2 * l2) / nb;
      // the block's user gradients into the users' rows of a table-shaped buffer
      for (let b = 0; b < nb; b++) {
        const u = order[start + b]!;
        blockUsers[b] = u;
        dP.set(userGrad.subarray(b * d, (b + 1) * d), u * d);
      }
      adamP.step(blockUsers, nb, dP, userLr * anneal, userL2);
      adamQ.step(touchedList, nTouched, dQ, stepLr, userL2);
      adamB.step(touchedList, nTouched, dB, stepLr, 0);
      for (let t = 0; t < nTouched; t++) touched[touchedList[t]!] = 0;
    }
    options.onEpoch?.({
      epoch,
      epochs,
      loss: lossSum / weightSum,
      softmax: full ? 'full' : 'sampled',
      seconds: (now() - started) / 1000,
    });
  }

  const user = model.parameter('userEmbedding');
  const item = model.parameter('itemEmbedding');
  const f1 = d + 1;
  for (let u = 0; u < nUsers; u++) {
    for (let f = 0; f < d; f++) user.values[u * f1 + f] = P[u * d + f]! * invTau;
    user.values[u * f1 + d] = 1;
  }
  for (let j = 0; j < nItems; j++) {
    for (let f = 0; f < d; f++) item.values[j * f1 + f] = Q[j * d + f]!;
    item.values[j * f1 + d] = B[j]! * invTau;
  }
  user.markChanged();
  item.markChanged();
  return model;
}
