import { InvalidArgumentError } from '@cf/data';
import { InferenceModel } from '../inference/inference-model.js';
import { createHostFallback, HostRatingModel } from '../host/host-rating-model.js';
import { ModelFormatError } from './model-format-error.js';
import {
  readModelArtifacts,
  type SavedModelArtifacts,
  type SavedParameter,
  type SavedWeightSpec,
} from './read-model-artifacts.js';
import { hasUrlScheme, resolveAgainstPage } from './resolve-against-page.js';
import { isPlainWeightsFileName, modelJsonTextEdit } from './model-json-text.js';

/** The part of a `fetch` response {@link loadInferenceModel} reads. */
export interface FetchResponseLike {
  /** True for an HTTP status in 200–299; otherwise the load fails (`missing` for 404, else `unreadable`). */
  readonly ok: boolean;
  /** The HTTP status code, named in the error of a failed request. */
  readonly status: number;
  /** The HTTP status text, named in the error of a failed request. */
  readonly statusText: string;
  /** The body as text (model.json). */
  text(): Promise<string>;
  /** The body as bytes (a weights file). */
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** A `fetch`-like function: the global `fetch`, or one that adds credentials, headers or a cache. */
export type FetchLike = (url: string) => Promise<FetchResponseLike>;

/** Options of {@link loadInferenceModel}. */
export interface LoadInferenceModelOptions {
  /** How model.json and the weights are fetched. Default: the global `fetch`. */
  fetch?: FetchLike;
  /** The label errors name as the model's source. Default: the location as given. */
  source?: string;
}

/** Parameter values by name, as the host models take them. */
function valuesOf(parameters: Map<string, SavedParameter>): Map<string, Float32Array> {
  return new Map([...parameters].map(([name, p]) => [name, p.values]));
}

/**
 * Builds an {@link InferenceModel} from saved model artifacts (what `toModelArtifacts` writes, e.g.
 * read by a tfjs IO handler of your own), with every check `loadModel` makes: format and version,
 * weight lengths, the SHA-256 that seals model.json and the weights, configs, id maps, weight specs,
 * finite values and seen items. Throws `ModelFormatError` (with `source` and a `reason`) for
 * anything wrong. The model computes on the host, with no tfjs; there is nothing to dispose.
 */
export function inferenceModelFromArtifacts(
  artifacts: SavedModelArtifacts,
  source: string,
): InferenceModel {
  return new InferenceModel(
    readModelArtifacts(artifacts, source, {
      model: (config, parameters) => new HostRatingModel(config, valuesOf(parameters)),
      fallback: (config, parameters) => createHostFallback(config, valuesOf(parameters)),
    }),
  );
}

/** Joins the weight buffers into one. */
function concatenate(buffers: ArrayBuffer[]): ArrayBuffer {
  if (buffers.length === 1) return buffers[0]!;
  const bytes = new Uint8Array(buffers.reduce((a, b) => a + b.byteLength, 0));
  let at = 0;
  for (const b of buffers) {
    bytes.set(new Uint8Array(b), at);
    at += b.byteLength;
  }
  return bytes.buffer;
}

/**
 * Loads a model saved by `saveModel` or `cf train` (a folder with `model.json` and its weights file,
 * served over HTTP) for inference with **no tfjs at all**: `predict`, `recommend` and
 * `similarItems` run on the host, with the same code and results as a `TrainedModel`'s. `location`
 * is an `http(s)://…/model.json` URL, or a URL relative to the page (`/models/m/model.json`,
 * `models/m/model.json`, resolved against `document.baseURI`, or a worker's `location.href`); the
 * weights are fetched next to model.json, as `tf.io.http` does. Every check of `loadModel` applies
 * (format v2, the SHA-256 over model.json and the weights, shapes, finite values):
 * `ModelFormatError` with a `reason` for anything wrong (`missing` for an HTTP 404, `unreadable` for
 * another failed request, `json` for a model.json that does not parse). A relative URL outside a
 * page throws `InvalidArgumentError`. There is nothing to dispose.
 */
export async function loadInferenceModel(
  location: string | URL,
  options: LoadInferenceModelOptions = {},
): Promise<InferenceModel> {
  const given = String(location);
  const source = options.source ?? given;
  const url = resolveAgainstPage(given);
  if (!hasUrlScheme(url))
    throw new InvalidArgumentError(
      'url',
      `${JSON.stringify(given)} is relative and there is no page to resolve it against: give an absolute http(s):// URL (in Node, read a model directory with loadModelFromDirectory from @cf/model/node)`,
    );
  const fetchFn = options.fetch ?? ((u: string) => (globalThis.fetch as unknown as FetchLike)(u));
  const fail = (reason: ModelFormatError['reason'], message: string, cause?: unknown): never => {
    throw new ModelFormatError(source, reason, message, cause === undefined ? {} : { cause });
  };
  const request = async (what: string, at: string): Promise<FetchResponseLike> => {
    let response: FetchResponseLike;
    try {
      response = await fetchFn(at);
    } catch (cause) {
      return fail(
        'unreadable',
        `fetching ${what} from ${at} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause,
      );
    }
    if (!response.ok)
      fail(
        response.status === 404 ? 'missing' : 'unreadable',
        `fetching ${what} from ${at} failed with HTTP ${response.status} ${response.statusText}`.trim(),
      );
    return response;
  };
  /** A response's body, or a ModelFormatError `unreadable` when the connection fails while it is read. */
  const body = async <T>(what: string, at: string, read: () => Promise<T>): Promise<T> => {
    try {
      return await read();
    } catch (cause) {
      return fail(
        'unreadable',
        `reading ${what} from ${at} failed: ${cause instanceof Error ? cause.message : String(cause)}`,
        cause,
      );
    }
  };
  let json: unknown;
  const modelResponse = await request('model.json', url);
  const text = await body('model.json', url, () => modelResponse.text());
  try {
    json = JSON.parse(text);
  } catch (cause) {
    return fail(
      'json',
      `model.json is not valid JSON (${cause instanceof Error ? cause.message : String(cause)}); it is truncated or was edited, save the model again`,
      cause,
    );
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    return fail('format', 'model.json is not a JSON object');
  const modelJson = json as Record<string, unknown>;
  // every byte of model.json, as the file-system loader checks it
  const edited = modelJsonTextEdit(text, modelJson);
  if (edited !== undefined) return fail('json', edited);
  // the fields tfjs's http loader keeps, as they are (the digest covers them)
  const artifacts: SavedModelArtifacts = {
    modelTopology: modelJson['modelTopology'],
    format: modelJson['format'] as string | undefined,
    generatedBy: modelJson['generatedBy'] as string | undefined,
    convertedBy: modelJson['convertedBy'] as string | null | undefined,
  };
  const manifest = modelJson['weightsManifest'];
  if (
    Array.isArray(manifest) &&
    manifest.every(
      (g: unknown) =>
        typeof g === 'object' &&
        g !== null &&
        Array.isArray((g as { paths?: unknown }).paths) &&
        Array.isArray((g as { weights?: unknown }).weights),
    )
  ) {
    const groups = manifest as { paths: unknown[]; weights: SavedWeightSpec[] }[];
    // as tf.io.http: a weights path is relative to model.json's folder and gets its query string
    const lastSlash = url.lastIndexOf('/');
    const lastQuery = url.lastIndexOf('?');
    const prefix = url.slice(0, lastSlash + 1);
    const suffix = lastQuery > lastSlash ? url.slice(lastQuery) : '';
    const buffers: ArrayBuffer[] = [];
    for (const group of groups)
      for (const path of group.paths) {
        if (!isPlainWeightsFileName(path))
          return fail(
            'format',
            `model.json names weights file ${JSON.stringify(path)}, which is not a plain file name in model.json's folder`,
          );
        const at = prefix + path + suffix;
        const response = await request(`weights file ${path}`, at);
        buffers.push(await body(`weights file ${path}`, at, () => response.arrayBuffer()));
      }
    artifacts.weightSpecs = groups.flatMap((g) => g.weights);
    artifacts.weightData = concatenate(buffers);
  }
  return inferenceModelFromArtifacts(artifacts, source);
}
