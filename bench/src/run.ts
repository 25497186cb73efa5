// Runs every src/*.bench.ts (or those whose name contains the first argument), prints each table
// and writes results/<name>.json. Usage: `pnpm bench [filter]`.
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, type Benchmark } from './benchmark.js';

const here = dirname(fileURLToPath(import.meta.url));
const filter = process.argv[2] ?? '';
const files = (await readdir(here)).filter((file) => file.endsWith('.bench.ts')).sort();
const selected = files.filter((file) => file.includes(filter));
if (selected.length === 0) {
  console.error(
    `no benchmark matches ${JSON.stringify(filter)}; have: ${files.map((f) => f.replace('.bench.ts', '')).join(', ')}`,
  );
  process.exit(1);
}
if (!(globalThis as { gc?: unknown }).gc)
  console.warn('note: run node with --expose-gc for stable memory figures');
const resultsDir = join(here, '..', 'results');
await mkdir(resultsDir, { recursive: true });
for (const file of selected) {
  const { default: benchmark } = (await import(join(here, file))) as { default: Benchmark };
  console.log(`\n## ${benchmark.name}: ${benchmark.description}\n`);
  const result = await benchmark.run();
  printTable(result.rows);
  for (const note of result.notes) console.log(`note: ${note}`);
  const json = {
    name: benchmark.name,
    description: benchmark.description,
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    ...result,
  };
  await writeFile(join(resultsDir, `${benchmark.name}.json`), JSON.stringify(json, null, 2) + '\n');
  console.log(`\nwrote results/${benchmark.name}.json`);
}
