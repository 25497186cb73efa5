// The tfjs-free inference path (`@cf/model/inference`: host models built by
// inferenceModelFromArtifacts) against the tfjs path (`fromModelArtifacts` → TrainedModel), for a
// saved model of every type: the same predictions as the model's tfjs engine (tfjs-core ops, to
// float32 tolerance) and as TrainedModel (bit for bit: both run the host code of src/host), the
// same top 10 with seen items left out, the same similar items, the same fallback answers.
import { describe, expect, it } from 'vitest';
import { createRatingsTable, type RawId } from '@cf/data';
import { describeEachBackend, expectClose } from '@cf/test-utils';
import { createTrainedModel } from './trained-model.js';
import { SimilarityUnsupportedError } from './similarity-unsupported-error.js';
import { fromModelArtifacts, toModelArtifacts } from '../io/model-artifacts.js';
import { inferenceModelFromArtifacts } from '../io/load-inference-model.js';
import { createImplicitMatrixFactorization } from '../models/implicit-matrix-factorization.js';
import { createBiasedMatrixFactorization } from '../models/biased-matrix-factorization.js';
import { createEmbeddingDotBias } from '../models/embedding-dot-bias.js';
import { createEnsemble } from '../models/ensemble-model.js';
import type { RatingModel } from '../models/rating-model.js';
import { modelsOfEveryKind, randomizeParameters } from '../models/models-for-test.test-helper.js';

const N_USERS = 7;
const N_ITEMS = 29;
const rows: { userId: RawId; itemId: RawId; rating: number }[] = [];
for (let u = 0; u < N_USERS; u++)
  for (let i = 0; i < N_ITEMS; i++)
    if ((u * 7 + i * 3) % 5 < 2 || i === u)
      rows.push({ userId: `u${u}`, itemId: 1000 + i, rating: 1 + ((u + 2 * i) % 5) });
const table = createRatingsTable(rows);
const userIds = table.userIds.ids();
const itemIds = table.itemIds.ids();

/** Every model type a saved model can hold, including the `best` and `topn` recipes' shapes. */
function everySavedKind(): [string, RatingModel][] {
  const size = { nUsers: N_USERS, nItems: N_ITEMS };
  const range: [number, number] = [1, 5];
  return [
    ...modelsOfEveryKind(N_USERS, N_ITEMS),
    [
      'ImplicitMatrixFactorization (topn)',
      randomizeParameters(createImplicitMatrixFactorization({ ...size, nFactors: 5 }), 7),
    ],
    [
      // best: Bayesian MF and AutoRec are biased-mf models; the middle member an EmbeddingDotBias
      'EnsembleModel of the best recipe (Bayesian MF, EmbeddingDotBias, AutoRec)',
      randomizeParameters(
        createEnsemble(
          [
            createBiasedMatrixFactorization({ ...size, nFactors: 4, ratingRange: range }),
            createEmbeddingDotBias({ ...size, nFactors: 6, yRange: [0.5, 5.5] }),
            createBiasedMatrixFactorization({ ...size, nFactors: 12, ratingRange: range, seed: 9 }),
          ],
          { weights: [0.45, 0.25, 0.35], ratingRange: range },
        ),
        8,
      ),
    ],
  ];
}

/** The tfjs engine's predictions (tfjs-core ops on the backend) for every pair of one user. */
function tfjsScores(model: RatingModel, user: number): Float32Array {
  const items = Int32Array.from({ length: N_ITEMS }, (_, i) => i);
  const t = model.forward(new Int32Array(N_ITEMS).fill(user), items);
  const scores = t.dataSync() as Float32Array;
  t.dispose();
  return scores;
}

describeEachBackend('inferenceModelFromArtifacts (no tfjs) against the tfjs path', () => {
  for (const [name, model] of everySavedKind()) {
    describe(name, () => {
      const artifacts = toModelArtifacts(createTrainedModel(model, table));
      const light = inferenceModelFromArtifacts(artifacts, 'memory');
      const loaded = fromModelArtifacts(artifacts, 'memory');

      it('predicts what the tfjs engine computes, and exactly what TrainedModel predicts', () => {
        expect(light.model.config).toEqual(model.config);
        for (let u = 0; u < N_USERS; u++) {
          const pairs = itemIds.map((itemId) => ({ userId: userIds[u]!, itemId }));
          const ours = light.predictMany(pairs).map((p) => p.rating);
          expectClose(ours, tfjsScores(loaded.model, u), 2e-5, 2e-5);
          expect(ours).toEqual(loaded.predictMany(pairs).map((p) => p.rating));
        }
        // the scores spread, so a path that ignored the user or the item would not match
        const first = light.predictMany(itemIds.map((itemId) => ({ userId: 'u0', itemId })));
        const ratings = first.map((p) => p.rating);
        expect(Math.max(...ratings) - Math.min(...ratings)).toBeGreaterThan(0.05);
      });

      it("gives the tfjs engine's top 10, leaving out each user's rated items", () => {
        for (let u = 0; u < N_USERS; u++) {
          const userId = userIds[u]!;
          const seen = new Set(rows.filter((r) => r.userId === userId).map((r) => r.itemId));
          const scores = tfjsScores(loaded.model, u);
          const expected = itemIds
            .map((itemId, i) => ({ itemId, score: scores[i]!, i }))
            .filter((r) => !seen.has(r.itemId))
            .sort((a, b) => b.score - a.score || a.i - b.i)
            .slice(0, 10);
          const top = light.recommend(userId, { k: 10 });
          expect(top.map((r) => r.itemId)).toEqual(expected.map((r) => r.itemId));
          expectClose(
            top.map((r) => r.score),
            expected.map((r) => r.score),
            2e-5,
            2e-5,
          );
          expect(top).toEqual(loaded.recommend(userId, { k: 10 }));
          const candidates = [itemIds[3]!, itemIds[0]!, itemIds[17]!, itemIds[3]!];
          expect(light.recommend(userId, { k: 2, candidates, excludeSeen: false })).toEqual(
            loaded.recommend(userId, { k: 2, candidates, excludeSeen: false }),
          );
        }
      });

      it('finds the same similar items, or refuses as TrainedModel does', () => {
        let expected: unknown;
        try {
          expected = loaded.similarItems(itemIds[4]!, { k: 5 });
        } catch (error) {
          expect(error).toBeInstanceOf(SimilarityUnsupportedError);
          expect(() => light.similarItems(itemIds[4]!, { k: 5 })).toThrow(
            SimilarityUnsupportedError,
          );
          return;
        }
        expect(light.similarItems(itemIds[4]!, { k: 5 })).toEqual(expected);
      });

      it('answers unknown ids from the same fallback baseline', () => {
        const pairs = [
          { userId: 'nobody', itemId: itemIds[2]! },
          { userId: 'u3', itemId: 'no-item' },
          { userId: 'nobody', itemId: 'no-item' },
          { userId: 'u3', itemId: itemIds[2]! },
        ];
        const ours = light.predictMany(pairs, { unknown: 'fallback' });
        expect(ours.map((p) => p.source)).toEqual([
          'item-bias',
          'user-bias',
          'global-mean',
          'model',
        ]);
        expect(ours).toEqual(loaded.predictMany(pairs, { unknown: 'fallback' }));
      });
    });
  }
});
