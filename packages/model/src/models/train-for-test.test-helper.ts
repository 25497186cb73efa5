import type { RatingsTable } from '@cf/data';
import type { RatingModel } from './rating-model.js';

/**
 * A minimal full-batch Adam loop over every parameter, for tests that need a trained model without
 * depending on @cf/trainer. Returns the final training MSE.
 */
export function trainForTest(
  model: RatingModel,
  table: RatingsTable,
  rows: Int32Array,
  options: { steps?: number; lr?: number } = {},
): number {
  const steps = options.steps ?? 200;
  const lr = options.lr ?? 0.05;
  const batch = {
    userIndex: Int32Array.from(rows, (r) => table.userIndex[r]!),
    itemIndex: Int32Array.from(rows, (r) => table.itemIndex[r]!),
    rating: Float32Array.from(rows, (r) => table.rating[r]!),
  };
  const state = new Map(
    model.parameters.map((p) => [
      p,
      { m: new Float64Array(p.values.length), v: new Float64Array(p.values.length) },
    ]),
  );
  let loss = NaN;
  for (let t = 1; t <= steps; t++) {
    const result = model.lossAndGradients(batch, { training: false });
    loss = result.loss;
    for (const g of result.gradients) {
      const { m, v } = state.get(g.parameter)!;
      const p = g.parameter;
      const dim = g.rows ? g.values.length / Math.max(1, g.rows.length) : 0;
      const count = g.rows ? g.rows.length * dim : g.values.length;
      for (let k = 0; k < count; k++) {
        const at = g.rows ? g.rows[Math.floor(k / dim)]! * dim + (k % dim) : k;
        const gk = g.values[k]!;
        m[at] = 0.9 * m[at]! + 0.1 * gk;
        v[at] = 0.999 * v[at]! + 0.001 * gk * gk;
        p.values[at] =
          p.values[at]! -
          (lr * m[at]) / (1 - 0.9 ** t) / (Math.sqrt(v[at] / (1 - 0.999 ** t)) + 1e-8);
      }
      p.markChanged();
    }
  }
  return loss;
}
