// Training speed of the cf recipes on ml-latest-small against PyTorch on the same CPU, recommend
// latency, and the peak RSS of `cf train`. Needs CF_DATA_DIR (the folder holding ml-latest-small/).
// PyTorch (bench/pytorch/epoch_time.py) runs with /usr/bin/python3 when `import torch` works.
// Env: BENCH_RUNS (measured epochs per case, default 5, after 1 warmup epoch), BENCH_TORCH=0 skips
// PyTorch, BENCH_TORCH_OOB_EPOCHS (default 2) for PyTorch without the malloc settings.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTrainedModel } from '@cf/model';
import { createModelData, fit } from '@cf/trainer';
import { summarize, type Benchmark, type BenchRow } from './benchmark.js';
import {
  buildRecipe,
  caseLabel,
  epochSeconds,
  loadDataset,
  useBackend,
  type Dataset,
  type TrainCase,
} from './train-harness.js';

const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const MALLOC = {
  MALLOC_MMAP_THRESHOLD_: '1073741824',
  MALLOC_TRIM_THRESHOLD_: '1073741824',
  MALLOC_TOP_PAD_: '268435456',
};

interface TorchResult {
  model: string;
  batch: number;
  seconds: number[];
}

/** Runs the PyTorch script; undefined (with a note) when torch is unavailable. */
function runTorch(
  cases: string,
  epochs: number,
  steady: boolean,
  notes: string[],
): { torch: string; results: TorchResult[] } | undefined {
  const python = '/usr/bin/python3';
  if (
    !existsSync(python) ||
    spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' }).status !== 0
  ) {
    notes.push(
      'PyTorch: skipped, `/usr/bin/python3 -c "import torch"` fails (install python3-torch to compare)',
    );
    return undefined;
  }
  const run = spawnSync(
    python,
    [join(here, '..', 'pytorch', 'epoch_time.py'), '--cases', cases, '--epochs', String(epochs)],
    {
      encoding: 'utf8',
      env: { ...process.env, ...(steady ? MALLOC : {}) },
      maxBuffer: 1 << 24,
    },
  );
  if (run.status !== 0) {
    notes.push(`PyTorch run failed: ${run.stderr.slice(-500)}`);
    return undefined;
  }
  return JSON.parse(run.stdout) as { torch: string; results: TorchResult[] };
}

const ms = (s: number): number => Math.round(s * 1000);

function row(
  label: string,
  engine: string,
  seconds: number[],
  cpu: number[] | undefined,
  reference: number | undefined,
  extra: Partial<BenchRow> = {},
): BenchRow {
  const { median, min, max } = summarize(seconds);
  return {
    case: label,
    engine,
    'median ms': ms(median),
    'min–max ms': `${ms(min)}–${ms(max)}`,
    'cpu ms': cpu ? ms(summarize(cpu).median) : null,
    'vs PyTorch': reference ? `${(median / reference).toFixed(2)}×` : null,
    ...extra,
  };
}

/** Peak RSS (MB) of a command, by /usr/bin/time -v. */
function peakRss(
  command: string[],
  env: NodeJS.ProcessEnv,
): { mb: number; seconds: number } | undefined {
  if (!existsSync('/usr/bin/time')) return undefined;
  const start = performance.now();
  const run = spawnSync('/usr/bin/time', ['-v', ...command], {
    encoding: 'utf8',
    env,
    cwd: root,
    maxBuffer: 1 << 24,
  });
  const seconds = (performance.now() - start) / 1000;
  const match = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr);
  if (run.status !== 0 || !match) return undefined;
  return { mb: Math.round(Number(match[1]) / 1024), seconds };
}

