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
 * `globalBias + userBias[u] + itemBias[i] + userFactors[u] · itemFactors[i]`: the models
 * {@link BlockedRanker} ranks in blocks. The arrays are the model's own (not copies).
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
}

/**
 * The {@link DotProductForm} of an `embedding-dot-bias`, `biased-mf` or `implicit-mf` model (what
 * their `predict` computes); undefined for any other model (EmbeddingNet, the bias baseline, an
 * ensemble: its members' heads are summed after the non-linearity, so it is no single dot product).
 */
export function dotProductForm(
  model: Pick<ScoringModel, 'config' | 'parameters'>,
): DotProductForm | undefined {
  const values = (name: string): Float32Array | undefined =>
    model.parameters.find((p) => p.name === name)?.values;
  const config = model.config;
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
