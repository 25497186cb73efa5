#!/usr/bin/env node
// Proves the published shape of cf the way a user meets it: publishes every package to a real
// registry running locally (Verdaccio on 127.0.0.1, temp storage and config, the public npm
// registry as uplink for everything that is not @cf/*), then installs @cf/model, @cf/trainer and
// @cf/data from it into two fresh projects outside the workspace and runs the same program
// (consumer/smoke.ts: train a few batches, save, load, predict, recommend; consumer/threads.ts:
// train on 2 threads and rank every user on 2 threads, workers started from the installed
// packages) in each:
//   1. npm, CommonJS (`npm init -y`), tfjs-core 4.22.0 (the highest of the peer range), plus @cf/cli;
//   2. pnpm, ES modules, tfjs-core 4.0.0 (the lowest of the peer range).
// Each project compiles it with strict tsc under node16 resolution (CommonJS output in project 1,
// ESM in project 2) and bundler resolution (ESM output), and runs both builds with node; project 1
// also bundles the program with esbuild for Node (with and without the worker entry points) and
// runs the installed `cf train --threads 2` and `cf recommend --all --threads 2`; project 2 also
// builds a page with Vite and runs it in Chromium (isolated: 2 threads; not: one, saying why). Verdaccio
// is stopped and every temp folder removed at the end. Exits non-zero on the first failure.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { CHROMIUM_PATH, launchChromium } from '@cf/test-utils/chromium';

const here = import.meta.dirname;
const repo = join(here, '..', '..');
/** In dependency order, so each package's @cf dependencies are published before it. */
const PACKAGES = ['data', 'kernels', 'model', 'trainer', 'cli'];
/** The tfjs-core peer range of @cf/model and @cf/trainer, and the versions tested at its ends. */
const TFJS_LOWEST = '4.0.0';
const TFJS_HIGHEST = '4.22.0';
/** The bundler the npm project bundles the program with for Node (as a user's app would be). */
const ESBUILD = 'esbuild@0.27.7';
/** The bundler the pnpm project builds a browser page with. */
const VITE = 'vite@7.3.8';
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
  for (const file of ['smoke.ts', 'threads.ts', 'synthetic.ts', 'main.ts'])
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
    reports.push(
      runProgram(
        dir,
        [join(outDir, 'main.js'), `model-${name}`],
        `${label}, ${name} build`,
        format,
      ),
    );
  }
  return reports;
}

/**
 * Runs a build of consumer/ with node (`args`: the script and its model folder) and returns its
 * report: the `smoke:` line (one thread) with the `threads:` line (2 training threads, 2 ranking
 * threads) as `threads`.
 */
function runProgram(dir, args, label, format) {
  const out = run(process.execPath, args, { cwd: dir, timeout: 120_000 });
  const lineOf = (prefix) => out.split('\n').find((l) => l.startsWith(prefix));
  const smokeLine = lineOf('smoke: ');
  const threadsLine = lineOf('threads: ');
  if (!smokeLine || !threadsLine) throw new Error(`${label}: no report in its output:\n${out}`);
  const report = { ...JSON.parse(smokeLine.slice(7)), label, format };
  report.threads = JSON.parse(threadsLine.slice(9));
  const t = report.threads;
  console.log(
    `  ${format}: tfjs-core ${report.tfjsVersion} on ${report.backend}, ${report.batches} batches, ` +
      `val RMSE ${report.valRmse.toFixed(4)}, predict(1, 2) ${report.prediction.toFixed(4)}, ` +
      `round trip ${report.roundTrip}, top 5 ${report.recommendations.map((r) => r.itemId).join(' ')}\n` +
      `  ${format}: fit on ${t.fitThreads} threads${t.fitNote ? ` (${t.fitNote})` : ''}, val RMSE ${t.valRmse.toFixed(4)}; ` +
      `${t.users} users ranked on ${t.rankThreads} threads${t.rankNote ? ` (${t.rankNote})` : ''}, ` +
      `same lists as recommend: ${t.sameAsRecommend}`,
  );
  return report;
}

