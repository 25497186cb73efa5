import type * as tf from '@tensorflow/tfjs-core';
import { CfError } from '@cf/data';
import type { EpochResult } from './callback.js';

/** Format version of {@link TrainingCheckpoint} artifacts. */
export const CHECKPOINT_FORMAT_VERSION = 1;
const CHECKPOINT_FORMAT = 'cf-training-checkpoint';

/**
 * Everything needed to continue a recipe run after its last completed epoch: where it stood, the
 * parameters, the optimizer's moments and step, the batch-order epoch and the dropout stream.
 */
export interface TrainingCheckpoint {
  recipe: string;
  /** The run's hyper-parameters and seed; a resume with others is refused. */
  hyperParameters: Record<string, unknown>;
  /** Index of the `fit` call in progress (notebook: 0 or 1). */
  fitIndex: number;
  /** Epochs of that `fit` call already completed. */
  epochInFit: number;
  /** `ModelData.epochsSeen` (batch order). */
  epochsSeen: number;
  /** `ModelData.random` state (dropout masks). */
  random: [number, number, number, number];
  optimizerStep: number;
  /** Learning rate of each optimizer group. */
  lrs: number[];
  /** Epoch rows so far, one list per `fit` call. */
  history: EpochResult[][];
  parameters: Record<string, Float32Array>;
  optimizerState: Record<string, Float32Array[]>;
}

/** A checkpoint could not be read, or belongs to another run. */
export class CheckpointError extends CfError {
  readonly source: string;
  constructor(source: string, message: string) {
    super('CHECKPOINT', `${source}: ${message}`);
    this.source = source;
  }
}

/** Options of {@link checkpointToArtifacts}. */
export interface CheckpointArtifactsOptions {
  /**
   * `false` (default): `weightData` is one concatenated buffer. `true`: one `ArrayBuffer` per
   * array, the array's own where it fills it (else a copy), for IO handlers that take a list
   * (tfjs ≥ 4.9, `fileSystemIO` of `@cf/model/node`): the same file, written part after part.
   * `'views'`: see {@link CheckpointArtifactViews}.
   */
  weightParts?: boolean | 'views';
}

/**
 * {@link checkpointToArtifacts} with `weightParts: 'views'`: `weightData` is the checkpoint's own
 * arrays, in file order, with no copy at all, for `fileSystemIO` of `@cf/model/node` (its `save`
 * writes typed-array views from where they lie; tfjs's own handlers take `ArrayBuffer`s only).
 * `cf train` writes its checkpoints this way from the model's and the optimizer's live arrays
 * (`RecipeOptions.checkpointArrays: 'live'`): 135 MB not copied at 25M ratings.
 */
export type CheckpointArtifactViews = Omit<tf.io.ModelArtifacts, 'weightData'> & {
  weightData: Float32Array[];
};

/**
 * Encodes a checkpoint as tfjs model artifacts (JSON topology + float32 weights), for any tfjs IO
 * handler. `weightParts` chooses how the weights are handed over (see
 * {@link CheckpointArtifactsOptions}); the bytes of the file are the same every way.
 */
