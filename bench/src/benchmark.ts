// What a benchmark file exports, and the small statistics and table helpers they share.

/** One row of a benchmark's table. Numbers are printed as they are; strings as given. */
export type BenchRow = Record<string, string | number | null>;

/** What a benchmark returns: the rows it printed plus anything worth keeping in its JSON. */
export interface BenchResult {
  rows: BenchRow[];
  notes: string[];
  [key: string]: unknown;
}

/** A benchmark: `src/<name>.bench.ts` default-exports one; `run.ts` runs it and writes `results/<name>.json`. */
export interface Benchmark {
  name: string;
  description: string;
  run(): Promise<BenchResult>;
}

/** Median, min and max of a sample. */
export function summarize(values: number[]): { median: number; min: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Runs `fn` `runs` times (after `warmup` unmeasured runs) and returns the wall times in ms. */
export async function timeRuns(
  runs: number,
  warmup: number,
  fn: () => Promise<unknown>,
): Promise<number[]> {
  for (let k = 0; k < warmup; k++) await fn();
  const times: number[] = [];
  for (let k = 0; k < runs; k++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return times;
}

/**
 * Heap plus ArrayBuffer bytes in use, after full GCs when node runs with --expose-gc. ArrayBuffer
 * backing stores are released a little after the GC that finds them dead, hence the short waits.
 */
export async function memoryInUse(): Promise<number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (let k = 0; k < 3; k++) {
    gc?.();
    await new Promise((done) => setTimeout(done, 50));
  }
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** Prints rows as an aligned text table. */
export function printTable(rows: BenchRow[]): void {
  if (rows.length === 0) return;
  const keys = Object.keys(rows[0]!);
  const cell = (value: BenchRow[string] | undefined): string =>
    value === null || value === undefined
      ? '-'
      : typeof value === 'number'
        ? value.toLocaleString('en-US', { maximumFractionDigits: 1 })
        : value;
  const widths = keys.map((key) =>
    Math.max(key.length, ...rows.map((row) => cell(row[key]).length)),
  );
  const line = (cells: string[]): string =>
    cells.map((c, k) => (k === 0 ? c.padEnd(widths[k]!) : c.padStart(widths[k]!))).join('  ');
  console.log(line(keys));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(keys.map((key) => cell(row[key]))));
}
