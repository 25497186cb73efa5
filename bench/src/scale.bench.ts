// cf at ml-25m scale (issue #16): generated ml-25m-shaped folders with planted structure
// (@cf/test-utils/planted), parse time and peak RSS of cf against pandas' C parser in the same run,
// and one epoch of PyTorch's EmbeddingDotBias with dense AdamW at the largest size.
//
//   pnpm bench scale                          # 5M and 25M rows (generated once, then reused)
//   pnpm bench scale --rows 1000000           # smaller sizes, comma-separated
//   pnpm bench scale --rows 5000000 --runs 5 --torch-batches 1024,65536 --torch-steps 20
//
// Training rows (scale/train-step.ts): --train-threads (default 1,2), --train-runs (default 1),
// --train-recipe-epochs (default 5, 0 skips the whole-recipe row).
//
// Options (or BENCH_SCALE_ROWS, BENCH_RUNS, BENCH_SCALE_DIR): --rows, --runs (default 3),
// --dir (default <tmp>/cf-scale; one planted-<rows>-s1 folder per size, kept for the next run:
// delete it to free the space), --torch-batches (default 1024,8192,65536; "none" skips PyTorch),
// --torch-steps (default 20 timed steps per batch size, extrapolated to an epoch).
//
// Every measurement runs in a fresh child process (its own peak RSS), cf and the reference
// alternating run by run, so both see the same machine load; ratios are of the medians.
//
// Adding a step (for example cf training at 1 and 2 threads): append a ScaleStep to STEPS. It gets
// the prepared data sets (the ratings.csv path, rows and planted.json of each size) and the
// options, returns table rows made with `scaleRow` (so the columns line up) and may push notes.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  PLANTED_GENERATOR_VERSION,
  writePlantedMovieLens,
  type PlantedMovieLensSummary,
} from '@cf/test-utils/planted';
import { summarize, type Benchmark, type BenchRow } from './benchmark.js';
import { trainStep } from './scale/train-step.js';

const here = dirname(fileURLToPath(import.meta.url));
const PYTHON = '/usr/bin/python3';

/** One generated size. */
export interface ScaleData {
  rows: number;
  folder: string;
  ratingsFile: string;
  planted: PlantedMovieLensSummary;
}

/** The bench's options, from the command line or the environment. */
export interface ScaleOptions {
  sizes: number[];
  runs: number;
  dir: string;
  torchBatches: number[];
  torchSteps: number;
}

/** A step of the scale table. */
export interface ScaleStep {
  name: string;
  run(data: ScaleData[], options: ScaleOptions, notes: string[]): BenchRow[] | Promise<BenchRow[]>;
}

/** One timed run in a child process: wall seconds of the work and its peak RSS. */
export interface ChildRun {
  seconds: number;
  maxRssMB: number;
  baselineRssMB: number;
}

function options(): ScaleOptions {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      rows: { type: 'string' },
      runs: { type: 'string' },
      dir: { type: 'string' },
      'torch-batches': { type: 'string' },
      'torch-steps': { type: 'string' },
      // read by scale/train-step.ts
      'train-threads': { type: 'string' },
      'train-runs': { type: 'string' },
      'train-recipe-epochs': { type: 'string' },
    },
    strict: true,
  });
  const list = (text: string): number[] =>
    text
      .split(',')
      .filter((t) => t.length > 0 && t !== 'none')
      .map((t) => {
        const value = Number(t.replace(/_/g, ''));
        if (!Number.isInteger(value) || value < 1)
          throw new Error(`expected positive integers, got ${JSON.stringify(t)}`);
        return value;
      });
  return {
    sizes: list(values.rows ?? process.env.BENCH_SCALE_ROWS ?? '5000000,25000000'),
    runs: Math.max(1, Number(values.runs ?? process.env.BENCH_RUNS ?? 3)),
    dir: values.dir ?? process.env.BENCH_SCALE_DIR ?? join(tmpdir(), 'cf-scale'),
    torchBatches: list(values['torch-batches'] ?? '1024,8192,65536'),
    torchSteps: Math.max(1, Number(values['torch-steps'] ?? 20)),
  };
}

