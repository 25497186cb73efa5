// Runs run.mjs: publish every package to a local Verdaccio, install from it with npm (CommonJS,
// tfjs-core 4.22.0) and pnpm (ESM, tfjs-core 4.0.0), compile under node16 and bundler, bundle
// with esbuild, run (one thread, then 2 training and 2 ranking threads), run the installed cf,
// build a page with Vite and run it in Chromium.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('the packages install from a registry with npm and pnpm, type-check and run as CommonJS, ESM, an esbuild bundle and a Vite page on the lowest and highest tfjs, on 2 threads', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(import.meta.dirname, '..', 'run.mjs')],
    { maxBuffer: 1 << 24 },
  );
  console.log(stdout);
  for (const name of ['data', 'kernels', 'model', 'trainer', 'cli'])
    expect(stdout).toMatch(new RegExp(`pnpm publish @cf/${name} to http://127\\.0\\.0\\.1:\\d+/`));
  expect(stdout).toContain('(peer @tensorflow/tfjs-core ^4.0.0)');
  expect(stdout).toContain('npm init -y wrote "type": "commonjs"');
  expect(stdout).toMatch(/cf --version prints \d+\.\d+\.\d+/);
  for (const step of [
    'npm, CommonJS, tfjs 4.22.0: tsc (strict, skipLibCheck false, moduleResolution node16)',
    'npm, CommonJS, tfjs 4.22.0: node dist-node16/main.js (CommonJS)',
    'npm, CommonJS, tfjs 4.22.0: node dist-bundler/main.js (ESM)',
    'pnpm, ESM, tfjs 4.0.0: node dist-node16/main.js (ESM)',
    'pnpm, ESM, tfjs 4.0.0: node dist-bundler/main.js (ESM)',
    'npm, CommonJS, tfjs 4.22.0: esbuild app + worker entry points --bundle --platform=node (CommonJS bundle)',
    'npm, CommonJS, tfjs 4.22.0: esbuild app alone (no worker entry points)',
    'npm project: cf train --data ratings.csv --recipe fastai --epochs 1 --threads 2',
    'npm project: cf recommend --model cli-model --all --threads 2 --out top10.csv',
  ])
    expect(stdout).toContain(step);
  // four tsc builds, the esbuild bundle and the bundle without its workers
  expect(stdout.match(/round trip true/g)).toHaveLength(6);
  // every build but the bundle without workers trains and ranks on 2 threads, like recommend
  expect(
    stdout.match(
      /fit on 2 threads, val RMSE \d\.\d+; 40 users ranked on 2 threads, same lists as recommend: true/g,
    ),
  ).toHaveLength(5);
  expect(stdout).toMatch(
    /esbuild: fit on 1 threads \(the training workers did not start \(training worker: its script .*hogwild-worker\.js does not exist: .*hogwild-worker=@cf\/trainer\/hogwild-worker/,
  );
  expect(stdout).toContain('stderr says "training on 2 threads"');
  // a browser app bundled by Vite from the installed packages
  expect(stdout).toMatch(/vite emitted hogwild-worker-[\w-]+\.js, rank-worker-[\w-]+\.js/);
  if (!stdout.includes('[skip] no Chromium')) {
    expect(stdout).toContain(
      'Chromium, cross-origin isolated: fit on 2 threads; 40 users ranked on 2 threads, same lists as recommend: true',
    );
    expect(stdout).toMatch(
      /Chromium, not isolated: fit on 1 threads \(the page is not cross-origin isolated .*40 users ranked on 1 threads/,
    );
  }
  expect(stdout).toContain('"ranked the top 10 of 120 items for 300 users on 2 threads"');
  expect(stdout).toContain(
    'ok: installed from a local registry with npm (CommonJS) and pnpm (ESM)',
  );
  expect(stdout).toContain('each trained and ranked every user on 2 threads');
}, 600_000);
