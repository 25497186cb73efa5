import { defineConfig } from 'tsup';

export default defineConfig([
  {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    // the CommonJS build needs import.meta.url too: it locates the worker bundle next to itself
    shims: true,
    clean: true,
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
  },
  {
    // the threaded engine's worker: its own ES module, which Node's worker_threads and browsers'
    // Worker load by URL from next to index.js / index.cjs (it uses top-level await: ESM only)
    entry: { 'hogwild-worker': 'src/hogwild-worker.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'es2022',
    platform: 'neutral',
  },
]);
