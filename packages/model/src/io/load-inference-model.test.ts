// loadInferenceModel (`@cf/model/inference`) fetches a model folder the way tf.io.http does and
// refuses damaged files with the same ModelFormatError reasons as loadModel. The fixture is saved
// with the tfjs path; loading registers no tfjs backend and needs none.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError, createRatingsTable, type RawId } from '@cf/data';
import { createEmbeddingNet } from '../models/embedding-net.js';
import { randomizeParameters } from '../models/models-for-test.test-helper.js';
import { createTrainedModel } from '../inference/trained-model.js';
import { loadModelFromDirectory, saveModelToDirectory } from './model-directory.js';
import { ModelFormatError } from './model-format-error.js';
import {
  loadInferenceModel,
  type FetchLike,
  type FetchResponseLike,
} from './load-inference-model.js';

const rows: { userId: RawId; itemId: RawId; rating: number }[] = [];
for (let u = 1; u <= 5; u++)
  for (let i = 1; i <= 14; i++)
    if ((u + i) % 3 === 0) rows.push({ userId: u, itemId: `i${i}`, rating: 1 + ((u * i) % 5) });
const table = createRatingsTable(rows);
const model = createEmbeddingNet({
  nUsers: table.userIds.size,
  nItems: table.itemIds.size,
  ratingRange: [1, 5],
  nFactors: 4,
  hidden: [6],
});
randomizeParameters(model, 11);
const trained = createTrainedModel(model, table);
const dir = mkdtempSync(join(tmpdir(), 'cf-inference-load-'));
let files: Map<string, Uint8Array>;
let weightsName: string;