export function checkpointToArtifacts(
  checkpoint: TrainingCheckpoint,
  options: { weightParts: 'views' },
): CheckpointArtifactViews;
/** Encodes a checkpoint with `ArrayBuffer` weights (one, or one per array with `weightParts: true`). */
export function checkpointToArtifacts(
  checkpoint: TrainingCheckpoint,
  options?: { weightParts?: boolean },
): tf.io.ModelArtifacts;
export function checkpointToArtifacts(
  checkpoint: TrainingCheckpoint,
  options: CheckpointArtifactsOptions = {},
): tf.io.ModelArtifacts | CheckpointArtifactViews {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Float32Array[] = [];
  const add = (name: string, values: Float32Array): void => {
    specs.push({ name, shape: [values.length], dtype: 'float32' });
    chunks.push(values);
  };
  for (const [name, values] of Object.entries(checkpoint.parameters))
    add(`parameter/${name}`, values);
  for (const [name, moments] of Object.entries(checkpoint.optimizerState))
    moments.forEach((m, k) => add(`optimizer/${name}/${k}`, m));
  const meta: Omit<TrainingCheckpoint, 'parameters' | 'optimizerState'> &
    Partial<TrainingCheckpoint> = { ...checkpoint };
  delete meta.parameters;
  delete meta.optimizerState;
  const rest = {
    modelTopology: {
      format: CHECKPOINT_FORMAT,
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      ...meta,
      optimizerMoments: Object.fromEntries(
        Object.entries(checkpoint.optimizerState).map(([n, m]) => [n, m.length]),
      ),
    },
    weightSpecs: specs,
    format: CHECKPOINT_FORMAT,
    generatedBy: '@cf/trainer',
  };
  // the arrays themselves, wherever they lie (a WebAssembly memory): nothing copied
  if (options.weightParts === 'views') return { ...rest, weightData: chunks };
  let weightData: ArrayBuffer | ArrayBuffer[];
  if (options.weightParts) {
    // one buffer per array, its own where it fills it: no concatenated copy (135 MB at 25M ratings)
    weightData = chunks.map((c) =>
      c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && c.buffer instanceof ArrayBuffer
        ? c.buffer
        : c.slice().buffer,
    );
  } else {
    const total = chunks.reduce((a, c) => a + c.length, 0);
    const data = new Float32Array(total);
    let offset = 0;
    for (const c of chunks) {
      data.set(c, offset);
      offset += c.length;
    }
    weightData = data.buffer;
  }
  return { ...rest, weightData };
}

function joinBuffers(parts: readonly ArrayBuffer[]): ArrayBuffer {
  const out = new Uint8Array(parts.reduce((a, b) => a + b.byteLength, 0));
  let at = 0;
  for (const part of parts) {
    out.set(new Uint8Array(part), at);
    at += part.byteLength;
  }
  return out.buffer;
}

/** Decodes {@link checkpointToArtifacts} output; throws {@link CheckpointError} on anything amiss. */
export function checkpointFromArtifacts(
  artifacts: tf.io.ModelArtifacts,
  source: string,
): TrainingCheckpoint {
  const topology = artifacts.modelTopology as Record<string, unknown> | undefined;
  if (!topology || topology['format'] !== CHECKPOINT_FORMAT)
    throw new CheckpointError(source, 'is not a cf training checkpoint');
  if (topology['formatVersion'] !== CHECKPOINT_FORMAT_VERSION) {
    throw new CheckpointError(
      source,
      `has checkpoint format version ${String(topology['formatVersion'])}; this cf reads version ${CHECKPOINT_FORMAT_VERSION}`,
    );
  }
  const specs = artifacts.weightSpecs ?? [];
  const given = artifacts.weightData;
  // the parts of `checkpointToArtifacts(…, {weightParts: true})`, read as the one file they make
  const buffer = Array.isArray(given) ? joinBuffers(given) : given;
  if (!(buffer instanceof ArrayBuffer)) throw new CheckpointError(source, 'has no weights');
  const expectedBytes = specs.reduce((a, s) => a + 4 * (s.shape[0] ?? 0), 0);
  if (buffer.byteLength !== expectedBytes)
    throw new CheckpointError(
      source,
      `weights are ${buffer.byteLength} bytes, expected ${expectedBytes}: the checkpoint is truncated or edited`,
    );
  const parameters: Record<string, Float32Array> = {};
  const optimizerState: Record<string, Float32Array[]> = {};
  let offset = 0;
  for (const spec of specs) {
    const n = spec.shape[0] ?? 0;
    const values = new Float32Array(buffer.slice(offset * 4, (offset + n) * 4));
    offset += n;
    const [kind, name, index] = spec.name.split('/');
    if (kind === 'parameter' && name) parameters[name] = values;
    else if (kind === 'optimizer' && name && index !== undefined)
      (optimizerState[name] ??= [])[Number(index)] = values;
    else throw new CheckpointError(source, `has an unexpected weight ${spec.name}`);
  }
  const meta = topology as unknown as Omit<TrainingCheckpoint, 'parameters' | 'optimizerState'>;
  return {
    recipe: meta.recipe,
    hyperParameters: meta.hyperParameters,
    fitIndex: meta.fitIndex,
    epochInFit: meta.epochInFit,
    epochsSeen: meta.epochsSeen,
    random: meta.random,
    optimizerStep: meta.optimizerStep,
    lrs: meta.lrs,
    history: meta.history,
    parameters,
    optimizerState,
  };
}
