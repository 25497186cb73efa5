// The scale bench's training rows (issue #16): one epoch of the fastai recipe (EmbeddingDotBias,
// one-cycle lazy AdamW) at batch 1024 on 1 and 2 threads, alternating in fresh processes, per
// size; then, at the largest size, the whole recipe (5 epochs at its own batch size, which grows
// with the data: fastaiBatchSize) on 2 threads with its RMSE against the planted data's best
// achievable RMSE and the bias baseline's.
//
// Options: --train-threads (default 1,2; the first is the ratio's reference), --train-runs
// (default 1: a 25M-row epoch takes minutes on one core; "none" skips the training rows, for a
// parse-only run), --train-recipe-epochs (default 5; 0
// skips the whole-recipe row). BENCH_TRAIN_THREADS, BENCH_TRAIN_RUNS likewise.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarize, type BenchRow } from '../benchmark.js';
import { runJson, scaleRow, type ChildRun, type ScaleStep } from '../scale.bench.js';

const here = dirname(fileURLToPath(import.meta.url));

interface TrainRun {
  epochSeconds: number[];
  /** CPU seconds of each epoch's training pass, every thread of the process. */
  epochCpuSeconds: number[];
  trainRows: number;
  /** 1-minute load average when the run ended (this bench's own process included). */
  load: number;
  rmse: number;
  baselineRmse: number;
  batchSize: number;
  loadSeconds: number;
  trainSeconds: number;
  threads: number;
  baselineRssMB: number;
  maxRssMB: number;
}

function trainOptions(): { threads: number[]; runs: number; recipeEpochs: number } {
  const { values } = parseArgs({
    args: process.argv.slice(3),
    options: {
      'train-threads': { type: 'string' },
      'train-runs': { type: 'string' },
      'train-recipe-epochs': { type: 'string' },
    },
    strict: false,
  });
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  return {
    threads: (text(values['train-threads']) ?? process.env.BENCH_TRAIN_THREADS ?? '1,2')
      .split(',')
      .map(Number)
      .filter((t) => Number.isInteger(t) && t >= 1),
    runs: Math.max(1, Number(text(values['train-runs']) ?? process.env.BENCH_TRAIN_RUNS ?? 1)),
    recipeEpochs: Math.max(0, Number(text(values['train-recipe-epochs']) ?? 5)),
  };
}

function trainOnce(
  folder: string,
  threads: number,
  epochs: number,
  batch: number | 'recipe' = 1024,
): TrainRun {
  const run = runJson<Omit<TrainRun, 'load'>>(process.execPath, [
    '--import',
    'tsx',
    join(here, 'train-once.ts'),
    folder,
    String(threads),
    String(epochs),
    String(batch),
    'fastai',
  ]);
  return { ...run, load: loadavg()[0]! };
}

/** "epoch 12.3 s (CPU 20.1 s, 1.01 µs/example, load 3.2)" for each run. */
function describeRuns(runs: TrainRun[], epoch = 0): string {
  return runs
    .map((r) => {
      const cpu = r.epochCpuSeconds[epoch]!;
      return `${r.epochSeconds[epoch]!.toFixed(1)} s (CPU ${cpu.toFixed(1)} s, ${((cpu / r.trainRows) * 1e6).toFixed(2)} µs/example, load ${r.load.toFixed(1)})`;
    })
    .join(', ');
}

/** The training pass only: its seconds, and the process's peak RSS (data, model, optimizer, workers). */
const epochRun = (r: TrainRun): ChildRun => ({
  seconds: r.epochSeconds[0]!,
  maxRssMB: r.maxRssMB,
  baselineRssMB: r.baselineRssMB,
});

export const trainStep: ScaleStep = {
  name: 'train',
  run(data, _opts, notes) {
    const { threads, runs, recipeEpochs } = trainOptions();
    const rows: BenchRow[] = [];
    // `--train-threads none` skips the epoch rows (and the recipe row, which needs a thread count)
    for (const size of threads.length > 0 ? data : []) {
      const byThreads = new Map<number, TrainRun[]>(threads.map((t) => [t, []]));
      for (let k = 0; k < runs; k++)
        for (const t of threads) byThreads.get(t)!.push(trainOnce(size.folder, t, 1));
      const reference = summarize(byThreads.get(threads[0]!)!.map((r) => r.epochSeconds[0]!));
      for (const t of threads) {
        const got = byThreads.get(t)!;
        rows.push(
          scaleRow(
            'epoch, fastai EmbeddingDotBias, bs 1024',
            size.rows,
            `cf, ${got[0]!.threads} thread${got[0]!.threads === 1 ? '' : 's'}`,
            got.map(epochRun),
            t === threads[0] ? undefined : reference.median,
          ),
        );
        notes.push(
          `train ${size.rows.toLocaleString('en-US')} rows, ${t} thread(s): epoch ${describeRuns(got)}, RMSE after 1 epoch ${got.map((r) => r.rmse.toFixed(4)).join(', ')}, load ${got.map((r) => r.loadSeconds.toFixed(1)).join(', ')} s`,
        );
      }
    }
    const largest = data[data.length - 1];
    const most = Math.max(...threads);
    if (largest && recipeEpochs > 0 && threads.length > 0) {
      const run = trainOnce(largest.folder, most, recipeEpochs, 'recipe');
      rows.push(
        scaleRow(
          `fastai recipe, ${recipeEpochs} epochs + evaluation, bs ${run.batchSize}`,
          largest.rows,
          `cf, ${run.threads} threads`,
          [
            {
              seconds: run.loadSeconds + run.trainSeconds,
              maxRssMB: run.maxRssMB,
              baselineRssMB: run.baselineRssMB,
            },
          ],
        ),
      );
      const floor = largest.planted.bestRmse;
      const limited = largest.planted.dataLimited?.rmse;
      notes.push(
        `fastai recipe ${recipeEpochs} epochs, ${run.threads} threads, ${largest.rows.toLocaleString('en-US')} rows: RMSE ${run.rmse.toFixed(4)} against the planted best ${floor} (${(((run.rmse - floor) / floor) * 100).toFixed(2)} % above; goal ≤ 3 %)${limited === undefined ? ' (no data-limited floor in planted.json: bench/numpy/planted_floor.py --write)' : ` and the data-limited floor ${limited} (${(((run.rmse - limited) / limited) * 100).toFixed(2)} % above)`}, bias baseline ${run.baselineRmse.toFixed(4)}, batch ${run.batchSize}, epochs ${run.epochSeconds.map((s) => s.toFixed(1)).join(', ')} s (CPU ${run.epochCpuSeconds.map((s) => s.toFixed(1)).join(', ')} s), peak RSS ${Math.round(run.maxRssMB)} MB, reading the file ${run.loadSeconds.toFixed(1)} s, load average ${run.load.toFixed(1)}`,
      );
    }
    return rows;
  },
};
