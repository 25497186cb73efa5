// Every TypeScript block of every README compiles against the built packages under the project's
// strict settings, and the blocks marked `ts run` run. See this package's README for the markers.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  collectBlocks,
  describeBlock,
  extractBlocks,
  repositoryRoot,
  runBlock,
  typecheckBlocks,
} from '../src/readme-blocks.js';

const root = repositoryRoot();
const packageDir = join(root, 'examples', 'readme-blocks');
const workDir = join(packageDir, '.blocks');
const blocks = await collectBlocks(root);
const dataDir = process.env['CF_DATA_DIR'];
afterAll(() => rm(workDir, { recursive: true, force: true }));

describe('the extractor and the checker', () => {
  it('finds fenced ts blocks with their README line and markers', () => {
    const markdown = [
      '# x', //                                   1
      '```ts', //                                 2
      'const a: number = 1;', //                  3
      '```', //                                   4
      '```bash', //                               5
      'echo no', //                               6
      '```', //                                   7
      '  ```typescript run=ml-latest-small,ml-100k', // 8
      '  console.log(1);', //                     9
      '  ```', //                                 10
      '```ts run', //                             11
      '```', //                                   12
    ].join('\n');
    expect(extractBlocks(markdown, 'X.md')).toEqual([
      { readme: 'X.md', line: 3, index: 1, code: 'const a: number = 1;', run: undefined },
      {
        readme: 'X.md',
        line: 9,
        index: 2,
        code: 'console.log(1);',
        run: { datasets: ['ml-latest-small', 'ml-100k'] },
      },
      { readme: 'X.md', line: 12, index: 3, code: '', run: { datasets: [] } },
    ]);
    expect(() => extractBlocks('```ts\nlet x = 1;\n', 'Y.md')).toThrow(/Y\.md:1: .*never closed/);
  });

  it('reports a block that does not compile by README, block, line and the compiler message', async () => {
    const broken = extractBlocks(
      [
        '# Broken',
        '```ts',
        "import { loadRatingsFromStream } from '@cf/data';",
        "const input = document.querySelector('input')!;",
        'const file = input.files[0];',
        'await loadRatingsFromStream(file.stream());',
        '```',
        '```ts',
        "import { createRatingsTable } from '@cf/data';",
        'createRatingsTable([{ userId: 1, itemId: 2, rating: 3 }]);',
        '```',
      ].join('\n'),
      'examples/broken/README.md',
    );
    const dir = join(packageDir, '.blocks-selftest');
    try {
      const failures = await typecheckBlocks(broken, { root, workDir: dir });
      expect(failures).toHaveLength(1);
      expect(failures[0]!.block.index).toBe(1);
      expect(failures[0]!.message).toMatch(
        /^examples\/broken\/README\.md, TypeScript block 1 \(line 3\) does not compile/,
      );
      // the strict-null error of the data README's old browser example, at its README line
      expect(failures[0]!.message).toMatch(
        /examples\/broken\/README\.md:5:14: TS18047: 'input\.files' is possibly 'null'/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it('reports a run that throws, with the block and the error', async () => {
    const [block] = extractBlocks(
      "```ts run\nthrow new Error('the example is wrong');\n```\n",
      'examples/broken/README.md',
    );
    const dir = await mkdtemp(join(tmpdir(), 'cf-readme-selftest-'));
    try {
      const failure = await runBlock(block!, { workDir: dir, env: process.env });
      expect(failure?.message).toMatch(
        /examples\/broken\/README\.md, TypeScript block 1 \(line 2\), marked `ts run`, failed .*exited with code 1:[\s\S]*the example is wrong/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the repository's READMEs", () => {
  it('hold TypeScript blocks (the check is not vacuous)', () => {
    expect(blocks.length).toBeGreaterThanOrEqual(8);
    expect(new Set(blocks.map((b) => b.readme)).size).toBeGreaterThanOrEqual(4);
  });

  it('every TypeScript block compiles under the strict settings against the built packages', async () => {
    const failures = await typecheckBlocks(blocks, { root, workDir });
    expect(
      failures.map((f) => f.message),
      `${failures.length} README block(s) do not compile; fix the README (or the API it shows)`,
    ).toEqual([]);
  }, 180_000);

  const runnable = blocks.filter((b) => b.run);
  for (const block of runnable) {
    const missing = block.run!.datasets.filter(
      (name) => !(dataDir && existsSync(join(dataDir, name))),
    );
    if (missing.length > 0)
      console.warn(
        `[skip] ${describeBlock(block)}: it reads ${missing.join(', ')} from $CF_DATA_DIR, ${dataDir ? `which has no ${missing.join(', ')}` : 'which is not set'} (CI sets CF_DATA_DIR to ../shared/datasets)`,
      );
    it.skipIf(missing.length > 0)(
      `${describeBlock(block)} runs`,
      async () => {
        const failure = await runBlock(block, {
          workDir,
          env: { ...process.env, ...(dataDir ? { CF_DATA_DIR: dataDir } : {}) },
        });
        expect(failure?.message).toBeUndefined();
      },
      180_000,
    );
  }
});
