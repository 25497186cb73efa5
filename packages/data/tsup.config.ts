import { defineConfig } from 'tsup';

const shared = { sourcemap: true, target: 'es2022', platform: 'neutral' } as const;

export default defineConfig([
  // ES modules unbundled, one file per source module: with `sideEffects: false` a bundler then
  // drops every module an app does not use (csv-parse, pulled in only by the CSV reader, leaves a
  // browser app that only loads a model and recommends).
  {
    ...shared,
    entry: ['src/**/*.ts', '!src/**/*.test.ts', '!src/**/*.test-*.ts'],
    format: ['esm'],
    bundle: false,
    dts: { entry: { index: 'src/index.ts', node: 'src/node.ts' } },
    clean: false,
  },
  // CommonJS bundled per entry, with shared chunks so both entries hold one copy of each class
  // (instanceof holds across them). The build script empties dist first.
  {
    ...shared,
    entry: { index: 'src/index.ts', node: 'src/node.ts' },
    format: ['cjs'],
    splitting: true,
    dts: true,
    clean: false,
  },
]);
