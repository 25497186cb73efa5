import type { ScoringModel } from './scoring-model.js';

/**
 * What turns a model's raw score `μ + b_u + b_i + p_u · q_i` into its prediction: nothing (the raw
 * score), a clip to `[lo, hi]` (biased MF), or `sigmoid(raw) · span + low` (EmbeddingDotBias with
 * a `yRange`). Each is non-decreasing, which is what lets a blocked top-k prune on raw scores.
 */
export type DotProductHead =
  | { readonly kind: 'identity' }
  | { readonly kind: 'clip'; readonly lo: number; readonly hi: number }
  | { readonly kind: 'sigmoid'; readonly low: number; readonly span: number };

/**
 * A model whose prediction is a non-decreasing function ({@link DotProductHead}) of
 * `globalBias + userBias[u] + itemBias[i] + userFactors[u] · itemFactors[i]` (or, with
 * `reluWeights`, of `globalBias + Σ_d reluWeights[d] · max(userFactors[u, d] + itemFactors[i, d], 0)`):
 * the models {@link BlockedRanker} ranks in blocks. For the dot-product models the arrays are the
 * model's own; for EmbeddingNet they are computed (float32 copies of its first layer's user and
 * item parts).
 */
export interface DotProductForm {
  readonly nFactors: number;
  /** `[nUsers, nFactors]`. */
  readonly userFactors: Float32Array;
  /** `[nItems, nFactors]`. */
  readonly itemFactors: Float32Array;
  /** `[nUsers]`, or undefined for none. */
  readonly userBias: Float32Array | undefined;
  /** `[nItems]`, or undefined for none. */
  readonly itemBias: Float32Array | undefined;
  readonly globalBias: number;
  readonly head: DotProductHead;
  /** `[nFactors]`: the ReLU form's output weights (EmbeddingNet with one hidden layer); undefined for a dot product. */
  readonly reluWeights?: Float32Array | undefined;
}

/** Whether {@link dotProductForm} has a form for this model (without computing it). */
export function hasBlockedForm(model: Pick<ScoringModel, 'config'>): boolean {
  const c = model.config;
  return (
    c.type === 'embedding-dot-bias' ||
    c.type === 'biased-mf' ||
    c.type === 'implicit-mf' ||
    (c.type === 'embedding-net' && c.hidden.length === 1)
  );
}

/**
 * The {@link DotProductForm} of an `embedding-dot-bias`, `biased-mf` or `implicit-mf` model (what
 * their `predict` computes), or the ReLU form of an `embedding-net` with one hidden layer (the
 * notebook's: `sigmoid(b₁ + w₁ · relu(b₀ + W_u u + W_i i))`, the user and item parts projected
 * once, `h · (users + items) · f` multiply-adds); undefined for any other model (a deeper
 * EmbeddingNet, the bias baseline, an ensemble: its members' heads are summed after their
 * non-linearities, so it is no single such form).
 */
export function dotProductForm(
  model: Pick<ScoringModel, 'config' | 'parameters'>,
): DotProductForm | undefined {
  const values = (name: string): Float32Array | undefined =>
    model.parameters.find((p) => p.name === name)?.values;
  const config = model.config;
  if (config.type === 'embedding-net') return embeddingNetForm(model, values);
  if (
    config.type !== 'embedding-dot-bias' &&
    config.type !== 'biased-mf' &&
    config.type !== 'implicit-mf'
  )
    return undefined;
  const userFactors = values('userEmbedding');
  const itemFactors = values('itemEmbedding');
  if (!userFactors || !itemFactors) return undefined;
  const nFactors = config.nFactors;
  if (config.type === 'implicit-mf')
    return {
      nFactors,
      userFactors,
      itemFactors,
      userBias: undefined,
      itemBias: undefined,
      globalBias: 0,
      head: { kind: 'identity' },
    };
  const userBias = values('userBias');
  const itemBias = values('itemBias');
  if (!userBias || !itemBias) return undefined;
  if (config.type === 'biased-mf') {
    const global = values('globalBias');
    if (!global) return undefined;
    const [lo, hi] = config.ratingRange;
    return {
      nFactors,
      userFactors,
      itemFactors,
      userBias,
      itemBias,
      globalBias: global[0]!,
      head: { kind: 'clip', lo, hi },
    };
  }
  const y = config.yRange;
  return {
    nFactors,
    userFactors,
    itemFactors,
    userBias,
    itemBias,
    globalBias: 0,
    head: y ? { kind: 'sigmoid', low: y[0], span: y[1] - y[0] } : { kind: 'identity' },
  };
}