async function recommendLatency(
  dataset: Dataset,
  model: 'notebook' | 'fastai',
  rows: BenchRow[],
): Promise<Record<string, number>> {
  await useBackend('cpu');
  const { model: net, step } = buildRecipe(
    { model, backend: 'cpu', engine: 'fused', batchSize: 64, update: 'lazy' },
    dataset,
  );
  await fit(net, createModelData(dataset.table, dataset.split, { batchSize: 64 }), 1, step, 'mse');
  const trained = createTrainedModel(net, dataset.table, {
    trainRows: dataset.split.train,
    fallback: 'none',
  });
  const users = trained.userIds.ids();
  const one: number[] = [];
  for (let k = 0; k < 10; k++) trained.recommend(users[k % users.length]!, { k: 10 }); // warm up
  for (let k = 0; k < 201; k++) {
    const user = users[(k * 37) % users.length]!;
    const start = performance.now();
    trained.recommend(user, { k: 10 });
    one.push(performance.now() - start);
  }
  const all: number[] = [];
  trained.recommendForAll({ k: 10 });
  for (let k = 0; k < RUNS; k++) {
    const start = performance.now();
    trained.recommendForAll({ k: 10 });
    all.push(performance.now() - start);
  }
  const label = model === 'notebook' ? 'EmbeddingNet' : 'EmbeddingDotBias';
  const a = summarize(one);
  const b = summarize(all);
  rows.push({
    case: `recommend top-10, 1 user × ${trained.itemIds.size} items, ${label}`,
    engine: 'fused',
    'median ms': Math.round(a.median * 1000) / 1000,
    'min–max ms': `${a.min.toFixed(3)}–${a.max.toFixed(3)}`,
    'cpu ms': null,
    'vs PyTorch': null,
  });
  rows.push({
    case: `recommendForAll top-10, ${users.length} users, ${label}`,
    engine: 'fused',
    'median ms': Math.round(b.median),
    'min–max ms': `${Math.round(b.min)}–${Math.round(b.max)}`,
    'cpu ms': null,
    'vs PyTorch': null,
  });
  trained.dispose();
  return { oneUserMs: a.median, allUsersMs: b.median };
}

