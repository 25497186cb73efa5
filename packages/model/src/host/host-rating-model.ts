import type { BiasBaselineConfig, RatingModelConfig } from '../models/model-config.js';
import type { FallbackBiases } from '../inference/inference-model.js';
import { BiasBaselineScorer } from './bias-host.js';
import type { ScoringModel, ScoringParameter } from '../inference/scoring-model.js';
import type { HostScorer } from './host-scorer.js';
import { checkPairIndices, checkUserItems } from './check-indices.js';
import {
  checkModelConfig,
  createHostScorer,
  itemSimilarityParameterOf,
  parameterSpecsOf,
} from './host-model.js';

/**
 * A model that predicts with the host maths only (no tfjs): what `loadInferenceModel` builds from
 * a saved model. Its parameters never change (version 0).
 */
export class HostRatingModel implements ScoringModel {
  readonly config: RatingModelConfig;
  readonly parameters: readonly ScoringParameter[];
  readonly itemSimilarityParameter: string | undefined;
  readonly #scorer: HostScorer;

  /**
   * Checks the config as the model's constructor would (throws `RangeError` or
   * `InvalidArgumentError`) and takes `values` (by parameter name, shapes already checked against
   * {@link parameterSpecsOf}) as they are, not copied.
   */
  constructor(config: RatingModelConfig, values: ReadonlyMap<string, Float32Array>) {
    checkModelConfig(config);
    this.config = config;
    const byName = new Map<string, ScoringParameter>();
    this.parameters = parameterSpecsOf(config).map(({ name, shape }) => {
      const v = values.get(name);
      if (!v) throw new RangeError(`model has no parameter ${name}`);
      const p = { name, shape, values: v, version: 0 };
      byName.set(name, p);
      return p;
    });
    this.itemSimilarityParameter = itemSimilarityParameterOf(config);
    this.#scorer = createHostScorer(config, (name) => {
      const p = byName.get(name);
      if (!p) throw new RangeError(`model has no parameter ${name}`);
      return p;
    });
  }

  predict(userIndex: Int32Array, itemIndex: Int32Array, out?: Float32Array): Float32Array {
    if (userIndex.length !== itemIndex.length) {
      throw new RangeError(
        `userIndex has ${userIndex.length} entries but itemIndex has ${itemIndex.length}`,
      );
    }
    const n = userIndex.length;
    checkPairIndices(this.config, userIndex, itemIndex, n);
    const result = out && out.length >= n ? out.subarray(0, n) : new Float32Array(n);
    this.#scorer.predict(userIndex, itemIndex, n, result);
    return result;
  }

  scoreItemsForUser(userIndex: number, itemIndex: Int32Array, out: Float32Array): Float32Array {
    checkUserItems(this.config, userIndex, itemIndex, out);
    const view = out.subarray(0, itemIndex.length);
    this.#scorer.scoreItems(userIndex, itemIndex, view);
    return view;
  }
}

/**
 * The fallback bias baseline of a loaded model, on the host: the bias config checked and its
 * `userBias`, `itemBias` and `globalBias` read through {@link BiasBaselineScorer}.
 */
export function createHostFallback(
  config: BiasBaselineConfig,
  values: ReadonlyMap<string, Float32Array>,
): FallbackBiases {
  const model = new HostRatingModel(config, values);
  const biases = new BiasBaselineScorer(config, (name) => {
    const p = model.parameters.find((q) => q.name === name);
    if (!p) throw new RangeError(`model has no parameter ${name}`);
    return p;
  });
  return {
    config,
    parameters: model.parameters,
    globalMean: biases.globalMean,
    userBiasAt: (userIndex) => biases.userBiasAt(userIndex),
    itemBiasAt: (itemIndex) => biases.itemBiasAt(itemIndex),
  };
}
