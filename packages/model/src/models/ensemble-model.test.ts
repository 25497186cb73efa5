import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { CfError, InvalidArgumentError } from '@cf/data';
import { describeEachBackend, expectClose, makeSyntheticRatings } from '@cf/test-utils';
import { createBiasedMatrixFactorization } from './biased-matrix-factorization.js';
import { createEmbeddingDotBias } from './embedding-dot-bias.js';
import { createEmbeddingNet } from './embedding-net.js';
import { createEnsemble, type EnsembleModel } from './ensemble-model.js';
import { createModelFromConfig, parameterSpecsOf } from './create-model-from-config.js';
import { createTrainedModel } from '../inference/trained-model.js';
import { loadModel, saveModel } from '../io/save-model.js';
import { trainForTest } from './train-for-test.test-helper.js';

const { table } = makeSyntheticRatings({ nUsers: 20, nItems: 25, density: 0.4, seed: 9 });
const sizes = { nUsers: table.userIds.size, nItems: table.itemIds.size };
const allPairs = {
  userIndex: Int32Array.from({ length: sizes.nUsers * sizes.nItems }, (_, k) =>
    Math.floor(k / sizes.nItems),
  ),
  itemIndex: Int32Array.from({ length: sizes.nUsers * sizes.nItems }, (_, k) => k % sizes.nItems),
};

/** Three members of different types with large factors, so that they disagree and some sums clip. */
function ensemble(weights = [0.5, 0.3, 0.2]): EnsembleModel {
  return createEnsemble(
    [
      createBiasedMatrixFactorization({
        ...sizes,
        nFactors: 3,
        ratingRange: [0.5, 5],
        initStd: 1,
        globalBias: 3.5,
        seed: 1,
      }),
      createEmbeddingDotBias({ ...sizes, nFactors: 4, seed: 2 }),
      createEmbeddingNet({ ...sizes, nFactors: 3, hidden: [4], ratingRange: [0.5, 5], seed: 3 }),
    ],
    { weights, ratingRange: [0.5, 5] },
  );
}

