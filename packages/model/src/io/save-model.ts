import * as tf from '@tensorflow/tfjs-core';
import { CfError, InvalidArgumentError } from '@cf/data';
import { fromModelArtifacts, toModelArtifacts } from './model-artifacts.js';
import { ModelFormatError } from './model-format-error.js';
import { resolveAgainstPage } from './resolve-against-page.js';
import type { TrainedModel } from '../inference/trained-model.js';

/**
 * A tfjs URL (`indexeddb://name`, `localstorage://name`, `downloads://name`,
 * `http(s)://…/model.json`), a URL relative to the page in a browser or worker (`/models/m/model.json`,
 * resolved against `document.baseURI`), or an IO handler.
 */
export type ModelLocation = string | tf.io.IOHandler;

function handlerFor(given: ModelLocation, mode: 'save' | 'load'): tf.io.IOHandler {
  if (typeof given !== 'string') return given;
  const location = resolveAgainstPage(given);
  // http(s) directly, not through tfjs's router: the router is registered by a module-level side
  // effect that bundlers may drop from an app that imports only what it uses.
  if (/^https?:\/\//i.test(location)) return tf.io.http(location);
  const handlers =
    mode === 'save' ? tf.io.getSaveHandlers(location) : tf.io.getLoadHandlers(location);
  const handler = handlers[0];
  if (!handler) {
    const hint =
      location.startsWith('file://') || !location.includes('://')
        ? '; in Node use saveModelToDirectory / loadModelFromDirectory from @cf/model/node'
        : '';
    throw new InvalidArgumentError(
      'url',
      `no tfjs IO handler can ${mode} ${JSON.stringify(location)}: use indexeddb://, localstorage://, downloads:// or http(s)://${hint}`,
    );
  }
  if (handlers.length > 1)
    throw new InvalidArgumentError(
      'url',
      `${handlers.length} tfjs IO handlers match ${JSON.stringify(location)}; pass the one you want instead of the URL`,
    );
  return handler;
}

/**
 * Saves a trained model through a tfjs IO handler (or a URL tfjs resolves to one): the cf model JSON
 * as `modelTopology`, all weights as one float32/int32 buffer with its specs. Works in Node and the
 * browser; for a Node directory use `saveModelToDirectory` from `@cf/model/node`. No tensors are
 * created.
 */
export async function saveModel(
  trained: TrainedModel,
  location: ModelLocation,
): Promise<tf.io.SaveResult> {
  const handler = handlerFor(location, 'save');
  if (!handler.save) throw new InvalidArgumentError('url', 'this IO handler cannot save');
  return handler.save(toModelArtifacts(trained));
}

/**
 * Loads a model saved by {@link saveModel} (or `saveModelToDirectory`) from a URL or IO handler;
 * `http(s)://…/model.json` reads a folder written in Node and served over HTTP. Throws
 * {@link ModelFormatError} when the artifacts are unreadable, of another format or version,
 * truncated, or damaged. The caller owns the result: call its `dispose()` when done.
 */
export async function loadModel(
  location: ModelLocation,
  options: { source?: string } = {},
): Promise<TrainedModel> {
  const handler = handlerFor(location, 'load');
  const source =
    options.source ?? (typeof location === 'string' ? location : 'the given IO handler');
  if (!handler.load) throw new InvalidArgumentError('url', 'this IO handler cannot load');
  let artifacts: tf.io.ModelArtifacts;
  try {
    artifacts = await handler.load();
  } catch (cause) {
    if (cause instanceof CfError) throw cause;
    throw new ModelFormatError(
      source,
      'unreadable',
      `reading failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
  return fromModelArtifacts(artifacts, source);
}
