import type * as tf from '@tensorflow/tfjs-core';
import { createModelFromConfig } from '../models/create-model-from-config.js';
import type { BiasBaseline } from '../models/bias-baseline.js';
import { MODEL_DIGEST_ALGORITHM, modelDigest } from './model-digest.js';
import {
  MODEL_FORMAT,
  MODEL_FORMAT_VERSION,
  readModelArtifacts,
  type SavedModelJson,
} from './read-model-artifacts.js';
import { TrainedModel } from '../inference/trained-model.js';

export { MODEL_FORMAT, MODEL_FORMAT_VERSION };
export type { SavedModelJson };

type Named = {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
};

/** Options of {@link toModelArtifacts}. */
export interface ToModelArtifactsOptions {
  /**
   * `weightData` as a list of buffers, one per weight, over the model's own arrays where they
   * fill their buffers (copied where they do not), instead of one concatenated copy of every
   * weight (145 MB at 25M ratings, most of it the seen items). Only for IO handlers that accept a
   * list (tfjs ≥ 4.9, and `fileSystemIO`, which writes the parts one after the other). Default
   * false: one buffer, which every tfjs version's handlers accept.
   */
  weightParts?: boolean;
}

/** The bytes of a weight as an `ArrayBuffer` of its own: the array's buffer when it fills it, else a copy. */
function ownBuffer(data: Float32Array | Int32Array): ArrayBuffer {
  const whole =
    data.byteOffset === 0 &&
    data.byteLength === data.buffer.byteLength &&
    data.buffer instanceof ArrayBuffer;
  return whole
    ? data.buffer
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice().buffer;
}

/** Serialises a trained model to tfjs model artifacts (one weight buffer, or one per weight: see {@link ToModelArtifactsOptions}). */
export function toModelArtifacts(
  trained: TrainedModel,
  options: ToModelArtifactsOptions = {},
): tf.io.ModelArtifacts {
  const named: Named[] = trained.model.parameters.map((p) => ({
    name: `model/${p.name}`,
    shape: [...p.shape],
    dtype: 'float32',
    data: p.values,
  }));
  for (const p of trained.fallback?.parameters ?? [])
    named.push({
      name: `fallback/${p.name}`,
      shape: [...p.shape],
      dtype: 'float32',
      data: p.values,
    });
  if (trained.seen) {
    named.push({
      name: 'seen/offsets',
      shape: [trained.seen.offsets.length],
      dtype: 'int32',
      data: trained.seen.offsets,
    });
    named.push({
      name: 'seen/itemIndex',
      shape: [trained.seen.itemIndex.length],
      dtype: 'int32',
      data: trained.seen.itemIndex,
    });
  }
  const byteLength = named.reduce((a, w) => a + w.data.byteLength, 0);
  let bytes: Uint8Array | Uint8Array[];
  let weightData: ArrayBuffer | ArrayBuffer[];
  if (options.weightParts) {
    weightData = named.map((w) => ownBuffer(w.data));
    bytes = weightData.map((b) => new Uint8Array(b));
  } else {
    const whole = new Uint8Array(byteLength);
    let offset = 0;
    for (const w of named) {
      whole.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), offset);
      offset += w.data.byteLength;
    }
    bytes = whole;
    weightData = whole.buffer;
  }
  const json: SavedModelJson = {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    model: trained.model.config,
    fallback: trained.fallback?.config ?? null,
    userIds: trained.userIds.toJSON(),
    itemIds: trained.itemIds.toJSON(),
    ratingRange: trained.ratingRange,
    training: trained.training ?? null,
    split: trained.split ?? null,
    seen: trained.seen !== undefined,
    itemTitles: trained.itemTitles ? [...trained.itemTitles] : null,
    weights: { byteLength },
    integrity: { algorithm: MODEL_DIGEST_ALGORITHM, digest: '' },
  };
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json,
    format: MODEL_FORMAT,
    generatedBy: `@cf/model (${MODEL_FORMAT} v${MODEL_FORMAT_VERSION})`,
    convertedBy: null,
    weightSpecs: named.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    weightData,
  };
  json.integrity.digest = modelDigest(artifacts, bytes);
  return artifacts;
}

/**
 * Restores a {@link TrainedModel} from tfjs model artifacts written by {@link toModelArtifacts}, with
 * every check of `readModelArtifacts` (format and version, weight lengths, the SHA-256 that seals
 * model.json and the weights, then configs, id maps, fields, weight specs, finite values and seen
 * items); any failure throws {@link ModelFormatError} with `source` (the label given) and a `reason`.
 */
export function fromModelArtifacts(artifacts: tf.io.ModelArtifacts, source: string): TrainedModel {
  return new TrainedModel(
    readModelArtifacts(artifacts, source, {
      model: (config, parameters) => createModelFromConfig(config, parameters),
      fallback: (config, parameters) => createModelFromConfig(config, parameters) as BiasBaseline,
    }),
  );
}
