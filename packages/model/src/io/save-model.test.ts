import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fsPromises from 'node:fs/promises';
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  type PathLike,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { makeSyntheticRatings } from '@cf/test-utils';
import type { RawId } from '@cf/data';
import { createEmbeddingDotBias } from '../models/embedding-dot-bias.js';
import { createEmbeddingNet } from '../models/embedding-net.js';
import { fitBiasBaseline } from '../models/bias-baseline.js';
import { createBiasedMatrixFactorization } from '../models/biased-matrix-factorization.js';
import { createTrainedModel, type TrainedModel } from '../inference/trained-model.js';
import { loadModel, saveModel } from './save-model.js';
import { ModelFormatError } from './model-format-error.js';
import { fileSystemIO, loadModelFromDirectory, saveModelToDirectory } from '../node.js';
import { MODEL_FORMAT_VERSION, toModelArtifacts } from './model-artifacts.js';

// Saving and loading move host bytes only (no tensor is created), so one backend is enough: cpu.
beforeAll(async () => {
  await tf.setBackend('cpu');
});

const { table } = makeSyntheticRatings({ nUsers: 20, nItems: 25, density: 0.4, seed: 9 });
const trainRows = Int32Array.from({ length: table.rating.length }, (_, r) => r).filter(
  (r) => r % 4 !== 0,
);
const titles = new Map<RawId, { title: string; genres: string[] }>(
  table.itemIds.ids().map((id) => [id, { title: `Film ${id}`, genres: [] }]),
);
const allPairs = {
  userIndex: Int32Array.from({ length: 20 * 25 }, (_, k) => Math.floor(k / 25)),
  itemIndex: Int32Array.from({ length: 20 * 25 }, (_, k) => k % 25),
};
const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'cf-model-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function makeTrained(kind: 'net' | 'dot' | 'bias' | 'biased-mf', seed = 1): TrainedModel {
  const sizes = { nUsers: table.userIds.size, nItems: table.itemIds.size };
  const model =
    kind === 'net'
      ? createEmbeddingNet({ ...sizes, nFactors: 3, hidden: [4], ratingRange: [0.5, 5], seed })
      : kind === 'dot'
        ? createEmbeddingDotBias({ ...sizes, nFactors: 3, seed })
        : kind === 'biased-mf'
          ? createBiasedMatrixFactorization({ ...sizes, nFactors: 3, ratingRange: [0.5, 5], seed })
          : fitBiasBaseline(table, trainRows);
  return createTrainedModel(model, table, {
    trainRows,
    itemTitles: titles,
    split: { kind: 'random-holdout', seed: 42, valPct: 0.25, nTrain: trainRows.length },
  });
}

async function expectFormatError(
  promise: Promise<unknown>,
  fields: Partial<ModelFormatError>,
  message?: RegExp,
): Promise<ModelFormatError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFormatError);
  expect(error).toMatchObject(fields);
  if (message) expect((error as Error).message).toMatch(message);
  return error as ModelFormatError;
}

