import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { InvalidArgumentError } from '@cf/data';
import { createModelFromConfig, parameterSpecsOf } from './create-model-from-config.js';
import { createEmbeddingNet } from './embedding-net.js';
import { createEmbeddingDotBias } from './embedding-dot-bias.js';
import { createBiasBaseline, BiasBaseline } from './bias-baseline.js';
import { createBiasedMatrixFactorization } from './biased-matrix-factorization.js';
import { createImplicitMatrixFactorization } from './implicit-matrix-factorization.js';
import type { RatingModel } from './rating-model.js';
import type { RatingModelConfig } from './model-config.js';

const users = Int32Array.of(0, 1, 2, 3);
const items = Int32Array.of(4, 0, 2, 1);

function valuesOf(model: RatingModel): Record<string, Float32Array> {
  return Object.fromEntries(model.parameters.map((p) => [p.name, p.values.slice()]));
}

function argumentError(fn: () => unknown): InvalidArgumentError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(InvalidArgumentError);
    return e as InvalidArgumentError;
  }
  throw new Error('expected an InvalidArgumentError');
}

// Building a model is host-side only (no tensors), so one backend is enough: cpu.
describe('createModelFromConfig', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  const models: RatingModel[] = [
    createEmbeddingNet({
      nUsers: 4,
      nItems: 5,
      nFactors: 3,
      hidden: [6, 2],
      dropout: [0.1, 0.2, 0.3],
      ratingRange: [1, 5],
      seed: 3,
    }),
    createEmbeddingDotBias({ nUsers: 4, nItems: 5, nFactors: 3, yRange: null, seed: 3 }),
    createBiasBaseline({ nUsers: 4, nItems: 5, ratingRange: [1, 5] }),
  ];

  it.each(models.map((m) => [m.config.type, m] as const))(
    'rebuilds a %s model from its config and values',
    (_, model) => {
      const rebuilt = createModelFromConfig(
        JSON.parse(JSON.stringify(model.config)) as RatingModelConfig,
        valuesOf(model),
      );
      expect(rebuilt.constructor).toBe(model.constructor);
      expect(rebuilt.predict(users, items)).toEqual(model.predict(users, items));
      expect(rebuilt.parameters.map((p) => [p.name, p.kind, p.shape, p.weightDecayScale])).toEqual(
        model.parameters.map((p) => [p.name, p.kind, p.shape, p.weightDecayScale]),
      );
      expect(parameterSpecsOf(model.config)).toEqual(
        model.parameters.map((p) => ({
          name: p.name,
          kind: p.kind,
          shape: p.shape,
          ...(p.weightDecayScale === 1 ? {} : { weightDecayScale: p.weightDecayScale }),
        })),
      );
    },
  );

  it('initialises from a seed without values', () => {
    const a = createModelFromConfig(models[1]!.config, undefined, { seed: 3 });
    expect(a.parameters[0]!.values).toEqual(models[1]!.parameters[0]!.values);
    expect(createModelFromConfig(models[2]!.config)).toBeInstanceOf(BiasBaseline);
  });

  it('names the parameter and shapes on a mismatch', () => {
    const net = models[0]!;
    const values = valuesOf(net);
    const missing = { ...values };
    delete missing['output.bias'];
    expect(argumentError(() => createModelFromConfig(net.config, missing))).toMatchObject({
      argument: 'parameters',
      message: expect.stringMatching(/missing parameter "output\.bias" of shape \[1\]/) as unknown,
    });
    expect(
      argumentError(() =>
        createModelFromConfig(net.config, { ...values, extra: new Float32Array(1) }),
      ).message,
    ).toMatch(/no parameter "extra"/);
    expect(
      argumentError(() =>
        createModelFromConfig(net.config, { ...values, 'hidden.0.weight': new Float32Array(5) }),
      ).message,
    ).toMatch(/"hidden\.0\.weight" has 5 values but the config needs \[6, 6\]/);
    const reshaped = new Map(
      Object.entries(values).map(([k, v]) => [
        k,
        {
          shape: k === 'userEmbedding' ? [3, 4] : net.parameters.find((p) => p.name === k)!.shape,
          values: v,
        },
      ]),
    );
    expect(argumentError(() => createModelFromConfig(net.config, reshaped)).message).toMatch(
      /"userEmbedding" has shape \[3, 4\] but the config needs \[4, 3\]/,
    );
    expect(
      argumentError(() => createModelFromConfig({ ...net.config, type: 'nope' } as never)).argument,
    ).toBe('config.type');
  });
});

// parameterSpecsOf (src/host, no tfjs: what loading checks saved weights against, on both paths)
// must name, order and shape exactly the parameters the model classes create.
describe('parameterSpecsOf', () => {
  const size = { nUsers: 3, nItems: 4 };
  const configs: RatingModelConfig[] = [
    ...[
      createEmbeddingNet({
        ...size,
        ratingRange: [1, 5],
        nFactors: 2,
        hidden: [3, 2],
        dropout: [0, 0.1, 0.2],
      }),
      createEmbeddingNet({ ...size, ratingRange: [1, 5], nFactors: 2, hidden: [], dropout: [0] }),
      createEmbeddingDotBias({ ...size, nFactors: 2 }),
      createBiasBaseline({ ...size, ratingRange: [1, 5] }),
      createBiasedMatrixFactorization({ ...size, nFactors: 2, ratingRange: [1, 5] }),
      createImplicitMatrixFactorization({ ...size, nFactors: 2 }),
    ].map((m) => m.config),
  ];
  configs.push({
    type: 'ensemble',
    ...size,
    ratingRange: [1, 5],
    members: [configs[4]!, configs[2]!, configs[0]!],
    weights: [0.5, 0.3, 0.2],
  });

  it.each(configs.map((c) => [c.type, c] as const))(
    '%s: are the names, kinds, shapes and weight-decay scales of the parameters the model is built with',
    (_, config) => {
      expect(parameterSpecsOf(config)).toEqual(
        createModelFromConfig(config).parameters.map(({ name, kind, shape, weightDecayScale }) => ({
          name,
          kind,
          shape,
          ...(weightDecayScale === 1 ? {} : { weightDecayScale }),
        })),
      );
    },
  );
});
