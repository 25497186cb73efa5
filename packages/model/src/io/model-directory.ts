import type * as tf from '@tensorflow/tfjs-core';
import { fileSystemIO, toModelDirectory, type FileSystemIOOptions } from './file-system-io.js';
import { loadModel } from './save-model.js';
import { toModelArtifacts } from './model-artifacts.js';
import type { TrainedModel } from '../inference/trained-model.js';

/**
 * Saves a trained model to a directory (path or `file://` URL) atomically; see {@link fileSystemIO}.
 * The weights are written straight from the model's arrays, one after the other, without a
 * concatenated copy in memory (the same file `saveModel` writes).
 */
export async function saveModelToDirectory(
  trained: TrainedModel,
  dirOrUrl: string,
  options: FileSystemIOOptions = {},
): Promise<tf.io.SaveResult> {
  return fileSystemIO(dirOrUrl, options).save!(toModelArtifacts(trained, { weightParts: true }));
}

/** Loads a trained model from a directory (path or `file://` URL); throws `ModelFormatError` with the directory as `source`. Dispose the result when done. */
export async function loadModelFromDirectory(
  dirOrUrl: string,
  options: FileSystemIOOptions = {},
): Promise<TrainedModel> {
  return loadModel(fileSystemIO(dirOrUrl, options), { source: toModelDirectory(dirOrUrl) });
}
