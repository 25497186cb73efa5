#!/usr/bin/env node
// Proves the published shape of cf the way a user meets it: publishes every package to a real
// registry running locally (Verdaccio on 127.0.0.1, temp storage and config, the public npm
// registry as uplink for everything that is not @cf/*), then installs @cf/model, @cf/trainer and
// @cf/data from it into two fresh projects outside the workspace and runs the same program
// (consumer/smoke.ts: train a few batches, save, load, predict, recommend) in each:
//   1. npm, CommonJS (`npm init -y`), tfjs-core 4.22.0 (the highest of the peer range), plus @cf/cli;
//   2. pnpm, ES modules, tfjs-core 4.0.0 (the lowest of the peer range).
// Each project compiles it with strict tsc under node16 resolution (CommonJS output in project 1,
// ESM in project 2) and bundler resolution (ESM output), and runs both builds with node. Verdaccio
// is stopped and every temp folder removed at the end. Exits non-zero on the first failure.
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const here = import.meta.dirname;
const repo = join(here, '..', '..');
/** In dependency order, so each package's @cf dependencies are published before it. */
const PACKAGES = ['data', 'kernels', 'model', 'trainer', 'cli'];
/** The tfjs-core peer range of @cf/model and @cf/trainer, and the versions tested at its ends. */
const TFJS_LOWEST = '4.0.0';
const TFJS_HIGHEST = '4.22.0';
/** What each project installs: the cf libraries the program imports, tfjs at `tfjs`, the compiler. */
const dependencies = (tfjs) => [
  '@cf/model',
  '@cf/trainer',
  '@cf/data',
  `@tensorflow/tfjs-core@${tfjs}`,
  `@tensorflow/tfjs-backend-cpu@${tfjs}`,
  'typescript@5.9.3',
  '@types/node@^20.19.0',
];

const work = mkdtempSync(join(tmpdir(), 'cf-embed-'));
const started = performance.now();
const step = (what) =>
  console.log(`[${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s] ${what}`);

/** Runs a command, echoing its output on failure. */
function run(command, args, options = {}) {
  try {
    return execFileSync(command, args, {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      ...options,
    });
  } catch (error) {
    console.error(`✗ ${command} ${args.join(' ')}\n${error.stdout ?? ''}${error.stderr ?? ''}`);
    throw error;
  }
}

/**
 * Runs an install through the local registry, trying again (up to three times in all) when it fails:
 * Verdaccio proxies tfjs and TypeScript from the public registry, and a transient failure there
 * shows up as a bogus resolution error (`Found: @tensorflow/tfjs-core@undefined`). A real
 * dependency conflict fails all three times.
 */
function install(command, args, options) {
  for (let attempt = 1; ; attempt++) {
    try {
      return run(command, args, options);
    } catch (error) {
      if (attempt === 3) throw error;
      console.error(`  (attempt ${attempt} of ${command} ${args[0]} failed; trying again)`);
    }
  }
}

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Starts Verdaccio on 127.0.0.1 with storage and config in `dir`; resolves once it answers. */
async function startRegistry(dir) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const uplink = run('npm', ['config', 'get', 'registry']).trim() || 'https://registry.npmjs.org/';
  mkdirSync(dir, { recursive: true });
  const config = join(dir, 'config.yaml');
  writeFileSync(
    config,
    [
      `storage: ${JSON.stringify(join(dir, 'storage'))}`,
      'auth:',
      '  htpasswd:',
      `    file: ${JSON.stringify(join(dir, 'htpasswd'))}`,
      'uplinks:',
      '  npmjs:',
      `    url: ${JSON.stringify(uplink)}`,
      '    timeout: 120s',
      'packages:',
      "  '@cf/*':",
      '    access: $all',
      '    publish: $authenticated',
      "  '**':",
      '    access: $all',
      '    proxy: npmjs',
      'web:',
      '  enable: false',
      'log: { type: stdout, format: pretty, level: warn }',
      '',
    ].join('\n'),
  );
  const bin = join(here, 'node_modules', '.bin', 'verdaccio');
  const child = spawn(bin, ['--config', config, '--listen', `127.0.0.1:${port}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`verdaccio exited ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${url}-/ping`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`verdaccio did not answer in 60 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  // A user to publish as: Verdaccio's htpasswd plugin creates it and answers with a token.
  const response = await fetch(`${url}-/user/org.couchdb.user:cf`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'cf', password: 'cf-embed-test' }),
  });
  const { token } = await response.json();
  if (!token) throw new Error(`verdaccio gave no token (HTTP ${response.status})`);
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', resolve);
      child.kill('SIGTERM');
    });
  return { url, port, token, stop };
}

