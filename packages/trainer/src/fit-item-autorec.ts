import { InvalidArgumentError, type RatingsTable } from '@cf/data';
import type { BiasedMatrixFactorization } from '@cf/model';
import {
  SeededRandom,
  createModelFromConfig,
  type BiasedMatrixFactorizationConfig,
} from '@cf/model';
import { groupRows } from './group-rows.js';
import { EventLoopYielder } from './event-loop-yielder.js';

/** Options of {@link fitItemAutoRec}; defaults are what the `best` recipe uses (see the trainer README). */
export interface ItemAutoRecOptions {
  /** Hidden units (the stored model's factors). Default 500. */
  hidden?: number;
  /** L2 penalty `λ/2 · (‖V‖² + ‖W‖²)` added to the summed squared error. Default 100. */
  lambda?: number;
  /** Full-batch Adam steps (one pass over all training ratings each). Default 150. */
  epochs?: number;
  /** Peak Adam learning rate, cosine-annealed to 0 over `epochs`. Default 0.01. */
  lr?: number;
  /** Ratings scale `[min, max]` predictions are clipped to. Default the table's. */
  ratingRange?: [number, number];
  /** Seed of the initial weights. Default 42. */
  seed?: number;
  /** Called after every epoch. */
  onEpoch?: (info: ItemAutoRecEpoch) => void;
  /** Stops inside the current epoch (its partial gradient dropped; the model is the last complete epoch's). */
  signal?: AbortSignal;
}

