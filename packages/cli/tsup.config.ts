import { defineConfig } from 'tsup';

const shared = { sourcemap: true, target: 'node20', platform: 'node' } as const;

export default defineConfig([
  // The library entry, for ES modules and CommonJS alike (`shims` gives the CommonJS build the
  // `import.meta.url` that package-version.ts reads package.json through). `clean` spares the
  // binary, which the second build writes at the same time.
  {
    ...shared,
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    shims: true,
    clean: ['!bin.js', '!bin.js.map'],
  },
  // The `cf` binary: an ES module only (it awaits at the top level) and never imported.
  { ...shared, entry: { bin: 'src/bin.ts' }, format: ['esm'], dts: false },
]);
