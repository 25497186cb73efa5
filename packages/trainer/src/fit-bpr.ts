import { InvalidArgumentError, type RatingsTable } from '@cf/data';
import { SeededRandom, createEmbeddingDotBias, type EmbeddingDotBias } from '@cf/model';

/** Options of {@link fitBpr}. */
export interface BprOptions {
  /** Latent factors. Default 64. */
  nFactors?: number;
  /** Passes over the positive rows. Default 20. */
  epochs?: number;
  /** SGD learning rate. Default 0.05. */
  lr?: number;
  /** L2 penalty on the rows a step touches. Default 1e-3. */
  l2?: number;
  /** A row is a positive when its rating is ≥ this (implicit tables: every row). Default 4. */
  positiveThreshold?: number;
  /** Seed of the initial weights, the row order and the sampled negatives. Default 42. */
  seed?: number;
  /** Called after every epoch with the mean BPR loss of its steps. */
  onEpoch?: (info: { epoch: number; epochs: number; loss: number; seconds: number }) => void;
  /** Stops after the current epoch. */
  signal?: AbortSignal;
}

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Trains a two-tower retrieval model of EmbeddingDotBias's shape (`p_u · q_i + b_i`, no squashing:
 * `yRange` null) with the BPR ranking loss (Rendle et al. 2009): for each positive (user, item)
 * row and one item drawn uniformly from the catalogue, SGD on `−log σ(s(u, i) − s(u, j))` with an
 * L2 penalty on the touched rows. The user bias cancels in the loss and stays 0. The returned
 * model is a neural collaborative-filtering model cf saves, loads and serves like the fastai one.
 */
export function fitBpr(
  table: RatingsTable,
  rows: Int32Array,
  options: BprOptions = {},
): EmbeddingDotBias {
  const epochs = options.epochs ?? 20;
  if (!(Number.isInteger(epochs) && epochs >= 0))
    throw new InvalidArgumentError('epochs', `must be a non-negative integer, got ${epochs}`);
  const threshold = options.positiveThreshold ?? 4;
  const positives = table.implicit
    ? rows.slice()
    : rows.filter((r) => table.rating[r]! >= threshold);
  if (positives.length === 0)
    throw new InvalidArgumentError(
      'rows',
      `BPR needs at least one positive row (rating ≥ ${threshold}); none of the ${rows.length} qualifies`,
    );
  const nItems = table.itemIds.size;
  const d = options.nFactors ?? 64;
  const seed = options.seed ?? 42;
  const model = createEmbeddingDotBias({
    nUsers: table.userIds.size,
    nItems,
    nFactors: d,
    yRange: null,
    seed,
  });
  const p = model.parameter('userEmbedding');
  const q = model.parameter('itemEmbedding');
  const b = model.parameter('itemBias');
  const P = p.values;
  const Q = q.values;
  const B = b.values;
  // fastai's 0.01 start is too small for a ranking loss to break symmetry quickly: 0.1 / √d
  const random = new SeededRandom(seed + 1);
  for (const t of [P, Q])
    for (let k = 0; k < t.length; k++) t[k] = (random.normal() * 0.1) / Math.sqrt(d);
  const lr = options.lr ?? 0.05;
  const l2 = options.l2 ?? 1e-3;
  const pu = new Float64Array(d);
  for (let epoch = 0; epoch < epochs; epoch++) {
    const started = now();
    for (let k = positives.length - 1; k > 0; k--) {
      const j = Math.floor(random.next() * (k + 1));
      const t = positives[k]!;
      positives[k] = positives[j]!;
      positives[j] = t;
    }
    let lossSum = 0;
    for (const r of positives) {
      const uo = table.userIndex[r]! * d;
      const i = table.itemIndex[r]!;
      const j = Math.floor(random.next() * nItems);
      if (j === i) continue;
      const io = i * d;
      const jo = j * d;
      let x = B[i]! - B[j]!;
      for (let f = 0; f < d; f++) {
        pu[f] = P[uo + f]!;
        x += pu[f]! * (Q[io + f]! - Q[jo + f]!);
      }
      // d(−log σ(x))/dx = −σ(−x)
      const g = 1 / (1 + Math.exp(x));
      lossSum += x > 0 ? Math.log1p(Math.exp(-x)) : -x + Math.log1p(Math.exp(x));
      for (let f = 0; f < d; f++) {
        const qi = Q[io + f]!;
        const qj = Q[jo + f]!;
        P[uo + f] = pu[f]! + lr * (g * (qi - qj) - l2 * pu[f]!);
        Q[io + f] = qi + lr * (g * pu[f]! - l2 * qi);
        Q[jo + f] = qj + lr * (-g * pu[f]! - l2 * qj);
      }
      B[i] = B[i]! + lr * (g - l2 * B[i]!);
      B[j] = B[j]! + lr * (-g - l2 * B[j]!);
    }
    p.markChanged();
    q.markChanged();
    b.markChanged();
    options.onEpoch?.({
      epoch,
      epochs,
      loss: lossSum / positives.length,
      seconds: (now() - started) / 1000,
    });
    if (options.signal?.aborted) break;
  }
  return model;
}
