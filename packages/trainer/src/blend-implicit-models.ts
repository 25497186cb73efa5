import { InvalidArgumentError } from '@cf/data';
import {
  createImplicitMatrixFactorization,
  type ImplicitMatrixFactorization,
  type ImplicitMatrixFactorizationConfig,
} from '@cf/model';

/** One member of {@link blendImplicitModels}. */
export interface ImplicitBlendMember {
  model: ImplicitMatrixFactorization;
  /** The member's weight, applied after its scores are divided by their standard deviation. */
  weight: number;
}

/**
 * The standard deviation of a dot-product model's scores over a fixed spread of (user, item)
 * pairs (up to 20,000: user `k · 7919 mod users`, item `k · 104729 mod items`).
 */
export function implicitScoreStd(model: ImplicitMatrixFactorization): number {
  const { nUsers, nItems } = model.config;
  const n = Math.min(20_000, nUsers * nItems);
  const u = Int32Array.from({ length: n }, (_, k) => (k * 7919) % nUsers);
  const i = Int32Array.from({ length: n }, (_, k) => (k * 104729) % nItems);
  const s = model.predict(u, i);
  let mean = 0;
  for (const x of s) mean += x / n;
  let variance = 0;
  for (const x of s) variance += (x - mean) ** 2 / n;
  return Math.sqrt(variance);
}

/**
 * A weighted blend of dot-product models as one {@link ImplicitMatrixFactorization}: its factors
 * are the members' concatenated (user rows scaled by `weight / std` of the member's scores, item
 * rows as they are), so its score is `Σ weight_k · score_k / std_k` and it saves, loads, recommends
 * and runs in `@cf/model/inference` like a single iALS model. `config` gives the blend's fold-in
 * settings (α₀, λ, ν, confidence): a new user is folded in by the closed-form row solve against the
 * concatenated item rows. The members are not changed; the caller owns (and disposes) the result.
 */
export function blendImplicitModels(
  members: readonly ImplicitBlendMember[],
  config: Pick<
    ImplicitMatrixFactorizationConfig,
    'unobservedWeight' | 'regularization' | 'frequencyExponent' | 'confidence'
  >,
): ImplicitMatrixFactorization {
  const first = members[0];
  if (!first) throw new InvalidArgumentError('members', 'a blend needs at least one model');
  const { nUsers, nItems } = first.model.config;
  for (const { model, weight } of members) {
    if (model.config.nUsers !== nUsers || model.config.nItems !== nItems)
      throw new InvalidArgumentError(
        'members',
        `every member must have ${nUsers} users and ${nItems} items, got ${model.config.nUsers} and ${model.config.nItems}`,
      );
    if (!Number.isFinite(weight))
      throw new InvalidArgumentError('members', `a weight must be finite, got ${weight}`);
  }
  const f = members.reduce((sum, m) => sum + m.model.config.nFactors, 0);
  const blend = createImplicitMatrixFactorization({
    nUsers,
    nItems,
    nFactors: f,
    unobservedWeight: config.unobservedWeight,
    regularization: config.regularization,
    frequencyExponent: config.frequencyExponent,
    confidence: config.confidence,
  });
  const user = blend.parameter('userEmbedding');
  const item = blend.parameter('itemEmbedding');
  let offset = 0;
  for (const { model, weight } of members) {
    const fk = model.config.nFactors;
    const std = implicitScoreStd(model);
    const scale = std > 0 ? weight / std : 0;
    const uk = model.parameter('userEmbedding').values;
    const ik = model.parameter('itemEmbedding').values;
    for (let u = 0; u < nUsers; u++)
      for (let k = 0; k < fk; k++) user.values[u * f + offset + k] = uk[u * fk + k]! * scale;
    for (let i = 0; i < nItems; i++)
      for (let k = 0; k < fk; k++) item.values[i * f + offset + k] = ik[i * fk + k]!;
    offset += fk;
  }
  user.markChanged();
  item.markChanged();
  return blend;
}
