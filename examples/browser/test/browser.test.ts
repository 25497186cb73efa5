// Builds-and-serves the page, drives Debian's Chromium (WebGL2 on SwiftShader) with playwright-core,
// trains one epoch on the synthetic sample with the WebGL backend and checks the numbers against Node.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { parseRatingsText, splitByCvIdxs } from '@cf/data';
import { createTrainedModel, fitBiasBaseline, type TrainedModel } from '@cf/model';
import { saveModelToDirectory } from '@cf/model/node';
import { evaluate, createModelData, rmse, runRecipe } from '@cf/trainer';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSyntheticMovieLens } from '../../synthetic-movielens.mjs';
import type { PageState } from '../src/main.js';
import { CHROMIUM_PATH, launchChromium } from '@cf/test-utils/chromium';
import { serveStatic } from './static-server.js';
import { ISOLATION_HEADERS } from '../vite.config.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const outputDir = join(root, 'test-output');
/** Pairs whose predictions must agree between Node (cpu) and the page (webgl). */
const PAIRS = [
  { userId: 1, itemId: 10 },
  { userId: 7, itemId: 250 },
  { userId: 40, itemId: 30 },
];

if (!existsSync(CHROMIUM_PATH)) {
  console.warn(
    `[skip] no Chromium at ${CHROMIUM_PATH}: install Debian's (apt-get install chromium; .ci/run does) or set CF_CHROMIUM`,
  );
}

