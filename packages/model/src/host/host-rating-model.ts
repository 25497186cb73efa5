import type { RatingModelConfig } from '../models/model-config.js';
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
