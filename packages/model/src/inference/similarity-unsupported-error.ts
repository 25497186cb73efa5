import { CfError } from '@cf/data';

/** Why a model cannot give similar items: it has no item vectors, or they are not meant for similarity. */
export type SimilarityUnsupportedReason = 'no-item-vectors' | 'not-for-similarity';

/**
 * A model was asked for similar items but its item vectors are not meant for similarity (an
 * EmbeddingNet passes them through a neural network, so their cosines do not say which items go
 * together) or it has none (the bias baseline, an ensemble). The message suggests a model that
 * has them: the `topn` recipe's or the `fastai` recipe's (EmbeddingDotBias).
 */
export class SimilarityUnsupportedError extends CfError {
  /** The model's `config.type`, e.g. `"embedding-net"`. */
  readonly modelType: string;
  readonly reason: SimilarityUnsupportedReason;
  constructor(modelType: string, reason: SimilarityUnsupportedReason) {
    const why =
      reason === 'not-for-similarity'
        ? `its item vectors are not meant for similarity${modelType === 'embedding-net' ? ' (it passes them through a neural network, so their cosines do not say which items go together)' : ''}`
        : 'it has no item vectors to compare';
    super(
      'SIMILARITY_UNSUPPORTED',
      `similar items: a ${modelType} model cannot give them: ${why}; train the topn recipe (\`cf train --recipe topn\`, built for recommendations) or the fastai recipe (\`cf train --recipe fastai\`, EmbeddingDotBias, whose item vectors are dot-product factors) and ask that model`,
    );
    this.modelType = modelType;
    this.reason = reason;
  }
}