describe.skipIf(!existsSync(CHROMIUM_PATH))('the browser example in Chromium', () => {
  /** Serves the build as `vite preview` does: cross-origin isolated. */
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let context: BrowserContext;
  let page: Page;
  let nodeModel: TrainedModel;
  let workDir: string;
  const logs: string[] = [];

  const cf = (on = page): Promise<PageState> => on.evaluate(() => window.__cf);
  const waitFor = async (predicate: string, timeout = 120_000, on = page): Promise<void> => {
    await on
      .waitForFunction(predicate, undefined, { timeout, polling: 100 })
      .catch(async (error: unknown) => {
        throw new Error(
          `${String(error)}\npage state: ${JSON.stringify(await cf(on))}\nconsole:\n${logs.join('\n')}`,
        );
      });
  };

  beforeAll(async () => {
    if (!existsSync(join(root, 'dist', 'index.html')))
      execFileSync('pnpm', ['exec', 'vite', 'build'], { cwd: root, stdio: 'inherit' });
    mkdirSync(outputDir, { recursive: true });
    workDir = mkdtempSync(join(tmpdir(), 'cf-browser-test-'));
    // A model trained and saved in Node, served like a `cf train --out` folder.
    await tf.setBackend('cpu');
    const { table } = parseRatingsText(
      makeSyntheticMovieLens({ seed: 11, nUsers: 60, nItems: 50 }).ratingsCsv,
    );
    const split = splitByCvIdxs(table, { seed: 42 });
    const trained = await runRecipe('fastai', table, split, { epochs: [2], nFactors: 6, lr: 0.05 });
    nodeModel = createTrainedModel(trained.model, table, {
      trainRows: split.train,
      fallback: trained.baseline,
    });
    await saveModelToDirectory(nodeModel, join(workDir, 'models', 'node-model'));
    server = await serveStatic(join(root, 'dist'), join(workDir, 'models'), ISOLATION_HEADERS);
    context = await launchChromium(join(workDir, 'profile'), {
      viewport: { width: 1200, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
    await page.goto(server.url);
    await waitFor('window.__cf?.ready === true', 30_000);
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    nodeModel?.dispose();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('trains one epoch on WebGL and beats the bias baseline computed in Node', async () => {
    await page.getByTestId('use-sample').click();
    await waitFor('window.__cf.data !== undefined');
    await page.getByTestId('recipe').selectOption('fastai');
    await page.getByTestId('backend-select').selectOption('webgl');
    await page.getByTestId('epochs').fill('1');
    await page.getByTestId('lr').fill('0.05');
    await page.getByTestId('factors').fill('16');
    const started = performance.now();
    await page.getByTestId('train').click();
    await waitFor('window.__cf.trained !== undefined || window.__cf.errors.length > 0', 180_000);
    const state = await cf();
    console.log(
      `browser: trained 1 epoch on ${state.backend} in ${((performance.now() - started) / 1000).toFixed(1)} s; RMSE ${state.trained?.rmse.toFixed(4)} vs bias baseline ${state.trained?.baselineRmse.toFixed(4)}`,
    );
    expect(state.errors).toEqual([]);
    expect(state.backend).toBe('webgl');
    expect(state.engine).toBe('tfjs');
    expect(state.epochs).toHaveLength(1);

    // The bound, in Node, on exactly the rows the page trained on (fetched from the same server).
    const csv = await (await fetch(new URL('sample/ratings.csv', server.url))).text();
    const { table } = parseRatingsText(csv);
    expect(table.stats.count).toBe(state.data?.nRatings);
    const split = splitByCvIdxs(table, { valPct: 0.2, seed: 42 });
    const baseline = fitBiasBaseline(table, split.train);
    const bound = evaluate(baseline, createModelData(table, split), [rmse]).metrics['rmse']!;
    baseline.dispose();
    expect(state.trained!.baselineRmse).toBeCloseTo(bound, 5);
    expect(state.trained!.rmse).toBeLessThan(bound);
    expect(await page.getByTestId('rmse').textContent()).toContain('validation RMSE');
  });

  it('recommends titled movies for a user and finds similar movies', async () => {
    await page.getByTestId('user-id').fill('1');
    await page.getByTestId('recommend').click();
    await waitFor('window.__cf.recommendations?.length === 10');
    await page.getByTestId('item-id').fill('10');
    await page.getByTestId('similar').click();
    await waitFor('window.__cf.similar?.length === 10');
    const state = await cf();
    expect(
      state.recommendations!.every((r) => typeof r.title === 'string' && r.title.length > 0),
    ).toBe(true);
    expect(state.similar!.some((r) => r.itemId === 10)).toBe(false);
    expect(await page.getByTestId('recommendations').locator('li').count()).toBe(10);
    await page.getByTestId('save-indexeddb').click();
    await waitFor("window.__cf.saved.includes('indexeddb://cf-model')");
    await page.screenshot({ path: join(outputDir, 'browser.png'), fullPage: true });
  });

  it('ranks every user on every core in ranking workers, the same lists as one-user recommend', async () => {
    await page.getByTestId('recommend-all').click();
    await waitFor('window.__cf.recommendedAll !== undefined || window.__cf.errors.length > 0');
    const state = await cf();
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(state.errors).toEqual([]);
    const all = state.recommendedAll!;
    expect(all.threadsNote).toBeUndefined();
    expect(all.threads).toBe(cores);
    expect(all.users).toBe(state.data!.nUsers);
    await page.evaluate(() => void delete window.__cf.recommendations);
    await page.getByTestId('user-id').fill(all.first.userId);
    await page.getByTestId('recommend').click();
    await waitFor('window.__cf.recommendations?.length === 10');
    const one = (await cf()).recommendations!;
    expect(all.first.items.map((r) => r.itemId)).toEqual(one.map((r) => r.itemId));
    expect(await page.getByTestId('recommend-all-status').textContent()).toContain(
      `on ${cores} threads`,
    );
  });

  it('loads a model saved by Node over HTTP and predicts what Node predicts (within 1e-4)', async () => {
    await page.getByTestId('model-url').fill('/models/node-model/model.json');
    await page.getByTestId('load-url').click();
    await waitFor('window.__cf.loadedModel !== undefined || window.__cf.errors.length > 0');
    expect((await cf()).errors).toEqual([]);
    for (const { userId, itemId } of PAIRS) {
      await page.getByTestId('predict-user').fill(String(userId));
      await page.getByTestId('predict-item').fill(String(itemId));
      await page.evaluate(() => delete window.__cf.prediction);
      await page.getByTestId('predict').click();
      await waitFor('window.__cf.prediction !== undefined');
      const inPage = (await cf()).prediction!;
      const inNode = nodeModel.predict(userId, itemId);
      expect(inPage.source).toBe('model');
      expect(Math.abs(inPage.rating - inNode.rating)).toBeLessThan(1e-4);
    }
    expect((await cf()).backend).toBe('webgl');
  });
  /** RMSE of the bias baseline on the sample's validation rows, computed in Node from the served file. */
  const sampleBaselineRmse = async (): Promise<number> => {
    const csv = await (await fetch(new URL('sample/ratings.csv', server.url))).text();
    const { table } = parseRatingsText(csv);
    const split = splitByCvIdxs(table, { valPct: 0.2, seed: 42 });
    const baseline = fitBiasBaseline(table, split.train);
    const value = evaluate(baseline, createModelData(table, split), [rmse]).metrics['rmse']!;
    baseline.dispose();
    return value;
  };

  /** Trains the fastai recipe for one epoch on the fused engine (wasm backend) with every core asked for. */
  const trainOnAllCores = async (on: Page): Promise<PageState> => {
    await on.getByTestId('use-sample').click();
    await waitFor('window.__cf.data !== undefined', 120_000, on);
    await on.getByTestId('recipe').selectOption('fastai');
    await on.getByTestId('backend-select').selectOption('wasm');
    await on.getByTestId('threads').selectOption('auto');
    await on.getByTestId('epochs').fill('1');
    await on.getByTestId('lr').fill('0.05');
    await on.getByTestId('factors').fill('16');
    await on.getByTestId('train').click();
    await waitFor(
      'window.__cf.trained !== undefined || window.__cf.errors.length > 0',
      180_000,
      on,
    );
    return cf(on);
  };

  it('trains on every core in Hogwild workers when the page is cross-origin isolated', async () => {
    const state = await trainOnAllCores(page);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(state.errors).toEqual([]);
    expect(state.crossOriginIsolated).toBe(true);
    expect(state.engine).toBe('fused');
    expect(cores).toBeGreaterThan(1);
    expect(state.threadsNote).toBeUndefined();
    expect(state.threads).toBe(cores);
    expect(state.trained!.rmse).toBeLessThan(await sampleBaselineRmse());
    expect(await page.getByTestId('threads-status').textContent()).toBe(`${cores} threads`);
  });

  it('falls back to one thread, saying why, on a page served without COOP/COEP', async () => {
    const plain = await serveStatic(join(root, 'dist'), join(workDir, 'models'));
    const other = await context.newPage();
    try {
      other.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
      await other.goto(plain.url);
      await waitFor('window.__cf?.ready === true', 30_000, other);
      const state = await trainOnAllCores(other);
      expect(state.errors).toEqual([]);
      expect(state.crossOriginIsolated).toBe(false);
      expect(state.threads).toBe(1);
      expect(state.threadsNote).toMatch(/not cross-origin isolated/);
      expect(state.trained!.rmse).toBeLessThan(await sampleBaselineRmse());
      await other.getByTestId('recommend-all').click();
      await waitFor('window.__cf.recommendedAll !== undefined', 120_000, other);
      const all = (await cf(other)).recommendedAll!;
      expect(all.threads).toBe(1);
      expect(all.threadsNote).toMatch(/not cross-origin isolated/);
      expect(await other.getByTestId('threads-status').textContent()).toMatch(
        /^1 thread \(the page is not cross-origin isolated/,
      );
    } finally {
      await other.close();
      await plain.close();
    }
  });

  it.each([
    ['topn-softmax', 'the neural retrieval model'],
    ['topn', 'iALS blended with it'],
  ])('trains the %s recipe (%s) and shows its ranking metrics, not an RMSE', async (recipe) => {
    const runs = (await cf()).runs;
    await page.getByTestId('recipe').selectOption(recipe);
    await page.getByTestId('backend-select').selectOption('cpu');
    await page.getByTestId('factors').fill('16');
    await page.getByTestId('train').click();
    await waitFor(`window.__cf.runs > ${runs} || window.__cf.errors.length > 0`, 180_000);
    const state = await cf();
    expect(state.errors).toEqual([]);
    expect(state.trained!.model.label).toContain(`${recipe} recipe`);
    expect(state.trained!.ranking!.ndcg).toBeGreaterThan(0);
    expect(await page.getByTestId('rmse').textContent()).toMatch(/top-10 NDCG 0\.\d{4}/);
    await page.evaluate(() => void delete window.__cf.recommendations);
    await page.getByTestId('user-id').fill('1');
    await page.getByTestId('recommend').click();
    await waitFor('window.__cf.recommendations?.length === 10');
  });
});
