// An app that only loads a saved model and asks for predictions and a top 10 registers no tfjs
// backend (that keeps its bundle small): this file imports tfjs-core and no backend, and nothing
// here may need one. Vitest runs each test file in its own module graph, so no other file's backend
// leaks in (the first test checks that).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createRatingsTable, type RawId } from '@cf/data';
import { createEmbeddingDotBias } from '../models/embedding-dot-bias.js';
import { createTrainedModel, type TrainedModel } from './trained-model.js';
import { loadModel } from '../io/save-model.js';
import { saveModelToDirectory } from '../io/model-directory.js';

const N_USERS = 6;
const N_ITEMS = 15;
const rows: { userId: RawId; itemId: RawId; rating: number }[] = [];
for (let u = 1; u <= N_USERS; u++)
  for (let i = 1; i <= N_ITEMS; i++)
    if ((u + i) % 3 === 0) rows.push({ userId: u, itemId: 100 + i, rating: 1 + ((u * i) % 5) });
const table = createRatingsTable(rows);

/** EmbeddingDotBias with order-one weights, so every term of the maths moves the predictions. */
function makeTrained(): TrainedModel {
  const model = createEmbeddingDotBias({
    nUsers: table.userIds.size,
    nItems: table.itemIds.size,
    nFactors: 4,
    seed: 3,
  });
  for (const p of model.parameters) {
    for (let k = 0; k < p.values.length; k++) p.values[k] = Math.sin(k * 1.7 + p.values.length);
    p.markChanged();
  }
  return createTrainedModel(model, table);
}

/** fastai's EmbeddingDotBias by hand: sigmoid_range(u·i + b_u + b_i, 0, 5.5), in float64. */
function byHand(trained: TrainedModel, userId: RawId, itemId: RawId): number {
  const u = trained.userIds.indexOf(userId);
  const i = trained.itemIds.indexOf(itemId);
  const param = (name: string) => trained.model.parameters.find((p) => p.name === name)!.values;
  const [ue, ie, ub, ib] = ['userEmbedding', 'itemEmbedding', 'userBias', 'itemBias'].map(param);
  let x = ub![u]! + ib![i]!;
  for (let f = 0; f < 4; f++) x += ue![u * 4 + f]! * ie![i * 4 + f]!;
  return 5.5 / (1 + Math.exp(-x));
}

it('runs with no tfjs backend registered', () => {
  expect(tf.engine().backendNames()).toEqual([]);
  expect(() => tf.engine().backend).toThrow(/No backend found in registry/);
});

describe('with no backend', () => {
  const trained = makeTrained();

  it('predicts (on the host kernels) what the model maths gives', () => {
    for (const [userId, itemId] of [
      [1, 101],
      [3, 107],
      [6, 115],
    ] as const) {
      const { rating, source } = trained.predict(userId, itemId);
      expect(source).toBe('model');
      expect(rating).toBeCloseTo(byHand(trained, userId, itemId), 5);
    }
  });

  it("recommends the top 10 by those predictions, leaving out the user's rated items", () => {
    const seen = new Set(rows.filter((r) => r.userId === 2).map((r) => r.itemId));
    const expected = table.itemIds
      .ids()
      .filter((id) => !seen.has(id))
      .map((itemId) => ({ itemId, score: trained.predict(2, itemId).rating }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 10);
    const top = trained.recommend(2, { k: 10 });
    expect(top.map((r) => r.itemId)).toEqual(expected.map((r) => r.itemId));
    top.forEach((r, k) => expect(r.score).toBeCloseTo(expected[k]!.score, 5));
  });

  it('leaves no backend behind (nothing initialised one)', () => {
    expect(tf.engine().backendNames()).toEqual([]);
  });
});

describe('loadModel with a URL relative to the page', () => {
  const trained = makeTrained();
  const dir = mkdtempSync(join(tmpdir(), 'cf-relative-url-'));
  const requested: string[] = [];
  let server: Server;
  let origin: string;
  const page = globalThis as { document?: { baseURI: string } };

  beforeAll(async () => {
    await saveModelToDirectory(trained, dir);
    // Serves the model folder at /models/m/ and at /app/models/m/.
    server = createServer((request, response) => {
      const path = request.url ?? '/';
      requested.push(path);
      const file = path.replace(/^(\/app)?\/models\/m\//, '');
      if (file === path || file.includes('/')) return void response.writeHead(404).end();
      try {
        response.writeHead(200).end(readFileSync(join(dir, file)));
      } catch {
        response.writeHead(404).end();
      }
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
    rmSync(dir, { recursive: true, force: true });
  });

  it('resolves /models/m/model.json and models/m/model.json against document.baseURI', async () => {
    page.document = { baseURI: `${origin}/app/index.html` };
    const fromRoot = await loadModel('/models/m/model.json');
    const fromPage = await loadModel('models/m/model.json');
    expect(requested.filter((p) => p.endsWith('model.json'))).toEqual([
      '/models/m/model.json',
      '/app/models/m/model.json',
    ]);
    for (const loaded of [fromRoot, fromPage]) {
      expect(loaded.predict(4, 112).rating).toBe(trained.predict(4, 112).rating);
      expect(loaded.recommend(4, { k: 10 })).toEqual(trained.recommend(4, { k: 10 }));
    }
    expect(tf.engine().backendNames()).toEqual([]);
  });

  it('still refuses a bare path outside a page, naming what to use', async () => {
    await expect(loadModel('/models/m/model.json')).rejects.toThrow(
      /no tfjs IO handler can load "\/models\/m\/model.json".*loadModelFromDirectory/,
    );
  });
});
