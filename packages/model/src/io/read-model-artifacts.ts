import { IdMap, InvalidArgumentError, type IdMapConfig, type RawId } from '@cf/data';
import type { BiasBaselineConfig, RatingModelConfig } from '../models/model-config.js';
import { MODEL_TYPE_NAMES, parameterSpecsOf } from '../host/host-model.js';
import { MODEL_DIGEST_ALGORITHM, modelDigest } from './model-digest.js';
import { ModelFormatError } from './model-format-error.js';
import { checkSeenItems, type SeenItems } from '../inference/seen-items.js';
import type {
  FallbackBiases,
  InferenceModelParts,
  TrainingDataSummary,
  TrainingSplitInfo,
} from '../inference/inference-model.js';
import type { ScoringModel } from '../inference/scoring-model.js';

/** The format name in every saved cf model. */
export const MODEL_FORMAT = 'cf-model';
/**
 * The format version this build writes and reads. Version 2 seals the whole of model.json and the
 * weights with a SHA-256 (`integrity`); version 1 (a CRC-32 of the weights only) is refused.
 */
export const MODEL_FORMAT_VERSION = 2;

/**
 * The JSON a saved cf model keeps as its tfjs `modelTopology` (in `model.json` on disk). Weights go
 * in the tfjs weight specs under the names `model/<parameter>`, `fallback/<parameter>` (float32) and
 * `seen/offsets`, `seen/itemIndex` (int32), in exactly that order (the model's parameters in
 * {@link parameterSpecsOf} order).
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
  /** Byte length of the concatenated weight data, in spec order. */
  weights: { byteLength: number };
  /**
   * SHA-256 (hex) of everything saved: the format fields, this JSON (with `digest` blank), the
   * weight specs and the weight bytes; computed by `modelDigest` in this file.
   */
  integrity: { algorithm: typeof MODEL_DIGEST_ALGORITHM; digest: string };
}

/** One weight of saved artifacts, as a tfjs weights manifest lists it. */
export interface SavedWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/**
 * Saved model artifacts, in the shape of tfjs's `ModelArtifacts` (which is one) without needing
 * tfjs: the model JSON (`modelTopology`), the format fields, the weight specs and the weight bytes.
 */
export interface SavedModelArtifacts {
  modelTopology?: unknown;
  format?: string | undefined;
  generatedBy?: string | undefined;
  convertedBy?: string | null | undefined;
  weightSpecs?: SavedWeightSpec[] | undefined;
  weightData?: ArrayBuffer | ArrayBuffer[] | undefined;
}

/** One saved parameter: its shape (checked against the config) and values. */
export interface SavedParameter {
  shape: number[];
  values: Float32Array;
}

/**
 * How {@link readModelArtifacts} builds what it read: the model and the fallback baseline from
 * their configs and parameters (by name, shapes already checked). They throw `RangeError` for a
 * config they cannot compute with and `InvalidArgumentError` for bad parameters, as the model
 * constructors do.
 */
