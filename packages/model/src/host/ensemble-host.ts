import { InvalidArgumentError } from '@cf/data';
import type { EnsembleConfig, RatingModelConfig } from '../models/model-config.js';

/** The name member `k`'s parameter `name` has in the ensemble (and in saved weights). */
export function ensembleParameterName(k: number, name: string): string {
  return `members.${k}.${name}`;
}

/** Checks that `config` describes members of these configs; throws `InvalidArgumentError` if not. */
export function checkEnsembleConfig(
  config: EnsembleConfig,
  members: readonly Pick<RatingModelConfig, 'type' | 'nUsers' | 'nItems'>[],
): void {
  const { weights, ratingRange } = config;
  if (members.length === 0)
    throw new InvalidArgumentError('members', 'an ensemble needs at least one member model');
  if (weights.length !== members.length || !weights.every((w) => Number.isFinite(w))) {
    throw new InvalidArgumentError(
      'weights',
      `expected ${members.length} finite weights (one per member), got ${JSON.stringify(weights)}`,
    );
  }
  if (!(ratingRange[1] > ratingRange[0]))
    throw new InvalidArgumentError('ratingRange', `[${ratingRange.join(', ')}] is empty`);
  members.forEach((m, k) => {
    if (m.nUsers !== config.nUsers || m.nItems !== config.nItems) {
      throw new InvalidArgumentError(
        'members',
        `member ${k} (${m.type}) has ${m.nUsers} users and ${m.nItems} items but the ensemble has ${config.nUsers} and ${config.nItems}; train every member on the same id maps`,
      );
    }
  });
}

/**
 * An ensemble's eval-mode combination, `out[j] = clip(Σ_k w_k · member_k[j], ratingRange)`: each
 * member's float32 predictions (from `memberScores(k, scratch)`, which may write to `scratch` and
 * return it) weighted and summed in float64 in member order, then clipped. One place for the tfjs
 * ensemble and the host one, so both give the same bits.
 */
export function combineEnsemble(
  config: EnsembleConfig,
  n: number,
  memberScores: (k: number, scratch: Float32Array) => Float32Array,
  buffers: { scratch: Float32Array; sum: Float64Array },
  out: Float32Array,
): void {
  const scratch = buffers.scratch.subarray(0, n);
  const sum = buffers.sum.subarray(0, n);
  sum.fill(0);
  config.weights.forEach((w, k) => {
    const p = memberScores(k, scratch);
    for (let j = 0; j < n; j++) sum[j]! += w * p[j]!;
  });
  const [lo, hi] = config.ratingRange;
  for (let j = 0; j < n; j++) out[j] = Math.min(hi, Math.max(lo, sum[j]!));
}
