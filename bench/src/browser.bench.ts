// One training epoch of the cf recipes on ml-latest-small in headless Chromium, on each tfjs
// backend the browser has: cpu and wasm (cf's fused host kernels), webgl (tfjs ops; WebGL2 on
// SwiftShader here, so only the first batches are timed and the epoch is extrapolated) and webgpu
// when `navigator.gpu` gives an adapter. The page (src/browser/entry.ts, bundled with esbuild) runs
// `runRecipe(recipe, table, getCvIdxs split, { epochs: [1], batchSize: 64 })` as an app would.
// Needs CF_DATA_DIR (the folder holding ml-latest-small/) and Debian's Chromium (/usr/bin/chromium
// or $CF_CHROMIUM). Env: BENCH_RUNS (epochs per case on cpu/wasm, ≥ 5, default 5),
// BENCH_SLOW_RUNS (partial epochs on webgl/webgpu, ≥ 3, default 3), BENCH_SLOW_BATCHES (batches
// timed per partial epoch, default 100). Each case starts with one unmeasured warmup epoch.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { summarize, type Benchmark, type BenchRow } from './benchmark.js';
import { CHROMIUM_PATH, launchChromium } from '@cf/test-utils/chromium';
import type { EnvironmentReport, EpochReport } from './browser/entry.js';
import { servePage } from './browser/server.js';

const FAST_RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));
const SLOW_RUNS = Math.max(3, Number(process.env.BENCH_SLOW_RUNS ?? 3));
const SLOW_BATCHES = Math.max(10, Number(process.env.BENCH_SLOW_BATCHES ?? 100));
/** Batches of the warmup on the slow backends: enough to compile every shader of a step. */
const SLOW_WARMUP_BATCHES = 10;
/** The issue's goal: one epoch in at most this long on the fastest backend the browser has. */
const GOAL_MS = 1000;
const EPOCH_TIMEOUT_MS = 15 * 60_000;

const here = dirname(fileURLToPath(import.meta.url));
const RECIPES = [
  { recipe: 'notebook', label: 'EmbeddingNet (notebook, lazy Adam 1e-3 wd 2e-5)' },
  { recipe: 'fastai', label: 'EmbeddingDotBias (fastai, one-cycle AdamW)' },
] as const;
type Recipe = (typeof RECIPES)[number]['recipe'];

interface CaseResult {
  recipe: Recipe;
  backend: string;
  engine: string;
  /** Epoch seconds, extrapolated to the whole epoch on the slow backends. */
  epochSeconds: number[];
  /** The seconds measured (of `batches` batches). */
  measuredSeconds: number[];
  batches: number;
  batchesPerEpoch: number;
  startValMse: number[];
  valMse: number[];
  correct: boolean;
}

const ms = (s: number): number => Math.round(s * 1000);

