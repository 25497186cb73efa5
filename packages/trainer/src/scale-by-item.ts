import { InvalidArgumentError } from '@cf/data';
import {
  createModelFromConfig,
  type BiasedMatrixFactorization,
  type BiasedMatrixFactorizationConfig,
} from '@cf/model';

/**
 * A biased MF whose prediction is `scale_i · (μ + b_u + b_i + p_u·q_i) + offset_i` (unclipped,
 * then clipped to `ratingRange`): a per-item weight on `model`'s prediction, as one `biased-mf`
 * of rank `nFactors + 1`. The user bias times the item's scale becomes the extra factor (user
 * side `b_u`, item side `scale_i`); `scale_i · (μ + b_i) + offset_i` is the new item bias; user
 * bias and global bias are 0 (a fold-in may fit the user bias again). This is how the `best`
 * recipe weighs its linear members by how many training ratings each item has, with no new model
 * type: the result predicts, saves, loads and folds in like any `biased-mf`.
 *
 * `model` is left as it was (the caller still owns and disposes it); the caller owns the result.
 * `ratingRange` defaults to `model`'s: pass a wider one when the result is a term of a blend that
 * is clipped as a whole.
 */
export function scaleByItem(
  model: BiasedMatrixFactorization,
  scale: Float32Array,
  offset: Float32Array,
  ratingRange: [number, number] = model.config.ratingRange,
): BiasedMatrixFactorization {
  const { nUsers, nItems, nFactors: f } = model.config;
  if (scale.length !== nItems || offset.length !== nItems) {
    throw new InvalidArgumentError(
      'scale',
      `expected one scale and one offset per item (${nItems}), got ${scale.length} and ${offset.length}`,
    );
  }
  const values = (name: string): Float32Array => {
    const p = model.parameters.find((q) => q.name === name);
    if (!p) throw new InvalidArgumentError('model', `a biased-mf without ${name}`);
    return p.values;
  };
  const user = values('userEmbedding');
  const item = values('itemEmbedding');
  const userBias = values('userBias');
  const itemBias = values('itemBias');
  const mu = values('globalBias')[0]!;
  const g = f + 1;
  const userEmbedding = new Float32Array(nUsers * g);
  for (let u = 0; u < nUsers; u++) {
    userEmbedding.set(user.subarray(u * f, u * f + f), u * g);
    userEmbedding[u * g + f] = userBias[u]!;
  }
  const itemEmbedding = new Float32Array(nItems * g);
  const newItemBias = new Float32Array(nItems);
  for (let i = 0; i < nItems; i++) {
    const s = scale[i]!;
    for (let d = 0; d < f; d++) itemEmbedding[i * g + d] = s * item[i * f + d]!;
    itemEmbedding[i * g + f] = s;
    newItemBias[i] = s * (mu + itemBias[i]!) + offset[i]!;
  }
  const config: BiasedMatrixFactorizationConfig = {
    type: 'biased-mf',
    nUsers,
    nItems,
    nFactors: g,
    ratingRange,
  };
  return createModelFromConfig(config, {
    userEmbedding,
    itemEmbedding,
    userBias: new Float32Array(nUsers),
    itemBias: newItemBias,
    globalBias: Float32Array.of(0),
  }) as BiasedMatrixFactorization;
}
