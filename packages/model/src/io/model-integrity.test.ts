import { beforeAll, describe, expect, it } from 'vitest';
import * as fsPromises from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeSyntheticRatings } from '@cf/test-utils';
import type { RawId } from '@cf/data';
import { modelsOfEveryKind } from '../models/models-for-test.test-helper.js';
import { createTrainedModel, type TrainedModel } from '../inference/trained-model.js';
import { ModelFormatError } from './model-format-error.js';
import { modelDigest } from './model-digest.js';
import { fileSystemIO, type FileSystemPromises } from './file-system-io.js';
import { loadModel, saveModel } from './save-model.js';

// Saving and loading move host bytes only (no tensor is created), so one backend is enough: cpu.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const { table } = makeSyntheticRatings({ nUsers: 6, nItems: 7, density: 0.5, seed: 3 });
const titles = new Map<RawId, string>(table.itemIds.ids().map((id) => [id, `Film ${id}`]));

/** An in-memory directory for fileSystemIO: thousands of loads without touching the disk. */
function memoryFileSystem(files: Map<string, Uint8Array>): FileSystemPromises {
  const notFound = (path: string): Error =>
    Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  return {
    readFile: ((path: string, encoding?: string) => {
      const bytes = files.get(String(path));
      if (!bytes) return Promise.reject(notFound(String(path)));
      return Promise.resolve(encoding ? new TextDecoder().decode(bytes) : Buffer.from(bytes));
    }) as FileSystemPromises['readFile'],
    open: () => Promise.reject(new Error('read-only')),
    rename: () => Promise.reject(new Error('read-only')),
    unlink: () => Promise.reject(new Error('read-only')),
    readdir: (() => Promise.resolve([...files.keys()])) as unknown as FileSystemPromises['readdir'],
    mkdir: () => Promise.resolve(undefined),
  };
}

interface Saved {
  json: string;
  weightsName: string;
  weights: Uint8Array;
}

async function save(trained: TrainedModel): Promise<Saved> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await saveModel(
    trained,
    tf.io.withSaveHandler((a) => {
      artifacts = a;
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) });
    }),
  );
  // write through the real fileSystemIO into memory, to get model.json exactly as on disk
  const files = new Map<string, Uint8Array>();
  const writing: FileSystemPromises = {
    ...memoryFileSystem(files),
    open: ((path: string) =>
      Promise.resolve({
        writeFile: (data: Uint8Array) => {
          files.set(String(path), Uint8Array.from(data));
          return Promise.resolve();
        },
        sync: () => Promise.resolve(),
        close: () => Promise.resolve(),
      })) as unknown as FileSystemPromises['open'],
    rename: ((from: string, to: string) => {
      files.set(String(to), files.get(String(from))!);
      files.delete(String(from));
      return Promise.resolve();
    }) as FileSystemPromises['rename'],
    unlink: ((path: string) => {
      files.delete(String(path));
      return Promise.resolve();
    }) as FileSystemPromises['unlink'],
    readdir: (() =>
      Promise.resolve(
        [...files.keys()].map((k) => k.slice('/m/'.length)),
      )) as unknown as FileSystemPromises['readdir'],
  };
  await fileSystemIO('/m', { fileSystem: writing }).save!(artifacts!);
  const weightsName = [...files.keys()].find((k) => k.includes('weights.'))!.slice('/m/'.length);
  return {
    json: new TextDecoder().decode(files.get('/m/model.json')),
    weightsName,
    weights: files.get(join('/m', weightsName))!,
  };
}

