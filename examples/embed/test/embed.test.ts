// Runs run.mjs: pack, install outside the workspace, train with the packed cf, compile twice, run as ESM and CJS.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

it('the packed packages install, type-check and run in a fresh project as ESM and CommonJS', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(import.meta.dirname, '..', 'run.mjs')],
    { maxBuffer: 1 << 24 },
  );
  console.log(stdout);
  for (const step of [
    'tsc (strict, module node16, moduleResolution node16)',
    'tsc (strict, module esnext, moduleResolution bundler)',
    '(ESM, node16 build)',
    '(ESM, bundler build)',
    '(CommonJS require(), node16 build)',
    '(CommonJS require(), bundler build)',
  ]) {
    expect(stdout).toContain(step);
  }
  expect(stdout).toMatch(/user 1, movie 10: predicted \d\.\d{4} \(embedding-dot-bias on cpu\)/);
  expect(stdout).toContain('ok: the packed packages install');
}, 300_000);
