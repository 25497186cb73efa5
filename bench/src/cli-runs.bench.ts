// Whole `cf` commands on the scale bench's planted ml-25m-shaped folders (issue #16): `cf train
// --recipe fastai` (load, split, 5 epochs on every core, evaluation, checkpoints, ranking, save)
// and, with --commands train,cv, `cf cv --recipe fastai` (5 folds), each in a fresh process
// (cli-runs/cli-once.mjs: the built CLI's `run` with the process's CPU seconds and peak RSS),
// with the RMSE against the planted floor and the bias baseline and the load average around it.
//
//   pnpm bench cli-runs                                   # cf train at 25M rows
//   pnpm bench cli-runs --rows 1000000,5000000,25000000 --commands train,cv
//
// Options: --rows (default 25000000), --commands (default train), --dir (default <tmp>/cf-scale,
// the scale bench's folders, generated when missing).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Benchmark, BenchRow } from './benchmark.js';
import { prepare, runJson } from './scale.bench.js';

const here = dirname(fileURLToPath(import.meta.url));

interface CliRun {
  code: number;
  wallSeconds: number;
  cpuSeconds: number;
  maxRssMB: number;
  load: [number, number];
  stdout: string;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

const benchmark: Benchmark = {
  name: 'cli-runs',
  description:
    'whole cf train / cf cv --recipe fastai on planted ml-25m-shaped data: CPU s, peak RSS, RMSE vs the planted floor (issue #16)',
  run() {
    const { values } = parseArgs({
      args: process.argv.slice(3),
      options: {
        rows: { type: 'string' },
        commands: { type: 'string' },
        dir: { type: 'string' },
      },
      strict: true,
    });
    const sizes = (values.rows ?? '25000000').split(',').map((t) => Number(t.replace(/_/g, '')));
    const commands = (values.commands ?? 'train').split(',');
    for (const c of commands)
      if (c !== 'train' && c !== 'cv') throw new Error(`--commands: train or cv, got ${c}`);
    const dir = values.dir ?? join(tmpdir(), 'cf-scale');
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const runs: Record<string, unknown>[] = [];
    for (const size of sizes.map((n) => prepare(n, dir))) {
      for (const command of commands) {
        const out = mkdtempSync(join(tmpdir(), 'cf-cli-runs-'));
        const args = [command, '--data', size.folder, '--recipe', 'fastai', '--json'];
        if (command === 'train') args.push('--out', join(out, 'model'));
        try {
          const run = runJson<CliRun>(process.execPath, [
            join(here, 'cli-runs', 'cli-once.mjs'),
            ...args,
          ]);
          if (run.code !== 0) throw new Error(`cf ${args.join(' ')} exited ${run.code}`);
          const report = JSON.parse(run.stdout) as {
            rmse?: number;
            baselineRmse?: number;
            hyperParameters?: { batchSize?: number };
            mean?: { rmse?: number };
            std?: { rmse?: number };
          };
          const rmse = command === 'train' ? report.rmse! : report.mean!.rmse!;
          const floor = size.planted.bestRmse;
          const limited = size.planted.dataLimited?.rmse;
          rows.push({
            command: `cf ${command} --recipe fastai`,
            rows: size.rows,
            'wall s': round(run.wallSeconds, 1),
            'CPU s': round(run.cpuSeconds, 1),
            'peak RSS MB': Math.round(run.maxRssMB),
            load: `${run.load[0].toFixed(1)}–${run.load[1].toFixed(1)}`,
            RMSE: rmse.toFixed(4),
            'bias baseline':
              report.baselineRmse === undefined ? null : report.baselineRmse.toFixed(4),
            floor: floor.toFixed(5),
            'above floor': `${(((rmse - floor) / floor) * 100).toFixed(1)} %`,
            // the best any estimator reaches from the training rows (planted_floor.py --write)
            'data-limited floor': limited === undefined ? null : limited.toFixed(5),
            'above data-limited':
              limited === undefined ? null : `${(((rmse - limited) / limited) * 100).toFixed(1)} %`,
          });
          runs.push({ command, rows: size.rows, ...run, report });
          notes.push(
            `cf ${args.join(' ')}: ${run.wallSeconds.toFixed(1)} s wall, ${run.cpuSeconds.toFixed(1)} CPU s, peak RSS ${Math.round(run.maxRssMB)} MB, load ${run.load[0].toFixed(1)} → ${run.load[1].toFixed(1)}${report.hyperParameters?.batchSize ? `, batch ${report.hyperParameters.batchSize}` : ''}${command === 'cv' ? `, RMSE ${rmse.toFixed(4)} ± ${report.std!.rmse!.toFixed(4)} over the folds` : ''}`,
          );
        } finally {
          rmSync(out, { recursive: true, force: true });
        }
      }
    }
    return Promise.resolve({ rows, notes, sizes, commands, runs });
  },
};

export default benchmark;
