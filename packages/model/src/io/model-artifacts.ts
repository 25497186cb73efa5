import type * as tf from '@tensorflow/tfjs-core';
import { IdMap, InvalidArgumentError, type IdMapConfig, type RawId } from '@cf/data';
import type { BiasBaselineConfig, RatingModelConfig } from '../models/model-config.js';
import { createModelFromConfig, type ParameterValue } from '../models/create-model-from-config.js';
import type { BiasBaseline } from '../models/bias-baseline.js';
import { crc32Hex } from './crc32.js';
import { ModelFormatError } from './model-format-error.js';
import { checkSeenItems, type SeenItems } from '../inference/seen-items.js';
import {
  TrainedModel,
  type TrainingDataSummary,
  type TrainingSplitInfo,
} from '../inference/trained-model.js';

/** The format name in every saved cf model. */
export const MODEL_FORMAT = 'cf-model';
/** The format version this build writes and reads. */
export const MODEL_FORMAT_VERSION = 1;

/**
 * The JSON a saved cf model keeps as its tfjs `modelTopology` (in `model.json` on disk). Weights go
 * in the tfjs weight specs under the names `model/<parameter>`, `fallback/<parameter>` (float32) and
 * `seen/offsets`, `seen/itemIndex` (int32).
 */
export interface SavedModelJson {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  model: RatingModelConfig;
  fallback: BiasBaselineConfig | null;
  userIds: IdMapConfig;
  itemIds: IdMapConfig;
  ratingRange: [number, number];
  training: TrainingDataSummary | null;
  split: TrainingSplitInfo | null;
  /** Whether the `seen/…` weights are present. */
  seen: boolean;
  /** `[itemId, title]` pairs, or null. */
  itemTitles: [RawId, string][] | null;
  /** Byte length and CRC-32 (hex) of the concatenated weight data, in spec order. */
  weights: { byteLength: number; crc32: string };
}

type Named = {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  data: Float32Array | Int32Array;
};