/** Progress of one epoch of {@link fitItemAutoRec}. */
export interface ItemAutoRecEpoch {
  epoch: number;
  epochs: number;
  /** Root mean squared training error of this epoch's forward pass (before its step). */
  trainRmse: number;
  seconds: number;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Item-based AutoRec (Sedhain et al., WWW 2015): each item's vector of training ratings over the
 * users `r_i` is encoded as `h_i = sigmoid(V r_i + b)` (`hidden` units) and decoded as
 * `W h_i + c`; the loss is the squared error on the observed entries only plus
 * `λ/2 (‖V‖² + ‖W‖²)`, minimised by full-batch Adam with a cosine-annealed learning rate. All
 * passes are sparse (cost `4 · hidden` multiply-adds per training rating per epoch).
 *
 * The decoder is linear, so the trained network's predictions `W_u · h_i + c_u` are exactly a
 * {@link BiasedMatrixFactorization} with user factors `W_u`, user biases `c_u` and item factors
 * `h_i` (computed from the training rows): that is what is returned, so it predicts, saves, loads
 * and folds users in like any other model. Users without training rows predict the training mean.
 * Uses only `rows` of `table`. Host arithmetic only, no tensors. The caller owns the returned model
 * (dispose it).
 *
 * Asynchronous so that it can be stopped: between epochs, and every 256 items within one, it lets
 * timers and signal handlers run (at most every 50 ms); an aborted `signal` ends training inside
 * the current epoch (its partial gradient dropped), returning the model of the last complete epoch.
 */
export async function fitItemAutoRec(
  table: RatingsTable,
  rows: Int32Array,
  options: ItemAutoRecOptions = {},
): Promise<BiasedMatrixFactorization> {
  const H = options.hidden ?? 500;
  const lambda = options.lambda ?? 100;
  const epochs = options.epochs ?? 150;
  const lr = options.lr ?? 0.01;
  if (!(Number.isInteger(H) && H >= 1))
    throw new InvalidArgumentError('hidden', `expected a whole number ≥ 1, got ${H}`);
  if (!(Number.isFinite(lambda) && lambda >= 0))
    throw new InvalidArgumentError('lambda', `expected a number ≥ 0, got ${lambda}`);
  if (!(Number.isInteger(epochs) && epochs >= 1))
    throw new InvalidArgumentError('epochs', `expected a whole number ≥ 1, got ${epochs}`);
  if (!(Number.isFinite(lr) && lr > 0))
    throw new InvalidArgumentError('lr', `expected a number > 0, got ${lr}`);
  if (rows.length === 0) throw new InvalidArgumentError('rows', 'no training rows: nothing to fit');
  const nU = table.userIds.size;
  const nI = table.itemIds.size;
  const ratingRange = options.ratingRange ?? [table.stats.minRating, table.stats.maxRating];
  const random = new SeededRandom(options.seed ?? 42);
  const { userIndex, itemIndex, rating } = table;
  const byItem = groupRows(rows, itemIndex, nI);
  const itemRows = byItem.rows;
  const users = Int32Array.from(itemRows, (r) => userIndex[r]!);
  const values = Float32Array.from(itemRows, (r) => rating[r]!);

  // Parameters in one array (for one Adam loop): encoder V (nU × H, a user's column of V as a
  // row), encoder bias b (H), decoder W (nU × H), decoder bias c (nU). PyTorch Linear's init.
  const vAt = 0;
  const bAt = nU * H;
  const wAt = bAt + H;
  const cAt = wAt + nU * H;
  const size = cAt + nU;
  const theta = new Float32Array(size);
  const encScale = 1 / Math.sqrt(nU);
  const decScale = 1 / Math.sqrt(H);
  for (let k = vAt; k < wAt; k++) theta[k] = (2 * random.next() - 1) * encScale;
  for (let k = wAt; k < size; k++) theta[k] = (2 * random.next() - 1) * decScale;
  const grad = new Float32Array(size);
  const m1 = new Float32Array(size);
  const m2 = new Float32Array(size);
  const beta1 = 0.9;
  const beta2 = 0.999;
  const eps = 1e-8;

  const h = new Float64Array(H);
  const dh = new Float64Array(H);
  const start = now();
  const yielder = new EventLoopYielder(options.signal);
  for (let epoch = 0; epoch < epochs; epoch++) {
    grad.fill(0);
    let sse = 0;
    let stoppedInEpoch = false;
    for (let i = 0; i < nI; i++) {
      // a full-batch epoch takes up to a second on a busy machine: look for a Ctrl-C inside it too
      if ((i & 255) === 255 && (await yielder.stopRequested())) {
        stoppedInEpoch = true;
        break;
      }
      const from = byItem.offsets[i]!;
      const to = byItem.offsets[i + 1]!;
      if (from === to) continue;
      for (let d = 0; d < H; d++) h[d] = theta[bAt + d]!;
      for (let k = from; k < to; k++) {
        const v = vAt + users[k]! * H;
        const r = values[k]!;
        for (let d = 0; d < H; d++) h[d]! += r * theta[v + d]!;
      }
      for (let d = 0; d < H; d++) h[d] = 1 / (1 + Math.exp(-h[d]!));
      dh.fill(0);
      for (let k = from; k < to; k++) {
        const u = users[k]!;
        const w = wAt + u * H;
        let out = theta[cAt + u]!;
        for (let d = 0; d < H; d++) out += theta[w + d]! * h[d]!;
        const e = out - values[k]!;
        sse += e * e;
        const g = 2 * e;
        grad[cAt + u]! += g;
        for (let d = 0; d < H; d++) {
          grad[w + d]! += g * h[d]!;
          dh[d]! += g * theta[w + d]!;
        }
      }
      for (let d = 0; d < H; d++) {
        const hd = h[d]!;
        dh[d] = dh[d]! * hd * (1 - hd);
        grad[bAt + d]! += dh[d]!;
      }
      for (let k = from; k < to; k++) {
        const v = vAt + users[k]! * H;
        const r = values[k]!;
        for (let d = 0; d < H; d++) grad[v + d]! += r * dh[d]!;
      }
    }
    // stopped part-way: the partial gradient is dropped, the model is the last complete epoch's
    if (stoppedInEpoch) break;
    // weight decay on V and W (not the biases), then one Adam step at the cosine-annealed rate
    for (let k = vAt; k < bAt; k++) grad[k]! += lambda * theta[k]!;
    for (let k = wAt; k < cAt; k++) grad[k]! += lambda * theta[k]!;
    const step = epoch + 1;
    const rate = (lr * 0.5 * (1 + Math.cos((Math.PI * epoch) / epochs))) / (1 - beta1 ** step);
    const correction2 = 1 / (1 - beta2 ** step);
    for (let k = 0; k < size; k++) {
      const g = grad[k]!;
      const a = (m1[k] = beta1 * m1[k]! + (1 - beta1) * g);
      const b = (m2[k] = beta2 * m2[k]! + (1 - beta2) * g * g);
      theta[k]! -= (rate * a) / (Math.sqrt(b * correction2) + eps);
    }
    options.onEpoch?.({
      epoch,
      epochs,
      trainRmse: Math.sqrt(sse / rows.length),
      seconds: (now() - start) / 1000,
    });
    if (await yielder.stopRequested()) break;
  }

  // The trained network as a biased MF: item factors h_i, user factors W_u, user biases c_u.
  const itemFactors = new Float32Array(nI * H);
  for (let i = 0; i < nI; i++) {
    for (let d = 0; d < H; d++) h[d] = theta[bAt + d]!;
    for (let k = byItem.offsets[i]!; k < byItem.offsets[i + 1]!; k++) {
      const v = vAt + users[k]! * H;
      const r = values[k]!;
      for (let d = 0; d < H; d++) h[d]! += r * theta[v + d]!;
    }
    for (let d = 0; d < H; d++) itemFactors[i * H + d] = 1 / (1 + Math.exp(-h[d]!));
  }
  const seenUser = new Uint8Array(nU);
  let mean = 0;
  for (let k = 0; k < users.length; k++) {
    seenUser[users[k]!] = 1;
    mean += values[k]!;
  }
  mean /= users.length;
  const userFactors = theta.slice(wAt, cAt);
  const userBias = theta.slice(cAt, size);
  for (let u = 0; u < nU; u++) {
    if (seenUser[u]) continue;
    userFactors.fill(0, u * H, (u + 1) * H);
    userBias[u] = mean;
  }
  const config: BiasedMatrixFactorizationConfig = {
    type: 'biased-mf',
    nUsers: nU,
    nItems: nI,
    nFactors: H,
    ratingRange,
  };
  return createModelFromConfig(config, {
    userEmbedding: userFactors,
    itemEmbedding: itemFactors,
    userBias,
    itemBias: new Float32Array(nI),
    globalBias: Float32Array.of(0),
  }) as BiasedMatrixFactorization;
}
