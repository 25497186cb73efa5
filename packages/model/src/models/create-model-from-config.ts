import { InvalidArgumentError } from '@cf/data';
import { createParameter, type Parameter } from '../core/parameter.js';
import type { EnsembleConfig, RatingModelConfig } from './model-config.js';
import type { RatingModel } from './rating-model.js';
import { EmbeddingNet } from './embedding-net.js';
import { EmbeddingDotBias } from './embedding-dot-bias.js';
import { BiasBaseline } from './bias-baseline.js';
import { BiasedMatrixFactorization } from './biased-matrix-factorization.js';
import { ImplicitMatrixFactorization } from './implicit-matrix-factorization.js';
import { EnsembleModel, ensembleParameterName } from './ensemble-model.js';
import { MODEL_TYPE_NAMES, parameterSpecsOf } from '../host/host-model.js';
import type { ParameterSpec } from '../host/host-scorer.js';

export { MODEL_TYPE_NAMES, parameterSpecsOf };
export type { ParameterSpec };

/** Values of one parameter: a flat `Float32Array` (only its length is checked) or values with a shape (checked). */
export type ParameterValue =
  Float32Array | { readonly shape: readonly number[]; readonly values: Float32Array };

/** Parameter values by parameter name, as {@link createModelFromConfig} takes them. */
export type ParameterValues =
  Readonly<Record<string, ParameterValue>> | ReadonlyMap<string, ParameterValue>;

/** How one model type is built. */
interface ModelTypeEntry {
  initial: (c: RatingModelConfig, seed: number) => Parameter[];
  build: (c: RatingModelConfig, p: Parameter[]) => RatingModel;
}

/** How each model type is built: its fresh parameters (which fix names, kinds, shapes and decay scales) and its constructor. */
const MODEL_TYPES = {
  'embedding-net': {
    initial: (c: RatingModelConfig, seed: number) =>
      EmbeddingNet.initialParameters(
        c as Extract<RatingModelConfig, { type: 'embedding-net' }>,
        seed,
      ),
    build: (c: RatingModelConfig, p: Parameter[]) =>
      new EmbeddingNet(c as Extract<RatingModelConfig, { type: 'embedding-net' }>, p),
  },
  'embedding-dot-bias': {
    initial: (c: RatingModelConfig, seed: number) =>
      EmbeddingDotBias.initialParameters(
        c as Extract<RatingModelConfig, { type: 'embedding-dot-bias' }>,
        seed,
      ),
    build: (c: RatingModelConfig, p: Parameter[]) =>
      new EmbeddingDotBias(c as Extract<RatingModelConfig, { type: 'embedding-dot-bias' }>, p),
  },
  bias: {
    initial: (c: RatingModelConfig) =>
      BiasBaseline.initialParameters(c as Extract<RatingModelConfig, { type: 'bias' }>),
    build: (c: RatingModelConfig, p: Parameter[]) =>
      new BiasBaseline(c as Extract<RatingModelConfig, { type: 'bias' }>, p),
  },
  'biased-mf': {
    initial: (c: RatingModelConfig, seed: number) =>
      BiasedMatrixFactorization.initialParameters(
        c as Extract<RatingModelConfig, { type: 'biased-mf' }>,
        seed,
      ),
    build: (c: RatingModelConfig, p: Parameter[]) =>
      new BiasedMatrixFactorization(c as Extract<RatingModelConfig, { type: 'biased-mf' }>, p),
  },
  'implicit-mf': {
    initial: (c: RatingModelConfig, seed: number) =>
      ImplicitMatrixFactorization.initialParameters(
        c as Extract<RatingModelConfig, { type: 'implicit-mf' }>,
        seed,
      ),
    build: (c: RatingModelConfig, p: Parameter[]) =>
      new ImplicitMatrixFactorization(c as Extract<RatingModelConfig, { type: 'implicit-mf' }>, p),
  },
  ensemble: {
    // member k's parameters under `members.<k>.<name>`, sharing the members' values
    initial: (c: RatingModelConfig, seed: number): Parameter[] =>
      (c as EnsembleConfig).members.flatMap((m, k) =>
        entryOf(m)
          .initial(m, seed + k)
          .map((p) =>
            createParameter(ensembleParameterName(k, p.name), p.kind, p.shape, p.values, {
              weightDecayScale: p.weightDecayScale,
            }),
          ),
      ),
    build: (c: RatingModelConfig, p: Parameter[]): RatingModel => {
      const config = c as EnsembleConfig;
      const members = config.members.map((m, k) => {
        const prefix = ensembleParameterName(k, '');
        const own = p
          .filter((q) => q.name.startsWith(prefix))
          .map((q) =>
            createParameter(q.name.slice(prefix.length), q.kind, q.shape, q.values, {
              weightDecayScale: q.weightDecayScale,
            }),
          );
        return entryOf(m).build(m, own);
      });
      return new EnsembleModel(config, members);
    },
  },
} as const satisfies Record<RatingModelConfig['type'], unknown>;