/** Throws unless `report` trained and ranked on 2 threads, with the same lists as `recommend`. */
function checkThreads(report) {
  const t = report.threads;
  if (t.fitThreads !== 2 || t.fitNote !== null)
    throw new Error(
      `${report.label}: fit trained on ${t.fitThreads} threads, not 2 (${t.fitNote})`,
    );
  if (!(Number.isFinite(t.valRmse) && t.valRmse < 2))
    throw new Error(`${report.label}: 2-thread val RMSE ${t.valRmse}`);
  if (t.rankThreads !== 2 || t.rankNote !== null)
    throw new Error(`${report.label}: ranked on ${t.rankThreads} threads, not 2 (${t.rankNote})`);
  if (t.users !== 40 || !t.sameAsRecommend)
    throw new Error(
      `${report.label}: ${t.users} users ranked; same as recommend: ${t.sameAsRecommend}`,
    );
}

/**
 * Bundles the ES module build of consumer/ for Node with esbuild (`--bundle --platform=node`,
 * CommonJS out: esbuild's default there) twice: with the two worker scripts as extra entry points
 * (`hogwild-worker=@cf/trainer/hogwild-worker rank-worker=@cf/model/rank-worker`, what the
 * READMEs tell users to add), which must train and rank on 2 threads; and without, which must fall
 * back to one thread with a note that names those entry points (never a crash or a hang).
 */
function bundleAndRun(dir, label) {
  const esbuild = join(dir, 'node_modules', '.bin', 'esbuild');
  const common = ['--bundle', '--platform=node', '--log-level=error'];
  step(`${label}: esbuild app + worker entry points --bundle --platform=node (CommonJS bundle)`);
  run(
    esbuild,
    [
      'app=dist-bundler/main.js',
      'hogwild-worker=@cf/trainer/hogwild-worker',
      'rank-worker=@cf/model/rank-worker',
      ...common,
      '--outdir=bundle-node',
    ],
    { cwd: dir },
  );
  const bundled = runProgram(
    dir,
    ['bundle-node/app.js', 'model-esbuild'],
    `${label}, esbuild bundle`,
    'esbuild',
  );
  step(`${label}: esbuild app alone (no worker entry points)`);
  run(esbuild, ['dist-bundler/main.js', ...common, '--outfile=bundle-bare/app.js'], { cwd: dir });
  const bare = runProgram(
    dir,
    ['bundle-bare/app.js', 'model-bare'],
    `${label}, esbuild bundle without workers`,
    'esbuild',
  );
  const t = bare.threads;
  if (t.fitThreads !== 1 || !/hogwild-worker=@cf\/trainer\/hogwild-worker/.test(t.fitNote ?? ''))
    throw new Error(
      `${bare.label}: expected one thread and a note naming the entry point: ${t.fitNote}`,
    );
  if (t.rankThreads !== 1 || !/rank-worker=@cf\/model\/rank-worker/.test(t.rankNote ?? ''))
    throw new Error(
      `${bare.label}: expected one thread and a note naming the entry point: ${t.rankNote}`,
    );
  if (!t.sameAsRecommend) throw new Error(`${bare.label}: one-thread lists differ from recommend`);
  return bundled;
}

/** Serves `root` on 127.0.0.1 with `headers` on every response (a page and its assets only). */
function serveStatic(root, headers) {
  const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript' };
  const server = createHttpServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path.slice(1)));
    if (!file.startsWith(root) || !existsSync(file) || !types[extname(file)]) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': types[extname(file)] });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}/`,
        close: () => new Promise((done) => server.close(done)),
      }),
    ),
  );
}

/**
 * A browser app bundled by Vite from the installed packages: `vite build` of a page that runs
 * consumer/threads.ts (its ES module build), which must emit both workers; then, where Chromium
 * is installed, the page must train and rank on 2 threads when served cross-origin isolated, and
 * on one thread saying why when not.
 */
