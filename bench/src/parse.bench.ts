// Parse speed and memory of the @cf/data ratings loaders: ml-latest-small (from CF_DATA_DIR) with
// both record parsers, and a generated ml-25m-sized ratings.csv (25M rows by default) for
// throughput and bytes per row. BENCH_ROWS and BENCH_RUNS override the size and the run count.
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import type { RecordParser } from '@cf/data';
import { loadRatings } from '@cf/data/node';
import { memoryInUse, summarize, timeRuns, type Benchmark, type BenchRow } from './benchmark.js';

const RUNS = Math.max(5, Number(process.env.BENCH_RUNS ?? 5));
const ROWS = Number(process.env.BENCH_ROWS ?? 25_000_000);
const SMALL_ROWS = 1_000_000;

/** Writes a ratings.csv like ml-25m's (162541 users, 59047 items, half stars) with a fixed LCG; reuses it if present. */
async function generate(rows: number): Promise<string> {
  const file = join(tmpdir(), `cf-bench-ratings-v2-${rows}.csv`);
  if (existsSync(file)) return file;
  const partial = `${file}.${process.pid}.tmp`;
  const out = createWriteStream(partial);
  let state = 12345;
  const next = (n: number): number => {
    // mulberry32: every bit is well mixed (an LCG's low bits would repeat (user, item) pairs)
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
  out.write('userId,movieId,rating,timestamp\n');
  let buffer = '';
  let user = 1;
  for (let r = 0; r < rows; r++) {
    if (next(150) === 0) user = 1 + next(162541);
    buffer += `${user},${1 + next(59047)},${(1 + next(10)) / 2},${789652009 + next(785000000)}\n`;
    if (buffer.length > 1 << 20) {
      if (!out.write(buffer)) await new Promise<void>((done) => out.once('drain', () => done()));
      buffer = '';
    }
  }
  out.end(buffer);
  await finished(out);
  await rename(partial, file);
  return file;
}

function timingRow(
  dataset: string,
  parser: RecordParser,
  rows: number,
  bytes: number,
  times: number[],
): BenchRow {
  const { median, min, max } = summarize(times);
  return {
    dataset,
    parser,
    rows,
    MB: Math.round(bytes / 1e5) / 10,
    'median ms': Math.round(median),
    'min–max ms': `${Math.round(min)}–${Math.round(max)}`,
    'k rows/s': Math.round(rows / median),
    'auto speed-up': null,
    'B/row kept': null,
    'B/row peak': null,
  };
}

/** Loads once while sampling memory: what the table keeps per row, and the peak per row while parsing. */
async function memoryPerRow(file: string): Promise<{ kept: number; peak: number; rows: number }> {
  const before = await memoryInUse();
  let peak = before;
  const timer = setInterval(() => {
    const usage = process.memoryUsage();
    peak = Math.max(peak, usage.heapUsed + usage.arrayBuffers);
  }, 20);
  let loaded: Awaited<ReturnType<typeof loadRatings>> | undefined = await loadRatings(file);
  clearInterval(timer);
  const after = await memoryInUse();
  const rows = loaded.table.stats.count;
  loaded = undefined;
  return { kept: (after - before) / rows, peak: (peak - before) / rows, rows };
}

const benchmark: Benchmark = {
  name: 'parse',
  description: 'ratings parse time (median of runs), throughput and memory per row',
  async run() {
    const rows: BenchRow[] = [];
    const notes: string[] = [];
    const dataDir = process.env.CF_DATA_DIR;
    const small = dataDir && join(dataDir, 'ml-latest-small', 'ratings.csv');
    if (small && existsSync(small)) {
      const bytes = statSync(small).size;
      for (const parser of ['auto', 'csv-parse'] as const) {
        let count = 0;
        const times = await timeRuns(RUNS, 1, async () => {
          count = (await loadRatings(small, { parser })).table.stats.count;
        });
        rows.push(timingRow('ml-latest-small', parser, count, bytes, times));
      }
    } else {
      notes.push(
        'ml-latest-small skipped: set CF_DATA_DIR to the folder that holds ml-latest-small/',
      );
    }
    const mid = await generate(SMALL_ROWS);
    for (const parser of ['auto', 'csv-parse'] as const) {
      const times = await timeRuns(parser === 'auto' ? RUNS : Math.min(RUNS, 5), 1, () =>
        loadRatings(mid, { parser }),
      );
      rows.push(timingRow('generated 1M', parser, SMALL_ROWS, statSync(mid).size, times));
    }
    const large = await generate(ROWS);
    const times = await timeRuns(RUNS, 0, () => loadRatings(large));
    const row = timingRow(`generated ${ROWS / 1e6}M`, 'auto', ROWS, statSync(large).size, times);
    const memory = await memoryPerRow(large);
    row['B/row kept'] = Math.round(memory.kept * 10) / 10;
    row['B/row peak'] = Math.round(memory.peak * 10) / 10;
    rows.push(row);
    for (const auto of rows) {
      const library = rows.find((r) => r.dataset === auto.dataset && r.parser === 'csv-parse');
      if (auto.parser !== 'auto' || !library) continue;
      auto['auto speed-up'] =
        `${(Number(library['median ms']) / Number(auto['median ms'])).toFixed(1)}x`;
    }
    notes.push(
      `generated files are kept in ${tmpdir()} (cf-bench-ratings-*.csv) for the next run; delete them to free ${Math.round(statSync(large).size / 1e6)} MB`,
    );
    notes.push(
      "'auto' = hand-split plain lines (csv-parse only for quoted blocks); 'csv-parse' = every line through csv-parse/browser/esm/sync",
    );
    notes.push(
      'B/row kept: heap + ArrayBuffers retained by the loaded table (after GC); B/row peak: highest sample while loading',
    );
    return { rows, notes, runs: RUNS };
  },
};

export default benchmark;
