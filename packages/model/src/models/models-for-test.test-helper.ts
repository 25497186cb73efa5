import { createBiasBaseline } from './bias-baseline.js';
import { createBiasedMatrixFactorization } from './biased-matrix-factorization.js';
import { createEmbeddingDotBias } from './embedding-dot-bias.js';
import { createEmbeddingNet } from './embedding-net.js';
import { createEnsemble } from './ensemble-model.js';
import { SeededRandom } from '../core/random.js';
import type { RatingModel } from './rating-model.js';

/**
 * Replaces every parameter with values of order one (seeded), so that each term of the maths
 * (biases, dot products, every layer) moves the predictions by far more than the tolerance: a fast
 * path that dropped or reordered a term would fail. Initial weights (std 0.01) would hide that.
 */
export function randomizeParameters(model: RatingModel, seed: number): RatingModel {
  const random = new SeededRandom(seed);
  for (const p of model.parameters) {
    const scale = p.name === 'globalBias' ? 0 : p.name.endsWith('Bias') ? 1 : 0.6;
    for (let k = 0; k < p.values.length; k++)
      p.values[k] = p.values[k]! + random.uniform(-scale, scale);
    p.markChanged();
  }
  return model;
}

/** A view of a model without `scoreItemsForUser`, as a third-party model would be. */
export function withoutFastPath(model: RatingModel): RatingModel {
  return {
    config: model.config,
    parameters: model.parameters,
    userParameterNames: model.userParameterNames,
    forward: (u, i, o) => model.forward(u, i, o),
    predict: (u, i, out) => model.predict(u, i, out),
    lossAndGradients: (b, o) => model.lossAndGradients(b, o),
    withUsers: (n) => model.withUsers(n),
    dispose: () => model.dispose(),
  };
}

/** One model of every kind (and shape the fast paths specialise on), with order-one parameters. */
export function modelsOfEveryKind(users: number, items: number): [string, RatingModel][] {
  const size = { nUsers: users, nItems: items };
  const range: [number, number] = [0.5, 5];
  return [
    [
      'EmbeddingNet, one hidden layer',
      createEmbeddingNet({ ...size, ratingRange: range, nFactors: 6 }),
    ],
    [
      'EmbeddingNet, two hidden layers',
      createEmbeddingNet({
        ...size,
        ratingRange: range,
        nFactors: 5,
        hidden: [8, 4],
        dropout: [0.1, 0.2, 0.3],
      }),
    ],
    [
      'EmbeddingNet, no hidden layer',
      createEmbeddingNet({ ...size, ratingRange: range, nFactors: 3, hidden: [], dropout: [0] }),
    ],
    ['EmbeddingDotBias', createEmbeddingDotBias({ ...size, nFactors: 7, seed: 2 })],
    [
      'EmbeddingDotBias without yRange',
      createEmbeddingDotBias({ ...size, nFactors: 5, yRange: null }),
    ],
    ['BiasBaseline', createBiasBaseline({ ...size, ratingRange: range })],
    [
      'BiasedMatrixFactorization',
      createBiasedMatrixFactorization({ ...size, nFactors: 6, ratingRange: range }),
    ],
    [
      'EnsembleModel',
      createEnsemble(
        [
          createEmbeddingDotBias({ ...size, nFactors: 4, seed: 5 }),
          createBiasedMatrixFactorization({ ...size, nFactors: 3, ratingRange: range, seed: 6 }),
          withoutFastPath(createBiasBaseline({ ...size, ratingRange: range })),
        ],
        { weights: [0.5, 0.3, 0.4], ratingRange: range },
      ),
    ],
  ].map(([name, model], k) => [name as string, randomizeParameters(model as RatingModel, 100 + k)]);
}