/** Loads model.json text and weight bytes (undefined: the file is deleted); the error, or undefined when it loaded. */
async function loadError(
  json: string | undefined,
  weightsName: string,
  weights: Uint8Array | undefined,
): Promise<unknown> {
  const files = new Map<string, Uint8Array>();
  if (json !== undefined) files.set('/m/model.json', new TextEncoder().encode(json));
  if (weights !== undefined) files.set(join('/m', weightsName), weights);
  try {
    const loaded = await loadModel(fileSystemIO('/m', { fileSystem: memoryFileSystem(files) }));
    loaded.dispose();
    return undefined;
  } catch (error) {
    return error;
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every single edit of one JSON value: each field or entry removed, changed, swapped with its neighbour. */
function* editsOf(root: Json): Generator<[string, Json]> {
  const clone = (): Json => JSON.parse(JSON.stringify(root)) as Json;
  const changed = (v: Json): Json[] => {
    if (v === null) return [0];
    if (typeof v === 'boolean') return [!v];
    if (typeof v === 'number') return [v + 1, -v - 0.5];
    if (typeof v === 'string') return [`${v}x`, v.slice(1)];
    if (Array.isArray(v)) return [null, [...v, v[0] ?? 0]];
    return [null];
  };
  function* walk(path: (string | number)[]): Generator<[string, Json]> {
    const at = (r: Json): Json =>
      path.reduce<Json>((node, key) => (node as Record<string, Json>)[key]!, r);
    const node = at(root);
    if (node === null || typeof node !== 'object') return;
    const keys: (string | number)[] = Array.isArray(node)
      ? node.map((_, k) => k)
      : Object.keys(node);
    for (const [index, key] of keys.entries()) {
      const where = [...path, key].join('.');
      // removed
      {
        const r = clone();
        const parent = at(r) as Record<string | number, Json>;
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else delete parent[key];
        yield [`remove ${where}`, r];
      }
      // changed
      for (const value of changed((node as Record<string | number, Json>)[key]!)) {
        const r = clone();
        (at(r) as Record<string | number, Json>)[key] = value;
        yield [`change ${where} to ${JSON.stringify(value)?.slice(0, 40)}`, r];
      }
      // swapped with the next field or entry (values swapped, keys kept)
      const next = keys[index + 1];
      if (next !== undefined) {
        const r = clone();
        const parent = at(r) as Record<string | number, Json>;
        const a = parent[key]!;
        parent[key] = parent[next]!;
        parent[next] = a;
        if (JSON.stringify(r) !== JSON.stringify(root)) yield [`swap ${where} and ${next}`, r];
      }
      yield* walk([...path, key]);
    }
  }
  yield* walk([]);
}

const kinds = modelsOfEveryKind(table.userIds.size, table.itemIds.size);

describe('model integrity: every single edit of a saved model folder is a ModelFormatError', () => {
  it.each(kinds.map(([name]) => name))(
    '%s: truncations, flipped bytes, deleted files, every JSON field removed, changed or swapped',
    async (name) => {
      const model = kinds.find(([n]) => n === name)![1];
      const trained = createTrainedModel(model, table, { itemTitles: titles });
      const { json, weightsName, weights } = await save(trained);
      expect(await loadError(json, weightsName, weights)).toBeUndefined();
      const cases: [string, string | undefined, Uint8Array | undefined][] = [
        ['model.json deleted', undefined, weights],
        ['weights deleted', json, undefined],
      ];
      const jsonBytes = new TextEncoder().encode(json);
      for (let n = 0; n < jsonBytes.length; n += Math.max(1, Math.floor(jsonBytes.length / 60)))
        cases.push([`model.json cut to ${n} bytes`, json.slice(0, n), weights]);
      for (let n = 0; n < weights.length; n += Math.max(1, Math.floor(weights.length / 30)))
        cases.push([`weights cut to ${n} bytes`, json, weights.slice(0, n)]);
      cases.push(['weights with a byte appended', json, Uint8Array.from([...weights, 0])]);
      for (let k = 0; k < jsonBytes.length; k++) {
        for (const mask of [0x01, 0x20]) {
          const bytes = Uint8Array.from(jsonBytes);
          bytes[k] = bytes[k]! ^ mask;
          cases.push([`model.json byte ${k} ^ ${mask}`, new TextDecoder().decode(bytes), weights]);
        }
      }
      for (let k = 0; k < weights.length; k += 3) {
        const bytes = Uint8Array.from(weights);
        bytes[k] = bytes[k]! ^ (1 << (k % 8));
        cases.push([`weights byte ${k} flipped`, json, bytes]);
      }
      cases.push(['model.json pretty-printed', JSON.stringify(JSON.parse(json), null, 1), weights]);
      for (const [what, edited] of editsOf(JSON.parse(json) as Json))
        cases.push([what, JSON.stringify(edited), weights]);
      const loaded: string[] = [];
      const otherErrors: string[] = [];
      for (const [what, text, bytes] of cases) {
        const error = await loadError(text, weightsName, bytes);
        if (error === undefined) loaded.push(what);
        else if (!(error instanceof ModelFormatError))
          otherErrors.push(`${what}: ${error instanceof Error ? error.message : typeof error}`);
      }
      expect(loaded).toEqual([]);
      expect(otherErrors).toEqual([]);
      expect(cases.length).toBeGreaterThan(1000);
    },
  );
});

describe('model integrity: a recomputed digest does not make a lying model.json load', () => {
  /** Applies `edit` to model.json's parsed JSON and weights, seals it again with a correct digest, and loads it. */
  async function resealedError(
    trained: TrainedModel,
    edit: (
      json: tf.io.ModelJSON & { modelTopology: Record<string, Json> },
      weights: Uint8Array,
    ) => Uint8Array | void,
  ): Promise<unknown> {
    const saved = await save(trained);
    const json = JSON.parse(saved.json) as tf.io.ModelJSON & {
      modelTopology: Record<string, Json> & { integrity: { digest: string } };
    };
    const copy = Uint8Array.from(saved.weights);
    const weights = edit(json, copy) ?? copy;
    const group = json.weightsManifest[0]!;
    json.modelTopology.integrity.digest = modelDigest(
      {
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        modelTopology: json.modelTopology,
        weightSpecs: group.weights,
      },
      weights,
    );
    return loadError(JSON.stringify(json), saved.weightsName, weights);
  }
  const byKind = (name: string): TrainedModel =>
    createTrainedModel(kinds.find(([n]) => n.startsWith(name))![1], table, { itemTitles: titles });

  it('loads when nothing was changed (the resealing itself is sound)', async () => {
    expect(await resealedError(byKind('EmbeddingNet'), () => undefined)).toBeUndefined();
  });

  const lies: [
    string,
    string,
    (
      j: tf.io.ModelJSON & { modelTopology: Record<string, Json> },
      w: Uint8Array,
    ) => Uint8Array | void,
    RegExp,
  ][] = [
    [
      'EmbeddingNet',
      'NaN in the weights',
      (_, w) => new DataView(w.buffer).setFloat32(8, NaN, true),
      /finite/,
    ],
    [
      'EmbeddingNet',
      'Infinity in the weights',
      (_, w) => new DataView(w.buffer).setFloat32(0, Infinity, true),
      /finite/,
    ],
    [
      'EmbeddingNet',
      'ratingRange [4, 3]',
      (j) => {
        j.modelTopology['ratingRange'] = [4, 3];
      },
      /not an interval/,
    ],
    [
      'EmbeddingNet',
      'ratingRange [0, 1e308]',
      (j) => {
        j.modelTopology['ratingRange'] = [0, 1e308];
      },
      /overflows float32/,
    ],
    [
      'EmbeddingNet',
      'ratingRange [0.5, 50]',
      (j) => {
        j.modelTopology['ratingRange'] = [0.5, 50];
      },
      /fallback baseline's ratingRange/,
    ],
    [
      'EmbeddingNet',
      'the model config ratingRange [5, 1]',
      (j) => {
        (j.modelTopology['model'] as Record<string, Json>)['ratingRange'] = [5, 1];
      },
      /not an interval/,
    ],
    [
      'EmbeddingNet',
      'a user id twice',
      (j) => {
        const ids = (j.modelTopology['userIds'] as { ids: Json[] }).ids;
        ids[1] = ids[0]!;
      },
      /appears twice/,
    ],
    [
      'EmbeddingNet',
      'one user id fewer',
      (j) => {
        (j.modelTopology['userIds'] as { ids: Json[] }).ids.pop();
      },
      /id maps have/,
    ],
    [
      'EmbeddingNet',
      'user and item id maps swapped',
      (j) => {
        const t = j.modelTopology;
        [t['userIds'], t['itemIds']] = [t['itemIds']!, t['userIds']!];
      },
      /userIds must be/,
    ],
    [
      'EmbeddingNet',
      '"seen": false with the seen weights kept',
      (j) => {
        j.modelTopology['seen'] = false;
      },
      /seen/,
    ],
    [
      'EmbeddingNet',
      '"seen": true without the seen weights',
      (j, w) => {
        const specs = j.weightsManifest[0]!.weights;
        const cut = specs
          .splice(-2, 2)
          .reduce((a, s) => a + 4 * s.shape.reduce((x, d) => x * d, 1), 0);
        (j.modelTopology['weights'] as { byteLength: number }).byteLength -= cut;
        return w.slice(0, w.length - cut);
      },
      /seen/,
    ],
    [
      'EmbeddingNet',
      'itemTitles [1, 2]',
      (j) => {
        j.modelTopology['itemTitles'] = [1, 2];
      },
      /itemTitles entry 0/,
    ],
    [
      'EmbeddingNet',
      'a weight entry without its name',
      (j) => {
        delete (j.weightsManifest[0]!.weights[0] as Partial<tf.io.WeightsManifestEntry>).name;
      },
      /has no name/,
    ],
    [
      'EmbeddingNet',
      'a weight entry with shape "x"',
      (j) => {
        (j.weightsManifest[0]!.weights[0] as unknown as { shape: string }).shape = 'x';
      },
      /not a list of sizes/,
    ],
    [
      'EmbeddingNet',
      'a weight shape transposed',
      (j) => {
        const spec = j.weightsManifest[0]!.weights.find((s) => s.name === 'model/hidden.0.weight')!;
        spec.shape = [...spec.shape].reverse();
      },
      /hidden\.0\.weight/,
    ],
    [
      'EmbeddingDotBias',
      'user and item bias names swapped with their shapes',
      (j) => {
        const specs = j.weightsManifest[0]!.weights;
        const u = specs.findIndex((s) => s.name === 'model/userBias');
        const i = specs.findIndex((s) => s.name === 'model/itemBias');
        [specs[u], specs[i]] = [specs[i]!, specs[u]!];
      },
      /weight \d+ is model\/itemBias/,
    ],
    [
      'EmbeddingDotBias',
      'two weight entries swapped',
      (j) => {
        const specs = j.weightsManifest[0]!.weights;
        [specs[0], specs[1]] = [specs[1]!, specs[0]!];
      },
      /weight 0 is/,
    ],
    [
      'EmbeddingDotBias',
      'the fallback with another rating range',
      (j) => {
        (j.modelTopology['fallback'] as Record<string, Json>)['ratingRange'] = [0, 10];
      },
      /fallback baseline's ratingRange/,
    ],
    [
      'EmbeddingDotBias',
      'training ratings outside the range',
      (j) => {
        (j.modelTopology['training'] as Record<string, Json>)['maxRating'] = 99;
      },
      /outside ratingRange/,
    ],
    [
      'EmbeddingDotBias',
      'training "x"',
      (j) => {
        j.modelTopology['training'] = 'x';
      },
      /training must be/,
    ],
    [
      'EmbeddingDotBias',
      'an unknown model type',
      (j) => {
        (j.modelTopology['model'] as Record<string, Json>)['type'] = 'svd';
      },
      /unknown model type/,
    ],
  ];
  it.each(lies)('%s: %s', async (kind, _what, edit, message) => {
    const error = await resealedError(byKind(kind), edit);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as Error).message).toMatch(message);
  });
});

describe('model integrity on disk', () => {
  it('reads the folder written by saveModelToDirectory and refuses an edited one', async () => {
    const dir = await fsPromises.mkdtemp(join((await import('node:os')).tmpdir(), 'cf-integrity-'));
    try {
      const trained = createTrainedModel(kinds[0]![1], table);
      await saveModel(trained, fileSystemIO(dir));
      (await loadModel(fileSystemIO(dir))).dispose();
      const path = join(dir, 'model.json');
      const text = await fsPromises.readFile(path, 'utf8');
      await fsPromises.writeFile(path, text.replace('"seen":true', '"seen":false'));
      await expect(loadModel(fileSystemIO(dir))).rejects.toMatchObject({ reason: 'checksum' });
    } finally {
      await fsPromises.rm(dir, { recursive: true, force: true });
    }
  });
});