async function viteInChromium(dir, label) {
  mkdirSync(join(dir, 'web'));
  writeFileSync(
    join(dir, 'web', 'index.html'),
    '<!doctype html><meta charset="utf-8"><title>cf</title><script type="module" src="./main.js"></script>\n',
  );
  writeFileSync(
    join(dir, 'web', 'main.js'),
    [
      "import { version_cpu } from '@tensorflow/tfjs-backend-cpu';",
      "import { threads } from '../dist-bundler/threads.js';",
      'console.log(`tfjs-backend-cpu ${version_cpu}`);',
      'threads().then((r) => (window.__result = r), (e) => (window.__result = { error: String(e?.stack ?? e) }));',
      '',
    ].join('\n'),
  );
  step(`${label}: vite build of a page that trains and ranks on 2 threads`);
  run(
    join(dir, 'node_modules', '.bin', 'vite'),
    ['build', 'web', '--outDir', '../web-dist', '--emptyOutDir', '--logLevel', 'error'],
    { cwd: dir },
  );
  const assets = readdirSync(join(dir, 'web-dist', 'assets'));
  const workers = ['hogwild-worker', 'rank-worker'].map((name) => {
    const file = assets.find((f) => f.startsWith(`${name}-`) && f.endsWith('.js'));
    if (!file) throw new Error(`${label}: vite emitted no ${name} (assets: ${assets.join(', ')})`);
    return file;
  });
  console.log(`  vite emitted ${workers.join(', ')}`);
  if (!existsSync(CHROMIUM_PATH)) {
    console.log(`  [skip] no Chromium at ${CHROMIUM_PATH}: the page is built, not run`);
    return;
  }
  const isolation = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
  };
  for (const isolated of [true, false]) {
    const kind = isolated ? 'cross-origin isolated' : 'not isolated';
    step(`${label}: the vite build in Chromium, ${kind}`);
    const server = await serveStatic(join(dir, 'web-dist'), isolated ? isolation : {});
    const context = await launchChromium(join(dir, `chromium-${isolated}`));
    let result;
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(server.url);
      await page.waitForFunction('window.__result !== undefined', undefined, { timeout: 120_000 });
      result = await page.evaluate(() => globalThis.__result);
    } finally {
      await context.close();
      await server.close();
    }
    if (result.error) throw new Error(`${label}, Chromium ${kind}: ${result.error}`);
    console.log(
      `  Chromium, ${kind}: fit on ${result.fitThreads} threads${result.fitNote ? ` (${result.fitNote})` : ''}; ` +
        `${result.users} users ranked on ${result.rankThreads} threads${result.rankNote ? ` (${result.rankNote})` : ''}, ` +
        `same lists as recommend: ${result.sameAsRecommend}`,
    );
    if (isolated) checkThreads({ label: `${label}, Chromium ${kind}`, threads: result });
    else if (
      result.fitThreads !== 1 ||
      result.rankThreads !== 1 ||
      !/not cross-origin isolated/.test(result.fitNote ?? '') ||
      !/not cross-origin isolated/.test(result.rankNote ?? '') ||
      !result.sameAsRecommend
    )
      throw new Error(`${label}, Chromium ${kind}: expected one thread saying why`);
  }
}

/**
 * The installed `cf`: `cf train --threads 2` and `cf recommend --all --threads 2 --out` on a
 * ratings file of 4,000 rows; both must say they ran on 2 threads.
 */