describe('saveModel / loadModel', () => {
  it.each(['net', 'dot', 'bias', 'biased-mf'] as const)(
    'round-trips a %s model through a directory bit for bit',
    async (kind) => {
      const trained = makeTrained(kind);
      const dir = tempDir();
      await saveModelToDirectory(trained, dir);
      const loaded = await loadModelFromDirectory(dir);
      expect(loaded.model.config).toEqual(trained.model.config);
      expect(loaded.model.predict(allPairs.userIndex, allPairs.itemIndex)).toEqual(
        trained.model.predict(allPairs.userIndex, allPairs.itemIndex),
      );
      loaded.model.parameters.forEach((p, k) => {
        expect(p.name).toBe(trained.model.parameters[k]!.name);
        expect(p.weightDecayScale).toBe(trained.model.parameters[k]!.weightDecayScale);
        expect(p.values).toEqual(trained.model.parameters[k]!.values);
      });
      expect(loaded.userIds.ids()).toEqual(table.userIds.ids());
      expect(loaded.itemIds.ids()).toEqual(table.itemIds.ids());
      expect(loaded.ratingRange).toEqual(trained.ratingRange);
      expect(loaded.training).toEqual({
        nRatings: table.stats.count,
        nUsers: 20,
        nItems: 25,
        minRating: table.stats.minRating,
        maxRating: table.stats.maxRating,
        meanRating: table.stats.meanRating,
        source: 'synthetic',
      });
      expect(loaded.split).toEqual({
        kind: 'random-holdout',
        seed: 42,
        valPct: 0.25,
        nTrain: trainRows.length,
      });
      expect(loaded.seen!.offsets).toEqual(trained.seen!.offsets);
      expect(loaded.seen!.itemIndex).toEqual(trained.seen!.itemIndex);
      expect(loaded.itemTitles!.get(table.itemIds.idAt(3))).toBe(`Film ${table.itemIds.idAt(3)}`);
      expect(loaded.fallback!.parameters.map((p) => [...p.values])).toEqual(
        trained.fallback!.parameters.map((p) => [...p.values]),
      );
      const userId = table.userIds.idAt(4);
      expect(loaded.recommend(userId, { k: 5 })).toEqual(trained.recommend(userId, { k: 5 }));
      expect(loaded.predict('nobody', table.itemIds.idAt(2), { unknown: 'fallback' })).toEqual(
        trained.predict('nobody', table.itemIds.idAt(2), { unknown: 'fallback' }),
      );
      const files = readdirSync(dir).sort();
      expect(files).toHaveLength(2);
      expect(files[0]).toBe('model.json');
      expect(files[1]).toMatch(/^weights\.[0-9a-f]{8}\.bin$/);
      const json = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON;
      expect(json.weightsManifest[0]!.paths).toEqual([files[1]]);
      expect(json.format).toBe('cf-model');
      expect((json.modelTopology as { formatVersion: number }).formatVersion).toBe(
        MODEL_FORMAT_VERSION,
      );
    },
  );

  it('removes temp files a killed earlier save left behind', async () => {
    const dir = tempDir();
    await saveModelToDirectory(makeTrained('dot', 1), dir);
    writeFileSync(join(dir, 'weights.0badc0de.bin.tmp-123-4'), 'partial');
    writeFileSync(join(dir, 'model.json.tmp-123-5'), '{"trunc');
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await saveModelToDirectory(makeTrained('dot', 2), dir);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(readdirSync(dir)).toContain('notes.txt');
  });

  it('accepts file:// URLs and replaces the previous weights file', async () => {
    const dir = tempDir();
    await saveModelToDirectory(makeTrained('dot', 1), pathToFileURL(dir).href);
    const first = readdirSync(dir).filter((f) => f.startsWith('weights.'));
    const second = makeTrained('dot', 2);
    await saveModelToDirectory(second, pathToFileURL(join(dir, 'model.json')).href);
    const after = readdirSync(dir).filter((f) => f.startsWith('weights.'));
    expect(after).toHaveLength(1);
    expect(after[0]).not.toBe(first[0]);
    const loaded = await loadModelFromDirectory(pathToFileURL(dir).href);
    expect(loaded.model.predict(allPairs.userIndex, allPairs.itemIndex)).toEqual(
      second.model.predict(allPairs.userIndex, allPairs.itemIndex),
    );
  });

  it('round-trips through any tfjs IO handler (in memory)', async () => {
    const trained = makeTrained('net');
    let saved: tf.io.ModelArtifacts | undefined;
    await saveModel(
      trained,
      tf.io.withSaveHandler((artifacts) => {
        saved = artifacts;
        return Promise.resolve({
          modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts),
        });
      }),
    );
    const loaded = await loadModel(tf.io.fromMemory(saved!));
    expect(loaded.model.predict(allPairs.userIndex, allPairs.itemIndex)).toEqual(
      trained.model.predict(allPairs.userIndex, allPairs.itemIndex),
    );
  });

  it('loads a directory served over HTTP with tf.io.http', async () => {
    const trained = makeTrained('dot');
    const dir = tempDir();
    await saveModelToDirectory(trained, dir);
    const server: Server = createServer((request, response) => {
      try {
        const body = readFileSync(join(dir, (request.url ?? '/').slice(1)));
        response.writeHead(200).end(body);
      } catch {
        response.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as { port: number };
      const loaded = await loadModel(`http://127.0.0.1:${port}/model.json`);
      expect(loaded.model.predict(allPairs.userIndex, allPairs.itemIndex)).toEqual(
        trained.model.predict(allPairs.userIndex, allPairs.itemIndex),
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('says there is nothing to load in an empty directory, and no handler for a bare path', async () => {
    const dir = tempDir();
    await expectFormatError(
      loadModelFromDirectory(dir),
      { reason: 'missing', source: dir },
      /no model\.json/,
    );
    await expect(loadModel('/some/dir')).rejects.toThrow(/saveModelToDirectory/);
  });

  describe('damaged files', () => {
    async function savedDir(): Promise<{ dir: string; weights: string; json: string }> {
      const dir = tempDir();
      await saveModelToDirectory(makeTrained('net'), dir);
      const weights = join(
        dir,
        readdirSync(dir).find((f) => f.startsWith('weights.'))!,
      );
      return { dir, weights, json: join(dir, 'model.json') };
    }

    it('rejects a truncated model.json', async () => {
      const { dir, json } = await savedDir();
      const text = readFileSync(json, 'utf8');
      writeFileSync(json, text.slice(0, Math.floor(text.length / 2)));
      await expectFormatError(
        loadModelFromDirectory(dir),
        { reason: 'json', source: dir },
        /not valid JSON/,
      );
    });

    it('rejects a truncated weights file', async () => {
      const { dir, weights } = await savedDir();
      const bytes = readFileSync(weights);
      writeFileSync(weights, bytes.subarray(0, bytes.length - 8));
      const error = await expectFormatError(
        loadModelFromDirectory(dir),
        { reason: 'weights-length' },
        /truncated/,
      );
      expect(error.found).toBe(String(bytes.length - 8));
      expect(error.expected).toBe(String(bytes.length));
    });

    it('rejects edited weights by their checksum', async () => {
      const { dir, weights } = await savedDir();
      const bytes = readFileSync(weights);
      bytes[17] = bytes[17]! ^ 0x40;
      writeFileSync(weights, bytes);
      await expectFormatError(loadModelFromDirectory(dir), { reason: 'checksum' }, /SHA-256/);
    });

    it('rejects another format version, saying which was found and which is supported', async () => {
      const { dir, json } = await savedDir();
      const parsed = JSON.parse(readFileSync(json, 'utf8')) as {
        modelTopology: { formatVersion: number };
      };
      parsed.modelTopology.formatVersion = 1;
      writeFileSync(json, JSON.stringify(parsed));
      await expectFormatError(
        loadModelFromDirectory(dir),
        { reason: 'version', found: '1', expected: '2', code: 'MODEL_FORMAT' },
        /format version 1.*reads version 2 only/,
      );
    });

    it('rejects a file of another format', async () => {
      const { dir, json } = await savedDir();
      const parsed = JSON.parse(readFileSync(json, 'utf8')) as {
        modelTopology: Record<string, unknown>;
      };
      parsed.modelTopology = { class_name: 'Sequential' };
      writeFileSync(json, JSON.stringify(parsed));
      await expectFormatError(
        loadModelFromDirectory(dir),
        { reason: 'format' },
        /not saved by @cf\/model/,
      );
    });

    it('rejects an edited weight shape by the digest (model-integrity.test.ts re-seals such edits)', async () => {
      const { dir, json } = await savedDir();
      const parsed = JSON.parse(readFileSync(json, 'utf8')) as tf.io.ModelJSON;
      const spec = parsed.weightsManifest[0]!.weights.find(
        (w) => w.name === 'model/hidden.0.weight',
      )!;
      expect(spec.shape).toEqual([4, 6]);
      spec.shape = [6, 4]; // same byte length, wrong layout
      writeFileSync(json, JSON.stringify(parsed));
      await expectFormatError(loadModelFromDirectory(dir), { reason: 'checksum' }, /edited/);
    });

    it('rejects a weights file that is missing', async () => {
      const { dir, weights } = await savedDir();
      rmSync(weights);
      await expectFormatError(loadModelFromDirectory(dir), { reason: 'missing' }, /does not exist/);
    });
  });

  it('saveModelToDirectory writes the weights part by part from the arrays: the same files as one concatenated buffer', async () => {
    for (const kind of ['net', 'dot', 'bias', 'biased-mf'] as const) {
      const trained = makeTrained(kind);
      const parts = toModelArtifacts(trained, { weightParts: true });
      const whole = toModelArtifacts(trained);
      // no copy of the seen items: the part is the array's own buffer
      expect(Array.isArray(parts.weightData)).toBe(true);
      expect((parts.weightData as ArrayBuffer[]).at(-1)).toBe(trained.seen!.itemIndex.buffer);
      expect(parts.modelTopology).toEqual(whole.modelTopology); // the same digest
      const streamed = tempDir();
      const concatenated = tempDir();
      const saved = await saveModelToDirectory(trained, streamed);
      await saveModel(trained, fileSystemIO(concatenated));
      const names = readdirSync(streamed).sort();
      expect(names).toEqual(readdirSync(concatenated).sort());
      for (const name of names)
        expect(readFileSync(join(streamed, name))).toEqual(readFileSync(join(concatenated, name)));
      expect(saved.modelArtifactsInfo.weightDataBytes).toBe(
        (whole.weightData as ArrayBuffer).byteLength,
      );
      const loaded = await loadModelFromDirectory(streamed);
      expect(loaded.model.predict(allPairs.userIndex, allPairs.itemIndex)).toEqual(
        trained.model.predict(allPairs.userIndex, allPairs.itemIndex),
      );
      expect(loaded.seen).toEqual(trained.seen);
    }
  });

  it('fileSystemIO writes typed-array views in a weightData list from where they lie: the same files as ArrayBuffers', async () => {
    const trained = makeTrained('dot');
    const whole = toModelArtifacts(trained);
    const bytes = new Uint8Array(whole.weightData as ArrayBuffer);
    // the weights at odd places of one larger buffer (as arrays in a WebAssembly memory lie)
    const host = new Uint8Array(bytes.length + 64);
    host.set(bytes.subarray(0, 40), 8);
    host.set(bytes.subarray(40), 56);
    const views = [
      new Uint8Array(host.buffer, 8, 40),
      new Float32Array(host.buffer, 56, (bytes.length - 40) / 4),
    ];
    const fromViews = tempDir();
    const fromBuffer = tempDir();
    await fileSystemIO(fromViews).save!({ ...whole, weightData: views });
    await fileSystemIO(fromBuffer).save!(whole);
    const names = readdirSync(fromViews).sort();
    expect(names).toEqual(readdirSync(fromBuffer).sort());
    for (const name of names)
      expect(readFileSync(join(fromViews, name))).toEqual(readFileSync(join(fromBuffer, name)));
  });

  it('leaves the previous model loadable when saving crashes before model.json is renamed', async () => {
    const dir = tempDir();
    const first = makeTrained('dot', 1);
    await saveModelToDirectory(first, dir);
    const crashing = {
      ...fsPromises,
      rename: async (from: PathLike, to: PathLike) => {
        if (String(to).endsWith('model.json')) throw new Error('simulated crash');
        return fsPromises.rename(from, to);
      },
    };
    await expect(
      saveModelToDirectory(makeTrained('dot', 2), dir, { fileSystem: crashing }),
    ).rejects.toThrow('simulated crash');
    const loaded = await loadModelFromDirectory(dir);
    expect(loaded.model.predict(allPairs.userIndex, allPairs.itemIndex)).toEqual(
      first.model.predict(allPairs.userIndex, allPairs.itemIndex),
    );
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    // the next good save cleans up the orphaned weights file
    await saveModel(makeTrained('dot', 3), fileSystemIO(dir));
    expect(readdirSync(dir).filter((f) => f.startsWith('weights.'))).toHaveLength(1);
  });
});
