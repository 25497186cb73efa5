import { defineConfig } from 'tsup';

export default defineConfig({
  // rank-worker: rankAllUsers' worker, which Node's worker_threads and browsers' Worker load by URL
  // from next to the chunk that starts it (as an ES module: the package is type module)
  entry: {
    index: 'src/index.ts',
    node: 'src/node.ts',
    inference: 'src/inference.ts',
    'rank-worker': 'src/inference/rank-worker.ts',
  },
  format: ['esm', 'cjs'],
  // CommonJS chunks too, so the two entries share one copy of each class (instanceof holds across them).
  splitting: true,
  // rank-worker's declarations are empty: its subpath export (`@cf/model/rank-worker`, an entry
  // point for apps bundled for Node, README "Bundling") is typed like every export
  dts: {
    entry: {
      index: 'src/index.ts',
      node: 'src/node.ts',
      inference: 'src/inference.ts',
      'rank-worker': 'src/inference/rank-worker.ts',
    },
  },
  // the CommonJS build needs import.meta.url too, to find the worker bundle
  shims: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
});