/** The generated folder of `rows` rows (seed 1), written unless a matching one is there. */
export function prepare(rows: number, dir: string): ScaleData {
  const folder = join(dir, `planted-${rows}-s1`);
  const sidecar = join(folder, 'planted.json');
  let planted: PlantedMovieLensSummary | undefined;
  if (existsSync(sidecar)) {
    const found = JSON.parse(readFileSync(sidecar, 'utf8')) as PlantedMovieLensSummary;
    if (found.version === PLANTED_GENERATOR_VERSION && found.rows === rows && found.seed === 1)
      planted = found;
  }
  if (!planted) {
    console.log(`generating ${rows.toLocaleString('en-US')} rows into ${folder} …`);
    planted = writePlantedMovieLens(folder, { rows, seed: 1 });
  }
  return { rows, folder, ratingsFile: join(folder, 'ratings.csv'), planted };
}

/** Runs a command that prints one JSON object on its last stdout line; throws with its stderr otherwise. */
export function runJson<T>(command: string, args: string[], env: NodeJS.ProcessEnv = {}): T {
  const run = spawnSync(command, args, {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    maxBuffer: 1 << 24,
  });
  if (run.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed: ${run.stderr.slice(-800)}`);
  const last = run.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as T;
}

function hasPython(module: string): boolean {
  return existsSync(PYTHON) && spawnSync(PYTHON, ['-c', `import ${module}`]).status === 0;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** A table row; `reference` is the median seconds the ratio is taken against. */
export function scaleRow(
  step: string,
  rows: number,
  engine: string,
  runs: ChildRun[] | number[],
  reference?: number,
): BenchRow {
  const seconds = runs.map((r) => (typeof r === 'number' ? r : r.seconds));
  const { median, min, max } = summarize(seconds);
  const peaks = runs.flatMap((r) => (typeof r === 'number' ? [] : [r]));
  const peak = peaks.length ? summarize(peaks.map((r) => r.maxRssMB)).median : undefined;
  const added = peaks.length
    ? summarize(peaks.map((r) => r.maxRssMB - r.baselineRssMB)).median
    : undefined;
  return {
    step,
    rows,
    engine,
    'median s': round(median),
    'min–max s': `${round(min)}–${round(max)}`,
    'peak RSS MB': peak === undefined ? null : Math.round(peak),
    'B/row': added === undefined ? null : round((added * 1048576) / rows, 1),
    ratio: reference ? `${(median / reference).toFixed(2)}×` : null,
  };
}

/** Parse: cf's loadRatings against pandas.read_csv, alternating, in fresh processes. */
const parseStep: ScaleStep = {
  name: 'parse',
  run(data, opts, notes) {
    const rows: BenchRow[] = [];
    const pandas = hasPython('pandas');
    if (!pandas) notes.push('pandas: skipped, `/usr/bin/python3 -c "import pandas"` fails');
    for (const size of data) {
      const cf: ChildRun[] = [];
      const reference: ChildRun[] = [];
      for (let k = 0; k < opts.runs; k++) {
        cf.push(
          runJson<ChildRun>(process.execPath, [
            '--import',
            'tsx',
            join(here, 'scale', 'parse-once.ts'),
            size.ratingsFile,
          ]),
        );
        if (pandas)
          reference.push(
            runJson<ChildRun>(PYTHON, [
              join(here, '..', 'python', 'pandas_read_csv.py'),
              size.ratingsFile,
            ]),
          );
      }
      const pandasMedian = pandas ? summarize(reference.map((r) => r.seconds)).median : undefined;
      rows.push(scaleRow('parse', size.rows, 'cf loadRatings', cf, pandasMedian));
      if (pandas) rows.push(scaleRow('parse', size.rows, 'pandas read_csv (C)', reference));
      if (pandas) {
        const paired = cf.map((r, k) => r.seconds / reference[k]!.seconds);
        notes.push(
          `parse ${size.rows.toLocaleString('en-US')} rows: cf/pandas per run ${paired.map((r) => r.toFixed(2)).join(', ')} (median ${summarize(paired).median.toFixed(2)})`,
        );
      }
    }
    notes.push(
      'parse: B/row = (peak RSS − RSS before the load) / rows; the table itself keeps 16 B/row (int32 user, item, timestamp; float32 rating); pandas keeps 32 (int64, int64, float64, int64)',
    );
    return rows;
  },
};

interface TorchResult {
  model: string;
  batch: number;
  seconds: number[];
  measured_steps: number;
  step_seconds: number;
  steps_per_epoch: number;
  train_rows: number;
}

/** PyTorch: one epoch of fastai's EmbeddingDotBias with dense AdamW, extrapolated from timed steps. */
const torchStep: ScaleStep = {
  name: 'pytorch',
  run(data, opts, notes) {
    if (opts.torchBatches.length === 0) return [];
    if (!hasPython('torch')) {
      notes.push('PyTorch: skipped, `/usr/bin/python3 -c "import torch"` fails');
      return [];
    }
    const largest = data[data.length - 1]!;
    const out = runJson<{ torch: string; results: TorchResult[] }>(PYTHON, [
      join(here, '..', 'pytorch', 'epoch_time.py'),
      '--ratings',
      largest.ratingsFile,
      '--cases',
      opts.torchBatches.map((b) => `fastai:${b}`).join(','),
      '--max-steps',
      String(opts.torchSteps),
    ]);
    for (const result of out.results) {
      notes.push(
        `PyTorch ${out.torch} bs ${result.batch}: ${(result.step_seconds * 1000).toFixed(0)} ms a step (median of ${result.measured_steps}) × ${result.steps_per_epoch} steps = ${result.seconds[0]!.toFixed(0)} s an epoch of ${result.train_rows.toLocaleString('en-US')} training rows (extrapolated)`,
      );
    }
    return out.results.map((result) =>
      scaleRow(
        `epoch, EmbeddingDotBias, bs ${result.batch}`,
        largest.rows,
        'PyTorch dense AdamW, 1 thread (extrapolated)',
        result.seconds,
      ),
    );
  },
};

/** The steps of the table, in order. Append training or recommendation steps here. */
export const STEPS: ScaleStep[] = [parseStep, torchStep, trainStep];

const benchmark: Benchmark = {
  name: 'scale',
  description:
    'ml-25m-shaped planted data: parse (cf vs pandas), peak RSS, PyTorch epoch (issue #16)',
  async run() {
    const opts = options();
    const notes: string[] = [];
    const data = opts.sizes.map((rows) => prepare(rows, opts.dir));
    const rows: BenchRow[] = [];
    for (const step of STEPS) rows.push(...(await step.run(data, opts, notes)));
    for (const size of data)
      notes.push(
        `${size.rows.toLocaleString('en-US')} rows: ${size.planted.users.toLocaleString('en-US')} users, ${size.planted.items.toLocaleString('en-US')} items, best achievable RMSE ${size.planted.bestRmse}${size.planted.dataLimited ? ` with the planted parameters known, ${size.planted.dataLimited.rmse} from the training rows (data-limited, planted_floor.py)` : ' with the planted parameters known (no data-limited floor: run bench/numpy/planted_floor.py --write)'} (planted score ${size.planted.plantedScoreRmse}, mean ${size.planted.meanRmse}), ${size.folder}`,
      );
    return {
      rows,
      notes,
      runs: opts.runs,
      sizes: opts.sizes,
      planted: data.map((d) => d.planted),
    };
  },
};

export default benchmark;