const benchmark: Benchmark = {
  name: 'train',
  description: `seconds per training epoch on ml-latest-small (median of ${RUNS} epochs after 1 warmup), against PyTorch in the same run; recommend latency; peak RSS of cf train`,
  async run() {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const dir = process.env.CF_DATA_DIR;
    if (!dir || !existsSync(join(dir, 'ml-latest-small'))) {
      notes.push('skipped: set CF_DATA_DIR to the folder that holds ml-latest-small/');
      return { rows, notes };
    }
    notes.push(
      `load average at start: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(
          ', ',
        )} (2 cores shared with other jobs: 'cpu ms' is this process's CPU time per epoch, the steadier number)`,
    );
    const dataset = await loadDataset(dir);

    // PyTorch first (steady state, then out of the box), so the Node numbers below sit next to them.
    const torchRows: BenchRow[] = [];
    const reference: Record<string, number> = {};
    const torchJson: Record<string, unknown> = {};
    if (process.env.BENCH_TORCH !== '0') {
      const steady = runTorch('notebook:64,notebook:1024,fastai:64', RUNS + 1, true, notes);
      if (steady) {
        torchJson['steady'] = steady;
        for (const r of steady.results) {
          const secs = r.seconds.slice(1);
          reference[`${r.model}:${r.batch}`] = summarize(secs).median;
          torchRows.push(
            row(
              `PyTorch ${steady.torch} ${r.model} bs${r.batch} dense, steady (MALLOC_*)`,
              'torch',
              secs,
              undefined,
              undefined,
            ),
          );
        }
        const oobEpochs = Number(process.env.BENCH_TORCH_OOB_EPOCHS ?? 2);
        const oob = runTorch('notebook:64', oobEpochs, false, notes);
        if (oob) {
          torchJson['outOfTheBox'] = oob;
          for (const r of oob.results)
            torchRows.push(
              row(
                `PyTorch ${oob.torch} ${r.model} bs${r.batch} dense, out of the box`,
                'torch',
                r.seconds,
                undefined,
                undefined,
              ),
            );
        }
      }
    }
    rows.push(...torchRows);

    const cases: TrainCase[] = [
      { model: 'notebook', backend: 'cpu', engine: 'fused', batchSize: 64, update: 'lazy' },
      { model: 'notebook', backend: 'wasm', engine: 'fused', batchSize: 64, update: 'lazy' },
      { model: 'notebook', backend: 'cpu', engine: 'fused', batchSize: 64, update: 'dense' },
      { model: 'notebook', backend: 'cpu', engine: 'fused', batchSize: 1024, update: 'lazy' },
      { model: 'notebook', backend: 'cpu', engine: 'fused', batchSize: 1024, update: 'dense' },
      { model: 'notebook', backend: 'cpu', engine: 'tfjs', batchSize: 64, update: 'lazy' },
      { model: 'notebook', backend: 'wasm', engine: 'tfjs', batchSize: 64, update: 'lazy' },
      { model: 'fastai', backend: 'cpu', engine: 'fused', batchSize: 64, update: 'lazy' },
      { model: 'fastai', backend: 'wasm', engine: 'fused', batchSize: 64, update: 'lazy' },
      { model: 'fastai', backend: 'cpu', engine: 'fused', batchSize: 64, update: 'dense' },
      { model: 'fastai', backend: 'cpu', engine: 'fused', batchSize: 1024, update: 'lazy' },
      { model: 'fastai', backend: 'cpu', engine: 'tfjs', batchSize: 64, update: 'lazy' },
    ];
    const epochs: Record<string, { seconds: number[]; cpuSeconds: number[]; valLoss: number }> = {};
    for (const c of cases) {
      const r = await epochSeconds(c, dataset, RUNS + 1);
      const measured = {
        seconds: r.seconds.slice(1),
        cpuSeconds: r.cpuSeconds.slice(1),
        valLoss: r.valLoss,
      };
      epochs[caseLabel(c)] = measured;
      const ref = reference[`${c.model}:${c.batchSize}`];
      rows.push(
        row(
          `${c.model === 'notebook' ? 'EmbeddingNet' : 'EmbeddingDotBias'} ${c.backend} bs${c.batchSize} ${c.update}`,
          c.engine,
          measured.seconds,
          measured.cpuSeconds,
          ref,
        ),
      );
    }
    const med = (label: string): number => summarize(epochs[label]!.seconds).median;
    const throughput = (model: 'notebook' | 'fastai'): string =>
      (med(`${model} cpu fused bs64 lazy`) / med(`${model} cpu fused bs1024 lazy`)).toFixed(2);
    notes.push(
      `batch 1024 vs batch 64 throughput (cpu fused lazy): EmbeddingNet ${throughput('notebook')}×, EmbeddingDotBias ${throughput('fastai')}×`,
    );

    const recommend = {
      notebook: await recommendLatency(dataset, 'notebook', rows),
      fastai: await recommendLatency(dataset, 'fastai', rows),
    };

    const cli = join(root, 'packages', 'cli', 'dist', 'bin.js');
    const out = mkdtempSync(join(tmpdir(), 'cf-bench-model-'));
    const rss = peakRss([process.execPath, cli, 'train', '--quiet', '--out', out], {
      ...process.env,
      CF_DATA_DIR: dir,
    });
    rmSync(out, { recursive: true, force: true });
    if (rss)
      rows.push({
        case: 'cf train (notebook recipe, 15 epochs) peak RSS MB',
        engine: 'fused',
        'median ms': rss.mb,
        'min–max ms': `${rss.seconds.toFixed(1)} s wall`,
        'cpu ms': null,
        'vs PyTorch': null,
      });
    else notes.push('cf train peak RSS: /usr/bin/time -v unavailable or the run failed');
    notes.push(
      "'vs PyTorch' divides by PyTorch's steady-state median of the same model and batch size (a plain PyTorch loop: no DataLoader, no fastai callbacks)",
    );
    notes.push(
      'fused = the hand-written host kernels (the default on cpu/wasm); tfjs = the same model through tfjs-core ops',
    );
    return {
      rows,
      notes,
      runs: RUNS,
      loadAverage: loadavg(),
      torch: torchJson,
      epochs,
      recommend,
      cfTrainPeakRssMb: rss?.mb ?? null,
    };
  },
};

export default benchmark;
