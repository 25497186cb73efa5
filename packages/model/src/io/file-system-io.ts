import * as fsPromises from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { InvalidArgumentError } from '@cf/data';
import { crc32Hex } from './crc32.js';
import { ModelFormatError } from './model-format-error.js';
import { isPlainWeightsFileName, modelJsonOf, modelJsonTextEdit } from './model-json-text.js';

/** The parts of `node:fs/promises` that {@link fileSystemIO} uses (injectable for tests and virtual file systems). */
export type FileSystemPromises = Pick<
  typeof fsPromises,
  'readFile' | 'open' | 'rename' | 'unlink' | 'readdir' | 'mkdir'
>;

/** Options of {@link fileSystemIO}. */
export interface FileSystemIOOptions {
  /** Default `node:fs/promises`. */
  fileSystem?: FileSystemPromises;
}

/**
 * Model artifacts as {@link fileSystemIO} saves them: tfjs's, except that a `weightData` list may
 * hold typed-array views as well as `ArrayBuffer`s. A view is written from where it lies (for
 * example arrays in a WebAssembly memory), with no copy; other tfjs IO handlers take `ArrayBuffer`s
 * only.
 */
export type FileSystemArtifacts = Omit<tf.io.ModelArtifacts, 'weightData'> & {
  weightData?: tf.io.WeightData | readonly (ArrayBuffer | ArrayBufferView)[];
};

/** The tfjs IO handler {@link fileSystemIO} returns: `save` also takes {@link FileSystemArtifacts}. */
export interface FileSystemIOHandler extends tf.io.IOHandler {
  /** Writes the artifacts into the directory atomically; see {@link fileSystemIO}. */
  save?: (artifacts: FileSystemArtifacts) => Promise<tf.io.SaveResult>;
}

/** The name of the model file in a model directory. */
export const MODEL_JSON = 'model.json';
const WEIGHTS_FILE = /^weights\.[0-9a-f]{8}\.bin$/;
const STALE_TEMP_FILE = /^(weights\.[0-9a-f]{8}\.bin|model\.json)\.tmp-\d+-\d+$/;
let tempCounter = 0;

/** A directory path from a path or a `file://` URL; a trailing `model.json` names its directory. */
export function toModelDirectory(dirOrUrl: string): string {
  const path = dirOrUrl.startsWith('file://') ? fileURLToPath(dirOrUrl) : dirOrUrl;
  if (path === '')
    throw new InvalidArgumentError('dir', 'is empty; give a directory path or a file:// URL');
  return basename(path) === MODEL_JSON ? dirname(path) : path;
}

function isNotFound(error: unknown): boolean {
  return (
    typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 'ENOENT'
  );
}

/**
 * A tfjs IO handler over a directory in the tfjs layout: `model.json` (`modelTopology`,
 * `weightsManifest: [{paths, weights}]`) and one weights file next to it, so the directory can also
 * be served over HTTP and read with `tf.io.http`. Accepts a path or a `file://` URL.
 *
 * Saving is atomic: the weights go to `weights.<crc32>.bin` via a temp file, fsync and rename; then
 * `model.json` via a temp file, fsync and rename; then stale weights files are removed. A crash at
 * any point leaves a loadable model (the previous one until the final rename). One writer at a time.
 */