describeEachBackend('EnsembleModel', () => {
  it('predicts the weighted average of its members, clipped to the rating range, in predict and forward', () => {
    const model = ensemble([0.7, 0.6, 0.2]); // weights summing to 1.5: some averages exceed 5
    const { userIndex, itemIndex } = allPairs;
    const members = model.members.map((m) => m.predict(userIndex, itemIndex));
    const expected = Float32Array.from(userIndex, (_, b) =>
      Math.min(
        5,
        Math.max(0.5, 0.7 * members[0]![b]! + 0.6 * members[1]![b]! + 0.2 * members[2]![b]!),
      ),
    );
    expect(expected.some((p) => p === 5)).toBe(true);
    expectClose(model.predict(userIndex, itemIndex), expected, 1e-5);
    const t = model.forward(userIndex, itemIndex);
    expectClose(t.dataSync(), expected, 1e-5);
    t.dispose();
    const into = new Float32Array(userIndex.length + 3);
    expectClose(model.predict(userIndex, itemIndex, into), expected, 1e-5);
    model.dispose();
  });

  it('names member parameters members.<k>.<name> as views of the members’ own values', () => {
    const model = ensemble();
    expect(model.parameters.map((p) => p.name).slice(0, 5)).toEqual([
      'members.0.userEmbedding',
      'members.0.itemEmbedding',
      'members.0.userBias',
      'members.0.itemBias',
      'members.0.globalBias',
    ]);
    expect(model.userParameterNames).toContain('members.1.userEmbedding');
    expect(parameterSpecsOf(model.config).map((s) => s.name)).toEqual(
      model.parameters.map((p) => p.name),
    );
    const p = model.parameters[0]!;
    const inner = model.members[0]!.parameters[0]!;
    expect(p.values).toBe(inner.values);
    const version = inner.version;
    p.markChanged();
    expect(inner.version).toBe(version + 1);
    expect(p.version).toBe(inner.version);
    model.dispose();
  });

  it('rebuilds from its config and parameters (createModelFromConfig) with identical predictions', () => {
    const model = ensemble();
    const config = JSON.parse(JSON.stringify(model.config)) as typeof model.config;
    const rebuilt = createModelFromConfig(
      config,
      new Map(model.parameters.map((p) => [p.name, { shape: p.shape, values: p.values }])),
    );
    expect(rebuilt.config).toEqual(model.config);
    expect([...rebuilt.predict(allPairs.userIndex, allPairs.itemIndex)]).toEqual([
      ...model.predict(allPairs.userIndex, allPairs.itemIndex),
    ]);
    expect(() =>
      createModelFromConfig(
        config,
        Object.fromEntries(model.parameters.slice(1).map((p) => [p.name, p.values])),
      ),
    ).toThrow(/missing parameter "members.0.userEmbedding"/);
    rebuilt.dispose();
    model.dispose();
  });

  it('survives saveModel → loadModel with identical predictions', async () => {
    const trained = createTrainedModel(ensemble(), table);
    const saved: tf.io.ModelArtifacts[] = [];
    await saveModel(trained, {
      save: (a: tf.io.ModelArtifacts) => {
        saved.push(a);
        return Promise.resolve({
          modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' },
        });
      },
    });
    const loaded = await loadModel({ load: () => Promise.resolve(saved[0]!) });
    expect(loaded.model.config).toEqual(trained.model.config);
    expect([...loaded.model.predict(allPairs.userIndex, allPairs.itemIndex)]).toEqual([
      ...trained.model.predict(allPairs.userIndex, allPairs.itemIndex),
    ]);
    loaded.model.dispose();
    trained.model.dispose();
  });

  it('keeps the tensor count flat over forward passes and predictions', () => {
    const model = ensemble();
    model.forward(allPairs.userIndex, allPairs.itemIndex).dispose(); // warm the members' caches
    const before = tf.memory().numTensors;
    for (let k = 0; k < 20; k++) {
      model.forward(allPairs.userIndex, allPairs.itemIndex).dispose();
      model.predict(allPairs.userIndex, allPairs.itemIndex);
    }
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('folds a new user into every member (eval-mode gradients of the ensemble loss)', () => {
    const members = [
      createBiasedMatrixFactorization({ ...sizes, nFactors: 3, ratingRange: [0.5, 5], seed: 1 }),
      createEmbeddingDotBias({ ...sizes, nFactors: 3, seed: 2 }),
    ];
    const rows = Int32Array.from({ length: table.rating.length }, (_, r) => r);
    for (const m of members) trainForTest(m, table, rows, { steps: 200, lr: 0.03 });
    const trained = createTrainedModel(createEnsemble(members, { ratingRange: [0.5, 5] }), table);
    const before = trained.model.parameters.map((p) => p.values.slice());
    // the ratings of user 0, as a new user
    const ratings = [...rows]
      .filter((r) => table.userIndex[r] === 0)
      .map((r) => ({ itemId: table.itemIds.idAt(table.itemIndex[r]!), rating: table.rating[r]! }));
    const user = trained.foldInUser(ratings, { steps: 300, lr: 0.05, seed: 0 });
    expect(user.model.config.type).toBe('ensemble');
    expect(user.model.config.nUsers).toBe(1);
    expect(user.trainingRmse).toBeLessThan(0.8);
    trained.model.parameters.forEach((p, k) => expect([...p.values]).toEqual([...before[k]!]));
    user.dispose();
    trained.model.dispose();
  });

  it('gives ensemble-loss gradients that match finite differences (eval mode, no member clipping)', () => {
    const model = createEnsemble(
      [
        createBiasedMatrixFactorization({
          ...sizes,
          nFactors: 3,
          ratingRange: [0.5, 5],
          initStd: 0.5,
          globalBias: 3,
          seed: 1,
        }),
        createEmbeddingDotBias({ ...sizes, nFactors: 4, seed: 2 }),
        createEmbeddingDotBias({ ...sizes, nFactors: 2, seed: 3 }),
      ],
      { weights: [0.6, 0.4, 0], ratingRange: [0.5, 5] },
    );
    const batch = {
      userIndex: Int32Array.from([0, 1, 2, 1]),
      itemIndex: Int32Array.from([4, 2, 2, 0]),
      rating: Float32Array.from([4, 3.5, 1, 5]),
    };
    const lossAt = () => model.lossAndGradients(batch, { training: false }).loss;
    const { gradients } = model.lossAndGradients(batch, { training: false });
    const snapshot = gradients.map((g) => ({
      p: g.parameter,
      rows: g.rows && [...g.rows],
      values: [...g.values],
    }));
    expect(snapshot.every((s) => model.parameters.includes(s.p))).toBe(true);
    expect(snapshot.some((s) => s.p.name.startsWith('members.2.'))).toBe(false); // weight 0
    const eps = 1e-2;
    for (const { p, rows, values } of snapshot) {
      const dim = p.shape[1] ?? 1;
      const probes = rows
        ? rows.map((r, k) => ({ at: r * dim, g: values[k * dim]! }))
        : [{ at: 0, g: values[0]! }];
      for (const { at, g } of probes) {
        const old = p.values[at]!;
        p.values[at] = old + eps;
        p.markChanged();
        const up = lossAt();
        p.values[at] = old - eps;
        p.markChanged();
        const down = lossAt();
        p.values[at] = old;
        p.markChanged();
        expect(g).toBeCloseTo((up - down) / (2 * eps), 2);
      }
    }
    model.dispose();
  });

  it('refuses to be trained as a whole and checks its members', () => {
    const model = ensemble();
    const batch = {
      userIndex: Int32Array.of(0),
      itemIndex: Int32Array.of(0),
      rating: Float32Array.of(4),
    };
    expect(() => model.lossAndGradients(batch)).toThrow(CfError);
    expect(() => model.lossAndGradients(batch)).toThrow(/train each member model/);
    expect(() => createEnsemble([], { ratingRange: [0.5, 5] })).toThrow(InvalidArgumentError);
    expect(() =>
      createEnsemble([createEmbeddingDotBias({ ...sizes, seed: 1 })], {
        ratingRange: [0.5, 5],
        weights: [0.5, 0.5],
      }),
    ).toThrow(/expected 1 finite weights/);
    expect(() =>
      createEnsemble(
        [
          createEmbeddingDotBias({ ...sizes, seed: 1 }),
          createEmbeddingDotBias({ ...sizes, nUsers: 3, seed: 1 }),
        ],
        { ratingRange: [0.5, 5] },
      ),
    ).toThrow(/member 1 .* has 3 users/);
    model.dispose();
  });
});