/** The ReLU form of a one-hidden-layer EmbeddingNet (see {@link dotProductForm}). */
function embeddingNetForm(
  model: Pick<ScoringModel, 'config' | 'parameters'>,
  values: (name: string) => Float32Array | undefined,
): DotProductForm | undefined {
  const config = model.config;
  if (config.type !== 'embedding-net' || config.hidden.length !== 1) return undefined;
  const user = values('userEmbedding');
  const item = values('itemEmbedding');
  const w0 = values('hidden.0.weight');
  const b0 = values('hidden.0.bias');
  const w1 = values('output.weight');
  const b1 = values('output.bias');
  if (!user || !item || !w0 || !b0 || !w1 || !b1) return undefined;
  const f = config.nFactors;
  const h = config.hidden[0]!;
  /** `out[r·h + o] = bias[o] + Σ_d w0[o, col + d] · rows[r, d]`, in float64, stored as float32. */
  const project = (
    rows: Float32Array,
    n: number,
    col: number,
    bias?: Float32Array,
  ): Float32Array => {
    const out = new Float32Array(n * h);
    for (let r = 0; r < n; r++)
      for (let o = 0; o < h; o++) {
        let acc = 0;
        const wo = o * 2 * f + col;
        for (let d = 0; d < f; d++) acc += w0[wo + d]! * rows[r * f + d]!;
        out[r * h + o] = (bias ? bias[o]! : 0) + acc;
      }
    return out;
  };
  const [min, max] = config.ratingRange;
  return {
    nFactors: h,
    userFactors: project(user, config.nUsers, 0, b0),
    itemFactors: project(item, config.nItems, f),
    userBias: undefined,
    itemBias: undefined,
    globalBias: b1[0]!,
    // EmbeddingNetScorer: sigmoid(z) · (max − min + 1) + min − 0.5
    head: { kind: 'sigmoid', low: min - 0.5, span: max - min + 1 },
    reluWeights: w1.slice(0, h),
  };
}

/**
 * A raw-score cut for pruning: with `L` the prediction (rounded to float32, as models return it) of
 * a raw score `x`, returns `c` ≤ the largest raw score whose prediction is still ≤ `L`. Every raw
 * score at or below `c` predicts at most `L`; `+Infinity` when `L` is the head's maximum (nothing
 * can beat it), `−Infinity` when nothing is known.
 */
export function rawCutBelow(head: DotProductHead, x: number): number {
  if (x === -Infinity || Number.isNaN(x)) return -Infinity;
  switch (head.kind) {
    case 'identity':
      return Math.fround(x) <= x ? Math.fround(x) : previousFloat32(Math.fround(x));
    case 'clip': {
      const L = Math.fround(Math.min(head.hi, Math.max(head.lo, x)));
      if (L >= Math.fround(head.hi)) return Infinity;
      return L;
    }
    case 'sigmoid': {
      const { low, span } = head;
      // the same expression as the model's (EmbeddingDotBiasScorer)
      const L = Math.fround((1 / (1 + Math.exp(-x))) * span + low);
      if (L >= Math.fround(span + low)) return Infinity;
      const p = (L - low) / span;
      if (!(p > 0)) return -Infinity;
      const logit = Math.log(p / (1 - p));
      // a margin far above the float64 error of logit and of the model's sigmoid
      return logit - 1e-6 * (1 + Math.abs(logit));
    }
  }
}

/**
 * The strict twin of {@link rawCutBelow}, for items that may come in any index order: with `L` the
 * prediction (float32) of a raw score `x`, returns `c` such that every raw score at or below `c`
 * predicts **less than** `L` (so an item predicting `L`, which could tie with the k-th and win on
 * a lower index, is never cut); `−Infinity` when nothing is known or nothing predicts below `L`.
 */
export function rawCutStrictlyBelow(head: DotProductHead, x: number): number {
  if (x === -Infinity || Number.isNaN(x)) return -Infinity;
  let L: number;
  switch (head.kind) {
    case 'identity':
      L = Math.fround(x);
      break;
    case 'clip':
      L = Math.fround(Math.min(head.hi, Math.max(head.lo, x)));
      break;
    case 'sigmoid':
      L = Math.fround((1 / (1 + Math.exp(-x))) * head.span + head.low);
      break;
  }
  if (L === -Infinity || Number.isNaN(L)) return -Infinity;
  // the largest float32 prediction below L (the largest finite one below Infinity: a raw score
  // past it rounds to Infinity too), and the raw scores that predict at most that
  const P = L === Infinity ? FLOAT32_MAX : previousFloat32(L);
  switch (head.kind) {
    case 'identity':
      return P;
    case 'clip':
      // every raw score predicts at least fround(lo)
      return P < Math.fround(head.lo) ? -Infinity : P;
    case 'sigmoid': {
      const p = (P - head.low) / head.span;
      if (!(p > 0)) return -Infinity;
      if (p >= 1) return Infinity;
      const logit = Math.log(p / (1 - p));
      // the margin of rawCutBelow
      return logit - 1e-6 * (1 + Math.abs(logit));
    }
  }
}

const FLOAT32_MAX = 3.4028234663852886e38;
const scratch = new Float32Array(1);
const scratchBits = new Int32Array(scratch.buffer);

/** The largest float32 below a finite float32 `v`. */
function previousFloat32(v: number): number {
  if (v === 0) return -1.401298464324817e-45;
  scratch[0] = v;
  scratchBits[0]! += v > 0 ? -1 : 1;
  return scratch[0];
}

/** The largest float32 at or below `v` (±Infinity kept). */
export function float32AtOrBelow(v: number): number {
  const f = Math.fround(v);
  return f <= v ? f : previousFloat32(f);
}
