import { expect, it, describe } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { describeEachBackend, expectClose, makeSyntheticRatings } from '@cf/test-utils';
import { createTrainedModel } from '../inference/trained-model.js';
import { loadModel, saveModel } from '../io/save-model.js';
import {
  ImplicitRowSolver,
  choleskySolveInPlace,
  scaledGramian,
} from '../core/implicit-row-solver.js';
import {
  createImplicitMatrixFactorization,
  implicitRowRegularization,
} from './implicit-matrix-factorization.js';
import { createModelFromConfig } from './create-model-from-config.js';

/** Dense reference: solve (α₀ YᵀY + Σ c y yᵀ + reg I) x = Σ c y by Gaussian elimination in float64. */
function referenceSolve(
  y: Float32Array,
  nRows: number,
  d: number,
  cols: number[],
  conf: number[],
  a0: number,
  reg: number,
): number[] {
  const a = Array.from({ length: d }, () => new Array<number>(d + 1).fill(0));
  for (let r = 0; r < nRows; r++)
    for (let p = 0; p < d; p++)
      for (let q = 0; q < d; q++) a[p]![q]! += a0 * y[r * d + p]! * y[r * d + q]!;
  cols.forEach((c, k) => {
    for (let p = 0; p < d; p++) {
      a[p]![d]! += conf[k]! * y[c * d + p]!;
      for (let q = 0; q < d; q++) a[p]![q]! += conf[k]! * y[c * d + p]! * y[c * d + q]!;
    }
  });
  for (let p = 0; p < d; p++) a[p]![p]! += reg;
  for (let p = 0; p < d; p++) {
    for (let r = p + 1; r < d; r++) {
      const f = a[r]![p]! / a[p]![p]!;
      for (let q = p; q <= d; q++) a[r]![q]! -= f * a[p]![q]!;
    }
  }
  const x = new Array<number>(d).fill(0);
  for (let p = d - 1; p >= 0; p--) {
    let s = a[p]![d]!;
    for (let q = p + 1; q < d; q++) s -= a[p]![q]! * x[q]!;
    x[p] = s / a[p]![p]!;
  }
  return x;
}

describe('choleskySolveInPlace', () => {
  it('solves a symmetric positive definite system', () => {
    // A = [[4, 2, 0.4], [2, 5, 1], [0.4, 1, 3]], x = [1, -2, 0.5]
    const a = Float64Array.from([4, 2, 0.4, 2, 5, 1, 0.4, 1, 3]);
    const x = [1, -2, 0.5];
    const b = Float64Array.from(
      [0, 1, 2].map((i) => [0, 1, 2].reduce((s, j) => s + a[i * 3 + j]! * x[j]!, 0)),
    );
    choleskySolveInPlace(a, b, 3);
    expectClose(b, Float32Array.from(x), 1e-12);
  });

  it('refuses a matrix that is not positive definite', () => {
    expect(() =>
      choleskySolveInPlace(Float64Array.from([1, 2, 2, 1]), new Float64Array(2), 2),
    ).toThrow(/not positive definite/);
  });
});

