import { InvalidArgumentError } from '@cf/data';
import type { EnsembleConfig, RatingModelConfig } from '../models/model-config.js';
import type { HostScorer, HostValues, ParameterSpec } from './host-scorer.js';
import { biasBaselineSpecs, BiasBaselineScorer } from './bias-host.js';
import {
  checkEmbeddingDotBiasConfig,
  embeddingDotBiasSpecs,
  EmbeddingDotBiasScorer,
} from './embedding-dot-bias-host.js';
import {
  checkEmbeddingNetConfig,
  embeddingNetSpecs,
  EmbeddingNetScorer,
} from './embedding-net-host.js';
import {
  biasedMatrixFactorizationSpecs,
  BiasedMatrixFactorizationScorer,
  checkBiasedMatrixFactorizationConfig,
} from './biased-mf-host.js';
import {
  checkImplicitMatrixFactorizationConfig,
  implicitMatrixFactorizationSpecs,
  ImplicitMatrixFactorizationScorer,
} from './implicit-mf-host.js';
import { checkEnsembleConfig, combineEnsemble, ensembleParameterName } from './ensemble-host.js';

type ConfigOf<T extends RatingModelConfig['type']> = Extract<RatingModelConfig, { type: T }>;

/** What the host layer knows of one model type. */
interface HostModelType<C extends RatingModelConfig> {
  /** Its parameters' names, kinds and shapes, in model (and saved-weights) order. */
  specs(config: C): ParameterSpec[];
  /** Throws (`RangeError`, `InvalidArgumentError`) for a config the model cannot compute with. */
  check(config: C): void;
  /** Its eval-mode maths over the given parameters. */
  scorer(config: C, parameter: (name: string) => HostValues): HostScorer;
  /** The parameter whose rows are item vectors meant for similarity (dot-product models). */
  itemSimilarityParameter: string | undefined;
}

const HOST_MODEL_TYPES: { [T in RatingModelConfig['type']]: HostModelType<ConfigOf<T>> } = {
  'embedding-net': {
    specs: embeddingNetSpecs,
    check: checkEmbeddingNetConfig,
    scorer: (c, p) => new EmbeddingNetScorer(c, p),
    itemSimilarityParameter: undefined,
  },
  'embedding-dot-bias': {
    specs: embeddingDotBiasSpecs,
    check: checkEmbeddingDotBiasConfig,
    scorer: (c, p) => new EmbeddingDotBiasScorer(c, p),
    itemSimilarityParameter: 'itemEmbedding',
  },
  bias: {
    specs: biasBaselineSpecs,
    check: () => undefined,
    scorer: (c, p) => new BiasBaselineScorer(c, p),
    itemSimilarityParameter: undefined,
  },
  'biased-mf': {
    specs: biasedMatrixFactorizationSpecs,
    check: checkBiasedMatrixFactorizationConfig,
    scorer: (c, p) => new BiasedMatrixFactorizationScorer(c, p),
    itemSimilarityParameter: 'itemEmbedding',
  },
  'implicit-mf': {
    specs: implicitMatrixFactorizationSpecs,
    check: checkImplicitMatrixFactorizationConfig,
    scorer: (c, p) => new ImplicitMatrixFactorizationScorer(c, p),
    itemSimilarityParameter: 'itemEmbedding',
  },
  ensemble: {
    specs: (c) =>
      c.members.flatMap((m, k) =>
        parameterSpecsOf(m).map((p) => ({ ...p, name: ensembleParameterName(k, p.name) })),
      ),
    // members first, as building one does (each member's constructor, then the ensemble's)
    check: (c) => {
      for (const m of c.members) checkModelConfig(m);
      checkEnsembleConfig(c, c.members);
    },
    scorer: (c, p) => new EnsembleScorer(c, p),
    itemSimilarityParameter: undefined,
  },
};

/** The model types cf can build, save and load. */
export const MODEL_TYPE_NAMES: readonly RatingModelConfig['type'][] = Object.keys(
  HOST_MODEL_TYPES,
) as RatingModelConfig['type'][];

function typeOf(config: RatingModelConfig): HostModelType<RatingModelConfig> {
  const entry = (HOST_MODEL_TYPES as Record<string, HostModelType<RatingModelConfig> | undefined>)[
    config.type
  ];
  if (!entry)
    throw new InvalidArgumentError(
      'config.type',
      `unknown model type ${JSON.stringify(config.type)}; expected one of ${MODEL_TYPE_NAMES.join(', ')}`,
    );
  return entry;
}

/** The parameters (names, kinds, shapes, in model order) a model of this config has. */
export function parameterSpecsOf(config: RatingModelConfig): ParameterSpec[] {
  return typeOf(config).specs(config);
}

/**
 * Throws what the model's constructor would for a config it cannot compute with: `RangeError` (an
 * empty rating range, a bad dropout list, nFactors < 1, …) or `InvalidArgumentError` (an ensemble's
 * weights or members).
 */
export function checkModelConfig(config: RatingModelConfig): void {
  typeOf(config).check(config);
}

/** The host maths of a model of this config over the given parameters (see {@link HostScorer}). */
export function createHostScorer(
  config: RatingModelConfig,
  parameter: (name: string) => HostValues,
): HostScorer {
  return typeOf(config).scorer(config, parameter);
}

/** The parameter of a model of this config whose rows are meant for item similarity, if any. */
export function itemSimilarityParameterOf(config: RatingModelConfig): string | undefined {
  return typeOf(config).itemSimilarityParameter;
}

/** An ensemble's host maths: each member's, combined by {@link combineEnsemble}. */
class EnsembleScorer implements HostScorer {
  readonly #config: EnsembleConfig;
  readonly #members: HostScorer[];
  #buffers = { scratch: new Float32Array(0), sum: new Float64Array(0) };

  constructor(config: EnsembleConfig, parameter: (name: string) => HostValues) {
    this.#config = config;
    this.#members = config.members.map((m, k) =>
      createHostScorer(m, (name) => parameter(ensembleParameterName(k, name))),
    );
  }

  #grow(n: number): { scratch: Float32Array; sum: Float64Array } {
    if (this.#buffers.sum.length < n)
      this.#buffers = { scratch: new Float32Array(n), sum: new Float64Array(n) };
    return this.#buffers;
  }

  predict(userIndex: Int32Array, itemIndex: Int32Array, count: number, out: Float32Array): void {
    combineEnsemble(
      this.#config,
      count,
      (k, scratch) => {
        this.#members[k]!.predict(userIndex, itemIndex, count, scratch);
        return scratch;
      },
      this.#grow(count),
      out,
    );
  }

  scoreItems(userIndex: number, itemIndex: Int32Array, out: Float32Array): void {
    const n = out.length;
    combineEnsemble(
      this.#config,
      n,
      (k, scratch) => {
        this.#members[k]!.scoreItems(userIndex, itemIndex, scratch);
        return scratch;
      },
      this.#grow(n),
      out,
    );
  }
}
