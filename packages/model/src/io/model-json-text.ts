// What a saved model.json must be, byte for byte, and which weights paths it may name: shared by
// the file-system loader (@cf/model/node) and the tfjs-free loader (@cf/model/inference), so the
// two refuse exactly the same edited folders. No tfjs and no Node imports here.

import { hasUrlScheme } from './resolve-against-page.js';

/** The top-level fields of a tfjs-layout `model.json` that cf writes. */
export interface ModelJsonFields {
  modelTopology?: unknown;
  weightsManifest?: unknown;
  format?: string | undefined;
  generatedBy?: string | undefined;
  convertedBy?: string | null | undefined;
}

/** The `model.json` object in the key order `save` writes it: a saved file is exactly its `JSON.stringify`. */
export function modelJsonOf(json: ModelJsonFields): Record<string, unknown> {
  return {
    modelTopology: json.modelTopology,
    weightsManifest: json.weightsManifest,
    ...(json.format === undefined ? {} : { format: json.format }),
    ...(json.generatedBy === undefined ? {} : { generatedBy: json.generatedBy }),
    ...(json.convertedBy === undefined ? {} : { convertedBy: json.convertedBy }),
  };
}

/**
 * Why the text of a cf model's `model.json` is not the text cf writes for the values it holds, or
 * undefined when it is (or when it is not a cf model: its loader says so more clearly). The digest
 * covers the values; this covers the bytes spelling them (no added key or space, no other spelling
 * of a number or string).
 */
export function modelJsonTextEdit(text: string, parsed: ModelJsonFields): string | undefined {
  const topology = parsed.modelTopology as { format?: unknown } | undefined;
  if (topology?.format !== 'cf-model' || text === JSON.stringify(modelJsonOf(parsed)))
    return undefined;
  return 'model.json is not the text cf writes (a key was added, moved or removed, or spacing or spelling changed); it was edited: save the model again';
}

/** True when `path` names a file in the model's own folder: no folder part, not `.` or `..`, no scheme. */
export function isPlainWeightsFileName(path: unknown): path is string {
  return (
    typeof path === 'string' &&
    path !== '' &&
    path !== '.' &&
    path !== '..' &&
    !/[\\/]/.test(path) &&
    !hasUrlScheme(path)
  );
}
