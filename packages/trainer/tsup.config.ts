import { defineConfig } from 'tsup';

export default defineConfig({
  // hogwild-worker: the threaded engine's worker, which Node's worker_threads and browsers' Worker
  // load by URL from next to index.js / index.cjs (as an ES module: the package is type module)
  entry: { index: 'src/index.ts', 'hogwild-worker': 'src/hogwild-worker.ts' },
  format: ['esm', 'cjs'],
  // the worker's declarations are empty: its subpath export (`@cf/trainer/hogwild-worker`, an entry
  // point for apps bundled for Node, README "Bundling") is typed like every export
  dts: { entry: { index: 'src/index.ts', 'hogwild-worker': 'src/hogwild-worker.ts' } },
  // the CommonJS build needs import.meta.url too, to find the worker bundle next to itself
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
});