describeEachBackend('ImplicitMatrixFactorization', () => {
  const model = createImplicitMatrixFactorization({
    nUsers: 3,
    nItems: 6,
    nFactors: 4,
    unobservedWeight: 0.2,
    regularization: 0.05,
    frequencyExponent: 1,
    confidence: { threshold: 4, atOrAbove: 1, below: 0.3 },
    initStd: 0.5,
    seed: 3,
  });

  it('folds a user in with the exact iALS row solve (against a dense reference)', () => {
    const items = Int32Array.from([1, 4, 5]);
    const conf = Float32Array.from([1, 0.3, 1]);
    const folded = model.foldInItems(items, conf);
    const reg = implicitRowRegularization(model.config, 3, 6);
    expect(reg).toBeCloseTo(0.05 * (3 + 0.2 * 6), 12);
    const expected = referenceSolve(
      model.parameter('itemEmbedding').values,
      6,
      4,
      [1, 4, 5],
      [1, 0.3, 1],
      0.2,
      reg,
    );
    expectClose(folded.parameter('userEmbedding').values, Float32Array.from(expected), 1e-5);
    // item factors are shared, not copied
    expect(folded.parameter('itemEmbedding')).toBe(model.parameter('itemEmbedding'));
    folded.dispose();
  });

  it('scores with the tfjs engine, the host engine and the one-user fast path alike', () => {
    const users = Int32Array.from([0, 0, 1, 2, 2, 1]);
    const items = Int32Array.from([0, 5, 2, 3, 1, 4]);
    const t = model.forward(users, items);
    const viaTfjs = t.dataSync();
    t.dispose();
    const host = model.predict(users, items);
    expectClose(host, viaTfjs, 1e-5);
    const one = model.scoreItemsForUser(2, Int32Array.from([3, 1]), new Float32Array(2));
    expectClose(one, Float32Array.from([host[3]!, host[4]!]), 1e-6);
  });

  it('computes the same squared-error gradients in both engines', () => {
    const batch = {
      userIndex: Int32Array.from([0, 1, 2, 0]),
      itemIndex: Int32Array.from([1, 1, 3, 5]),
      rating: Float32Array.from([1, 0, 1, 0.5]),
    };
    const a = model.lossAndGradients(batch, { engine: 'tfjs' });
    const aValues = a.gradients.map((g) => Float32Array.from(g.values));
    const b = model.lossAndGradients(batch, { engine: 'fused' });
    expect(b.loss).toBeCloseTo(a.loss, 5);
    b.gradients.forEach((g, k) => expectClose(g.values, aValues[k]!, 1e-5));
  });

  it('rebuilds from its config and parameters with the same scores', () => {
    const copy = createModelFromConfig(model.config, {
      userEmbedding: model.parameter('userEmbedding').values,
      itemEmbedding: model.parameter('itemEmbedding').values,
    });
    const u = Int32Array.from([0, 1, 2]);
    const i = Int32Array.from([5, 0, 3]);
    expect(copy.predict(u, i)).toEqual(model.predict(u, i));
    copy.dispose();
  });

  it('maps ratings to confidences by its config', () => {
    expect([5, 4, 3.5, 1].map((r) => model.confidenceOf(r))).toEqual([1, 1, 0.3, 0.3]);
  });
});

it('scaledGramian is α Σ y yᵀ, symmetric', () => {
  const y = Float32Array.from([1, 2, 3, -1]);
  expect([...scaledGramian(y, 2, 2, 0.5)]).toEqual([
    0.5 * 10,
    0.5 * (2 - 3),
    0.5 * (2 - 3),
    0.5 * 5,
  ]);
});

// host arithmetic only (no tensors): one run covers every backend
describe('ImplicitRowSolver.solveConjugateGradient', () => {
  const d = 5;
  const nRows = 9;
  const y = Float32Array.from({ length: nRows * d }, (_, k) => Math.sin(k * 1.7) * 0.8);
  const columns = Int32Array.of(0, 2, 3, 7);
  const confidence = Float32Array.of(1, 0.1, 1, 0.5);
  const gramian = scaledGramian(y, nRows, d, 0.2);
  const reference = referenceSolve(y, nRows, d, [...columns], [...confidence], 0.2, 0.05);

  it('with dim steps gives the exact solution, from any start', () => {
    const out = Float32Array.from({ length: d + 2 }, (_, k) => k - 3);
    new ImplicitRowSolver(d).solveConjugateGradient(
      gramian,
      y,
      columns,
      confidence,
      0,
      columns.length,
      0.05,
      out,
      2,
      d,
    );
    expectClose(out.subarray(2), Float32Array.from(reference), 1e-4);
    expect([...out.subarray(0, 2)]).toEqual([-3, -2]); // nothing outside the row is written
  });

  it('each step lowers the error, and starting at the solution stays there', () => {
    const errors = [1, 2, 3].map((steps) => {
      const out = new Float32Array(d);
      new ImplicitRowSolver(d).solveConjugateGradient(
        gramian,
        y,
        columns,
        confidence,
        0,
        columns.length,
        0.05,
        out,
        0,
        steps,
      );
      return out.reduce((s, v, k) => s + (v - reference[k]!) ** 2, 0);
    });
    expect(errors[1]!).toBeLessThan(errors[0]!);
    expect(errors[2]!).toBeLessThan(errors[1]!);
    const exact = Float32Array.from(reference);
    new ImplicitRowSolver(d).solveConjugateGradient(
      gramian,
      y,
      columns,
      confidence,
      0,
      columns.length,
      0.05,
      exact,
      0,
      3,
    );
    expectClose(exact, Float32Array.from(reference), 1e-5);
  });
});