function cliThreads(dir, label) {
  const lines = ['userId,movieId,rating,timestamp'];
  for (let u = 1; u <= 300; u++)
    for (let i = 1; i <= 120; i++) {
      if ((u * 7 + i * 5) % 9 !== 0) continue;
      const taste = Math.sin(u) * Math.cos(i) + 0.5 * Math.cos(u * 0.3) * Math.sin(i * 0.7);
      const rating = Math.min(5, Math.max(0.5, Math.round((3 + 1.5 * taste) * 2) / 2));
      lines.push(`${u},${i},${rating},${1_000_000 + u * 100 + i}`);
    }
  writeFileSync(join(dir, 'ratings.csv'), lines.join('\n') + '\n');
  const cf = join(dir, 'node_modules', '.bin', 'cf');
  const cfRun = (args) => {
    const result = spawnSync(cf, args, { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    if (result.status !== 0)
      throw new Error(
        `✗ cf ${args.join(' ')} (exit ${result.status}):\n${result.stdout}${result.stderr}`,
      );
    return result;
  };
  const train = ['train', '--data', 'ratings.csv', '--recipe', 'fastai', '--epochs', '1'];
  step(`${label}: cf ${train.join(' ')} --threads 2 --out cli-model --json`);
  const trained = cfRun([...train, '--threads', '2', '--out', 'cli-model', '--json']);
  const summary = JSON.parse(trained.stdout);
  console.log(
    `  cf train: ${summary.nRatings} ratings, ${summary.threads} threads${summary.threadsNote ? ` (${summary.threadsNote})` : ''}, ` +
      `val RMSE ${summary.rmse.toFixed(4)}; stderr says "${trained.stderr.match(/training on \d+ threads/)?.[0]}"`,
  );
  if (
    summary.threads !== 2 ||
    summary.threadsNote !== undefined ||
    !/training on 2 threads/.test(trained.stderr)
  )
    throw new Error(`cf train --threads 2 did not train on 2 threads:\n${trained.stderr}`);
  const recommend = [
    'recommend',
    '--model',
    'cli-model',
    '--all',
    '--threads',
    '2',
    '--out',
    'top10.csv',
  ];
  step(`${label}: cf ${recommend.join(' ')}`);
  const ranked = cfRun(recommend);
  const rows = readFileSync(join(dir, 'top10.csv'), 'utf8').trim().split('\n');
  const said = ranked.stderr.match(
    /ranked the top 10 of \d+ items for \d+ users on \d+ threads/,
  )?.[0];
  console.log(`  cf recommend --all: "${said}"; top10.csv has ${rows.length - 1} rows`);
  if (
    !said?.endsWith('on 2 threads') ||
    rows.length - 1 !== 300 * 10 ||
    rows[0] !== 'userId,rank,itemId,score'
  )
    throw new Error(
      `cf recommend --all --threads 2:\n${ranked.stderr}\n${rows.slice(0, 3).join('\n')}`,
    );
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
  install(
    'npm',
    ['install', '--loglevel=error', '@cf/cli', ESBUILD, ...dependencies(TFJS_HIGHEST)],
    {
      cwd: npmDir,
      env,
    },
  );
  const cliVersion = run(join(npmDir, 'node_modules', '.bin', 'cf'), ['--version'], {
    cwd: npmDir,
  }).trim();
  step(`npm project: cf --version prints ${cliVersion}`);
  const reports = compileAndRun(npmDir, `npm, CommonJS, tfjs ${TFJS_HIGHEST}`, {
    skipLibCheck: false,
    commonjs: true,
  });
  reports.push(bundleAndRun(npmDir, `npm, CommonJS, tfjs ${TFJS_HIGHEST}`));
  cliThreads(npmDir, 'npm project');

  // 2. pnpm, ES modules, the lowest tfjs.
  const pnpmDir = join(work, 'pnpm-esm');
  mkdirSync(pnpmDir);
  writeFileSync(
    join(pnpmDir, 'package.json'),
    JSON.stringify({ name: 'cf-embed-esm', version: '1.0.0', private: true, type: 'module' }),
  );
  step('pnpm add from the local registry into an ES module project');
  install('pnpm', ['add', '--reporter=silent', VITE, ...dependencies(TFJS_LOWEST)], {
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
  await viteInChromium(pnpmDir, `pnpm, ESM, tfjs ${TFJS_LOWEST}`);

  for (const r of reports) {
    const expected = r.label.includes(`tfjs ${TFJS_LOWEST}`) ? TFJS_LOWEST : TFJS_HIGHEST;
    if (r.tfjsVersion !== expected)
      throw new Error(`${r.label}: ran tfjs-core ${r.tfjsVersion}, expected ${expected}`);
    if (!r.roundTrip) throw new Error(`${r.label}: the loaded model predicts differently`);
    if (r.recommendations.length !== 5) throw new Error(`${r.label}: not 5 recommendations`);
    if (!(r.batches > 0 && Number.isFinite(r.valRmse)))
      throw new Error(`${r.label}: trained ${r.batches} batches, val RMSE ${r.valRmse}`);
    checkThreads(r);
  }
  if (new Set(reports.map((r) => r.prediction)).size !== 1)
    throw new Error(`the runs disagree: ${reports.map((r) => r.prediction).join(', ')}`);
  step(
    `ok: installed from a local registry with npm (CommonJS) and pnpm (ESM), tfjs-core ${TFJS_LOWEST} and ${TFJS_HIGHEST}; ` +
      `${reports.map((r) => r.format).join(', ')} runs agree; each trained and ranked every user on 2 threads`,
  );
} finally {
  await registry?.stop();
  if (process.env.CF_EMBED_KEEP) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}