const strict = {
  target: 'ES2022',
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  rootDir: 'src',
};

/**
 * Compiles consumer/ in `dir` twice (node16: output follows the project's `type`; bundler: ESM,
 * marked as such by a package.json in its folder) and runs both builds; returns their reports.
 */
function compileAndRun(dir, label, { skipLibCheck, commonjs }) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  for (const file of ['smoke.ts', 'main.ts'])
    copyFileSync(join(here, 'consumer', file), join(dir, 'src', file));
  const configs = {
    node16: { module: 'node16', moduleResolution: 'node16' },
    bundler: { module: 'esnext', moduleResolution: 'bundler' },
  };
  const reports = [];
  for (const [name, resolution] of Object.entries(configs)) {
    const outDir = `dist-${name}`;
    step(`${label}: tsc (strict, skipLibCheck ${skipLibCheck}, moduleResolution ${name})`);
    writeFileSync(
      join(dir, `tsconfig.${name}.json`),
      JSON.stringify({
        // verbatimModuleSyntax forbids `import` in a file compiled to CommonJS (TS1295): on
        // wherever the output is ESM, off for node16 in a CommonJS project.
        compilerOptions: {
          ...strict,
          ...resolution,
          verbatimModuleSyntax: !(name === 'node16' && commonjs),
          skipLibCheck,
          outDir,
        },
        include: ['src'],
      }),
    );
    run(join(dir, 'node_modules', '.bin', 'tsc'), ['-p', `tsconfig.${name}.json`], { cwd: dir });
    if (name === 'bundler')
      writeFileSync(join(dir, outDir, 'package.json'), JSON.stringify({ type: 'module' }));
    const js = readFileSync(join(dir, outDir, 'smoke.js'), 'utf8');
    const format = /^\s*import\b/m.test(js) ? 'ESM' : /\brequire\(/.test(js) ? 'CommonJS' : '?';
    step(`${label}: node ${outDir}/main.js (${format})`);
    const out = run(process.execPath, [join(outDir, 'main.js'), `model-${name}`], { cwd: dir });
    const line = out.split('\n').find((l) => l.startsWith('smoke: '));
    if (!line) throw new Error(`${label} ${name}: no report in its output:\n${out}`);
    const report = { ...JSON.parse(line.slice(7)), label: `${label}, ${name} build`, format };
    console.log(
      `  ${format}: tfjs-core ${report.tfjsVersion} on ${report.backend}, ${report.batches} batches, ` +
        `val RMSE ${report.valRmse.toFixed(4)}, predict(1, 2) ${report.prediction.toFixed(4)}, ` +
        `round trip ${report.roundTrip}, top 5 ${report.recommendations.map((r) => r.itemId).join(' ')}`,
    );
    reports.push(report);
  }
  return reports;
}