describeEachBackend('ImplicitMatrixFactorization in a TrainedModel', () => {
  const { table } = makeSyntheticRatings({ nUsers: 12, nItems: 15, density: 0.4, seed: 4 });
  const trainRows = Int32Array.from({ length: table.rating.length }, (_, r) => r);
  const model = createImplicitMatrixFactorization({
    nUsers: table.userIds.size,
    nItems: table.itemIds.size,
    nFactors: 3,
    confidence: { threshold: 4, atOrAbove: 1, below: 0.3 },
    initStd: 0.5,
    seed: 8,
  });
  const trained = createTrainedModel(model, table, { trainRows });

  it('saves and loads in the model.json format with the same scores and config', async () => {
    let saved: tf.io.ModelArtifacts | undefined;
    await saveModel(
      trained,
      tf.io.withSaveHandler((artifacts) => {
        saved = artifacts;
        return Promise.resolve({
          modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts),
        });
      }),
    );
    const loaded = await loadModel(tf.io.fromMemory(saved!));
    expect(loaded.model.config).toEqual(model.config);
    const u = Int32Array.from({ length: 15 }, () => 3);
    const i = Int32Array.from({ length: 15 }, (_, k) => k);
    expect(loaded.model.predict(u, i)).toEqual(model.predict(u, i));
    const userId = table.userIds.idAt(3);
    expect(loaded.recommend(userId, { k: 5 })).toEqual(trained.recommend(userId, { k: 5 }));
    loaded.dispose();
  });

  it('recommends no item the user saw in training', () => {
    for (let u = 0; u < table.userIds.size; u++) {
      const seen = new Set(
        [...trainRows].filter((r) => table.userIndex[r] === u).map((r) => table.itemIndex[r]!),
      );
      const recs = trained.recommend(table.userIds.idAt(u), { k: 15 });
      expect(recs.length).toBe(15 - seen.size);
      for (const rec of recs) expect(seen.has(table.itemIds.indexOf(rec.itemId))).toBe(false);
    }
  });

  it('folds a new user in by the closed-form solve, rating 1 for an interaction', () => {
    const items = [0, 2, 5].map((i) => table.itemIds.idAt(i));
    const folded = trained.foldInUser([
      ...items.map((itemId) => ({ itemId, rating: 5 })),
      { itemId: 'no-such-item', rating: 5 },
    ]);
    expect(folded.skipped).toEqual(['no-such-item']);
    expect(folded.used).toBe(3);
    const direct = model.foldInItems(Int32Array.of(0, 2, 5), Float32Array.of(1, 1, 1));
    expect(folded.model.parameters[0]!.values).toEqual(direct.parameter('userEmbedding').values);
    const recs = folded.recommend({ k: 3 });
    expect(recs.map((r) => r.itemId)).not.toContain(items[0]);
    // a low rating is a weaker interaction under the confidence map
    const weak = trained.foldInUser(items.map((itemId) => ({ itemId, rating: 2 })));
    const w = model.foldInItems(Int32Array.of(0, 2, 5), Float32Array.of(0.3, 0.3, 0.3));
    expect(weak.model.parameters[0]!.values).toEqual(w.parameter('userEmbedding').values);
    folded.dispose();
    weak.dispose();
    direct.dispose();
    w.dispose();
  });
});