async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [join(here, 'browser', 'entry.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    minify: true,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no answer in ${EPOCH_TIMEOUT_MS / 60_000} min`)),
      EPOCH_TIMEOUT_MS,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function timeCase(
  page: Page,
  recipe: Recipe,
  slow: boolean,
  runs: number,
): Promise<Omit<CaseResult, 'recipe'>> {
  const epoch = (maxBatches: number | undefined): Promise<EpochReport> =>
    withTimeout(
      page.evaluate(([r, b]) => window.cfBench.epoch(r, b ?? undefined), [
        recipe,
        maxBatches ?? null,
      ] as const),
      `${recipe} epoch`,
    );
  await epoch(slow ? SLOW_WARMUP_BATCHES : undefined);
  const reports: EpochReport[] = [];
  for (let k = 0; k < runs; k++) {
    const report = await epoch(slow ? SLOW_BATCHES : undefined);
    reports.push(report);
    const scale = report.batchesPerEpoch / report.batches;
    process.stderr.write(
      `  ${recipe} ${report.backend}: ${report.batches}/${report.batchesPerEpoch} batches in ${ms(report.seconds)} ms` +
        `${scale === 1 ? '' : ` (epoch ≈ ${ms(report.seconds * scale)} ms)`}; val MSE ${report.startValMse.toFixed(4)} → ${report.valMse.toFixed(4)}\n`,
    );
  }
  const first = reports[0]!;
  return {
    backend: first.backend,
    engine: first.engine,
    epochSeconds: reports.map((r) => (r.seconds * r.batchesPerEpoch) / r.batches),
    measuredSeconds: reports.map((r) => r.seconds),
    batches: first.batches,
    batchesPerEpoch: first.batchesPerEpoch,
    startValMse: reports.map((r) => r.startValMse),
    valMse: reports.map((r) => r.valMse),
    correct: reports.every((r) => Number.isFinite(r.valMse) && r.valMse < r.startValMse),
  };
}

function row(label: string, c: CaseResult, slow: boolean): BenchRow {
  const { median, min, max } = summarize(c.epochSeconds);
  const last = c.valMse.length - 1;
  return {
    case: label,
    backend: c.backend,
    engine: c.engine,
    'median ms': ms(median),
    'min–max ms': `${ms(min)}–${ms(max)}`,
    runs: c.epochSeconds.length,
    'batches timed': slow
      ? `${c.batches}/${c.batchesPerEpoch}, extrapolated`
      : `${c.batches}/${c.batchesPerEpoch}`,
    'val MSE start → end': `${c.startValMse[last]!.toFixed(4)} → ${c.valMse[last]!.toFixed(4)}${c.correct ? '' : ' FAILED'}`,
  };
}

const benchmark: Benchmark = {
  name: 'browser',
  description: `seconds per training epoch on ml-latest-small (batch 64) in headless Chromium on each tfjs backend it has: median of ${FAST_RUNS} epochs on cpu/wasm, of ${SLOW_RUNS} partial epochs (first ${SLOW_BATCHES} batches, extrapolated) on webgl/webgpu, after 1 warmup`,
  async run() {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const dir = process.env.CF_DATA_DIR;
    const ratingsCsv = dir ? join(dir, 'ml-latest-small', 'ratings.csv') : '';
    if (!dir || !existsSync(ratingsCsv)) {
      notes.push('skipped: set CF_DATA_DIR to the folder that holds ml-latest-small/ratings.csv');
      return { rows, notes };
    }
    if (!existsSync(CHROMIUM_PATH)) {
      notes.push(
        `skipped: no Chromium at ${CHROMIUM_PATH} (install Debian's: apt-get install chromium; or set CF_CHROMIUM)`,
      );
      return { rows, notes };
    }
    notes.push(
      `load average at start: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(', ')}`,
    );
    const wasmDir = join(
      dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json')),
      'dist',
    );
    const server = await servePage(await bundle(), wasmDir, ratingsCsv);
    const profile = mkdtempSync(join(tmpdir(), 'cf-bench-chromium-'));
    const logs: string[] = [];
    const cases: CaseResult[] = [];
    let environment: EnvironmentReport | undefined;
    let dataset: { nRatings: number; nTrain: number; nValid: number } | undefined;
    const wasmBuild: Record<string, unknown> = {};
    try {
      const context = await launchChromium(profile);
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        page.on('console', (m) => void logs.push(`[${m.type()}] ${m.text()}`));
        page.on('pageerror', (e) => void logs.push(`[pageerror] ${e.message}`));
        await page.goto(server.url);
        await page.waitForFunction(() => window.cfBench !== undefined, undefined, {
          timeout: 60_000,
        });
        environment = await page.evaluate(() => window.cfBench.environment());
        dataset = await page.evaluate(
          (url) => window.cfBench.load(url),
          `${server.url}data/ratings.csv`,
        );
        notes.push(
          `${environment.userAgent}; WebGL renderer: ${environment.webglRenderer ?? 'none'}; crossOriginIsolated: ${environment.crossOriginIsolated}; fused-engine kernels: ${environment.fusedKernels}`,
        );
        notes.push(
          `ml-latest-small: ${dataset.nRatings} ratings, getCvIdxs split ${dataset.nTrain} train / ${dataset.nValid} valid (val_pct 0.2, seed 42)`,
        );

        const webgpu = environment.navigatorGpu && environment.gpuAdapter;
        const backends = [
          { name: 'cpu', slow: false },
          { name: 'wasm', slow: false },
          { name: 'webgl', slow: true },
          ...(webgpu ? [{ name: 'webgpu', slow: true }] : []),
        ];
        for (const { name, slow } of backends) {
          let active: string;
          try {
            const used = await page.evaluate((b) => window.cfBench.useBackend(b), name);
            active = used.backend;
            if (used.wasm) Object.assign(wasmBuild, used.wasm);
          } catch (error) {
            rows.push({ case: 'both recipes', backend: name, engine: null, 'median ms': 'failed' });
            notes.push(`${name}: the backend failed to initialise: ${String(error).slice(0, 300)}`);
            continue;
          }
          if (active !== name) {
            rows.push({ case: 'both recipes', backend: name, engine: null, 'median ms': 'failed' });
            notes.push(`${name}: tfjs fell back to ${active}`);
            continue;
          }
          for (const { recipe, label } of RECIPES) {
            process.stderr.write(`${label} on ${name}\n`);
            try {
              const c: CaseResult = {
                recipe,
                ...(await timeCase(page, recipe, slow, slow ? SLOW_RUNS : FAST_RUNS)),
              };
              cases.push(c);
              rows.push(row(label, c, slow));
            } catch (error) {
              rows.push({ case: label, backend: name, engine: null, 'median ms': 'failed' });
              notes.push(`${label} on ${name} failed: ${String(error).slice(0, 300)}`);
            }
          }
        }
        if (!webgpu) {
          rows.push({
            case: 'both recipes',
            backend: 'webgpu',
            engine: 'tfjs',
            'median ms': 'not available',
          });
          notes.push(
            `webgpu: not available (${environment.navigatorGpu ? 'navigator.gpu exists but requestAdapter() gives no adapter' : 'no navigator.gpu'})`,
          );
        }
      } finally {
        await context.close();
      }
    } finally {
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    }

    const errors = logs.filter((l) => l.startsWith('[error]') || l.startsWith('[pageerror]'));
    if (errors.length) notes.push(`page errors: ${errors.slice(0, 5).join(' | ')}`);
    if (Object.keys(wasmBuild).length)
      notes.push(
        `wasm backend build: SIMD ${String(wasmBuild['simd'])}, threads ${String(wasmBuild['threads'])} (binaries served from node_modules/@tensorflow/tfjs-backend-wasm/dist)`,
      );
    for (const c of cases.filter((c) => c.engine === 'tfjs')) {
      const k = c.valMse.length - 1;
      notes.push(
        `${c.backend} ${c.recipe}: ${c.correct ? 'correct' : 'INCORRECT'}: after the first ${c.batches} of ${c.batchesPerEpoch} batches, validation MSE ${c.startValMse[k]!.toFixed(4)} → ${c.valMse[k]!.toFixed(4)} (every run: ${c.valMse.map((v) => v.toFixed(4)).join(', ')})`,
      );
    }
    notes.push(
      `webgl/webgpu times are extrapolated: the first ${SLOW_BATCHES} batches' training time × batches per epoch / ${SLOW_BATCHES} (WebGL2 on SwiftShader here, a CPU rasteriser: not tuned for)`,
    );
    const goal: Record<string, { backend: string; medianMs: number; met: boolean }> = {};
    for (const { recipe } of RECIPES) {
      const fastest = cases
        .filter((c) => c.recipe === recipe && c.correct)
        .map((c) => ({ backend: c.backend, medianMs: ms(summarize(c.epochSeconds).median) }))
        .sort((a, b) => a.medianMs - b.medianMs)[0];
      if (!fastest) continue;
      goal[recipe] = { ...fastest, met: fastest.medianMs <= GOAL_MS };
      notes.push(
        `goal (one epoch ≤ ${GOAL_MS} ms on the fastest backend) for ${recipe}: ${fastest.medianMs} ms on ${fastest.backend}: ${fastest.medianMs <= GOAL_MS ? 'met' : 'NOT met'}`,
      );
    }
    notes.push(
      "the epoch is fit's training pass (batches, optimizer steps, the lazy optimizer's end-of-epoch catch-up), not the validation pass; each run trains a fresh model (runRecipe with epochs [1])",
    );
    return {
      rows,
      notes,
      loadAverage: loadavg(),
      chromium: environment?.userAgent ?? null,
      environment: environment ?? null,
      dataset: dataset ?? null,
      wasm: wasmBuild,
      slowBatches: SLOW_BATCHES,
      cases,
      goal,
    };
  },
};

export default benchmark;
