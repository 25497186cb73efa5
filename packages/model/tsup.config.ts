import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', node: 'src/node.ts', inference: 'src/inference.ts' },
  format: ['esm', 'cjs'],
  // CommonJS chunks too, so the two entries share one copy of each class (instanceof holds across them).
  splitting: true,
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  platform: 'neutral',
});