/** Serialises a trained model to tfjs model artifacts (one weight buffer). */
export function toModelArtifacts(trained: TrainedModel): tf.io.ModelArtifacts {
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
  const bytes = new Uint8Array(byteLength);
  let offset = 0;
  for (const w of named) {
    bytes.set(new Uint8Array(w.data.buffer, w.data.byteOffset, w.data.byteLength), offset);
    offset += w.data.byteLength;
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
    weights: { byteLength, crc32: crc32Hex(bytes) },
  };
  return {
    modelTopology: json,
    format: MODEL_FORMAT,
    generatedBy: `@cf/model (${MODEL_FORMAT} v${MODEL_FORMAT_VERSION})`,
    convertedBy: null,
    weightSpecs: named.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    weightData: bytes.buffer,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRange(value: unknown): value is [number, number] {
  return (
    Array.isArray(value) &&
    value.length === 2 &&
    value.every((v) => typeof v === 'number' && Number.isFinite(v))
  );
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/** Checks a config read from JSON; returns a problem description or undefined. */
function configProblem(c: unknown): string | undefined {
  if (!isObject(c)) return 'the model config is not an object';
  if (!isCount(c['nUsers']) || !isCount(c['nItems']))
    return 'nUsers and nItems must be non-negative integers';
  switch (c['type']) {
    case 'embedding-net': {
      const hidden = c['hidden'];
      const dropout = c['dropout'];
      if (!isCount(c['nFactors'])) return 'nFactors must be a non-negative integer';
      if (!Array.isArray(hidden) || !hidden.every(isCount))
        return 'hidden must be a list of layer widths';
      if (!Array.isArray(dropout) || !dropout.every((p) => typeof p === 'number'))
        return 'dropout must be a list of numbers';
      return isRange(c['ratingRange']) ? undefined : 'ratingRange must be [min, max]';
    }
    case 'embedding-dot-bias':
      if (!isCount(c['nFactors'])) return 'nFactors must be a non-negative integer';
      return c['yRange'] === null || isRange(c['yRange'])
        ? undefined
        : 'yRange must be [low, high] or null';
    case 'biased-mf':
      if (!isCount(c['nFactors'])) return 'nFactors must be a non-negative integer';
      return isRange(c['ratingRange']) ? undefined : 'ratingRange must be [min, max]';
    case 'bias':
      return isRange(c['ratingRange']) ? undefined : 'ratingRange must be [min, max]';
    case 'ensemble': {
      const members = c['members'];
      const weights = c['weights'];
      if (!Array.isArray(members) || members.length === 0)
        return 'members must be a non-empty list of model configs';
      if (
        !Array.isArray(weights) ||
        weights.length !== members.length ||
        !weights.every((w) => typeof w === 'number' && Number.isFinite(w))
      )
        return 'weights must be one finite number per member';
      for (const [k, m] of members.entries()) {
        const problem = configProblem(m);
        if (problem) return `member ${k}: ${problem}`;
        if (isObject(m) && (m['nUsers'] !== c['nUsers'] || m['nItems'] !== c['nItems']))
          return `member ${k} has other nUsers or nItems than the ensemble`;
      }
      return isRange(c['ratingRange']) ? undefined : 'ratingRange must be [min, max]';
    }
    default:
      return `unknown model type ${JSON.stringify(c['type'])}`;
  }
}

const BYTES = { float32: 4, int32: 4 } as const;

/**
 * Restores a {@link TrainedModel} from tfjs model artifacts written by {@link toModelArtifacts},
 * checking in order: format name, format version, configs and id maps, weight byte length, weight
 * checksum, parameter names and shapes, seen-items arrays. Any failure throws
 * {@link ModelFormatError} with `source` (the label given) and a `reason`.
 */
export function fromModelArtifacts(artifacts: tf.io.ModelArtifacts, source: string): TrainedModel {
  const fail = (
    reason: ModelFormatError['reason'],
    message: string,
    extra: { found?: string; expected?: string; cause?: unknown } = {},
  ): never => {
    throw new ModelFormatError(source, reason, message, extra);
  };
  const json = artifacts.modelTopology;
  if (!isObject(json) || json instanceof ArrayBuffer)
    return fail(
      'format',
      'it has no cf model JSON (modelTopology); is this a model saved by @cf/model?',
    );
  if (json['format'] !== MODEL_FORMAT) {
    return fail(
      'format',
      `its format is ${JSON.stringify(json['format'])}, not ${JSON.stringify(MODEL_FORMAT)}; it was not saved by @cf/model`,
      { found: String(json['format']), expected: MODEL_FORMAT },
    );
  }
  if (json['formatVersion'] !== MODEL_FORMAT_VERSION) {
    return fail(
      'version',
      `it has ${MODEL_FORMAT} format version ${JSON.stringify(json['formatVersion'])}, and this @cf/model reads version ${MODEL_FORMAT_VERSION} only; load it with the @cf/model release that saved it, or save it again`,
      {
        found: String(json['formatVersion']),
        expected: String(MODEL_FORMAT_VERSION),
      },
    );
  }
  const saved = json as unknown as SavedModelJson;
  const modelProblem = configProblem(saved.model);
  if (modelProblem) fail('config', `model config: ${modelProblem}`);
  if (saved.fallback !== null && (configProblem(saved.fallback) || saved.fallback.type !== 'bias'))
    fail('config', 'fallback config is not a bias baseline config');
  if (!isRange(saved.ratingRange)) fail('config', 'ratingRange must be [min, max]');
  if (
    !isObject(saved.weights) ||
    !isCount(saved.weights.byteLength) ||
    typeof saved.weights.crc32 !== 'string'
  )
    fail('config', 'the weights record (byteLength, crc32) is missing');
  let userIds: IdMap;
  let itemIds: IdMap;
  try {
    userIds = IdMap.fromJSON({ kind: 'user', ids: saved.userIds.ids });
    itemIds = IdMap.fromJSON({ kind: 'item', ids: saved.itemIds.ids });
  } catch (cause) {
    return fail(
      'config',
      `bad id maps: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  if (userIds.size !== saved.model.nUsers || itemIds.size !== saved.model.nItems) {
    fail(
      'config',
      `the id maps have ${userIds.size} users and ${itemIds.size} items but the model config says ${saved.model.nUsers} and ${saved.model.nItems}`,
    );
  }
  // weights: length, checksum, then decode by spec
  const specs = artifacts.weightSpecs ?? [];
  if (artifacts.weightData === undefined) fail('missing', 'it has no weight data');
  const buffers = Array.isArray(artifacts.weightData)
    ? artifacts.weightData
    : [artifacts.weightData!];
  const bytes = new Uint8Array(buffers.reduce((a, b) => a + b.byteLength, 0));
  let at = 0;
  for (const b of buffers) {
    bytes.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  let expectedBytes = 0;
  for (const spec of specs) {
    if (spec.dtype !== 'float32' && spec.dtype !== 'int32')
      fail(
        'parameters',
        `weight ${spec.name} has dtype ${spec.dtype}; only float32 and int32 are used`,
      );
    if (spec.quantization)
      fail('parameters', `weight ${spec.name} is quantized; cf models store plain float32`);
    expectedBytes +=
      spec.shape.reduce((a, d) => a * d, 1) * BYTES[spec.dtype as 'float32' | 'int32'];
  }
  if (bytes.length !== expectedBytes || bytes.length !== saved.weights.byteLength) {
    fail(
      'weights-length',
      `the weight data has ${bytes.length} bytes but the weight specs need ${expectedBytes} (model.json records ${saved.weights.byteLength}); the weights file is truncated or belongs to another model.json`,
      {
        found: String(bytes.length),
        expected: String(expectedBytes),
      },
    );
  }
  const crc = crc32Hex(bytes);
  if (crc !== saved.weights.crc32) {
    fail(
      'checksum',
      `the weight data's CRC-32 is ${crc} but model.json records ${saved.weights.crc32}; the weights were changed or damaged, save the model again`,
      { found: crc, expected: saved.weights.crc32 },
    );
  }
  const groups = {
    model: new Map<string, ParameterValue>(),
    fallback: new Map<string, ParameterValue>(),
    seen: new Map<string, Int32Array>(),
  };
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, d) => a * d, 1);
    const slice = bytes.slice(offset, offset + size * 4).buffer;
    offset += size * 4;
    const slash = spec.name.indexOf('/');
    const group = spec.name.slice(0, slash);
    const name = spec.name.slice(slash + 1);
    if (group === 'seen' && spec.dtype === 'int32') groups.seen.set(name, new Int32Array(slice));
    else if ((group === 'model' || group === 'fallback') && spec.dtype === 'float32')
      groups[group].set(name, { shape: spec.shape, values: new Float32Array(slice) });
    else fail('parameters', `unexpected weight ${JSON.stringify(spec.name)} (${spec.dtype})`);
  }
  const build = (config: RatingModelConfig, values: Map<string, ParameterValue>, what: string) => {
    try {
      return createModelFromConfig(config, values);
    } catch (cause) {
      if (cause instanceof InvalidArgumentError)
        return fail('parameters', `${what}: ${cause.message}`, { cause });
      if (cause instanceof RangeError)
        return fail('config', `${what}: ${cause.message}`, { cause });
      throw cause;
    }
  };
  const model = build(saved.model, groups.model, 'model');
  const fallback = saved.fallback
    ? (build(saved.fallback, groups.fallback, 'fallback baseline') as BiasBaseline)
    : undefined;
  let seen: SeenItems | undefined;
  if (saved.seen) {
    const offsets = groups.seen.get('offsets');
    const itemIndex = groups.seen.get('itemIndex');
    if (!offsets || !itemIndex)
      return fail(
        'seen',
        'model.json says seen items are saved but the seen/offsets or seen/itemIndex weights are missing',
      );
    seen = { offsets, itemIndex };
    const problem = checkSeenItems(seen, userIds.size, itemIds.size);
    if (problem) fail('seen', `seen items: ${problem}`);
  }
  return new TrainedModel({
    model,
    userIds,
    itemIds,
    ratingRange: saved.ratingRange,
    fallback,
    seen,
    itemTitles: Array.isArray(saved.itemTitles) ? new Map(saved.itemTitles) : undefined,
    training: saved.training ?? undefined,
    split: saved.split ?? undefined,
  });
}