let registry;
try {
  step('starting Verdaccio on 127.0.0.1 (temp storage and config)');
  registry = await startRegistry(join(work, 'registry'));
  const npmrc = join(work, 'npmrc');
  writeFileSync(
    npmrc,
    `registry=${registry.url}\n//127.0.0.1:${registry.port}/:_authToken=${registry.token}\n` +
      'fund=false\naudit=false\nupdate-notifier=false\n',
  );
  // Every npm and pnpm below reads only this config: the local registry, its token. Settings that
  // a parent pnpm or npm passes down as npm_config_* variables (`pnpm test` sets
  // npm_config_registry) would outrank the file, so they are dropped.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^npm_config_/i.test(key)),
  );
  const env = { ...inherited, NPM_CONFIG_USERCONFIG: npmrc, npm_config_userconfig: npmrc };

  for (const name of PACKAGES) {
    step(`pnpm publish @cf/${name} to ${registry.url}`);
    run('pnpm', ['publish', '--registry', registry.url, '--no-git-checks'], {
      cwd: join(repo, 'packages', name),
      env,
    });
  }
  const published = JSON.parse(run('npm', ['view', '@cf/model', '--json'], { cwd: work, env }));
  const peer = published.peerDependencies?.['@tensorflow/tfjs-core'];
  step(`registry has @cf/model@${published.version} (peer @tensorflow/tfjs-core ${peer})`);

  // 1. npm, CommonJS, the highest tfjs.
  const npmDir = join(work, 'npm-commonjs');
  mkdirSync(npmDir);
  run('npm', ['init', '-y'], { cwd: npmDir, env });
  const type = JSON.parse(readFileSync(join(npmDir, 'package.json'), 'utf8')).type ?? 'commonjs';
  step(`npm init -y wrote "type": "${type}"; npm install from the local registry`);
  if (type !== 'commonjs') throw new Error(`npm init -y wrote "type": "${type}"`);
  install('npm', ['install', '--loglevel=error', '@cf/cli', ...dependencies(TFJS_HIGHEST)], {
    cwd: npmDir,
    env,
  });
  const cliVersion = run(join(npmDir, 'node_modules', '.bin', 'cf'), ['--version'], {
    cwd: npmDir,
  }).trim();
  step(`npm project: cf --version prints ${cliVersion}`);
  const reports = compileAndRun(npmDir, `npm, CommonJS, tfjs ${TFJS_HIGHEST}`, {
    skipLibCheck: false,
    commonjs: true,
  });

  // 2. pnpm, ES modules, the lowest tfjs.
  const pnpmDir = join(work, 'pnpm-esm');
  mkdirSync(pnpmDir);
  writeFileSync(
    join(pnpmDir, 'package.json'),
    JSON.stringify({ name: 'cf-embed-esm', version: '1.0.0', private: true, type: 'module' }),
  );
  step('pnpm add from the local registry into an ES module project');
  install('pnpm', ['add', '--reporter=silent', ...dependencies(TFJS_LOWEST)], {
    cwd: pnpmDir,
    env,
  });
  // tfjs-core < 4.10's own declarations (its @types/webgl-ext) fail under skipLibCheck: false
  // with TypeScript 5.9, whatever the program: checking them is tfjs's concern, not cf's.
  reports.push(
    ...compileAndRun(pnpmDir, `pnpm, ESM, tfjs ${TFJS_LOWEST}`, {
      skipLibCheck: true,
      commonjs: false,
    }),
  );

  for (const r of reports) {
    const expected = r.label.includes(`tfjs ${TFJS_LOWEST}`) ? TFJS_LOWEST : TFJS_HIGHEST;
    if (r.tfjsVersion !== expected)
      throw new Error(`${r.label}: ran tfjs-core ${r.tfjsVersion}, expected ${expected}`);
    if (!r.roundTrip) throw new Error(`${r.label}: the loaded model predicts differently`);
    if (r.recommendations.length !== 5) throw new Error(`${r.label}: not 5 recommendations`);
    if (!(r.batches > 0 && Number.isFinite(r.valRmse)))
      throw new Error(`${r.label}: trained ${r.batches} batches, val RMSE ${r.valRmse}`);
  }
  if (new Set(reports.map((r) => r.prediction)).size !== 1)
    throw new Error(`the runs disagree: ${reports.map((r) => r.prediction).join(', ')}`);
  step(
    `ok: installed from a local registry with npm (CommonJS) and pnpm (ESM), tfjs-core ${TFJS_LOWEST} and ${TFJS_HIGHEST}; ` +
      `${reports.map((r) => r.format).join(', ')} runs agree`,
  );
} finally {
  await registry?.stop();
  if (process.env.CF_EMBED_KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