function entryOf(config: RatingModelConfig): ModelTypeEntry {
  const entry = (MODEL_TYPES as Record<string, ModelTypeEntry | undefined>)[config.type];
  if (!entry)
    throw new InvalidArgumentError(
      'config.type',
      `unknown model type ${JSON.stringify(config.type)}; expected one of ${MODEL_TYPE_NAMES.join(', ')}`,
    );
  return entry;
}

function valueOf(values: ParameterValues, name: string): ParameterValue | undefined {
  return values instanceof Map
    ? (values as ReadonlyMap<string, ParameterValue>).get(name)
    : (values as Readonly<Record<string, ParameterValue>>)[name];
}

function namesOf(values: ParameterValues): string[] {
  return values instanceof Map
    ? [...(values as ReadonlyMap<string, ParameterValue>).keys()]
    : Object.keys(values);
}

/**
 * Builds any cf model from its serialisable config. Without `parameters` the model is freshly
 * initialised from `seed` (default 42, as the `create…` factories); with them, every parameter the
 * config implies must be given once with the right size (and shape, when one is given), and no
 * other name: otherwise throws {@link InvalidArgumentError} (`argument: 'parameters'`) naming the
 * parameter and the expected shape. The values are used as they are (not copied). The returned
 * model holds no tensors until it computes; call its `dispose()` when done.
 */
export function createModelFromConfig(
  config: RatingModelConfig,
  parameters?: ParameterValues,
  options: { seed?: number } = {},
): RatingModel {
  const entry = entryOf(config);
  if (!parameters) return entry.build(config, entry.initial(config, options.seed ?? 42));
  // given values: the specs say what each parameter is, so no random initial values are drawn
  // (for a 500-unit AutoRec or a large catalogue that took a noticeable part of a second)
  const specs = parameterSpecsOf(config);
  const expected = new Set(specs.map((p) => p.name));
  const extra = namesOf(parameters).filter((name) => !expected.has(name));
  if (extra.length > 0) {
    throw new InvalidArgumentError(
      'parameters',
      `a ${config.type} model has no parameter ${extra.map((n) => JSON.stringify(n)).join(', ')}; expected ${[...expected].join(', ')}`,
    );
  }
  const built = specs.map((p) => {
    const given = valueOf(parameters, p.name);
    const shape = `[${p.shape.join(', ')}]`;
    const size = p.shape.reduce((a, b) => a * b, 1);
    if (given === undefined)
      throw new InvalidArgumentError(
        'parameters',
        `missing parameter ${JSON.stringify(p.name)} of shape ${shape} for a ${config.type} model`,
      );
    const values = given instanceof Float32Array ? given : given.values;
    if (
      !(given instanceof Float32Array) &&
      (given.shape.length !== p.shape.length || given.shape.some((d, k) => d !== p.shape[k]))
    ) {
      throw new InvalidArgumentError(
        'parameters',
        `parameter ${JSON.stringify(p.name)} has shape [${given.shape.join(', ')}] but the config needs ${shape}`,
      );
    }
    if (values.length !== size) {
      throw new InvalidArgumentError(
        'parameters',
        `parameter ${JSON.stringify(p.name)} has ${values.length} values but the config needs ${shape} (${size} values)`,
      );
    }
    return createParameter(p.name, p.kind, [...p.shape], values, {
      weightDecayScale: p.weightDecayScale ?? 1,
    });
  });
  return entry.build(config, built);
}
