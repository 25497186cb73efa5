// Bundle size of the smallest app cf is for: src/browser/recommend-app.ts loads a saved model from
// a URL relative to the page and asks for a prediction and a top 10 with @cf/model/inference, which
// needs no tfjs at all. Bundled as an app would be (esbuild, ESM, browser, minified), measured
// gzipped (zlib level 9) and broken down by package with esbuild's metafile. Goal (issue #14):
// ≤ 40 KB gzipped, also held by packages/model/src/inference/inference-bundle.test.ts.
// Run after `pnpm build` (the bench script builds first): `pnpm bench browser-bundle`.
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Benchmark, BenchRow } from './benchmark.js';

const here = dirname(fileURLToPath(import.meta.url));
const GOAL_GZIP_BYTES = 40 * 1024;

/** The package (or `app`) a metafile input path belongs to. */
function packageOf(input: string): string {
  const fromWorkspace = /(?:^|\/)packages\/([^/]+)\//.exec(input);
  if (fromWorkspace && !input.includes('node_modules')) return `@cf/${fromWorkspace[1]!}`;
  const fromModules = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(
    input,
  );
  return fromModules ? fromModules[1]! : 'app';
}

async function measure(entry: string) {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = out.outputFiles[0]!.contents;
  const inputs = Object.values(out.metafile.outputs)[0]!.inputs;
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(inputs))
    byPackage.set(packageOf(input), (byPackage.get(packageOf(input)) ?? 0) + bytesInOutput);
  return {
    minifiedBytes: code.length,
    gzipBytes: gzipSync(code, { level: 9 }).length,
    byPackage: [...byPackage.entries()].sort((a, b) => b[1] - a[1]),
  };
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

const benchmark: Benchmark = {
  name: 'browser-bundle',
  description:
    'bytes of a browser app that loads a saved model and asks for predict + a top 10 with @cf/model/inference, no tfjs (esbuild, minified, gzip -9), by package from the metafile',
  async run() {
    const app = await measure(join(here, 'browser', 'recommend-app.ts'));
    const rows: BenchRow[] = [
      {
        case: 'recommend-app (load + predict + top 10, @cf/model/inference)',
        minified: kb(app.minifiedBytes),
        gzipped: kb(app.gzipBytes),
        'goal (gzipped)': kb(GOAL_GZIP_BYTES),
        met: app.gzipBytes <= GOAL_GZIP_BYTES ? 'yes' : 'NO',
      },
    ];
    const notes = [
      `minified bytes by package: ${app.byPackage.map(([p, b]) => `${p} ${kb(b)}`).join(', ')}`,
      app.byPackage.some(([p]) => p === 'csv-parse')
        ? 'csv-parse is in the bundle: @cf/data is pulling in its CSV reader'
        : 'csv-parse is not in the bundle (@cf/data ships one ES module per source file, sideEffects: false)',
    ];
    return { rows, notes, app, goalGzipBytes: GOAL_GZIP_BYTES };
  },
};

export default benchmark;