export function fileSystemIO(
  dirOrUrl: string,
  options: FileSystemIOOptions = {},
): FileSystemIOHandler {
  const dir = toModelDirectory(dirOrUrl);
  const fs = options.fileSystem ?? fsPromises;

  async function writeAtomically(
    path: string,
    data: Uint8Array | readonly Uint8Array[],
  ): Promise<void> {
    const temp = `${path}.tmp-${typeof process === 'object' ? process.pid : 0}-${++tempCounter}`;
    try {
      const handle = await fs.open(temp, 'w');
      try {
        if (data instanceof Uint8Array) await handle.writeFile(data);
        else
          for (const part of data)
            // a write may take fewer bytes than given: continue from where it stopped
            for (let done = 0; done < part.length;)
              done += (await handle.write(part, done, part.length - done)).bytesWritten;
        await handle.sync();
      } finally {
        await handle.close();
      }
      await fs.rename(temp, path);
    } catch (error) {
      await fs.unlink(temp).catch(() => undefined);
      throw error;
    }
  }

  async function syncDirectory(): Promise<void> {
    try {
      const handle = await fs.open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch {
      // some platforms cannot fsync a directory; the renames are still atomic
    }
  }

  return {
    async save(artifacts: FileSystemArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology === undefined || artifacts.modelTopology instanceof ArrayBuffer) {
        throw new InvalidArgumentError(
          'artifacts',
          'fileSystemIO saves JSON model topologies only',
        );
      }
      // One buffer or several (tfjs ≥ 4.9 may pass a list; `toModelArtifacts` with `weightParts`
      // does): a list is written part after part into the one weights file, never concatenated
      // in memory; a typed-array view in the list is written from where it lies.
      const data = artifacts.weightData ?? [];
      const weights = Array.isArray(data)
        ? (data as readonly (ArrayBuffer | ArrayBufferView)[]).map((b) =>
            ArrayBuffer.isView(b)
              ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
              : new Uint8Array(b),
          )
        : new Uint8Array(data as ArrayBuffer);
      const weightsFile = `weights.${crc32Hex(weights)}.bin`;
      await fs.mkdir(dir, { recursive: true });
      await writeAtomically(join(dir, weightsFile), weights);
      await syncDirectory();
      const modelJson = modelJsonOf({
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
      });
      await writeAtomically(
        join(dir, MODEL_JSON),
        new TextEncoder().encode(JSON.stringify(modelJson)),
      );
      await syncDirectory();
      // stale weights files, and temp files a killed earlier save left behind (one writer at a time)
      for (const name of await fs.readdir(dir)) {
        if ((WEIGHTS_FILE.test(name) && name !== weightsFile) || STALE_TEMP_FILE.test(name))
          await fs.unlink(join(dir, name)).catch(() => undefined);
      }
      // tfjs < 4.9 counts the bytes of one buffer only
      const weightDataBytes = Array.isArray(weights)
        ? weights.reduce((a, b) => a + b.byteLength, 0)
        : weights.byteLength;
      const info = tf.io.getModelArtifactsInfoForJSON({
        ...artifacts,
        weightData: new ArrayBuffer(0),
      });
      return { modelArtifactsInfo: { ...info, weightDataBytes } };
    },

    async load(): Promise<tf.io.ModelArtifacts> {
      const jsonPath = join(dir, MODEL_JSON);
      let text: string;
      try {
        text = await fs.readFile(jsonPath, 'utf8');
      } catch (cause) {
        if (isNotFound(cause))
          throw new ModelFormatError(
            dir,
            'missing',
            `there is no ${MODEL_JSON} in it; save a model there first`,
            { cause },
          );
        throw new ModelFormatError(
          dir,
          'unreadable',
          `reading ${MODEL_JSON} failed: ${(cause as Error).message}`,
          { cause },
        );
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (cause) {
        throw new ModelFormatError(
          dir,
          'json',
          `${MODEL_JSON} is not valid JSON (${(cause as Error).message}); it is truncated or was edited, save the model again`,
          { cause },
        );
      }
      if (typeof parsed !== 'object' || parsed === null)
        throw new ModelFormatError(dir, 'format', `${MODEL_JSON} is not a JSON object`);
      const json = parsed as Partial<tf.io.ModelJSON>;
      const artifacts: tf.io.ModelArtifacts = { modelTopology: json.modelTopology ?? {} };
      if (json.format !== undefined) artifacts.format = json.format;
      if (json.generatedBy !== undefined) artifacts.generatedBy = json.generatedBy;
      if (json.convertedBy !== undefined) artifacts.convertedBy = json.convertedBy;
      // The loader checks the values (a digest covers them); this checks the bytes spelling them:
      // model.json must be exactly the text `save` writes for those values (no added key or space,
      // no other spelling of a number or string), so every byte of it is covered.
      // (Only for cf models: other files get the loader's clearer "not a cf model".)
      const edited = modelJsonTextEdit(text, json);
      if (edited !== undefined) throw new ModelFormatError(dir, 'json', edited);
      const manifest = json.weightsManifest;
      // Without a usable manifest, return the topology alone: its format and version are checked first.
      if (
        !Array.isArray(manifest) ||
        !manifest.every((g) => Array.isArray(g?.paths) && Array.isArray(g?.weights))
      )
        return artifacts;
      const buffers: ArrayBuffer[] = [];
      for (const group of manifest) {
        for (const path of group.paths) {
          if (!isPlainWeightsFileName(path)) {
            throw new ModelFormatError(
              dir,
              'format',
              `${MODEL_JSON} names weights file ${JSON.stringify(path)}, which is not a plain file name in the model directory`,
            );
          }
          try {
            const bytes = await fs.readFile(join(dir, path));
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
          } catch (cause) {
            if (isNotFound(cause))
              throw new ModelFormatError(
                dir,
                'missing',
                `${MODEL_JSON} names weights file ${path}, which does not exist; copy the whole directory`,
                { cause },
              );
            throw cause;
          }
        }
      }
      artifacts.weightSpecs = manifest.flatMap((g) => g.weights);
      artifacts.weightData =
        buffers.length === 1 ? buffers[0]! : tf.io.concatenateArrayBuffers(buffers);
      return artifacts;
    },
  };
}