/** A fetch over in-memory files at https://cdn.test/m/, recording the URLs asked for. */
function fakeFetch(served: Map<string, Uint8Array>, requested: string[] = []): FetchLike {
  return (url) => {
    requested.push(url);
    const name = url.replace(/^https:\/\/cdn\.test\/m\//, '').replace(/\?.*$/, '');
    const bytes = served.get(name);
    const response: FetchResponseLike = {
      ok: bytes !== undefined,
      status: bytes ? 200 : 404,
      statusText: bytes ? 'OK' : 'Not Found',
      text: () => Promise.resolve(new TextDecoder().decode(bytes)),
      arrayBuffer: () => Promise.resolve(bytes!.slice().buffer),
    };
    return Promise.resolve(response);
  };
}

/** The saved files with one of them changed. */
function withFile(name: string, change: (bytes: Uint8Array) => Uint8Array) {
  const changed = new Map(files);
  changed.set(name, change(files.get(name)!.slice()));
  return changed;
}

const editJson = (edit: (json: Record<string, unknown>) => void) => (bytes: Uint8Array) => {
  const json = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  edit(json);
  return new TextEncoder().encode(JSON.stringify(json));
};

async function reasonOf(served: Map<string, Uint8Array>): Promise<string> {
  const error = await loadInferenceModel('https://cdn.test/m/model.json', {
    fetch: fakeFetch(served),
  }).then(
    () => 'loaded',
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ModelFormatError);
  expect((error as ModelFormatError).source).toBe('https://cdn.test/m/model.json');
  return (error as ModelFormatError).reason;
}

beforeAll(async () => {
  await saveModelToDirectory(trained, dir);
  // copies: a Buffer's slice() is a view of a shared pool, a Uint8Array's a copy
  files = new Map(
    readdirSync(dir).map((name) => [name, new Uint8Array(readFileSync(join(dir, name)))]),
  );
  weightsName = [...files.keys()].find((n) => n.startsWith('weights.'))!;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadInferenceModel', () => {
  it('loads model.json and the weights next to it, keeping the query string, and predicts as the saved model', async () => {
    const requested: string[] = [];
    const light = await loadInferenceModel(new URL('https://cdn.test/m/model.json?v=3'), {
      fetch: fakeFetch(files, requested),
    });
    expect(requested).toEqual([
      'https://cdn.test/m/model.json?v=3',
      `https://cdn.test/m/${weightsName}?v=3`,
    ]);
    for (const userId of table.userIds.ids()) {
      expect(light.recommend(userId, { k: 10 })).toEqual(trained.recommend(userId, { k: 10 }));
      expect(light.predict(userId, 'i7')).toEqual(trained.predict(userId, 'i7'));
    }
    expect(light.training).toEqual(trained.training);
    expect(light.ratingRange).toEqual(trained.ratingRange);
  });

  it.each([
    [
      'model.json is not there (HTTP 404)',
      () => withFile('model.json', () => new Uint8Array()),
      'missing',
    ],
    [
      'a weights byte changed',
      () => withFile(weightsName, (b) => ((b[9] = b[9]! ^ 1), b)),
      'checksum',
    ],
    [
      'the weights are cut short',
      () => withFile(weightsName, (b) => b.subarray(0, b.length - 4)),
      'weights-length',
    ],
    [
      'model.json is cut short',
      () => withFile('model.json', (b) => b.subarray(0, b.length - 9)),
      'json',
    ],
    [
      'a value in model.json was edited',
      () =>
        withFile(
          'model.json',
          editJson((j) => {
            (j['modelTopology'] as { ratingRange: number[] }).ratingRange = [1, 6];
          }),
        ),
      'checksum',
    ],
    [
      'it is format version 1',
      () =>
        withFile(
          'model.json',
          editJson((j) => {
            (j['modelTopology'] as { formatVersion: number }).formatVersion = 1;
          }),
        ),
      'version',
    ],
    [
      'model.json was re-indented and given an extra key (the digest covers values, this the bytes)',
      () =>
        withFile('model.json', (b) => {
          const json = JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>;
          json['comment'] = 'edited by hand';
          return new TextEncoder().encode(JSON.stringify(json, null, 2));
        }),
      'json',
    ],
    [
      'model.json names its weights in a subfolder',
      () =>
        withFile(
          'model.json',
          editJson((j) => {
            (j['weightsManifest'] as { paths: string[] }[])[0]!.paths = [`sub/${weightsName}`];
          }),
        ),
      'format',
    ],
    [
      'model.json names its weights through ..',
      () =>
        withFile(
          'model.json',
          editJson((j) => {
            (j['weightsManifest'] as { paths: string[] }[])[0]!.paths = [`../m/${weightsName}`];
          }),
        ),
      'format',
    ],
  ])('refuses a model when %s', async (_, served, reason) => {
    const map = served();
    if (reason === 'missing') map.delete('model.json');
    expect(await reasonOf(map)).toBe(reason);
  });

  it('refuses what the file-system loader refuses, for the same reason', async () => {
    const edits: [Map<string, Uint8Array>, string][] = [
      [
        withFile('model.json', (b) => new TextEncoder().encode(new TextDecoder().decode(b) + ' ')),
        'json',
      ],
      [
        withFile(
          'model.json',
          editJson((j) => {
            (j['weightsManifest'] as { paths: string[] }[])[0]!.paths = [`./${weightsName}`];
          }),
        ),
        'format',
      ],
    ];
    for (const [served, reason] of edits) {
      const folder = mkdtempSync(join(tmpdir(), 'cf-inference-parity-'));
      try {
        for (const [name, bytes] of served) writeFileSync(join(folder, name), bytes);
        const fromDirectory = await loadModelFromDirectory(folder).catch((e: unknown) => e);
        expect((fromDirectory as ModelFormatError).reason).toBe(reason);
        expect(await reasonOf(served)).toBe(reason);
      } finally {
        rmSync(folder, { recursive: true, force: true });
      }
    }
  });

  it('turns a connection that fails while a body is read into ModelFormatError unreadable', async () => {
    const failing: FetchLike = () =>
      Promise.resolve({
        ok: true,
        status: 200,
        statusText: 'OK',
        text: () => Promise.reject(new TypeError('terminated')),
        arrayBuffer: () => Promise.reject(new TypeError('terminated')),
      });
    const error = await loadInferenceModel('https://cdn.test/m/model.json', {
      fetch: failing,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as ModelFormatError).reason).toBe('unreadable');
    expect((error as ModelFormatError).message).toMatch(/terminated/);
  });

  it('refuses a missing weights file as missing', async () => {
    const served = new Map(files);
    served.delete(weightsName);
    expect(await reasonOf(served)).toBe('missing');
  });

  it('refuses a relative URL outside a page, saying what to give instead', async () => {
    await expect(loadInferenceModel('/models/m/model.json')).rejects.toThrow(InvalidArgumentError);
    await expect(loadInferenceModel('models/m/model.json')).rejects.toThrow(
      /no page to resolve it against/,
    );
  });
});

describe('loadInferenceModel with a URL relative to the page', () => {
  const requested: string[] = [];
  let server: Server;
  let origin: string;
  const page = globalThis as { document?: { baseURI: string } };

  beforeAll(async () => {
    // Serves the model folder at /models/m/ and at /app/models/m/.
    server = createServer((request, response) => {
      const path = request.url ?? '/';
      requested.push(path);
      const file = files.get(path.replace(/^(\/app)?\/models\/m\//, ''));
      if (!file) return void response.writeHead(404).end();
      response.writeHead(200).end(file);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterEach(() => {
    delete page.document;
    requested.length = 0;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('resolves /models/m/model.json and models/m/model.json against document.baseURI (with the global fetch)', async () => {
    page.document = { baseURI: `${origin}/app/index.html` };
    const fromRoot = await loadInferenceModel('/models/m/model.json');
    const fromPage = await loadInferenceModel('models/m/model.json');
    expect(requested).toEqual([
      '/models/m/model.json',
      `/models/m/${weightsName}`,
      '/app/models/m/model.json',
      `/app/models/m/${weightsName}`,
    ]);
    for (const loaded of [fromRoot, fromPage]) {
      expect(loaded.predict(4, 'i12')).toEqual(trained.predict(4, 'i12'));
      expect(loaded.recommend(4, { k: 10 })).toEqual(trained.recommend(4, { k: 10 }));
    }
  });

  it('names the URL of a model.json the server does not have', async () => {
    page.document = { baseURI: `${origin}/app/` };
    const error = await loadInferenceModel('other/model.json').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ModelFormatError);
    expect((error as ModelFormatError).reason).toBe('missing');
    expect((error as Error).message).toContain(`${origin}/app/other/model.json`);
    expect((error as Error).message).toContain('HTTP 404');
  });
});
