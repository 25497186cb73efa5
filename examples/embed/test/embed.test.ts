// Runs run.mjs: publish every package to a local Verdaccio, install from it with npm (CommonJS,
// tfjs-core 4.22.0) and pnpm (ESM, tfjs-core 4.0.0), compile under node16 and bundler, run.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('the packages install from a registry with npm and pnpm, type-check and run as CommonJS and ESM on the lowest and highest tfjs', async () => {
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
  ])
    expect(stdout).toContain(step);
  expect(stdout.match(/round trip true/g)).toHaveLength(4);
  expect(stdout).toContain(
    'ok: installed from a local registry with npm (CommonJS) and pnpm (ESM)',
  );
}, 600_000);
