// The bundle of the smallest app cf is for (load a saved model, predict, top 10) with
// @cf/model/inference: esbuild as an app would bundle it (ESM, browser, minified) and gzip -9,
// as `pnpm bench browser-bundle` measures it. Bundle bytes do not depend on the machine, so the
// goal of issue #14 (≤ 40 KB gzipped) is a test: no tfjs may come back into this path.
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const GOAL_GZIP_BYTES = 40 * 1024;

// The same calls as bench/src/browser/recommend-app.ts, from this package's source entry.
const app = `
import { loadInferenceModel } from './src/inference.ts';
const model = await loadInferenceModel('models/m/model.json');
const prediction = model.predict(1, 1).rating;
const top10 = model.recommend(1, { k: 10 }).map(({ itemId, score }) => ({ itemId, score }));
document.body.textContent = prediction + ': ' + top10.map((r) => r.itemId).join(', ');
`;

describe('the bundle of an app that loads a model and recommends with @cf/model/inference', () => {
  it('holds no tfjs and is at most 40 KB gzipped', async () => {
    const out = await build({
      stdin: { contents: app, resolveDir: packageRoot, sourcefile: 'app.ts', loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      minify: true,
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(out.metafile.inputs);
    expect(inputs.filter((path) => path.includes('@tensorflow'))).toEqual([]);
    expect(
      inputs.filter((path) => path.includes('@cf/kernels') || path.includes('/kernels/')),
    ).toEqual([]);
    const code = out.outputFiles[0]!.contents;
    const gzipped = gzipSync(code, { level: 9 }).length;
    console.log(
      `recommend app with @cf/model/inference: ${(code.length / 1024).toFixed(1)} KB minified, ${(gzipped / 1024).toFixed(1)} KB gzipped`,
    );
    expect(gzipped).toBeLessThanOrEqual(GOAL_GZIP_BYTES);
  });
});