export interface ModelBuilders<M, F> {
  model(config: RatingModelConfig, parameters: Map<string, SavedParameter>): M;
  fallback(config: BiasBaselineConfig, parameters: Map<string, SavedParameter>): F;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Largest finite float32: a bound a model computing in float32 can reach without overflowing. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** An interval `[lo, hi]`, `lo ≤ hi`, whose ends and width are finite in float32. */
function rangeProblem(value: unknown, name: string): string | undefined {
  if (
    !Array.isArray(value) ||
    value.length !== 2 ||
    !value.every((v) => typeof v === 'number' && Number.isFinite(v))
  )
    return `${name} must be [min, max] with two finite numbers`;
  const [lo, hi] = value as [number, number];
  // lo = hi is allowed: an implicit table's scale is [1, 1] (models that need a width check it)
  if (!(lo <= hi)) return `${name} [${lo}, ${hi}] is not an interval (min must not be above max)`;
  if (!(Math.abs(lo) <= FLOAT32_MAX && Math.abs(hi) <= FLOAT32_MAX && hi - lo <= FLOAT32_MAX))
    return `${name} [${lo}, ${hi}] overflows float32`;
  return undefined;
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

/**
 * Checks a config read from JSON; returns a problem description or undefined. Fields every model
 * shares (`nUsers`, `nItems`, `nFactors`, `ratingRange`, `yRange`) are checked for any type; what
 * a type needs beyond them is checked by building it ({@link createModelFromConfig}).
 */
function configProblem(c: unknown): string | undefined {
  if (!isObject(c)) return 'the model config is not an object';
  if (typeof c['type'] !== 'string' || !MODEL_TYPE_NAMES.includes(c['type'] as never))
    return `unknown model type ${JSON.stringify(c['type'])}; this @cf/model knows ${MODEL_TYPE_NAMES.join(', ')}`;
  if (!isCount(c['nUsers']) || !isCount(c['nItems']))
    return 'nUsers and nItems must be non-negative integers';
  if ('nFactors' in c && !isCount(c['nFactors'])) return 'nFactors must be a non-negative integer';
  if ('ratingRange' in c) {
    const problem = rangeProblem(c['ratingRange'], 'ratingRange');
    if (problem) return problem;
  }
  if ('yRange' in c && c['yRange'] !== null) {
    const problem = rangeProblem(c['yRange'], 'yRange');
    if (problem) return `${problem} (or null)`;
  }
  switch (c['type']) {
    case 'embedding-net': {
      const hidden = c['hidden'];
      const dropout = c['dropout'];
      if (!Array.isArray(hidden) || !hidden.every(isCount))
        return 'hidden must be a list of layer widths';
      if (
        !Array.isArray(dropout) ||
        dropout.length !== hidden.length + 1 ||
        !dropout.every((p) => typeof p === 'number' && p >= 0 && p < 1)
      )
        return 'dropout must be one probability in [0, 1) per linear layer';
      return undefined;
    }
    case 'implicit-mf': {
      for (const key of ['unobservedWeight', 'regularization', 'frequencyExponent']) {
        const v = c[key];
        if (!(typeof v === 'number' && Number.isFinite(v) && v >= 0))
          return `${key} must be a finite number ≥ 0`;
      }
      const confidence = c['confidence'];
      if (confidence === null) return undefined;
      return isObject(confidence) &&
        ['threshold', 'atOrAbove', 'below'].every(
          (key) => typeof confidence[key] === 'number' && Number.isFinite(confidence[key]),
        )
        ? undefined
        : 'confidence must be null or {threshold, atOrAbove, below}';
    }
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
      return undefined;
    }
    default:
      return undefined;
  }
}

/** Checks the JSON fields other than the configs; returns a problem description or undefined. */
function fieldsProblem(saved: Record<string, unknown>): string | undefined {
  const rangeIssue = rangeProblem(saved['ratingRange'], 'ratingRange');
  if (rangeIssue) return rangeIssue;
  if (typeof saved['seen'] !== 'boolean') return 'seen must be true or false';
  for (const [field, kind] of [
    ['userIds', 'user'],
    ['itemIds', 'item'],
  ] as const) {
    const map = saved[field];
    if (!isObject(map) || map['kind'] !== kind || !Array.isArray(map['ids']))
      return `${field} must be {"kind": "${kind}", "ids": [...]}`;
  }
  const titles = saved['itemTitles'];
  if (titles !== null) {
    if (!Array.isArray(titles)) return 'itemTitles must be a list of [itemId, title] pairs or null';
    const ids = new Set<unknown>();
    for (const [k, pair] of titles.entries()) {
      if (
        !Array.isArray(pair) ||
        pair.length !== 2 ||
        (typeof pair[0] !== 'number' && typeof pair[0] !== 'string') ||
        typeof pair[1] !== 'string'
      )
        return `itemTitles entry ${k} is ${JSON.stringify(pair)}, not an [itemId, title] pair`;
      if (ids.has(pair[0])) return `itemTitles names item ${JSON.stringify(pair[0])} twice`;
      ids.add(pair[0]);
    }
  }
  for (const field of ['training', 'split'] as const)
    if (saved[field] !== null && !isObject(saved[field]))
      return `${field} must be an object or null`;
  const training = saved['training'];
  if (isObject(training)) {
    for (const key of ['nRatings', 'nUsers', 'nItems'])
      if (!isCount(training[key])) return `training.${key} must be a non-negative integer`;
    for (const key of ['minRating', 'maxRating', 'meanRating'])
      if (typeof training[key] !== 'number') return `training.${key} must be a number`;
    if (typeof training['source'] !== 'string') return 'training.source must be a string';
  }
  const split = saved['split'];
  if (isObject(split) && typeof split['kind'] !== 'string') return 'split.kind must be a string';
  return undefined;
}

const BYTES = { float32: 4, int32: 4 } as const;

/** The weight specs, in order, that a saved model of these configs must have. */
function expectedWeightSpecs(
  model: RatingModelConfig,
  fallback: BiasBaselineConfig | null,
  seen: boolean,
): { name: string; shape: readonly number[] | undefined; dtype: 'float32' | 'int32' }[] {
  const specs: {
    name: string;
    shape: readonly number[] | undefined;
    dtype: 'float32' | 'int32';
  }[] = parameterSpecsOf(model).map((p) => ({
    name: `model/${p.name}`,
    shape: p.shape,
    dtype: 'float32',
  }));
  if (fallback)
    for (const p of parameterSpecsOf(fallback))
      specs.push({ name: `fallback/${p.name}`, shape: p.shape, dtype: 'float32' });
  if (seen) {
    specs.push({ name: 'seen/offsets', shape: [model.nUsers + 1], dtype: 'int32' });
    specs.push({ name: 'seen/itemIndex', shape: undefined, dtype: 'int32' });
  }
  return specs;
}

/**
 * Reads the parts of a saved model from artifacts written by `toModelArtifacts`, building its model
 * and fallback with `builders` (the tfjs models, or the host ones of `@cf/model/inference`),
 * checking in order: format name and version; the weight data's length against the specs and
 * model.json; the SHA-256 that seals model.json and the weights (so any edit or damage is caught);
 * then, because a digest can be recomputed, that the JSON tells the truth about the weights: configs
 * (rating ranges real intervals), id maps (unique ids, as many as the config says), other fields,
 * weight specs (exactly the names, order and shapes the models' parameter specs give), finite
 * values and consistent seen-items arrays. Any failure throws {@link ModelFormatError} with
 * `source` (the label given) and a `reason`.
 */
export function readModelArtifacts<M extends ScoringModel, F extends FallbackBiases>(
  artifacts: SavedModelArtifacts,
  source: string,
  builders: ModelBuilders<M, F>,
): InferenceModelParts<M, F> {
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
  const weightsRecord = json['weights'];
  const integrity = json['integrity'];
  if (!isObject(weightsRecord) || !isCount(weightsRecord['byteLength']))
    return fail('config', 'the weights record ({"byteLength": …}) is missing');
  if (
    !isObject(integrity) ||
    integrity['algorithm'] !== MODEL_DIGEST_ALGORITHM ||
    typeof integrity['digest'] !== 'string' ||
    !/^[0-9a-f]{64}$/.test(integrity['digest'])
  )
    return fail(
      'config',
      `the integrity record ({"algorithm": "${MODEL_DIGEST_ALGORITHM}", "digest": <64 hex digits>}) is missing or malformed`,
    );
  // weights: length, then the digest over everything
  const specs = artifacts.weightSpecs ?? [];
  if (!Array.isArray(specs)) return fail('parameters', 'the weight specs are not a list');
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
  for (const [k, spec] of specs.entries()) {
    if (!isObject(spec) || typeof spec.name !== 'string')
      fail('parameters', `weight spec ${k} has no name`);
    if (
      !Array.isArray(spec.shape) ||
      !spec.shape.every((d) => isCount(d) && d <= 2 ** 31) ||
      spec.shape.length > 4
    )
      fail(
        'parameters',
        `weight ${JSON.stringify(spec.name)} has shape ${JSON.stringify(spec.shape)}, not a list of sizes`,
      );
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
  if (bytes.length !== expectedBytes || bytes.length !== weightsRecord['byteLength']) {
    fail(
      'weights-length',
      `the weight data has ${bytes.length} bytes but the weight specs need ${expectedBytes} (model.json records ${String(weightsRecord['byteLength'])}); the weights file is truncated or belongs to another model.json`,
      {
        found: String(bytes.length),
        expected: String(expectedBytes),
      },
    );
  }
  const digest = modelDigest(artifacts, bytes);
  if (digest !== integrity['digest']) {
    fail(
      'checksum',
      `its SHA-256 is ${digest} but model.json records ${integrity['digest']}; model.json or the weights were edited or damaged after saving: save the model again`,
      { found: digest, expected: integrity['digest'] },
    );
  }
  // the digest holds; now check that what the JSON says is true of the weights
  const modelProblem = configProblem(json['model']);
  if (modelProblem) fail('config', `model config: ${modelProblem}`);
  const fallbackConfig = json['fallback'];
  if (fallbackConfig !== null) {
    const problem = configProblem(fallbackConfig);
    if (problem || !isObject(fallbackConfig) || fallbackConfig['type'] !== 'bias')
      fail(
        'config',
        `fallback config is not a bias baseline config${problem ? `: ${problem}` : ''}`,
      );
  }
  const fieldProblem = fieldsProblem(json);
  if (fieldProblem) fail('config', fieldProblem);
  const saved = json as unknown as SavedModelJson;
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
  if (
    saved.fallback &&
    (saved.fallback.nUsers !== saved.model.nUsers || saved.fallback.nItems !== saved.model.nItems)
  )
    fail('config', 'the fallback baseline has other nUsers or nItems than the model');
  const [lo, hi] = saved.ratingRange;
  if (
    saved.fallback &&
    (saved.fallback.ratingRange[0] !== lo || saved.fallback.ratingRange[1] !== hi)
  )
    fail(
      'config',
      `the fallback baseline's ratingRange [${saved.fallback.ratingRange.join(', ')}] is not the model's [${lo}, ${hi}]`,
    );
  if (saved.training && (saved.training.minRating < lo || saved.training.maxRating > hi))
    fail(
      'config',
      `the training ratings span [${saved.training.minRating}, ${saved.training.maxRating}], outside ratingRange [${lo}, ${hi}]`,
    );
  let expected: ReturnType<typeof expectedWeightSpecs>;
  try {
    expected = expectedWeightSpecs(saved.model, saved.fallback, saved.seen);
  } catch (cause) {
    return fail(
      'config',
      `model config: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
  const describe = (s: { name: string; shape: readonly number[] | undefined }): string =>
    `${s.name} [${s.shape?.join(', ') ?? '…'}]`;
  for (let k = 0; k < Math.max(expected.length, specs.length); k++) {
    const want = expected[k];
    const have = specs[k];
    if (
      !want ||
      !have ||
      have.name !== want.name ||
      have.dtype !== want.dtype ||
      (want.shape !== undefined &&
        (have.shape.length !== want.shape.length ||
          have.shape.some((d, j) => d !== want.shape![j])))
    ) {
      const found = have ? describe(have) : 'nothing';
      const wanted = want ? describe(want) : 'nothing';
      fail(
        want?.name.startsWith('seen/') || have?.name.startsWith('seen/') ? 'seen' : 'parameters',
        `weight ${k} is ${found} but model.json's configs${saved.seen ? ' and "seen": true' : ' and "seen": false'} need ${wanted} there (expected, in order: ${expected.map(describe).join(', ')})`,
        { found, expected: wanted },
      );
    }
  }
  const groups = {
    model: new Map<string, SavedParameter>(),
    fallback: new Map<string, SavedParameter>(),
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
    if (group === 'seen') groups.seen.set(name, new Int32Array(slice));
    else {
      const values = new Float32Array(slice);
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0)
        fail(
          'parameters',
          `weight ${spec.name} holds ${values[bad]} at position ${bad}; a saved model's values must be finite`,
        );
      groups[group as 'model' | 'fallback'].set(name, { shape: spec.shape, values });
    }
  }
  const build = <T>(run: () => T, what: string): T => {
    try {
      return run();
    } catch (cause) {
      if (cause instanceof InvalidArgumentError)
        return fail('parameters', `${what}: ${cause.message}`, { cause });
      if (cause instanceof RangeError)
        return fail('config', `${what}: ${cause.message}`, { cause });
      throw cause;
    }
  };
  const model = build(() => builders.model(saved.model, groups.model), 'model');
  const savedFallback = saved.fallback;
  const fallback = savedFallback
    ? build(() => builders.fallback(savedFallback, groups.fallback), 'fallback baseline')
    : undefined;
  let seen: SeenItems | undefined;
  if (saved.seen) {
    seen = { offsets: groups.seen.get('offsets')!, itemIndex: groups.seen.get('itemIndex')! };
    const problem = checkSeenItems(seen, userIds.size, itemIds.size);
    if (problem) fail('seen', `seen items: ${problem}`);
  }
  return {
    model,
    userIds,
    itemIds,
    ratingRange: saved.ratingRange,
    fallback,
    seen,
    itemTitles: saved.itemTitles ? new Map(saved.itemTitles) : undefined,
    training: saved.training ?? undefined,
    split: saved.split ?? undefined,
  };
}
