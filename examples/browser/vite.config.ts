import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vite';
// A plain .mjs module shared by the examples; its types are in synthetic-movielens.d.mts.
import { makeSyntheticMovieLens } from '../synthetic-movielens.mjs';

/** Folder served at /models/ by `vite` and `vite preview`: put `cf train --out` folders here. */
const modelsDir = resolve(process.env['CF_MODELS_DIR'] ?? join(import.meta.dirname, 'models'));

/** The synthetic sample behind "Use the sample": generated, never MovieLens data. */
function sample(): Record<string, string> {
  const { ratingsCsv, moviesCsv } = makeSyntheticMovieLens({ seed: 7 });
  return { 'sample/ratings.csv': ratingsCsv, 'sample/movies.csv': moviesCsv };
}

const TYPES: Record<string, string> = {
  '.json': 'application/json',
  '.bin': 'application/octet-stream',
  '.csv': 'text/csv',
};

/** Serves the sample and the models folder in dev and preview, and writes the sample into the build. */
function cfData(): Plugin {
  const serve: Connect.NextHandleFunction = (req, res, next) => {
    const url = decodeURIComponent((req.url ?? '').split('?')[0]!);
    const files = sample();
    const sampleFile = files[url.slice(1)];
    if (sampleFile !== undefined) {
      res.setHeader('Content-Type', 'text/csv');
      res.end(sampleFile);
      return;
    }
    if (url.startsWith('/models/')) {
      const file = normalize(join(modelsDir, url.slice('/models/'.length)));
      if (file.startsWith(modelsDir) && existsSync(file) && statSync(file).isFile()) {
        res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
        createReadStream(file).pipe(res);
        return;
      }
    }
    next();
  };
  return {
    name: 'cf-data',
    configureServer: (server) => void server.middlewares.use(serve),
    configurePreviewServer: (server) => void server.middlewares.use(serve),
    generateBundle() {
      for (const [fileName, source] of Object.entries(sample()))
        this.emitFile({ type: 'asset', fileName, source });
    },
  };
}

/**
 * Cross-origin isolation: browsers give a page `SharedArrayBuffer` (and so cf's training on several
 * threads) only when it is served with both headers. Everything the page loads is same-origin, so
 * `require-corp` blocks nothing here; a host that serves the build must send them too.
 */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const;

export default defineConfig({
  base: './',
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  plugins: [cfData()],
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 4000 },
  optimizeDeps: { exclude: ['@tensorflow/tfjs-backend-wasm'] },
});
