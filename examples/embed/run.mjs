#!/usr/bin/env node
// Proves the published shape of cf (exports maps, declarations, peer dependencies, the bin): packs
// the packages like `npm publish` would, installs the tarballs into a fresh TypeScript project in a
// temp folder outside the workspace, trains a model there with the packed `cf` binary, compiles a
// small program with strict tsc twice (node16 and bundler resolution) and runs it as an ES module
// and via require() from CommonJS. Exits non-zero on the first failure.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticMovieLens } from '../synthetic-movielens.mjs';

const here = import.meta.dirname;
const repo = join(here, '..', '..');
const PACKAGES = ['data', 'kernels', 'model', 'trainer', 'cli'];
const EXTERNAL = {
  '@tensorflow/tfjs-core': '4.22.0',
  '@tensorflow/tfjs-backend-cpu': '4.22.0',
  typescript: '5.9.3',
  '@types/node': '^20.19.0',
};

const work = mkdtempSync(join(tmpdir(), 'cf-embed-'));
const started = performance.now();
const step = (what) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${what}`);
/** Runs a command in the temp project (or `cwd`), echoing its output on failure. */
const run = (command, args, options = {}) => {
  try {
    return execFileSync(command, args, {
      cwd: work,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    });
  } catch (error) {
    console.error(`✗ ${command} ${args.join(' ')}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    throw error;
  }
};

try {
  step(`packing ${PACKAGES.map((p) => `@cf/${p}`).join(', ')}`);
  const tarballs = join(work, 'tarballs');
  mkdirSync(tarballs);
  const deps = {};
  for (const name of PACKAGES) {
    const dir = join(repo, 'packages', name);
    if (!existsSync(join(dir, 'dist')))
      throw new Error(
        `packages/${name}/dist is missing: run \`pnpm build\` at the repository root first`,
      );
    const before = new Set(readdirSync(tarballs));
    run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: dir });
    const file = readdirSync(tarballs).find((f) => !before.has(f));
    deps[`@cf/${name}`] = `file:tarballs/${file}`;
  }

  step(
    'npm install of the tarballs, tfjs-core, tfjs-backend-cpu and typescript into a fresh project',
  );
  writeFileSync(
    join(work, 'package.json'),
    JSON.stringify(
      // `overrides` makes the packages' own `@cf/*` dependencies resolve to the tarballs, never to a registry.
      {
        name: 'cf-embed-consumer',
        private: true,
        type: 'module',
        dependencies: { ...deps, ...EXTERNAL },
        overrides: deps,
      },
      null,
      2,
    ),
  );
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error']);

  step('cf train with the packed binary on a synthetic MovieLens folder');
  const data = writeSyntheticMovieLens(join(work, 'data'), {
    seed: 3,
    nUsers: 80,
    nItems: 60,
    density: 0.3,
  });
  const trainLog = run(join(work, 'node_modules', '.bin', 'cf'), [
    'train',
    '--data',
    data,
    '--recipe',
    'fastai',
    '--epochs',
    '2',
    '--lr',
    '0.05',
    '--out',
    'cf-model',
    '--json',
    '--quiet',
  ]);
  const trained = JSON.parse(trainLog.trim().split('\n').pop());
  console.log(
    `  validation RMSE ${trained.rmse.toFixed(4)} (bias baseline ${trained.baselineRmse.toFixed(4)}), saved to ${trained.modelDir}`,
  );

  const src = join(work, 'src');
  mkdirSync(src);
  for (const file of ['recommend.ts', 'main.ts'])
    copyFileSync(join(here, 'consumer', file), join(src, file));
  copyFileSync(join(here, 'consumer', 'main.cjs'), join(work, 'main.cjs'));
  const strict = {
    target: 'ES2022',
    strict: true,
    noUncheckedIndexedAccess: true,
    exactOptionalPropertyTypes: true,
    verbatimModuleSyntax: true,
    skipLibCheck: false,
    rootDir: 'src',
  };
  const configs = {
    node16: { ...strict, module: 'node16', moduleResolution: 'node16', outDir: 'dist-node16' },
    bundler: { ...strict, module: 'esnext', moduleResolution: 'bundler', outDir: 'dist-bundler' },
  };
  for (const [name, compilerOptions] of Object.entries(configs)) {
    step(
      `tsc (strict, module ${compilerOptions.module}, moduleResolution ${compilerOptions.moduleResolution})`,
    );
    writeFileSync(
      join(work, `tsconfig.${name}.json`),
      JSON.stringify({ compilerOptions, include: ['src'] }, null, 2),
    );
    run(join(work, 'node_modules', '.bin', 'tsc'), ['-p', `tsconfig.${name}.json`]);
  }

  const args = ['cf-model', '1', '10'];
  const reports = [];
  const runs = [
    ['ESM, node16 build', ['dist-node16/main.js', ...args], {}],
    ['ESM, bundler build', ['dist-bundler/main.js', ...args], {}],
    ['CommonJS require(), node16 build', ['main.cjs', ...args], {}],
    [
      'CommonJS require(), bundler build',
      ['main.cjs', ...args],
      { CF_EMBED_MODULE: './dist-bundler/recommend.js' },
    ],
  ];
  for (const [label, nodeArgs, env] of runs) {
    step(`node ${nodeArgs.join(' ')} (${label})`);
    const out = run(process.execPath, nodeArgs, { env: { ...process.env, ...env } });
    const line = out.split('\n').find((l) => l.startsWith('esm: ') || l.startsWith('cjs: '));
    if (!line) throw new Error(`${label}: no report in its output:\n${out}`);
    const report = JSON.parse(line.slice(5));
    if (report.recommendations.length !== 5)
      throw new Error(`${label}: expected 5 recommendations, got ${report.recommendations.length}`);
    if (!(report.prediction >= 0.5 && report.prediction <= 5))
      throw new Error(`${label}: prediction ${report.prediction} is outside the rating range`);
    reports.push(report);
  }
  if (new Set(reports.map((r) => r.prediction)).size !== 1)
    throw new Error(`the four runs disagree: ${reports.map((r) => r.prediction).join(', ')}`);
  const [first] = reports;
  console.log(
    `  user ${first.userId}, movie ${first.itemId}: predicted ${first.prediction.toFixed(4)} (${first.modelType} on ${first.backend})`,
  );
  for (const r of first.recommendations)
    console.log(`  ${r.score.toFixed(3)}  ${r.title ?? r.itemId}`);
  step(
    'ok: the packed packages install, type-check (node16 and bundler) and run as ESM and from CommonJS',
  );
} finally {
  if (process.env.CF_EMBED_KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
